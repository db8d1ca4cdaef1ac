/**
 * How a file import reads a file (activities/collect/file.ts): as a delimited table (`csv`: delimiter sniffed; `tsv`)
 * or as JSON (`jsonl`: one value per line, or one JSON document, which the same reader takes), and the post fields its
 * columns can be mapped to. No imports: the CLI, the API and workflow code use it.
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

/** post.v1 fields a file column can be mapped to (`--map field=column`, the API's `file.mapping`). */
export const mappableFields = [
  'id',
  'text',
  'title',
  'created_at',
  'author_id',
  'author_handle',
  'followers',
  'lang',
  'url',
  'likes',
  'reposts',
  'replies',
] as const;
export type MappableField = (typeof mappableFields)[number];
export type ColumnMapping = Partial<Record<MappableField, string>>;
