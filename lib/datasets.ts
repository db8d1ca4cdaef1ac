import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { Transform, type Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { DatasetRef } from './schema';
import { keyFromUri, type ObjectStore } from './objectStore';
import type { ParquetEncoder } from './parquet';

/**
 * lib/parquet.ts (parquet-wasm and apache-arrow) is loaded on first use: a process that never reads or
 * writes Parquet, such as a worker's main thread while its stage pool runs the stages, is spared their
 * code and WebAssembly module (~30 MiB resident, measured).
 */
let parquetModule: Promise<typeof import('./parquet')> | null = null;
const loadParquet = () => (parquetModule ??= import('./parquet'));

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export const sha256 = (data: Buffer | string): string => crypto.createHash('sha256').update(data).digest('hex');

/**
 * A short stable digest of a stage's inputs (16 hex digits of the SHA-256 of their JSON; a bigint, as the importer
 * keeps 64-bit ids, as its digits). Object keys contain it, so a retried or repeated run with the same inputs writes
 * (or finds) the same object instead of a second copy; the importer also names id-less rows and archive items by it.
 */
export function inputDigest(parts: unknown): string {
  return sha256(JSON.stringify(parts, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).slice(0, 16);
}

export function encodeNdjson(records: readonly unknown[]): string {
  let out = '';
  for (const r of records) out += JSON.stringify(r) + '\n';
  return out;
}

export async function writeNdjson(store: ObjectStore, key: string, records: readonly unknown[], schema: string): Promise<DatasetRef> {
  const body = await gzip(encodeNdjson(records), { level: 6 });
  await store.put(key, body, 'application/x-ndjson+gzip');
  return { uri: store.uri(key), format: 'ndjson.gz', schema, records: records.length, bytes: body.length, sha256: sha256(body) };
}

/**
 * Every record of an NDJSON.gz dataset. A `.parquet` uri is read with readAllRecords, so a caller
 * written before the clean and features zones became Parquet still reads them; new code calls
 * readRecordChunks or readAllRecords.
 */
export async function readNdjson<T = unknown>(store: ObjectStore, ref: Pick<DatasetRef, 'uri'>): Promise<T[]> {
  if (ref.uri.endsWith('.parquet')) return readAllRecords<T>(store, ref);
  const body = await store.get(keyFromUri(store, ref.uri));
  const text = (await gunzip(body)).toString('utf8');
  const out: T[] = [];
  for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as T);
  return out;
}

export async function writeJson(store: ObjectStore, key: string, value: unknown, schema: string): Promise<DatasetRef> {
  const body = Buffer.from(JSON.stringify(value));
  await store.put(key, body, 'application/json');
  return { uri: store.uri(key), format: 'json', schema, records: 1, bytes: body.length, sha256: sha256(body) };
}

export async function readJson<T>(store: ObjectStore, ref: Pick<DatasetRef, 'uri'>): Promise<T> {
  return JSON.parse((await store.get(keyFromUri(store, ref.uri))).toString('utf8')) as T;
}

export async function writeBinary(store: ObjectStore, key: string, bytes: Uint8Array, schema: string): Promise<DatasetRef> {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await store.put(key, body);
  return { uri: store.uri(key), format: 'bin', schema, records: 1, bytes: body.length, sha256: sha256(body) };
}

export async function readBinary(store: ObjectStore, ref: Pick<DatasetRef, 'uri'>): Promise<Uint8Array> {
  return new Uint8Array(await store.get(keyFromUri(store, ref.uri)));
}

/** The record formats a dataset key can have, told by its suffix. */
export type RecordFormat = 'ndjson.gz' | 'parquet';

/** `.parquet` → parquet, `.ndjson.gz` → ndjson.gz; anything else is an error naming both. */
export function recordFormatOf(keyOrUri: string): RecordFormat {
  if (keyOrUri.endsWith('.parquet')) return 'parquet';
  if (keyOrUri.endsWith('.ndjson.gz')) return 'ndjson.gz';
  throw new Error(`${keyOrUri}: a record dataset's key must end in .parquet or .ndjson.gz`);
}

/** Records per chunk unless the caller says otherwise: the slice size the stages heartbeat at. */
export const DEFAULT_CHUNK = 2000;

/** Splits a text stream into lines and parses each as JSON, yielding `chunkSize` records at a time. */
async function* ndjsonChunks<T>(text: AsyncIterable<string>, chunkSize: number): AsyncGenerator<T[]> {
  let rest = '';
  let chunk: T[] = [];
  for await (const piece of text) {
    const lines = (rest + piece).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (!line) continue;
      chunk.push(JSON.parse(line) as T);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (rest) chunk.push(JSON.parse(rest) as T);
  if (chunk.length > 0) yield chunk;
}

/**
 * Streams a record dataset (ndjson.gz or parquet, told by `ref.format`, else by the uri's suffix) in
 * chunks of at most `chunkSize` records (never empty), holding one chunk and the stream's buffers in
 * memory rather than the object. Parquet datasets give back the objects that were written (Post,
 * FeaturedPost; see lib/postColumns.ts), so a reader does not care which format a run wrote.
 * Stopping early (break) closes the object's stream.
 */
export async function* readRecordChunks<T = unknown>(
  store: ObjectStore,
  ref: Pick<DatasetRef, 'uri'> & Partial<Pick<DatasetRef, 'format' | 'schema'>>,
  chunkSize = DEFAULT_CHUNK,
): AsyncGenerator<T[]> {
  if (!(chunkSize >= 1)) throw new Error(`chunkSize must be at least 1, got ${chunkSize}`);
  const format = ref.format === 'parquet' || ref.format === 'ndjson.gz' ? ref.format : recordFormatOf(ref.uri);
  const body = await store.getStream(keyFromUri(store, ref.uri));
  try {
    if (format === 'parquet') {
      yield* (await loadParquet()).decodeParquetChunks<T>(ref.schema ?? null, body, chunkSize);
    } else {
      const text = body.pipe(zlib.createGunzip());
      // A gunzip error (a truncated object) rejects the loop below; the source's own errors are forwarded to it.
      body.on('error', (err) => text.destroy(err));
      text.setEncoding('utf8');
      yield* ndjsonChunks<T>(text, chunkSize);
    }
  } finally {
    body.destroy();
  }
}

/** Every record of a dataset in either format, as one array: for readers that need the whole dataset at once. */
export async function readAllRecords<T = unknown>(
  store: ObjectStore,
  ref: Pick<DatasetRef, 'uri'> & Partial<Pick<DatasetRef, 'format' | 'schema'>>,
): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of readRecordChunks<T>(store, ref, 10_000)) for (const r of chunk) out.push(r);
  return out;
}

/** Streams records to one object; see openRecordWriter. */
export interface RecordWriter<T> {
  /** Appends records; resolves once they are handed on (waits while the upload is behind). */
  write(records: readonly T[]): Promise<void>;
  /** Ends the object and waits for the store; the ref counts the records and hashes the stored bytes. */
  close(): Promise<DatasetRef>;
  /** Gives up: the upload fails and no object is written (a later write or close rejects). */
  abort(err?: Error): Promise<void>;
}

/** Writes `chunk` to `stream`, waiting for 'drain' when its buffer is full, or rejecting if `failed` rejects. */
async function writeWithBackpressure(stream: Writable, chunk: string | Buffer, failed: Promise<never>): Promise<void> {
  if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
}

/**
 * Opens a streaming writer of a record dataset at `key`: the format is the key's suffix (`.parquet`
 * for the columnar layouts of lib/postColumns.ts, `.ndjson.gz` for any schema). Records are encoded and
 * uploaded as they come (ObjectStore.putStream), counting records, bytes and the sha256 of the stored
 * bytes as they pass, so memory holds one chunk and one upload part, not the dataset.
 * The object appears whole at close(), or not at all (abort, or an error).
 * @throws at the first write when `.parquet` is asked for a schema without a Parquet layout
 */
export function openRecordWriter<T>(store: ObjectStore, key: string, schema: string): RecordWriter<T> {
  const format = recordFormatOf(key);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  let records = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // The store may attach its reader to `counted` only after some async setup (a mkdir): an abort before that
  // must not be an uncaught 'error' event. putStream still rejects with it (pipeline sees the destroyed stream).
  counted.on('error', () => {});
  const uploaded = store.putStream(key, counted, format === 'parquet' ? 'application/vnd.apache.parquet' : 'application/x-ndjson+gzip');
  // Rejects when the upload fails; observed so an early failure is never an unhandled rejection.
  const failed = uploaded.then(() => new Promise<never>(() => {}));
  failed.catch(() => {});
  uploaded.catch(() => {});

  let encode: (records: readonly T[]) => Promise<void>;
  let finish: () => void | Promise<void>;
  let fail: (err: Error) => void;
  if (format === 'ndjson.gz') {
    const gz = zlib.createGzip({ level: 6 });
    gz.pipe(counted);
    gz.on('error', (err) => counted.destroy(err));
    encode = (rs) => writeWithBackpressure(gz, encodeNdjson(rs), failed);
    finish = () => void gz.end();
    fail = (err) => {
      gz.destroy(err);
      counted.destroy(err);
    };
  } else {
    const ready: Promise<ParquetEncoder> = loadParquet().then(({ createParquetEncoder }) => {
      const encoder = createParquetEncoder(schema);
      encoder.output.on('error', (err) => counted.destroy(err));
      encoder.output.pipe(counted);
      return encoder;
    });
    ready.catch(() => {}); // a failed load rejects the first write or close, not the process
    // A file needs its schema even with no rows: an empty dataset is written as one empty batch at the end.
    let started = false;
    encode = async (rs) => {
      if (rs.length === 0) return;
      started = true;
      const encoder = await ready;
      await Promise.race([encoder.write(rs), failed]);
    };
    finish = async () => {
      const encoder = await ready;
      if (!started) await encoder.write([]);
      encoder.end();
    };
    fail = (err) => {
      void ready.then(
        (encoder) => encoder.abort(err),
        () => {},
      );
      counted.destroy(err);
    };
  }
  let closed = false;
  return {
    async write(rs) {
      if (closed) throw new Error(`${key}: write after close`);
      await encode(rs);
      records += rs.length;
    },
    async close() {
      if (closed) throw new Error(`${key}: closed twice`);
      closed = true;
      await finish();
      await uploaded;
      return { uri: store.uri(key), format, schema, records, bytes, sha256: hash.digest('hex') };
    },
    async abort(err = new Error(`${key}: writing was abandoned`)) {
      closed = true;
      fail(err);
      await uploaded.catch(() => {});
    },
  };
}

/**
 * Writes a dataset through openRecordWriter: `fill` hands records to `write` as it produces them. When
 * `fill` throws, the upload is abandoned (no object appears) and the error is rethrown.
 * @returns the closed dataset's ref
 */
export async function writeRecords<T>(
  store: ObjectStore,
  key: string,
  schema: string,
  fill: (write: (records: readonly T[]) => Promise<void>) => Promise<void>,
): Promise<DatasetRef> {
  const writer = openRecordWriter<T>(store, key, schema);
  try {
    await fill((records) => writer.write(records));
  } catch (err) {
    await writer.abort(err as Error);
    throw err;
  }
  return writer.close();
}
