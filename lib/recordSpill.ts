/**
 * A list of records that holds at most `memoryRecords` of them in memory and appends the rest to a file of JSON lines,
 * read back in order. For a stage that must see a whole partition before it can write any of it (preprocess: a post
 * is spam only once its near-duplicates have all been seen): memory then stays bounded whatever the partition's size,
 * and a partition that fits pays nothing.
 *
 * Records must survive JSON (strings, numbers, booleans, null, arrays, plain objects): post.v1 does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/** Bytes of JSON lines gathered before one write to the file. */
const WRITE_CHUNK_CHARS = 1 << 20;

export interface RecordSpill<T> {
  push(record: T): void;
  /** records pushed */
  readonly count: number;
  /** of which in the file */
  readonly spilled: number;
  /**
   * Every record pushed, in push order, in arrays of at most `size` (the file streamed back). Call once, after the
   * last push.
   */
  batches(size: number): AsyncGenerator<T[]>;
  /** Removes the file; safe to call more than once. */
  close(): void;
}

/**
 * @param opts.memoryRecords records kept in memory before the file is used (0: all go to the file)
 * @param opts.dir where the file's folder is made; default os.tmpdir() (a stage thread's task folder: lib/processTempDirs)
 * @throws RangeError for a negative or fractional memoryRecords
 */
export function createRecordSpill<T>(opts: { memoryRecords: number; dir?: string }): RecordSpill<T> {
  if (!Number.isSafeInteger(opts.memoryRecords) || opts.memoryRecords < 0)
    throw new RangeError(`memoryRecords is a whole number of records, got ${opts.memoryRecords}`);
  const held: T[] = [];
  let folder: string | null = null;
  let fd: number | null = null;
  let pending = '';
  let spilled = 0;

  const flush = () => {
    if (pending === '' || fd === null) return;
    fs.writeSync(fd, pending);
    pending = '';
  };
  const file = () => path.join(folder!, 'records.jsonl');

  return {
    push(record) {
      if (held.length < opts.memoryRecords) {
        held.push(record);
        return;
      }
      if (fd === null) {
        folder = fs.mkdtempSync(path.join(opts.dir ?? os.tmpdir(), 'spill-'));
        fd = fs.openSync(file(), 'w');
      }
      pending += `${JSON.stringify(record)}\n`;
      spilled++;
      if (pending.length >= WRITE_CHUNK_CHARS) flush();
    },
    get count() {
      return held.length + spilled;
    },
    get spilled() {
      return spilled;
    },
    async *batches(size) {
      if (!(size >= 1)) throw new RangeError(`a batch holds at least 1 record, got ${size}`);
      for (let i = 0; i < held.length; i += size) yield held.slice(i, i + size);
      if (fd === null) return;
      flush();
      fs.closeSync(fd);
      fd = -1;
      const lines = readline.createInterface({ input: fs.createReadStream(file(), { encoding: 'utf8' }), crlfDelay: Infinity });
      let batch: T[] = [];
      for await (const line of lines) {
        batch.push(JSON.parse(line) as T);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
    close() {
      if (fd !== null && fd >= 0) fs.closeSync(fd);
      fd = null;
      held.length = 0;
      if (folder) fs.rmSync(folder, { recursive: true, force: true });
      folder = null;
    },
  };
}
