import { describe, expect, it } from 'vitest';
import { createRng } from '../../models/random';
import { csrFromTriples, loadAls, topN, trainAls, transposeCsr } from '../../models/recommend/als';
import { blendScores, buildContentIndex, createHybridRecommender } from '../../models/recommend/content';
import {
  compareWithPopularity,
  evaluateRanking,
  indexInteractions,
  ndcgAtK,
  recallAtK,
  timeOrderedSplit,
  trainRow,
  type Interaction,
} from '../../models/recommend/evaluate';
import { trainPopularity } from '../../models/recommend/popularity';

/**
 * Two communities: 20 users who mostly touch items 0–19 and 40 users who mostly touch items
 * 20–39, with item popularity falling off like 1/rank inside each community. Community B is
 * bigger, so its items dominate the popularity ranking and popularity serves community A badly;
 * CF should see the block structure.
 */
function twoCommunities(seed: number): Interaction[] {
  const rng = createRng(seed);
  let harmonic = 0;
  for (let i = 0; i < 20; i++) harmonic += 1 / (i + 1);
  const rows: Interaction[] = [];
  for (let u = 0; u < 60; u++) {
    const inA = u < 20;
    const own: number[] = [];
    while (own.length < 10) {
      let r = rng.next() * harmonic;
      let i = 0;
      while ((r -= 1 / (i + 1)) > 0 && i < 19) i++;
      const item = inA ? i : 20 + i;
      if (!own.includes(item)) own.push(item);
    }
    let t = 0;
    for (const item of own) rows.push({ user: `u${u}`, item: `i${item}`, weight: 1 + rng.int(5), time: t++ });
    // one stray interaction outside the community
    rows.push({ user: `u${u}`, item: `i${inA ? 20 + rng.int(20) : rng.int(20)}`, weight: 1, time: rng.int(10) });
  }
  return rows;
}

/** small data, so few factors: with 8 the model starts memorising which in-community items each user skipped */
const ALS_SMALL = { factors: 4, iterations: 10, regularization: 1, alpha: 1, seed: 3 };

const communityOf = (item: string) => (Number(item.slice(1)) < 20 ? 'A' : 'B');

describe('sparse helpers', () => {
  it('builds CSR with summed duplicates and transposes it', () => {
    const m = csrFromTriples(2, 3, [0, 1, 0, 0], [2, 0, 0, 2], [1, 2, 3, 4]);
    expect(Array.from(m.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(m.indices)).toEqual([0, 2, 0]);
    expect(Array.from(m.values)).toEqual([3, 5, 2]);
    const t = transposeCsr(m);
    expect(Array.from(t.indptr)).toEqual([0, 2, 2, 3]);
    expect(Array.from(t.indices)).toEqual([0, 1, 0]);
    expect(Array.from(t.values)).toEqual([3, 2, 5]);
    expect(() => csrFromTriples(1, 1, [0], [1])).toThrow(/outside/);
  });

  it('selects the top n, skipping excluded items, ties by lower index', () => {
    expect(topN([0.1, 0.9, 0.5, 0.9, 0.3], 3).map((r) => r.index)).toEqual([1, 3, 2]);
    expect(topN([0.1, 0.9, 0.5, 0.9, 0.3], 2, Int32Array.from([1, 3])).map((r) => r.index)).toEqual([2, 4]);
    expect(topN([1, NaN, 2], 5).map((r) => r.index)).toEqual([2, 0]);
  });
});

describe('evaluation', () => {
  it('computes NDCG and recall on a hand-checked list', () => {
    const relevant = Int32Array.from([1, 2]);
    // hit at rank 2 only: DCG = 1/log2(3), ideal DCG = 1 + 1/log2(3)
    expect(ndcgAtK([3, 1, 7, 2], relevant, 3)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(recallAtK([3, 1, 7, 2], relevant, 3)).toBeCloseTo(0.5, 12);
    expect(ndcgAtK([1, 2], relevant, 10)).toBeCloseTo(1, 12);
    expect(recallAtK([5, 6], relevant, 10)).toBe(0);
    // recall normalises by min(k, |relevant|): 1 hit of 5 relevant in a top-2 list = 0.5
    expect(recallAtK([1, 9], Int32Array.from([1, 2, 3, 4, 5]), 2)).toBeCloseTo(0.5, 12);
  });

  it('holds out each user’s latest distinct items', () => {
    const log = indexInteractions([
      { user: 'a', item: 'x', time: 1 },
      { user: 'a', item: 'y', time: 3 },
      { user: 'a', item: 'z', time: 2 },
      { user: 'a', item: 'x', time: 5, weight: 2 }, // x seen again last: merged, weight 3, time 5
      { user: 'b', item: 'y', time: 1 }, // a single interaction stays in training
      { user: 'c', item: 'x', time: 9 },
      { user: 'c', item: 'z', time: 4 },
    ]);
    const split = timeOrderedSplit(log, { lastK: 1 });
    const name = (i: number) => log.itemIds[i];
    expect(Array.from(split.test[0], name)).toEqual(['x']);
    expect(Array.from(trainRow(split.train, 0), name).sort()).toEqual(['y', 'z']);
    expect(split.test[1].length).toBe(0);
    expect(Array.from(trainRow(split.train, 1), name)).toEqual(['y']);
    expect(Array.from(split.test[2], name)).toEqual(['x']);
    expect(split.trainInteractions).toBe(4);
    expect(split.testInteractions).toBe(2);

    // coverage: two users evaluated, the recommender shows items 0 and 1 only, of 3 items
    const metrics = evaluateRanking(split, () => [0, 1], { k: 10 });
    expect(metrics.users).toBe(2);
    expect(metrics.coverage).toBeCloseTo(2 / 3, 12);
    expect(metrics.recall).toBeCloseTo(1, 12); // x is item 0, in both lists
  });
});

describe('ALS on two communities', () => {
  const log = indexInteractions(twoCommunities(1));
  const split = timeOrderedSplit(log, { holdoutFraction: 0.3 });
  const model = trainAls(split.train, { ...ALS_SMALL, itemIds: log.itemIds, userIds: log.userIds });

  it('recommends items from the user’s own community', () => {
    let inCommunity = 0;
    let total = 0;
    for (let u = 0; u < 60; u++) {
      const own = Number(log.userIds[u].slice(1)) < 20 ? 'A' : 'B';
      for (const r of model.recommend(u, 5)) {
        total++;
        if (communityOf(r.id!) === own) inCommunity++;
        expect(Array.from(model.seen(u))).not.toContain(r.index);
      }
    }
    expect(inCommunity / total).toBeGreaterThan(0.9);
  });

  it('beats popularity on NDCG@10', () => {
    const result = compareWithPopularity(log, {
      als: ALS_SMALL,
      split: { holdoutFraction: 0.3 },
    });
    expect(result.model.ndcg).toBeGreaterThan(result.baseline.ndcg + 0.1);
    expect(result.model.coverage).toBeGreaterThan(result.baseline.coverage);
    expect(result.interactions).toBe(660);
  });

  it('is deterministic for a seed and survives serialisation', () => {
    const again = trainAls(split.train, ALS_SMALL);
    expect(Array.from(again.userFactors)).toEqual(Array.from(model.userFactors));
    const loaded = loadAls(model.serialize());
    expect(loaded.users).toBe(model.users);
    expect(loaded.items).toBe(model.items);
    expect(loaded.options).toEqual(model.options);
    expect(loaded.itemIds).toEqual(log.itemIds);
    expect(Array.from(loaded.itemFactors)).toEqual(Array.from(model.itemFactors));
    for (const u of [0, 17, 42]) expect(loaded.recommend(u, 10)).toEqual(model.recommend(u, 10));
    expect(() => loadAls(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/magic/);
    expect(() => loadAls(model.serialize().slice(0, 200))).toThrow(/truncated/);
  });

  it('folds in a new user from their history', () => {
    const aItems = log.itemIds.map((id, i) => [id, i] as const).filter(([id]) => communityOf(id) === 'A').slice(0, 5);
    const vec = model.foldInUser(aItems.map(([, i]) => i));
    const scores = model.scoreVector(vec);
    const top = topN(scores, 5, Int32Array.from(aItems.map(([, i]) => i)).sort());
    for (const r of top) expect(communityOf(log.itemIds[r.index])).toBe('A');
  });
});

describe('content and the hybrid blend', () => {
  const words = {
    A: ['football', 'goal', 'match', 'league', 'striker', 'penalty', 'referee', 'stadium'],
    B: ['recipe', 'bake', 'oven', 'flour', 'butter', 'dessert', 'sugar', 'dough'],
  };
  const rng = createRng(5);
  const itemText = (c: 'A' | 'B') => rng.shuffle(words[c].slice()).slice(0, 4).join(' ');
  const rows = twoCommunities(2);
  const log = indexInteractions(rows);
  const texts = log.itemIds.map((id) => itemText(communityOf(id)));
  // a brand-new football item nobody has interacted with yet: it exists in the catalogue only
  const coldId = 'i-new';
  const itemIds = [...log.itemIds, coldId];
  texts.push('football match highlights: late goal and a penalty');
  const train = csrFromTriples(log.userIds.length, itemIds.length, log.user, log.item, log.weight);
  const als = trainAls(train, { ...ALS_SMALL, itemIds, userIds: log.userIds });
  const content = buildContentIndex(texts);
  const popularity = trainPopularity(train, { itemIds });
  const hybrid = createHybridRecommender({ als, content, popularity });
  const cold = itemIds.length - 1;

  it('tokenizes and finds similar items by content', () => {
    expect(Array.from(content.vectorize('The #Goal of the MATCH!').indices, (t) => [...content.vocabulary].find(([, i]) => i === t)![0]).sort()).toEqual(['goal', 'match']);
    const similar = content.similarItems(cold, 5);
    for (const r of similar) expect(communityOf(itemIds[r.index])).toBe('A');
    expect(similar[0].score).toBeGreaterThan(0);
    const v = content.vectorize('bake a dessert with butter');
    expect(communityOf(itemIds[topN(content.scoreAll(v), 1)[0].index])).toBe('B');
  });

  it('ranks a cold item for interested users, which CF alone cannot', () => {
    const userA = log.userIds.indexOf('u3');
    const firstOtherCommunity = (ranking: string[]) => ranking.findIndex((id) => id !== coldId && communityOf(id) === 'B');
    const cfRanking = topN(als.scoreAll(userA), itemIds.length, als.seen(userA)).map((r) => itemIds[r.index]);
    const hybridRanking = hybrid.recommendForUser(userA, itemIds.length).map((r) => r.id!);
    // CF knows nothing about the item (zero factors): it ranks below items of the other community
    expect(cfRanking.indexOf(coldId)).toBeGreaterThan(firstOtherCommunity(cfRanking));
    // content puts it with the user's community, ahead of every item from the other one
    expect(hybridRanking.indexOf(coldId)).toBeLessThan(firstOtherCommunity(hybridRanking));
    expect(hybridRanking.indexOf(coldId)).toBeLessThan(cfRanking.indexOf(coldId));
    const userB = log.userIds.indexOf('u45');
    const forB = hybrid.recommendForUser(userB, 10).map((r) => r.id!);
    expect(forB).not.toContain(coldId);
    for (const id of forB) expect(communityOf(id)).toBe('B');
  });

  it('serves new users from their history and anonymous users by popularity', () => {
    const history = [log.itemIds.indexOf('i1'), log.itemIds.indexOf('i2')];
    const recs = hybrid.recommendForHistory(history, 5);
    for (const r of recs) expect(['A', 'i-new'].includes(r.id === coldId ? coldId : communityOf(r.id!))).toBe(true);
    expect(hybrid.recommendForHistory([], 3).map((r) => r.index)).toEqual(popularity.recommend(3).map((r) => r.index));
  });

  it('blends by the documented rule', () => {
    const cf = [3, 1, 2, 0];
    const contentScores = [0, 1, 0, 1];
    // user with 5 interactions (kᵤ = 5 → ½), item counts 10, 10, 0, 0 (kᵢ = 10 → ½, ½, 0, 0)
    const blended = blendScores(cf, contentScores, [10, 10, 0, 0], 5);
    const z = (x: number[]) => {
      const m = x.reduce((s, v) => s + v, 0) / x.length;
      const sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length);
      return x.map((v) => (v - m) / sd);
    };
    const zf = z(cf);
    const zc = z(contentScores);
    const w = [0.25, 0.25, 0, 0];
    blended.forEach((b, i) => expect(b).toBeCloseTo(w[i] * zf[i] + (1 - w[i]) * zc[i], 12));
  });
});
