import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessPartition, preprocessMemoryPosts, DEFAULT_PREPROCESS_MEMORY_POSTS } from '../../activities/preprocess';
import { simulateNetwork } from '../../activities/collect/simulated/generator';
import { readAllRecords, writeNdjson } from '../../lib/datasets';
import type { Post } from '../../lib/schema';
import type { Stack } from '../../lib/stack';
import { preprocessPosts } from '../../models/pipeline/preprocess';
import { requireStack } from '../helpers/stack';

/**
 * A partition larger than what preprocess holds in memory (SOCIALSENSE_PREPROCESS_MEMORY_POSTS) is spilled to the task's
 * temp folder and read back: the clean and spam zones and the counts are exactly those of the all-in-memory split.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  delete process.env.SOCIALSENSE_PREPROCESS_MEMORY_POSTS;
  await stack?.close();
});

describe('preprocess of a partition larger than its memory', () => {
  it('writes the same clean posts, spam and counts as the in-memory split, and leaves no spill file', async () => {
    // a fresh seed per run: the stage skips an input the catalog has already done (onceForOutput)
    const seed = crypto.randomInt(1, 2 ** 31 - 1);
    const day = simulateNetwork({ days: 1, postsPerDay: 1500, seed }).days[0];
    const source = `spilltest${seed}`;
    const raw = await writeNdjson(stack.store, `raw-test/source=${source}/date=2026-11-20/${seed}.ndjson.gz`, day.posts, 'post.v1');
    const expected = preprocessPosts(day.posts.map((p) => structuredClone(p)));
    expect(expected.spam.length).toBeGreaterThan(0);

    const tmpBefore = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('spill-')).length;
    process.env.SOCIALSENSE_PREPROCESS_MEMORY_POSTS = '97'; // most of the ~1,400 accepted posts go to the file
    const result = await preprocessPartition({ store: stack.store, db: stack.db }, { runKey: `test-spill-${seed}`, source, date: '2026-11-20', inputs: [raw] });
    expect(result.counts).toEqual(expected.counts);
    expect(await readAllRecords<Post>(stack.store, result.clean)).toEqual(expected.clean);
    expect(result.clean.records).toBe(expected.clean.length);
    const spam = await readAllRecords<{ reason: string; post: Post }>(stack.store, result.spam!);
    expect(spam).toEqual(expected.spam);
    expect(result.spam!.records).toBe(expected.spam.length);
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('spill-')).length).toBe(tmpBefore);
  });

  it('reads its memory size from the environment, and refuses one that is not a whole number', () => {
    expect(preprocessMemoryPosts({})).toBe(DEFAULT_PREPROCESS_MEMORY_POSTS);
    expect(preprocessMemoryPosts({ SOCIALSENSE_PREPROCESS_MEMORY_POSTS: ' 2000 ' })).toBe(2000);
    expect(preprocessMemoryPosts({ SOCIALSENSE_PREPROCESS_MEMORY_POSTS: '0' })).toBe(0);
    expect(() => preprocessMemoryPosts({ SOCIALSENSE_PREPROCESS_MEMORY_POSTS: '50k' })).toThrow(
      'SOCIALSENSE_PREPROCESS_MEMORY_POSTS must be a whole number of posts, got "50k"',
    );
  });
});
