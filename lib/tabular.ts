import fs from 'node:fs';
import path from 'node:path';
import { Transform, pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export type Row = Record<string, string>;

export function delimiterFor(file: string): string {
  const name = file.replace(/\.gz$/, '').toLowerCase();
  return name.endsWith('.tsv') || name.endsWith('.tab') ? '\t' : ',';
}

/**
 * The file is not what its name says, or not text at all. The message names the file and what it seems to be,
 * and says what to do; no retry can fix it (the importer turns it into a non-retryable InvalidInput failure).
 */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface Sniffed {
  gzip: boolean;
  encoding: TextEncoding;
}

const SNIFF_BYTES = 8192;

const hex = (b: Uint8Array, n = 8) => [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > n ? ' …' : '');

/** Formats known by their first bytes, which people upload under a text file's name. */
const MAGIC: { name: string; test: (b: Uint8Array) => boolean; hint: string }[] = [
  {
    name: 'a zip archive (an .xlsx/.ods workbook is one)',
    test: (b) => b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5 || b[2] === 7),
    hint: 'open it and save the sheet as "CSV UTF-8", or unzip it first',
  },
  {
    name: 'an old Excel .xls (OLE2) workbook',
    test: (b) => b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0,
    hint: 'save the sheet as "CSV UTF-8"',
  },
  { name: 'a PDF document', test: (b) => b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46, hint: 'export the data as CSV or JSONL' },
  { name: 'a PNG image', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47, hint: 'choose the data file' },
  { name: 'a JPEG image', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff, hint: 'choose the data file' },
  { name: 'a bzip2 archive', test: (b) => b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68, hint: 'decompress it (bunzip2) or recompress it with gzip' },
  {
    name: 'an xz archive',
    test: (b) => b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58,
    hint: 'decompress it (unxz) or recompress it with gzip',
  },
  {
    name: 'a zstd archive (as Pushshift dumps are)',
    test: (b) => b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd,
    hint: 'decompress it (zstd -d --long=31) or recompress it with gzip',
  },
  { name: 'a 7-zip archive', test: (b) => b[0] === 0x37 && b[1] === 0x7a && b[2] === 0xbc && b[3] === 0xaf, hint: 'extract it first' },
  { name: 'a Parquet file', test: (b) => b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31, hint: 'convert it to CSV or JSONL' },
  { name: 'an SQLite database', test: (b) => Buffer.from(b.subarray(0, 15)).toString('latin1') === 'SQLite format 3', hint: 'export the table as CSV' },
];

/**
 * What the bytes seem to be when they are not text: `null` for text (UTF-8, UTF-16 with or without a BOM,
 * or a legacy single-byte encoding), else a description and what to do.
 */
export function describeBinary(b: Uint8Array): { what: string; hint: string } | null {
  for (const m of MAGIC) if (m.test(b)) return { what: m.name, hint: m.hint };
  if (b[0] === 0x1f && b[1] === 0x8b) return null; // gzip, handled by the caller
  if (textEncodingOf(b)) return null;
  return { what: 'binary data, not text', hint: 'export the data as CSV, TSV or JSONL' };
}

/** The encoding of a text sample, or null when it is not text (NUL bytes, control characters). */
export function textEncodingOf(b: Uint8Array): TextEncoding | null {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  const n = Math.min(b.length, SNIFF_BYTES);
  let zerosEven = 0;
  let zerosOdd = 0;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const x = b[i];
    if (x === 0) i % 2 === 0 ? zerosEven++ : zerosOdd++;
    else if (x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0d && x !== 0x0c) control++;
  }
  // UTF-16 without a BOM: ASCII text leaves every other byte zero
  if (n >= 4 && zerosOdd > n * 0.3 && zerosEven === 0) return 'utf-16le';
  if (n >= 4 && zerosEven > n * 0.3 && zerosOdd === 0) return 'utf-16be';
  // a stray NUL or control character in a text export is a bad record (the sanitiser removes it), not a binary file;
  // random bytes hold about 10% control characters
  if (zerosEven + zerosOdd + control > Math.max(2, n * 0.01)) return null;
  try {
    // a sample cut inside a multi-byte character is still UTF-8: `stream` tolerates the cut at the end
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, n), { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252'; // what Excel and older tools write when not told to use UTF-8
  }
}

async function readHead(file: string, bytes = SNIFF_BYTES): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The first decompressed bytes of a gzip file; a truncated or corrupt stream gives what could be read. */
function gunzipHead(head: Buffer): Buffer {
  try {
    return zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, SNIFF_BYTES);
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * Looks at the first bytes of a file and decides how to read it as text: gzip or not (by content, whatever the
 * name says; a gzip file without `.gz` is read all the same), and the text encoding.
 * Throws `InputFileError` naming the file and what it seems to be when it cannot be read as text:
 * `posts.csv.gz is not gzip (it starts with 61 35 b6 …): it looks like text; if it is plain CSV, rename it to posts.csv`.
 */
export async function sniffFile(file: string): Promise<Sniffed> {
  const name = path.basename(file);
  const head = await readHead(file);
  const isGzip = head[0] === 0x1f && head[1] === 0x8b;
  if (file.toLowerCase().endsWith('.gz') && !isGzip) {
    const plain = name.replace(/\.gz$/i, '');
    const bin = describeBinary(head);
    const seems = bin
      ? `it looks like ${bin.what}; ${bin.hint}`
      : `it looks like text; if it is plain ${path.extname(plain).slice(1).toUpperCase() || 'text'}, rename it to ${plain}`;
    throw new InputFileError(`${name} is not gzip (it starts with ${hex(head)}): ${seems}`);
  }
  const content = isGzip ? gunzipHead(head) : head;
  if (isGzip && content.length === 0 && head.length > 20) {
    throw new InputFileError(`${name} is damaged gzip: its first bytes do not decompress; re-create or re-download it`);
  }
  const bin = describeBinary(content);
  if (bin)
    throw new InputFileError(
      `${name} is not a text file (${isGzip ? 'after gunzip it ' : 'it '}starts with ${hex(content)}): it looks like ${bin.what}; ${bin.hint}`,
    );
  return { gzip: isGzip, encoding: textEncodingOf(content) ?? 'utf-8' };
}

/** Decodes bytes to strings (a BOM is dropped), across chunk boundaries. */
function decoder(encoding: TextEncoding): Transform {
  const dec = new TextDecoder(encoding);
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      const s = dec.decode(chunk, { stream: true });
      done(null, s || undefined);
    },
    flush(done) {
      const s = dec.decode();
      done(null, s || undefined);
    },
  });
}

/** Describes an error raised while reading `file`'s bytes; gzip damage becomes an InputFileError. */
function readError(file: string, err: Error & { code?: string }): Error {
  if (err instanceof InputFileError) return err;
  if (err.code?.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid (block type|distance|stored block)/i.test(err.message)) {
    return new InputFileError(`${path.basename(file)} is truncated or damaged gzip (${err.message}); re-create or re-download it`);
  }
  return err;
}

/**
 * The file's text as a stream of string chunks: sniffed, gunzipped when the content is gzip, decoded.
 * Every stream error (fs, zlib, decoder) is delivered to whoever iterates the result, never as an unhandled
 * 'error' event: the streams are joined with `pipeline`, which destroys all of them with the first error.
 */
export async function openText(file: string): Promise<AsyncIterable<string>> {
  const sniffed = await sniffFile(file);
  const parts: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [fs.createReadStream(file)];
  if (sniffed.gzip) parts.push(zlib.createGunzip());
  parts.push(decoder(sniffed.encoding));
  const out = pipeline(parts as unknown as [Readable, Transform], () => {
    // errors reach the consumer through the last stream's iterator
  }) as unknown as Readable;
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const chunk of out) yield chunk as string;
      } catch (err) {
        throw readError(file, err as Error);
      }
    },
  };
}

/** Lines of text (without their `\n` / `\r\n`) with 1-based line numbers. */
export async function* readLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  let rest = '';
  let line = 0;
  for await (const chunk of await openText(file)) {
    rest += chunk;
    let from = 0;
    if (!LONE_CR.test(rest)) {
      // the common case, LF or CRLF only: indexOf is the fast path
      let at: number;
      while ((at = rest.indexOf('\n', from)) >= 0) {
        const end = at > from && rest.charCodeAt(at - 1) === 13 ? at - 1 : at;
        yield { line: ++line, text: rest.slice(from, end) };
        from = at + 1;
      }
    } else {
      // a lone CR ends a line too (classic Mac OS, some Excel for Mac exports); one at the very end may be the first
      // half of a CRLF cut by the chunk boundary, so it waits for the next chunk
      const breaks = /\r\n|\n|\r/g;
      for (let m = breaks.exec(rest); m !== null; m = breaks.exec(rest)) {
        if (m[0] === '\r' && m.index === rest.length - 1) break;
        yield { line: ++line, text: rest.slice(from, m.index) };
        from = m.index + m[0].length;
      }
    }
    rest = rest.slice(from);
  }
  if (rest !== '') yield { line: line + 1, text: rest.endsWith('\r') ? rest.slice(0, -1) : rest };
}

/** A CR not followed by LF (a CR that ends the text may be half of a CRLF: not counted). */
const LONE_CR = /\r(?!\n|$)/;

export type CsvItem = { line: number; fields: string[]; raw: string } | { line: number; error: string; raw: string };

/** A record longer than this is taken as an unclosed quote that swallowed the lines after it. */
export const MAX_RECORD_LINES = 2000;
export const MAX_RECORD_CHARS = 1_000_000;

/**
 * Parses one CSV record (RFC 4180) from `text`, which may span lines: a quoted field can hold delimiters, quotes
 * written twice, and line breaks. `incomplete` means a quoted field is still open at the end (more lines needed).
 * A quote inside an unquoted field, or text after a closing quote, is an error.
 */
export function parseCsvRecord(text: string, delimiter = ',', quote: string | false = '"'): { fields: string[] } | { incomplete: true } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (quote && text[i] === quote) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf(quote, i);
        if (q < 0) return { incomplete: true };
        value += text.slice(i, q);
        if (text[q + 1] === quote) {
          value += quote;
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i >= n) return { fields };
      if (text[i] !== delimiter)
        return {
          error: `text after a closing quote in field ${fields.length} (${JSON.stringify(text.slice(i, i + 20))}); a quote inside a quoted field is written twice ("")`,
        };
      i++;
      continue;
    }
    const d = text.indexOf(delimiter, i);
    const value = d < 0 ? text.slice(i) : text.slice(i, d);
    if (quote && value.includes(quote))
      return {
        error: `a stray quote in unquoted field ${fields.length + 1} (${JSON.stringify(value.slice(0, 40))}); quote the field and double the quotes inside it`,
      };
    fields.push(value);
    if (d < 0) return { fields };
    i = d + 1;
  }
}

/**
 * Splits lines into CSV records and says which ones cannot be read, resynchronising after each: a record that
 * fails (stray quote, text after a closing quote, more fields than the header, or a quote left open until the end
 * of the file or for more than MAX_RECORD_LINES lines) is reported as an error for its first line, and parsing
 * starts again at the line after it. csv-parse cannot do this: after an unbalanced opening quote it reads the rest
 * of the file as one field (its skip_records_with_error resynchronises only after errors on one line).
 * `expected` is the header's field count (null for the header itself); extra fields that are all empty are allowed
 * (trailing commas), fewer fields are allowed (the row's later columns are missing).
 */
export async function* csvRecords(
  lines: AsyncIterable<{ line: number; text: string }>,
  opts: { delimiter?: string; quote?: string | false; expected?: () => number | null } = {},
): AsyncGenerator<CsvItem> {
  const delimiter = opts.delimiter ?? ',';
  const quote = opts.quote === undefined ? '"' : opts.quote;
  const source = lines[Symbol.asyncIterator]();
  const replay: { line: number; text: string }[] = [];
  const next = async () => (replay.length > 0 ? replay.shift()! : (((await source.next()).value as { line: number; text: string } | undefined) ?? null));

  for (;;) {
    const first = await next();
    if (!first) return;
    if (first.text.trim() === '') continue;
    const taken = [first];
    let text = first.text;
    let failure: string | null = null;
    let fields: string[] | null = null;
    for (;;) {
      const r = parseCsvRecord(text, delimiter, quote);
      if ('fields' in r) {
        fields = r.fields;
        break;
      }
      if ('error' in r) {
        failure = r.error;
        break;
      }
      if (taken.length >= MAX_RECORD_LINES || text.length >= MAX_RECORD_CHARS) {
        failure = `a quote opened here is still open ${taken.length} lines later`;
        break;
      }
      const more = await next();
      if (!more) {
        failure = 'a quote opened here is never closed';
        break;
      }
      taken.push(more);
      text += '\n' + more.text;
    }
    if (fields) {
      const expected = opts.expected?.() ?? null;
      if (expected !== null && fields.length > expected && fields.slice(expected).some((f) => f !== '')) {
        failure = `${fields.length} fields, the header has ${expected}; a field that holds the delimiter (${delimiterName(delimiter)}) needs quotes around it`;
        fields = null;
      }
    }
    if (fields) {
      yield { line: first.line, fields, raw: text };
      continue;
    }
    // resynchronise: only the first line is the bad record; the lines read past it are read again as records
    replay.unshift(...taken.slice(1));
    yield { line: first.line, error: failure!, raw: first.text };
  }
}

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/** `comma`, `semicolon`, `tab`, `pipe` (else the character itself, quoted). */
export function delimiterName(delimiter: string): string {
  return DELIMITER_NAMES[delimiter] ?? JSON.stringify(delimiter);
}

/** Lines looked at by `sniffDelimiter`: the header and the records after it. */
export const SNIFF_LINES = 20;

/**
 * Chooses a CSV's delimiter from its header and first records (`lines`): comma, semicolon, tab or pipe, the first
 * (in that order) that splits the header into more than one field and every sampled record into exactly as many
 * (empty extras allowed, as `csvRecords` allows them), quotes read as RFC 4180 says. When none is that consistent,
 * comma if it splits the header and no record has more fields than the header (as before: short rows are allowed),
 * else the one that fits most records. Comma is tried first, so a file that was read with commas is read exactly as
 * before. Null when no candidate splits the header (a one-column file).
 */
export async function sniffDelimiterOf(
  lines: AsyncIterable<{ line: number; text: string }> | Iterable<{ line: number; text: string }>,
): Promise<string | null> {
  const head: { line: number; text: string }[] = [];
  for await (const l of lines as AsyncIterable<{ line: number; text: string }>) {
    head.push(l);
    if (head.length >= SNIFF_LINES) break;
  }
  async function* replay() {
    yield* head;
  }
  const scores: { delimiter: string; exact: number; short: number; misfits: number }[] = [];
  for (const delimiter of Object.keys(DELIMITER_NAMES)) {
    let header: number | null = null;
    const score = { delimiter, exact: 0, short: 0, misfits: 0 };
    for await (const item of csvRecords(replay(), { delimiter, quote: '"' })) {
      if (header === null) {
        if ('error' in item) break;
        header = item.fields.length;
        continue;
      }
      if ('error' in item) {
        // a record cut at the end of the sample (a quote still open) is not held against the delimiter
        if (!/never closed/.test(item.error)) score.misfits++;
      } else if (item.fields.length > header && item.fields.slice(header).some((f) => f !== '')) score.misfits++;
      else if (item.fields.length >= header) score.exact++;
      else score.short++;
    }
    if (header === null || header < 2) continue;
    if (score.misfits === 0 && score.short === 0) return delimiter;
    scores.push(score);
  }
  const comma = scores.find((c) => c.delimiter === ',' && c.misfits === 0);
  if (comma) return ',';
  scores.sort((a, b) => b.exact - b.misfits - (a.exact - a.misfits));
  return scores[0]?.delimiter ?? null;
}

/** `sniffDelimiterOf` a file's first lines (gzip and encodings as `readLines` reads them). */
export async function sniffDelimiter(file: string): Promise<string | null> {
  return sniffDelimiterOf(readLines(file));
}

export type TableItem = { line: number; row: Row; raw: string } | { line: number; error: string; raw: string };

/**
 * A header's names made unique, so that no column's values overwrite another's in a row object: an empty name becomes
 * `column N` (its 1-based position), and the second, third `text` become `text (2)`, `text (3)`. The first of a name
 * keeps it, so a mapping by name reads the leftmost column, as a spreadsheet user would expect.
 */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name, i) => {
    const base = name === '' ? `column ${i + 1}` : name;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

/**
 * Streams a CSV/TSV file (optionally gzipped, any of the encodings `sniffFile` knows) with a header row: each data
 * record as an object keyed by the (trimmed) column names with its 1-based line number and raw text, or as an
 * error with its line number and raw text when it cannot be read (see `csvRecords`). Errors reading the bytes
 * (not the file it claims to be, truncated gzip) are thrown as `InputFileError`.
 * TSV is read without quote handling: the SemEval files contain unbalanced quotes inside tweets.
 */
export async function* readTableItems(file: string, opts: { delimiter?: string } = {}): AsyncGenerator<TableItem> {
  if (!fs.existsSync(file)) throw new Error(`file not found: ${path.resolve(file)}`);
  const delimiter = opts.delimiter ?? delimiterFor(file);
  let header: string[] | null = null;
  for await (const item of csvRecords(readLines(file), { delimiter, quote: delimiter === '\t' ? false : '"', expected: () => header?.length ?? null })) {
    if (header === null) {
      if ('error' in item) {
        // a file named .csv that holds JSON (the header "row" is a JSON object): say so, not how to quote a field
        if (/^\s*[[{]/.test(item.raw))
          throw new InputFileError(
            `${path.basename(file)} looks like JSON, not a table (it starts with ${item.raw.trim()[0]}): name it .jsonl (one object per line) or .json`,
          );
        throw new InputFileError(`${path.basename(file)}: the header row (line ${item.line}) cannot be read: ${item.error}`);
      }
      header = uniqueColumnNames(item.fields.map((h) => h.trim()));
      continue;
    }
    if ('error' in item) {
      yield item;
      continue;
    }
    const row: Row = {};
    for (let i = 0; i < item.fields.length && i < header.length; i++) row[header[i]] = item.fields[i];
    yield { line: item.line, row, raw: item.raw };
  }
}

/**
 * Streams a CSV/TSV file's rows as objects keyed by column name. A row that cannot be read is an error naming the
 * file and line (analysis inputs must be whole; the importer uses `readTableItems` and quarantines such rows).
 */
export async function* readTable(file: string, opts: { delimiter?: string } = {}): AsyncGenerator<Row> {
  for await (const item of readTableItems(file, opts)) {
    if ('error' in item) throw new Error(`${path.basename(file)} line ${item.line}: ${item.error}: ${item.raw.slice(0, 80)}`);
    yield item.row;
  }
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
