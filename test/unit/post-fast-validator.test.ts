import { describe, expect, it } from 'vitest';
import { parsePostFast, postSchema } from '../../lib/schema';
import { createRng } from '../../models/random';

/**
 * parsePostFast must accept exactly the plain-object records postSchema accepts and return what zod returns (same keys, same
 * order, same values, nothing shared with the input), so preprocess can use it and fall back to zod only for the
 * messages of invalid records.
 */

const valid = () => ({
  id: 'x:123',
  platform: 'x',
  author: { id: 'u1', handle: 'alice', followers: 10, created_at: '2020-01-01T00:00:00Z' },
  text: 'hello world',
  lang: 'en',
  created_at: '2024-02-29T12:34:56.789+02:00',
  url: 'https://example.com/1',
  metrics: { likes: 1, reposts: 2, replies: 3, views: 4 },
  reply_to: 'x:1',
  repost_of: null,
  hashtags: ['a'],
  mentions: ['b'],
  urls: ['https://c'],
});

// Values of every type and edge, tried in every field.
const PALETTE: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'x:1',
  'X:1',
  'x:',
  ':1',
  'a'.repeat(40) + ':1',
  'mastodon-social_1:9',
  '1x:1',
  0,
  -0,
  1,
  -1,
  1.5,
  2 ** 53,
  2 ** 53 - 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  true,
  false,
  [],
  ['a'],
  ['a', 'b'],
  [1],
  ['a', null],
  [undefined],
  {},
  { a: 1 },
  new Date(0),
  new Map(),
  Object.create(null),
  '2024-02-29T12:34:56Z',
  '2023-02-29T12:34:56Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01 00:00:00Z',
  '2024-01-01T00:00:00',
  '2024-01-01T00:00:00.1234567+05:30',
  '2024-01-01T00:00:00+0530',
  '2024-01-01',
  'not a date',
  { likes: 1 },
  { likes: -1 },
  { likes: 1, views: null },
  { likes: '1' },
  { views: Number.NaN },
  { id: 'u', handle: 'h' },
  { id: '', handle: 'h' },
  { id: 'u' },
  { id: 'u', handle: 'h', followers: 1.5 },
  { id: 'u', handle: 'h', followers: -1 },
  { id: 'u', handle: 'h', followers: null, created_at: 5 },
  { id: 'u', handle: 'h', extra: true },
];

/** Deep equality that also compares key order and presence (an own key set to undefined counts). */
function sameShape(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return false;
  return ka.every((k) => sameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The objects and arrays inside `v` (itself included). */
function objectsIn(v: unknown, into = new Set<unknown>()): Set<unknown> {
  if (typeof v === 'object' && v !== null && !into.has(v)) {
    into.add(v);
    for (const x of Object.values(v)) objectsIn(x, into);
  }
  return into;
}

/** No object or array of the result, `raw` aside (zod passes it through too), is one of the input's. */
function sharesNothing(out: Record<string, unknown>, input: unknown): boolean {
  const inputs = objectsIn(input);
  return Object.entries(out).every(([k, v]) => k === 'raw' || [...objectsIn(v)].every((o) => !inputs.has(o)));
}

function check(record: unknown): { zodOk: boolean } {
  const fast = parsePostFast(record);
  const zod = postSchema.safeParse(record);
  // Objects that are not plain (a Date, a Map, a null-prototype object) are left to zod; everything else is decided alike.
  const unusual = [...objectsIn(record)].some((o) => !Array.isArray(o) && Object.getPrototypeOf(o) !== Object.prototype);
  if (unusual) expect(fast).toBeNull();
  else expect(fast !== null, `fast path ${fast === null ? 'rejects' : 'accepts'} ${JSON.stringify(record)}`).toBe(zod.success);
  if (fast !== null) {
    expect(zod.success).toBe(true);
    expect(sameShape(fast, zod.data), JSON.stringify(record)).toBe(true);
    expect(sharesNothing(fast as Record<string, unknown>, record)).toBe(true);
  }
  return { zodOk: zod.success };
}

describe('parsePostFast agrees with postSchema', () => {
  it('on a valid record, with every optional field left out, and with extra keys', () => {
    expect(check(valid()).zodOk).toBe(true);
    const minimal: Record<string, unknown> = { id: 'x:1', platform: 'x', author: { id: 'u', handle: '' }, text: '', created_at: '2020-01-01T00:00:00Z' };
    expect(check(minimal).zodOk).toBe(true);
    expect(check({ ...valid(), extra: 1, raw: { any: ['thing'] } }).zodOk).toBe(true);
    expect(check({ ...valid(), raw: undefined }).zodOk).toBe(true);
    for (const key of Object.keys(valid())) {
      const r: Record<string, unknown> = valid();
      delete r[key];
      check(r);
    }
  });

  it('on every palette value in every field and every author and metrics field', () => {
    let accepted = 0;
    let rejected = 0;
    for (const key of Object.keys(valid())) {
      for (const v of PALETTE) {
        const { zodOk } = check({ ...valid(), [key]: v });
        if (zodOk) accepted++;
        else rejected++;
      }
    }
    for (const key of ['id', 'handle', 'followers', 'created_at']) {
      for (const v of PALETTE) check({ ...valid(), author: { ...valid().author, [key]: v } });
    }
    for (const key of ['likes', 'reposts', 'replies', 'views']) {
      for (const v of PALETTE) check({ ...valid(), metrics: { ...valid().metrics, [key]: v } });
    }
    // the palette exercises both verdicts
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(300);
  });

  it('on records that are not plain objects', () => {
    for (const r of [null, undefined, 'post', 1, [], [valid()], new Date(), Object.assign(Object.create(null), valid())]) check(r);
  });

  it('on random mixtures of valid and invalid fields (seeded)', () => {
    const rng = createRng(12);
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
    const keys = Object.keys(valid());
    for (let i = 0; i < 3000; i++) {
      const r: Record<string, unknown> = valid();
      const changes = 1 + rng.int(3);
      for (let c = 0; c < changes; c++) {
        const key = pick(keys);
        if (rng.next() < 0.2) delete r[key];
        else r[key] = rng.next() < 0.5 ? pick(PALETTE) : (valid() as Record<string, unknown>)[pick(keys)];
      }
      check(r);
    }
  });
});
