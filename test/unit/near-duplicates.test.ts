import { describe, expect, it } from 'vitest';
import {
  createMinHasher,
  createNearDuplicateIndex,
  estimateJaccard,
  exactJaccard,
  findNearDuplicates,
  murmur32,
  normalizeForShingles,
} from '../../models/text/nearDuplicates';
import { createRng } from '../../models/random';
import { precisionRecall } from '../../models/users/bots';

const base = [
  'Huge discount on running shoes today only, grab yours before they sell out https://t.co/aaa111 #sale',
  'The city council voted to expand the bike lanes along the river next spring',
  'Just finished reading a wonderful novel about a lighthouse keeper and his daughter',
  'Our new podcast episode is out now: we talk about sleep, coffee and productivity',
  'Traffic on the northern highway is backed up for miles after an early morning accident',
];

/** Synthetic families: each base text plus edited copies (the kind of edits spam and copy-paste accounts make). */
function syntheticSet(seed: number, families: number) {
  const rng = createRng(seed);
  const vocab = Array.from({ length: 1500 }, (_, i) => {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let w = '';
    const len = 3 + ((i * 7) % 6);
    for (let c = 0; c < len; c++) w += letters[rng.int(26)];
    return w;
  });
  const edit = (words: string[]): string[] => {
    const out = words.slice();
    const kind = rng.int(5);
    if (kind === 0) out[rng.int(out.length)] = rng.pick(vocab); // one word replaced
    else if (kind === 1) out.splice(rng.int(out.length), 1); // one word dropped
    else if (kind === 2) out.push('#' + rng.pick(vocab)); // hashtag appended
    else if (kind === 3) {
      const i = rng.int(out.length); // typo
      const w = out[i];
      const p = rng.int(w.length);
      out[i] = w.slice(0, p) + w.slice(p + 1);
    } else out.push('https://t.co/' + rng.int(1e6).toString(36)); // different short link
    return out;
  };
  const items: { id: string; text: string; family: number }[] = [];
  for (let f = 0; f < families; f++) {
    const words = Array.from({ length: 14 + rng.int(12) }, () => rng.pick(vocab));
    items.push({ id: `f${f}-0`, text: words.join(' '), family: f });
    const copies = f % 3 === 0 ? 0 : 1 + rng.int(4); // a third of the texts are unique
    for (let c = 1; c <= copies; c++) {
      let w = edit(words);
      if (rng.next() < 0.5) w = edit(w); // some copies carry two edits
      items.push({ id: `f${f}-${c}`, text: w.join(' '), family: f });
    }
  }
  return rng.shuffle(items);
}

function pairEvaluation(items: { family: number }[], clusterOf: string[]) {
  const predicted: boolean[] = [];
  const truth: boolean[] = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      predicted.push(clusterOf[i] === clusterOf[j]);
      truth.push(items[i].family === items[j].family);
    }
  return precisionRecall(predicted, truth);
}

describe('near-duplicate detection', () => {
  it('hashes deterministically', () => {
    expect(murmur32('hello', 1)).toBe(murmur32('hello', 1));
    expect(murmur32('hello', 1)).not.toBe(murmur32('hello', 2));
    expect(normalizeForShingles('RT Check THIS!! https://t.co/x1 now')).toBe('rt check this _url_ now');
  });

  it('estimates Jaccard similarity from signatures', () => {
    const hasher = createMinHasher(256, { kind: 'char', size: 5 }, 7);
    const a = base[1];
    const b = base[1].replace('expand', 'widen').replace('next spring', 'this summer');
    const exact = exactJaccard(a, b);
    expect(exact).toBeGreaterThan(0.4);
    expect(exact).toBeLessThan(0.8);
    // std of the estimate is sqrt(J(1-J)/256) ≈ 0.03
    expect(Math.abs(estimateJaccard(hasher.signature(a), hasher.signature(b)) - exact)).toBeLessThan(0.1);
  });

  it('finds copies with small edits and leaves unrelated texts alone', () => {
    const items = [
      ...base.map((text, i) => ({ id: `b${i}`, text })),
      { id: 'c0', text: 'HUGE discount on running shoes today only!! grab yours before they sell out https://t.co/zzz999 #sale' },
      { id: 'c1', text: 'The city council voted to expand the bike lanes along the river next spring.' },
      { id: 'c2', text: 'Just finished reading a wonderful novel about a lighthouse keeper and his daughters' },
    ];
    const { assignments, clusters } = findNearDuplicates(items);
    const byId = new Map(assignments.map((a) => [a.id, a]));
    expect(byId.get('c0')!.clusterId).toBe('b0');
    expect(byId.get('c1')!.clusterId).toBe('b1');
    expect(byId.get('c2')!.clusterId).toBe('b2');
    expect(byId.get('b0')!.duplicates).toEqual(['c0']);
    expect(byId.get('b3')!.nearDuplicate).toBe(false);
    expect(byId.get('b4')!.clusterSize).toBe(1);
    expect(clusters).toEqual([
      ['b0', 'c0'],
      ['b1', 'c1'],
      ['b2', 'c2'],
    ]);
  });

  it('reports matches while streaming and answers queries', () => {
    const index = createNearDuplicateIndex({ numHashes: 64, threshold: 0.6, seed: 3 });
    expect(index.add('a', base[3]).duplicateOf).toBeNull();
    expect(index.add('b', base[4]).duplicateOf).toBeNull();
    expect(index.add('c', base[3] + ' #podcast').duplicateOf).toBe('a');
    expect(index.add('empty', '  !!! ').duplicateOf).toBeNull();
    expect(index.add('empty2', '').duplicateOf).toBeNull();
    expect(index.query(base[4].toUpperCase())).toEqual(['b']);
    expect(index.query('something else entirely, nothing like the others')).toEqual([]);
    expect(index.clusters()).toEqual([['a', 'c']]);
    expect(index.bands * index.rows).toBeLessThanOrEqual(64);
  });

  it('has high pairwise precision and recall on a synthetic set', () => {
    const items = syntheticSet(11, 400);
    const { assignments } = findNearDuplicates(items, { seed: 5 });
    const pr = pairEvaluation(
      items,
      assignments.map((a) => a.clusterId),
    );
    expect(pr.precision).toBeGreaterThan(0.97);
    expect(pr.recall).toBeGreaterThan(0.9);
  });
});
