import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecordSpill } from '../../lib/recordSpill';

const collect = async <T>(batches: AsyncGenerator<T[]>) => {
  const sizes: number[] = [];
  const all: T[] = [];
  for await (const b of batches) {
    sizes.push(b.length);
    all.push(...b);
  }
  return { sizes, all };
};

describe('a record spill', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spill-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives back every record in push order, in batches of the size asked, from memory and from its file', async () => {
    // strings that JSON lines must survive: newlines, CR, U+2028, emoji, quotes, NUL-free control text
    const records = Array.from({ length: 23 }, (_, i) => ({ i, text: `line ${i}\nnext\r\u2028"q" 🎉 \t`, tags: [`t${i}`], n: null }));
    const spill = createRecordSpill<(typeof records)[number]>({ memoryRecords: 5, dir });
    for (const r of records) spill.push(r);
    expect({ count: spill.count, spilled: spill.spilled }).toEqual({ count: 23, spilled: 18 });
    expect(fs.readdirSync(dir)).toHaveLength(1); // its folder, made at the first spilled record
    const { sizes, all } = await collect(spill.batches(4));
    expect(all).toEqual(records);
    expect(sizes).toEqual([4, 1, 4, 4, 4, 4, 2]); // memory then file, each cut at 4
    spill.close();
    spill.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('touches no disk while the records fit, and holds none in memory with memoryRecords 0', async () => {
    const small = createRecordSpill<number>({ memoryRecords: 10, dir });
    for (let i = 0; i < 10; i++) small.push(i);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect((await collect(small.batches(3))).all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    small.close();

    const none = createRecordSpill<number>({ memoryRecords: 0, dir });
    for (let i = 0; i < 3; i++) none.push(i);
    expect(none.spilled).toBe(3);
    expect((await collect(none.batches(10))).all).toEqual([0, 1, 2]);
    none.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('crosses its write chunk (1 MiB of JSON) without losing or reordering a record', async () => {
    const spill = createRecordSpill<{ i: number; pad: string }>({ memoryRecords: 0, dir });
    const pad = 'x'.repeat(10_000);
    for (let i = 0; i < 300; i++) spill.push({ i, pad });
    const { all } = await collect(spill.batches(64));
    expect(all.map((r) => r.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(all.every((r) => r.pad === pad)).toBe(true);
    spill.close();
  });

  it('refuses a negative or fractional memory size', () => {
    expect(() => createRecordSpill({ memoryRecords: -1 })).toThrow(RangeError);
    expect(() => createRecordSpill({ memoryRecords: 1.5 })).toThrow(/whole number of records/);
  });
});
