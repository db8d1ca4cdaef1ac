/**
 * ObjectStore.putStream / getStream and the record writer against the real MinIO: small bodies (one PUT),
 * bodies larger than one multipart part, failures that must leave no object.
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordWriter, readRecordChunks } from '../../lib/datasets';
import { S3_PART_SIZE } from '../../lib/objectStore';
import type { Stack } from '../../lib/stack';
import { requireStack, uniqueId } from '../helpers/stack';

let stack: Stack;
const prefix = `test/object-streams/${uniqueId('run')}`;

beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.store.remove(await stack.store.list(prefix));
  await stack?.close();
});

/** `size` pseudo-random bytes in 1 MiB pieces, and their sha256. */
function body(size: number, seed: number): { stream: () => Readable; sha256: string } {
  const piece = (i: number) =>
    crypto
      .createHash('sha512')
      .update(`${seed}:${i}`)
      .digest()
      .toString('hex')
      .repeat(8192)
      .slice(0, 1 << 20);
  const hash = crypto.createHash('sha256');
  for (let at = 0, i = 0; at < size; at += 1 << 20, i++) hash.update(piece(i).slice(0, Math.min(1 << 20, size - at)));
  return {
    sha256: hash.digest('hex'),
    stream: () =>
      Readable.from(
        (function* () {
          for (let at = 0, i = 0; at < size; at += 1 << 20, i++) yield Buffer.from(piece(i).slice(0, Math.min(1 << 20, size - at)));
        })(),
      ),
  };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('S3 streaming objects', () => {
  it.each([
    ['a small body (one PUT)', 1000],
    ['a body of several multipart parts', 2 * S3_PART_SIZE + 12345],
  ])('%s comes back byte for byte', async (_what, size) => {
    const b = body(size, size);
    const key = `${prefix}/blob-${size}.bin`;
    await stack.store.putStream(key, b.stream());
    expect(await sha256Of(await stack.store.getStream(key))).toBe(b.sha256);
  });

  it('a body that fails after the first part leaves no object', async () => {
    const key = `${prefix}/broken.bin`;
    const good = body(S3_PART_SIZE + (1 << 20), 3);
    async function* failing() {
      for await (const chunk of good.stream()) yield chunk;
      throw new Error('the source broke');
    }
    await expect(stack.store.putStream(key, Readable.from(failing()))).rejects.toThrow('the source broke');
    expect(await stack.store.exists(key)).toBe(false);
  });

  it('getStream of a missing key rejects at once', async () => {
    await expect(stack.store.getStream(`${prefix}/missing.bin`)).rejects.toThrow();
  });

  it('the record writer streams a Parquet dataset to MinIO and reads it back in chunks', async () => {
    const posts = Array.from({ length: 12_000 }, (_, i) => ({
      id: `x:${i}`,
      platform: 'x',
      author: { id: `a${i % 50}`, handle: `h${i % 50}`, followers: null, created_at: null },
      text: `post ${i}`,
      lang: 'en',
      created_at: new Date(Date.UTC(2026, 9, 1) + i * 1000).toISOString(),
      url: null,
      metrics: { likes: i, reposts: 0, replies: 0, views: null },
      reply_to: null,
      repost_of: null,
      hashtags: i % 2 ? ['a'] : [],
      mentions: [],
      urls: [],
    }));
    const w = openRecordWriter(stack.store, `${prefix}/posts.parquet`, 'post.v1');
    for (let i = 0; i < posts.length; i += 5000) await w.write(posts.slice(i, i + 5000));
    const ref = await w.close();
    expect(ref).toMatchObject({ uri: stack.store.uri(`${prefix}/posts.parquet`), format: 'parquet', records: posts.length });
    expect(ref.sha256).toBe(await sha256Of(await stack.store.getStream(`${prefix}/posts.parquet`)));
    const back: unknown[] = [];
    for await (const chunk of readRecordChunks(stack.store, ref, 4000)) back.push(...chunk);
    expect(back).toEqual(posts);
  });
});
