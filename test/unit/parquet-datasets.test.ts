import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { keyFromUri, LocalObjectStore } from '../../lib/objectStore';
import { openRecordWriter, readAllRecords, readNdjson, readRecordChunks, writeNdjson } from '../../lib/datasets';
import { postSchema, type Post } from '../../lib/schema';
import type { FeaturedPost } from '../../models/pipeline/features';

let dir: string;
let store: LocalObjectStore;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-datasets-'));
  store = new LocalObjectStore(dir);
  await store.ensureBucket();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Posts that exercise every post.v1 field: nulls, empty lists, unicode, 64-bit ids, ms timestamps, large numbers. */
function posts(): Post[] {
  const base = postSchema.parse({
    id: 'x:1790000000000000001', // above 2^53: must stay a string, digit for digit
    platform: 'x',
    author: { id: '18446744073709551615', handle: 'ünïcødé_🦊', followers: 9_007_199_254_740_991, created_at: '2009-03-01T00:00:00Z' },
    text: 'naïve café — 東京 🎉 "quoted" \\ back\nslash\ttab',
    lang: 'fr',
    created_at: '2026-10-01T07:00:00.123Z',
    url: 'https://example.org/p/1?q=ä',
    metrics: { likes: 12, reposts: 3, replies: 0, views: 1_234_567_890_123 },
    reply_to: 'x:1789999999999999999',
    repost_of: null,
    hashtags: ['café', '東京', ''],
    mentions: ['bob', 'carol@host.example'],
    urls: ['https://a.example/x'],
  });
  const bare = postSchema.parse({
    id: 'mastodon:1',
    platform: 'mastodon',
    author: { id: 'a', handle: '' },
    text: '',
    created_at: '1970-01-01T00:00:00.000Z',
  });
  const fractional = postSchema.parse({
    ...bare,
    id: 'mastodon:2',
    metrics: { likes: 0.5, reposts: 1e15, replies: 7, views: 0 },
    author: { id: 'b', handle: 'b', followers: 0, created_at: null },
  });
  return [base, bare, fractional];
}

function featured(): FeaturedPost[] {
  const [a, b, c] = posts();
  return [
    { ...a, features: { sentiment: { compound: -0.123456789012345, label: 'negative', model: 'classifier.v3+domain.abcd' }, topic: 7 } },
    { ...b, features: { sentiment: { compound: null, label: null, model: null }, topic: null } },
    { ...c, features: { sentiment: { compound: 0, label: 'neutral', model: 'lexicon.v1' }, topic: 0 } },
  ];
}

async function roundTrip<T>(key: string, schema: string, records: T[]) {
  const w = openRecordWriter<T>(store, key, schema);
  await w.write(records.slice(0, 1));
  await w.write([]);
  await w.write(records.slice(1));
  const ref = await w.close();
  return { ref, back: await readAllRecords<T>(store, ref) };
}

describe('Parquet clean and features zones', () => {
  it('give back every post.v1 field as written', async () => {
    const { ref, back } = await roundTrip('t/clean.parquet', 'post.v1', posts());
    expect(ref).toMatchObject({ format: 'parquet', schema: 'post.v1', records: 3 });
    // counts the input did not have stay null (no column, no field): not 0
    expect(back[1].metrics).toEqual({ likes: null, reposts: null, replies: null, views: null });
    expect(back).toEqual(posts());
    // the readers of old runs get the same from the Parquet uri
    expect(await readNdjson(store, ref)).toEqual(posts());
  });

  it('give back every FeaturedPost field as written, null sentiment included', async () => {
    const { ref, back } = await roundTrip('t/features.parquet', 'post-features.v1', featured());
    expect(ref.records).toBe(3);
    expect(back).toEqual(featured());
    // without the schema name the layout is told by the columns
    expect(await readAllRecords(store, { uri: ref.uri })).toEqual(featured());
  });

  it('store created_at as the instant, read back in canonical UTC form', async () => {
    const p = postSchema.parse({ ...posts()[1], created_at: '2026-10-01T09:00:00.5+02:00' });
    const { back } = await roundTrip('t/offset.parquet', 'post.v1', [p]);
    expect(back[0].created_at).toBe('2026-10-01T07:00:00.500Z');
  });

  it('are flat and typed: what another Arrow reader sees', async () => {
    const { ref } = await roundTrip('t/typed.parquet', 'post-features.v1', featured());
    const bytes = fs.readFileSync(path.join(dir, store.bucket, keyFromUri(store, ref.uri)));
    const table = tableFromIPC(pq.readParquet(bytes).intoIPCStream());
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      id: 'Utf8',
      author_id: 'Utf8',
      author_handle: 'Utf8',
      author_followers: 'Int64',
      created_at: 'Timestamp<MILLISECOND, UTC>',
      metrics_views: 'Float64',
      hashtags: 'List<Utf8>',
      mentions: 'List<Utf8>',
      urls: 'List<Utf8>',
      sentiment_compound: 'Float64',
      sentiment_label: 'Utf8',
      sentiment_model: 'Utf8',
      topic: 'Int32',
    });
    expect(table.schema.fields.map((f) => f.name)).not.toContain('raw');
    expect(table.getChild('created_at')!.get(0)).toBe(Date.parse('2026-10-01T07:00:00.123Z'));
    // sha256 and bytes are those of the stored object
    expect(ref.bytes).toBe(bytes.length);
    expect(ref.sha256).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
  });

  it('write an empty dataset as a valid file with the schema', async () => {
    const w = openRecordWriter<Post>(store, 't/empty.parquet', 'post.v1');
    const ref = await w.close();
    expect(ref.records).toBe(0);
    expect(await readAllRecords(store, ref)).toEqual([]);
  });

  it('refuse a schema without a Parquet layout, naming the way out', async () => {
    const w = openRecordWriter(store, 't/eng.parquet', 'engagement.v1');
    await expect(w.write([{ user_id: 'u' }])).rejects.toThrow(/engagement\.v1.*no Parquet layout.*ndjson\.gz/);
    await w.abort();
    expect(await store.exists('t/eng.parquet')).toBe(false);
  });
});

describe('streaming records', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => postSchema.parse({ ...posts()[0], id: `x:${i}`, text: `post ${i} ${'é'.repeat(i % 50)}` }));

  it.each(['parquet', 'ndjson.gz'])('reads %s in chunks no larger than asked, in order, all records', async (format) => {
    const records = many(25_003);
    const w = openRecordWriter<Post>(store, `t/many.${format}`, 'post.v1');
    for (let i = 0; i < records.length; i += 4000) await w.write(records.slice(i, i + 4000));
    const ref = await w.close();
    expect(ref.records).toBe(records.length);
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const chunk of readRecordChunks<Post>(store, ref, 3000)) {
      sizes.push(chunk.length);
      for (const p of chunk) ids.push(p.id);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3000);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    expect(ids).toEqual(records.map((p) => p.id));
  });

  it('the streamed NDJSON is the same bytes and hash as writeNdjson, so old and new writers agree', async () => {
    const records = many(3000);
    const old = await writeNdjson(store, 't/old.ndjson.gz', records, 'post.v1');
    const w = openRecordWriter<Post>(store, 't/new.ndjson.gz', 'post.v1');
    await w.write(records);
    const ref = await w.close();
    const gunzipped = (uri: string) => zlib.gunzipSync(fs.readFileSync(path.join(dir, store.bucket, keyFromUri(store, uri)))).toString();
    expect(gunzipped(ref.uri)).toBe(gunzipped(old.uri));
    expect(ref.records).toBe(old.records);
    expect(ref.sha256).toBe(
      crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, store.bucket, 't/new.ndjson.gz')))
        .digest('hex'),
    );
  });

  it('putStream is atomic: a failing body leaves no object and no temporary file', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('source broke');
    }
    await expect(store.putStream('t/broken.bin', Readable.from(failing()))).rejects.toThrow('source broke');
    expect(await store.exists('t/broken.bin')).toBe(false);
    expect(fs.readdirSync(path.join(dir, store.bucket, 't')).filter((f) => f.startsWith('broken'))).toEqual([]);
  });

  it('getStream of a missing key rejects at once', async () => {
    await expect(store.getStream('t/none.bin')).rejects.toThrow(/ENOENT/);
  });
});
