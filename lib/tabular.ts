import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse } from 'csv-parse';

export type Row = Record<string, string>;

export function delimiterFor(file: string): string {
  const name = file.replace(/\.gz$/, '').toLowerCase();
  return name.endsWith('.tsv') || name.endsWith('.tab') ? '\t' : ',';
}

function openText(file: string): NodeJS.ReadableStream {
  const stream = fs.createReadStream(file);
  return file.endsWith('.gz') ? stream.pipe(zlib.createGunzip()) : stream;
}

/**
 * Streams a CSV/TSV file (optionally gzipped) with a header row as objects keyed by column name.
 * TSV is read without quote handling: the SemEval files contain unbalanced quotes inside tweets.
 */
export async function* readTable(file: string, opts: { delimiter?: string } = {}): AsyncGenerator<Row> {
  if (!fs.existsSync(file)) throw new Error(`file not found: ${path.resolve(file)}`);
  const delimiter = opts.delimiter ?? delimiterFor(file);
  const parser = openText(file).pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      delimiter,
      quote: delimiter === '\t' ? false : '"',
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }),
  );
  for await (const row of parser) yield row as Row;
}

export async function readTableAll(file: string, opts: { delimiter?: string } = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of readTable(file, opts)) rows.push(row);
  return rows;
}

/** Fails with a message that names the file, the missing column and the columns that are there. */
export function requireColumns(file: string, rows: Row[], columns: string[]): void {
  if (rows.length === 0) throw new Error(`${file}: no data rows (is the file empty, or missing its header row?)`);
  const present = Object.keys(rows[0]);
  const missing = columns.filter((c) => !present.includes(c));
  if (missing.length > 0) {
    throw new Error(`${file}: missing column(s) ${missing.join(', ')}; the header has: ${present.join(', ')}`);
  }
}
