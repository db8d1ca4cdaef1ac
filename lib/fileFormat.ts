/**
 * How a file import reads a file (activities/collect/file.ts): as a delimited table (`csv`: delimiter sniffed; `tsv`)
 * or as JSON (`jsonl`: one value per line, or one JSON document, which the same reader takes). No imports: the CLI,
 * the API and workflow code use it.
 */
export type FileFormat = 'csv' | 'tsv' | 'jsonl';

/** The names a person may give a format (`--format`, the API's `file.format`): the formats and the JSON synonyms. */
export const FILE_FORMAT_NAMES = ['csv', 'tsv', 'jsonl', 'json', 'ndjson'] as const;

/**
 * The format a name means, case-insensitively: `json` and `ndjson` are read as `jsonl`.
 * @returns null when the name is none of FILE_FORMAT_NAMES
 */
export function fileFormatNamed(name: string): FileFormat | null {
  const n = name.trim().toLowerCase();
  if (n === 'csv' || n === 'tsv' || n === 'jsonl') return n;
  if (n === 'json' || n === 'ndjson') return 'jsonl';
  return null;
}
