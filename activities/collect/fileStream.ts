/**
 * The streaming parts of the file importer (activities/collect/file.ts), kept apart so they can be tested alone:
 * - `jsonArrayItems`: the elements of a top-level JSON array, one at a time, from a stream of text chunks;
 * - `PartitionSpill`: NDJSON lines for many partitions at once, spilled as gzip to temporary files in bounded
 *   buffers, then uploaded one object each;
 * - `partOf`: which part of a split day a post belongs to (a hash of its id).
 * Memory is bounded by the buffer limits below, never by the size of the file or of a partition.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { ObjectStore } from '../../lib/objectStore';
import type { DatasetRef } from '../../lib/schema';
import { makeProcessTempDir, removeProcessTempDir } from '../../lib/processTempDirs';
import { InputFileError } from '../../lib/tabular';
import { murmur32 } from '../../models/text/hash';

const gzip = promisify(zlib.gzip);

/** One element of a top-level JSON array: its 1-based index and its JSON text (not yet parsed). */
export interface JsonArrayElement {
  index: number;
  text: string;
}

/** An array element longer than this is taken for a broken file rather than held in memory. */
export const MAX_JSON_ELEMENT_CHARS = 64 * 1024 * 1024;

const WS = new Set([0x20, 0x09, 0x0a, 0x0d, 0xfeff]);

/**
 * Splits a JSON text that is one top-level array into the texts of its elements, reading `chunks` as they come:
 * memory holds one element, never the document. Only the structure is scanned here (strings, escapes, nesting);
 * each element is parsed by the caller (so 64-bit integers are kept exact by `parseJsonKeepingBigInts`).
 * Throws `InputFileError` (`what` names the file) when the text does not start with `[`, an array is cut off or
 * followed by more text, brackets do not match, or one element exceeds MAX_JSON_ELEMENT_CHARS.
 * An element that is not valid JSON inside (`{"a": tru}`) is returned as it is; parsing it fails in the caller.
 */
export async function* jsonArrayItems(chunks: AsyncIterable<string>, what: string): AsyncGenerator<JsonArrayElement> {
  // state across chunks
  let started = false; // the opening `[` was seen
  let ended = false; // the closing `]` was seen
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let element = ''; // the current element's text from earlier chunks
  let inElement = false;
  let index = 0;
  let expectValue = true; // after `[` or `,`: an element must come (a `]` here closes an empty array or is a trailing comma)
  let sawComma = false;
  const fail = (why: string) => new InputFileError(`${what} is not valid JSON (${why}); if it holds one record per line, name it .jsonl`);
  for await (const chunk of chunks) {
    let from = -1; // where the current element starts in this chunk
    if (inElement) from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (ended) {
        if (!WS.has(c)) throw fail(`text after the closing ] of the array: ${JSON.stringify(chunk.slice(i, i + 20))}`);
        continue;
      }
      if (!started) {
        if (WS.has(c)) continue;
        if (c !== 0x5b) throw fail(`it does not start with [ but with ${JSON.stringify(chunk.slice(i, i + 20))}`);
        started = true;
        continue;
      }
      if (!inElement) {
        if (WS.has(c)) continue;
        if (c === 0x5d) {
          if (sawComma) throw fail(`a comma before the closing ] after element ${index}`);
          ended = true;
          continue;
        }
        if (c === 0x2c) {
          if (expectValue) throw fail(`an empty element after element ${index}`);
          expectValue = true;
          sawComma = true;
          continue;
        }
        if (!expectValue) throw fail(`a missing comma after element ${index}`);
        inElement = true;
        expectValue = false;
        sawComma = false;
        from = i;
        depth = 0;
      }
      // inside an element
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) {
          if (c === 0x7d) throw fail(`an unmatched } in element ${index + 1}`);
          // the array's closing bracket ends the last element
          yield { index: ++index, text: (element + chunk.slice(from, i)).trimEnd() };
          element = '';
          inElement = false;
          ended = true;
          continue;
        }
        depth--;
      } else if (c === 0x2c && depth === 0) {
        yield { index: ++index, text: (element + chunk.slice(from, i)).trimEnd() };
        element = '';
        inElement = false;
        expectValue = true;
        sawComma = true;
      }
    }
    if (inElement) {
      element += chunk.slice(from);
      if (element.length > MAX_JSON_ELEMENT_CHARS)
        throw fail(`element ${index + 1} is over ${MAX_JSON_ELEMENT_CHARS / 2 ** 20} MB: is a bracket or quote left open?`);
    }
  }
  if (!started) throw fail('it is empty');
  if (!ended) {
    if (inString) throw fail(`a string is never closed in element ${index + 1}: the file is cut off`);
    throw fail(
      inElement ? `element ${index + 1} is never closed: the file is cut off` : `the array is never closed after element ${index}: the file is cut off`,
    );
  }
}

/**
 * The part (0 … parts-1) a post of a split day goes to: MurmurHash3 (models/text/hash.ts) of its id, so the same
 * id always lands in the same part (the preprocess stage's de-duplication by id stays exact within a part) and the
 * same file gives the same parts.
 */
export function partOf(postId: string, parts: number): number {
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`parts must be a positive integer, got ${parts}`);
  return parts === 1 ? 0 : murmur32(postId, 0x5eed) % parts;
}

/** What one spilled partition holds once its writing is finished. */
export interface SpilledFile {
  file: string;
  records: number;
  bytes: number;
  sha256: string;
}

/** Buffered text of one partition is compressed and appended once it reaches this many characters. */
export const SPILL_CHUNK_CHARS = 256 << 10;
/** All partitions' buffered text together; past it the largest buffer is flushed (many days open at once stay bounded). */
export const SPILL_TOTAL_CHARS = 8 << 20;
/** Compressions in flight (zlib runs them on the libuv thread pool, beside the parsing on the main thread). */
const MAX_IN_FLIGHT = 4;
/**
 * The spill files are uploaded as they are, so this is the level of the raw and posts zones, and every record is
 * compressed twice (its raw JSON and its post.v1). `npx tsx bench/spillCompression.ts` on 100k simulated posts
 * (2026-11-30): level 6 (zlib's default) 6.5 CPU µs per post, level 2 2.6 µs for objects 1.19× larger, level 1
 * 2.4 µs for 1.24×. Level 2 takes 60% of that CPU off the import for a fifth more bytes in storage.
 */
export const SPILL_GZIP_LEVEL = 2;

interface SpillEntry {
  file: string;
  buffer: string[];
  chars: number;
  records: number;
  bytes: number;
  hash: crypto.Hash;
  /** appends happen in order: each waits for the one before */
  tail: Promise<void>;
  finished: boolean;
}

/**
 * NDJSON partitions written as they are read: `add(key, line)` buffers a line for the partition `key`; a buffer
 * is compressed as one gzip member and appended to the partition's temporary file once it reaches SPILL_CHUNK_CHARS,
 * or when all buffers together reach SPILL_TOTAL_CHARS. A file of concatenated gzip members is one valid gzip stream
 * (RFC 1952 §2.2; zlib, Python's gzip and pandas read it whole). Memory: at most SPILL_TOTAL_CHARS of text plus
 * MAX_IN_FLIGHT compressions, whatever the number of partitions or their size. Files go under `dir`, removed by
 * `dispose`. Call `await pressure()` now and then: it waits while too many compressions are in flight.
 */
export class PartitionSpill {
  private readonly entries = new Map<string, SpillEntry>();
  private totalChars = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  readonly dir: string;

  constructor(parentDir: string) {
    // `import-<pid>-*`: a killed worker's spill is removed by the next import under the same folder (lib/processTempDirs).
    this.dir = makeProcessTempDir(parentDir, 'import');
  }

  add(key: string, line: string): void {
    let e = this.entries.get(key);
    if (!e) {
      const file = path.join(this.dir, `${this.entries.size}.ndjson.gz`);
      fs.writeFileSync(file, '');
      e = { file, buffer: [], chars: 0, records: 0, bytes: 0, hash: crypto.createHash('sha256'), tail: Promise.resolve(), finished: false };
      this.entries.set(key, e);
    }
    if (e.finished) throw new Error(`partition ${key} is already finished`);
    e.buffer.push(line);
    e.chars += line.length + 1;
    e.records++;
    this.totalChars += line.length + 1;
    if (e.chars >= SPILL_CHUNK_CHARS) this.flush(e);
    else if (this.totalChars >= SPILL_TOTAL_CHARS) this.flushLargest();
  }

  /** Characters buffered in memory over all partitions (at most SPILL_TOTAL_CHARS + one line). */
  bufferedChars(): number {
    return this.totalChars;
  }

  /** Records added to `key` so far. */
  records(key: string): number {
    return this.entries.get(key)?.records ?? 0;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Many partitions open at once: the largest buffer is flushed (at least SPILL_TOTAL_CHARS / open partitions), one
   * per line added while the total is over the limit, so flushes do not come all at once.
   */
  private flushLargest(): void {
    let largest: SpillEntry | null = null;
    for (const e of this.entries.values()) if (!largest || e.chars > largest.chars) largest = e;
    if (largest) this.flush(largest);
  }

  private flush(e: SpillEntry): void {
    if (e.chars === 0) return;
    // each line is encoded straight into one buffer (UTF-8 takes at most 3 bytes per UTF-16 unit): no joined string
    const lines = e.buffer;
    const bytes = Buffer.allocUnsafe(e.chars * 3);
    let at = 0;
    for (const line of lines) {
      at += bytes.write(line, at);
      bytes[at++] = 0x0a;
    }
    const text = bytes.subarray(0, at);
    this.totalChars -= e.chars;
    e.buffer = [];
    e.chars = 0;
    // compression starts now (on the thread pool); appends keep the partition's order
    const compressed = gzip(text, { level: SPILL_GZIP_LEVEL });
    const tail: Promise<void> = e.tail
      .then(async () => {
        const body = await compressed;
        await fs.promises.appendFile(e.file, body);
        e.hash.update(body);
        e.bytes += body.length;
      })
      .catch((err: unknown) => {
        const cause = err as Error & { code?: string };
        // say where and why: a full disk under the data dir is the likely cause, and the operator can fix it
        this.failure ??= Object.assign(
          new Error(
            `cannot write the import's spill file ${cause.code === 'ENOSPC' ? '(disk full) ' : ''}under ${this.dir}: ${cause.message}; it needs free space of about the file's gzip size (the folder is tmp/ in the data dir, SOCIALSENSE_DATA_DIR)`,
          ),
          { code: cause.code, cause },
        );
      })
      .finally(() => this.inFlight.delete(tail));
    this.inFlight.add(tail);
    e.tail = tail;
  }

  /** Waits while more than MAX_IN_FLIGHT compressions are pending; rethrows a failed write. */
  async pressure(): Promise<void> {
    while (this.inFlight.size > MAX_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Flushes `key` and waits until its file is complete; it takes no more lines after this. */
  async finish(key: string): Promise<SpilledFile> {
    const e = this.entries.get(key);
    if (!e) throw new Error(`no partition ${key}`);
    if (!e.finished) {
      this.flush(e);
      e.finished = true;
    }
    await e.tail;
    if (this.failure) throw this.failure;
    if (e.bytes === 0) {
      // no lines: an empty gzip member, so the object is still valid gzip
      const body = zlib.gzipSync('');
      fs.writeFileSync(e.file, body);
      e.hash.update(body);
      e.bytes = body.length;
    }
    const out = { file: e.file, records: e.records, bytes: e.bytes, sha256: e.hash.copy().digest('hex') };
    return out;
  }

  /** Removes one finished partition's file (its object is uploaded). */
  discard(key: string): void {
    const e = this.entries.get(key);
    if (e) fs.rmSync(e.file, { force: true });
  }

  /** Waits for pending writes and removes every temporary file. Safe to call after a failure. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.tail));
    await removeProcessTempDir(this.dir);
  }
}

/**
 * Lines of a gzip NDJSON file (as `PartitionSpill` writes them), read as a stream: memory holds one chunk.
 */
export async function* spilledLines(file: string): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of fs.createReadStream(file).pipe(zlib.createGunzip())) {
    rest += decoder.decode(chunk as Buffer, { stream: true });
    let from = 0;
    let at: number;
    while ((at = rest.indexOf('\n', from)) >= 0) {
      yield rest.slice(from, at);
      from = at + 1;
    }
    rest = rest.slice(from);
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

/**
 * Uploads a spilled partition as the object `key` (streamed: lib/objectStore `putStream`, bounded memory) and returns
 * its DatasetRef (`records`, `bytes` and `sha256` of the object as stored).
 */
export async function uploadSpilled(store: ObjectStore, key: string, spilled: SpilledFile, schema: string): Promise<DatasetRef> {
  await store.putStream(key, fs.createReadStream(spilled.file), 'application/x-ndjson+gzip');
  return { uri: store.uri(key), format: 'ndjson.gz', schema, records: spilled.records, bytes: spilled.bytes, sha256: spilled.sha256 };
}
