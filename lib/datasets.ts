import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { DatasetRef } from './schema';
import { keyFromUri, type ObjectStore } from './objectStore';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export const sha256 = (data: Buffer | string): string => crypto.createHash('sha256').update(data).digest('hex');

/**
 * A short stable digest of a stage's inputs. Object keys contain it, so a retried or repeated run
 * with the same inputs writes (or finds) the same object instead of a second copy.
 */
export function inputDigest(parts: unknown): string {
  return sha256(JSON.stringify(parts)).slice(0, 16);
}

export function encodeNdjson(records: readonly unknown[]): string {
  let out = '';
  for (const r of records) out += JSON.stringify(r) + '\n';
  return out;
}

export async function writeNdjson(
  store: ObjectStore,
  key: string,
  records: readonly unknown[],
  schema: string,
): Promise<DatasetRef> {
  const body = await gzip(encodeNdjson(records), { level: 6 });
  await store.put(key, body, 'application/x-ndjson+gzip');
  return { uri: store.uri(key), format: 'ndjson.gz', schema, records: records.length, bytes: body.length, sha256: sha256(body) };
}

export async function readNdjson<T = unknown>(store: ObjectStore, ref: Pick<DatasetRef, 'uri'>): Promise<T[]> {
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
