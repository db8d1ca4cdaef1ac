import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateRecommend } from '../../cli/eval/recommend';
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
import { DEFAULT_EASE_OPTIONS, historyWeights, invertSpdInPlace, loadEase, trainEase } from '../../models/recommend/ease';
import { DEFAULT_EASE_GRID, evaluateOnSplit, trainingLog, tuneEase } from '../../models/recommend/evaluate';
import { loadRecommender, recommenderMethod } from '../../models/recommend/recommender';

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
      method: 'als',
      als: ALS_SMALL,
      split: { holdoutFraction: 0.3 },
    });
    expect(result.method).toBe('als');
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
    const aItems = log.itemIds
      .map((id, i) => [id, i] as const)
      .filter(([id]) => communityOf(id) === 'A')
      .slice(0, 5);
    const vec = model.foldInUser(aItems.map(([, i]) => i));
    const scores = model.scoreVector(vec);
    const top = topN(scores, 5, Int32Array.from(aItems.map(([, i]) => i)).sort());
    expect(aItems).toHaveLength(5);
    expect(top).toHaveLength(5); // 40 items, 5 excluded: five recommendations, each checked below
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
    expect(Array.from(content.vectorize('The #Goal of the MATCH!').indices, (t) => [...content.vocabulary].find(([, i]) => i === t)![0]).sort()).toEqual([
      'goal',
      'match',
    ]);
    const similar = content.similarItems(cold, 5);
    expect(similar).toHaveLength(5);
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
    expect(forB).toHaveLength(10);
    expect(forB).not.toContain(coldId);
    for (const id of forB) expect(communityOf(id)).toBe('B');
  });

  it('serves new users from their history and anonymous users by popularity', () => {
    const history = [log.itemIds.indexOf('i1'), log.itemIds.indexOf('i2')];
    const recs = hybrid.recommendForHistory(history, 5);
    expect(history.every((i) => i >= 0)).toBe(true); // both items exist in the log
    expect(recs).toHaveLength(5);
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
    expect(blended).toHaveLength(4);
    blended.forEach((b, i) => expect(b).toBeCloseTo(w[i] * zf[i] + (1 - w[i]) * zc[i], 12));
  });
});

describe('EASE', () => {
  it('inverts a symmetric positive definite matrix and refuses one that is not', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const inv = invertSpdInPlace(Float64Array.from(a), 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    expect(() => invertSpdInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
    expect(() => invertSpdInPlace(new Float64Array(3), 2)).toThrow(/expected 2×2/);
  });

  it('matches the closed form on two items: B01 = c / (a + λ)', () => {
    // users {0,1}, {0,1}, {0}: item 0 has a = 3 users, item 1 has b = 2, both c = 2; with λ = 1
    // B01 = c / (a + λ) = 0.5 and B10 = c / (b + λ) = 2/3 (Steck 2019, eq. 8, for two items)
    const m = csrFromTriples(3, 2, [0, 0, 1, 1, 2], [0, 1, 0, 1, 0]);
    const ease = trainEase(m, { lambda: 1, minItemCount: 1, recencyHalfLife: null });
    // B is stored as Float32: 6 digits
    expect(ease.scoreHistory([0])[1]).toBeCloseTo(0.5, 6);
    expect(ease.scoreHistory([1])[0]).toBeCloseTo(2 / 3, 6);
    expect(ease.scoreHistory([0])[0]).toBe(0); // an item never predicts itself
    expect(ease.scoreAll(2)[1]).toBeCloseTo(0.5, 6); // user 2 has item 0 only
  });

  it('leaves items with too few users out of the model: they never score', () => {
    const m = csrFromTriples(3, 3, [0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 2]);
    const ease = trainEase(m, { lambda: 1, minItemCount: 2, recencyHalfLife: null });
    expect(Array.from(ease.modelled)).toEqual([0, 1]);
    expect(ease.scoreHistory([0])[2]).toBe(-Infinity);
    expect(ease.recommend(2, 5).map((r) => r.index)).toEqual([1]); // item 2 is seen; only item 1 is left
    expect(() => trainEase(m, { lambda: 0 })).toThrow(/lambda/);
    expect(() => trainEase(m, { maxItems: 0 })).toThrow(/maxItems/);
    expect(() => trainEase(m, { recencyHalfLife: -1 })).toThrow(/recencyHalfLife/);
  });

  it('models at most maxItems items, those with the most users; a tie at the cap leaves all tied items out', () => {
    // item users: 0 → 3, 1 → 2, 2 → 2, 3 → 1
    const m = csrFromTriples(3, 4, [0, 1, 2, 0, 1, 0, 1, 2], [0, 0, 0, 1, 1, 2, 2, 3]);
    const cap3 = trainEase(m, { lambda: 1, minItemCount: 1, maxItems: 3 });
    expect(Array.from(cap3.modelled)).toEqual([0, 1, 2]);
    expect(cap3.itemThreshold).toBe(2);
    const cap2 = trainEase(m, { lambda: 1, minItemCount: 1, maxItems: 2 });
    expect(Array.from(cap2.modelled)).toEqual([0]);
    expect(cap2.itemThreshold).toBe(3);
    const noCap = trainEase(m, { lambda: 1, minItemCount: 1, maxItems: 10 });
    expect(noCap.modelled).toHaveLength(4);
    expect(noCap.itemThreshold).toBe(1);
    expect(loadEase(cap3.serialize()).itemThreshold).toBe(2);
  });

  it('weights history items by recency: the latest item dominates with a short half-life', () => {
    expect(Array.from(historyWeights({ values: 'binary', recencyHalfLife: 2 }, [5, 5, 5], [0, 2, 4]))).toEqual([1, 0.5, 0.25]);
    expect(Array.from(historyWeights({ values: 'weight', recencyHalfLife: null }, [5, 3], [0, 1]))).toEqual([5, 3]);
    // one user took item 0 long ago and item 2 last; item 1 goes with 0, item 3 with 2
    const m = csrFromTriples(5, 4, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], [0, 1, 0, 1, 2, 3, 2, 3, 0, 2]);
    const recency = new Float32Array(m.indices.length);
    recency[m.indptr[4]] = 3; // user 4: item 0 is 3 items old, item 2 the latest
    const withRecency = trainEase(m, { lambda: 1, minItemCount: 1, recencyHalfLife: 1, recency });
    expect(withRecency.recommend(4, 1)[0].index).toBe(3);
    const without = trainEase(m, { lambda: 1, minItemCount: 1, recencyHalfLife: null, recency });
    const s = without.scoreAll(4);
    expect(s[1]).toBeCloseTo(s[3], 12); // symmetric data, no recency: a tie
  });

  const log = indexInteractions(twoCommunities(1));
  const split = timeOrderedSplit(log, { holdoutFraction: 0.3 });

  it('beats popularity on two communities and recommends within the user’s community', () => {
    // λ of the order of the items' user counts (10–30 here); the default recency half-life
    const result = compareWithPopularity(log, { method: 'ease', ease: { lambda: 50, minItemCount: 1 }, split: { holdoutFraction: 0.3 } });
    expect(result.method).toBe('ease');
    expect(result.model.ndcg).toBeGreaterThan(result.baseline.ndcg + 0.1);
    let inCommunity = 0;
    for (let u = 0; u < 60; u++) {
      const own = Number(log.userIds[u].slice(1)) < 20 ? 'A' : 'B';
      for (const r of result.recommender.recommend(u, 5)) inCommunity += communityOf(r.id!) === own ? 1 : 0;
    }
    expect(inCommunity / (60 * 5)).toBeGreaterThan(0.9);
  });

  it('survives serialisation, and the loader tells EASE from ALS by their bytes', () => {
    const ease = trainEase(split.train, { lambda: 5, minItemCount: 2, recency: split.trainRecency, itemIds: log.itemIds, userIds: log.userIds });
    const loaded = loadEase(ease.serialize());
    expect(loaded.options).toEqual(ease.options);
    expect(Array.from(loaded.modelled)).toEqual(Array.from(ease.modelled));
    for (const u of [0, 17, 42]) expect(loaded.recommend(u, 10)).toEqual(ease.recommend(u, 10));
    expect(recommenderMethod(loadRecommender(ease.serialize()))).toBe('ease');
    const als = trainAls(split.train, { ...ALS_SMALL, itemIds: log.itemIds });
    expect(recommenderMethod(loadRecommender(als.serialize()))).toBe('als');
    expect(() => loadEase(als.serialize())).toThrow(/magic/);
    expect(() => loadEase(ease.serialize().slice(0, 100))).toThrow(/truncated/);
    expect(() => loadRecommender(new Uint8Array(16))).toThrow(/magic/);
  });

  it('ranks each split pair by recency within its user’s training items', () => {
    const small = indexInteractions([
      { user: 'a', item: 'x', time: 1 },
      { user: 'a', item: 'y', time: 3 },
      { user: 'a', item: 'z', time: 2 },
      { user: 'a', item: 'w', time: 4 },
    ]);
    const s = timeOrderedSplit(small, { lastK: 1 }); // w held out
    const ranks = Object.fromEntries(Array.from(trainRow(s.train, 0), (i, k) => [small.itemIds[i], s.trainRecency[k]]));
    expect(ranks).toEqual({ y: 0, z: 1, x: 2 });
  });
});

describe('scoring another model on the candidate’s split (the promotion gate’s like-for-like figure)', () => {
  const log = indexInteractions(twoCommunities(1));
  const split = timeOrderedSplit(log, { holdoutFraction: 0.3 });
  const ids = { itemIds: log.itemIds, userIds: log.userIds };

  it('gives an EASE model the same figures it gets on its own split', () => {
    const ease = trainEase(split.train, { lambda: 5, minItemCount: 1, recency: split.trainRecency, ...ids });
    const out = new Float64Array(log.itemIds.length);
    const own = evaluateRanking(split, (u, n) => topN(ease.scoreAll(u, out), n, ease.seen(u)).map((r) => r.index));
    expect(evaluateOnSplit(ease, split, log.itemIds)).toEqual(own);
  });

  it('maps items by id: the same model with its items in another order scores the same', () => {
    // split.train with item i stored as index (I − 1 − i), and the ids reversed to match
    const I = log.itemIds.length;
    const rows: number[] = [];
    const cols: number[] = [];
    for (let u = 0; u < split.train.rows; u++) {
      for (const i of trainRow(split.train, u)) {
        rows.push(u);
        cols.push(I - 1 - i);
      }
    }
    const permuted = trainEase(csrFromTriples(split.train.rows, I, rows, cols), {
      lambda: 5,
      minItemCount: 1,
      recencyHalfLife: null,
      itemIds: [...log.itemIds].reverse(),
    });
    const same = trainEase(split.train, { lambda: 5, minItemCount: 1, recencyHalfLife: null, ...ids });
    const a = evaluateOnSplit(permuted, split, log.itemIds);
    const b = evaluateOnSplit(same, split, log.itemIds);
    expect(a.ndcg).toBeCloseTo(b.ndcg, 6);
    expect(a.recall).toBeCloseTo(b.recall, 6);
    expect(a.ndcg).toBeGreaterThan(0.3);
  });

  it('scores an ALS model by folding each user’s history in, close to its own user factors', () => {
    const als = trainAls(split.train, { ...ALS_SMALL, ...ids });
    const out = new Float64Array(log.itemIds.length);
    const own = evaluateRanking(split, (u, n) => topN(als.scoreAll(u, out), n, als.seen(u)).map((r) => r.index));
    const folded = evaluateOnSplit(als, split, log.itemIds);
    expect(folded.ndcg).toBeGreaterThan(own.ndcg - 0.05);
    expect(folded.ndcg).toBeGreaterThan(
      evaluateRanking(split, (u, n) =>
        trainPopularity(split.train)
          .recommend(n, trainRow(split.train, u))
          .map((r) => r.index),
      ).ndcg,
    );
  });

  it('counts held-out items the model never saw as misses, and refuses a model without ids', () => {
    const stranger = trainEase(csrFromTriples(2, 2, [0, 0, 1, 1], [0, 1, 0, 1]), { lambda: 1, minItemCount: 1, itemIds: ['other-1', 'other-2'] });
    const m = evaluateOnSplit(stranger, split, log.itemIds);
    expect(m.ndcg).toBe(0);
    expect(m.coverage).toBe(0);
    expect(() => evaluateOnSplit(trainEase(split.train, { lambda: 1, minItemCount: 1 }), split, log.itemIds)).toThrow(/no item ids/);
  });
});

describe('tuning EASE on a validation split of the training part', () => {
  const log = indexInteractions(twoCommunities(2));
  const split = timeOrderedSplit(log, { holdoutFraction: 0.3 });

  it('carves validation from training only: no held-out pair is in it', () => {
    const train = trainingLog(log, split);
    expect(train.user.length).toBe(log.user.length - split.testInteractions);
    for (let k = 0; k < train.user.length; k++) expect(Array.from(split.test[train.user[k]])).not.toContain(train.item[k]);
  });

  it('chooses the grid point with the best validation NDCG and reports the whole grid', () => {
    const t = tuneEase(log, split, { grid: { lambda: [1, 50], minItemCount: [1], recencyHalfLife: [2, null] }, split: { holdoutFraction: 0.3 } });
    expect(t.grid).toHaveLength(4);
    const best = t.grid.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
    expect(t.best).toEqual({
      lambda: best.lambda,
      minItemCount: best.minItemCount,
      maxItems: DEFAULT_EASE_OPTIONS.maxItems,
      recencyHalfLife: best.recencyHalfLife,
      values: 'binary',
    });
    expect(t.validation).toMatch(/training items/);
    expect(t.popularityNdcg).toBeGreaterThan(0);
    expect(DEFAULT_EASE_OPTIONS.values).toBe('binary');
  });
});

describe('eval recommend on a small file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-eval-recommend-'));
  const file = path.join(dir, 'ratings.csv');
  fs.writeFileSync(file, ['userId,movieId,rating,timestamp', ...twoCommunities(3).map((r) => `${r.user},${r.item},${r.weight},${r.time}`)].join('\n'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tunes EASE on the validation split, reports the ratio to popularity from the same run, and keeps coverage', async () => {
    const r = await evaluateRecommend({ data: file, minItemCount: 1 });
    expect(r.model).toBe('ease');
    expect(r.ratio).toBeCloseTo(r.ndcg10 / r.baseline.ndcg10, 2);
    expect(r.ndcg10).toBeGreaterThan(r.baseline.ndcg10);
    expect(r.coverage).toBeGreaterThan(r.baseline.coverage);
    // --min-item-count given: a one-point grid for it, the default grids for the rest
    expect(r.tuning!.grid).toHaveLength(DEFAULT_EASE_GRID.lambda.length * DEFAULT_EASE_GRID.recencyHalfLife.length);
    expect(r.tuning!.grid.every((g) => g.minItemCount === 1)).toBe(true);
    // the chosen point has the grid's best validation NDCG (printed rounded, so ties are possible)
    const chosen = r.tuning!.grid.find((g) => g.lambda === r.params.lambda && g.recencyHalfLife === r.params.recencyHalfLife)!;
    expect(chosen.ndcg).toBe(Math.max(...r.tuning!.grid.map((g) => g.ndcg)));
  });

  it('uses the given parameters untuned with --no-tune, and ALS when asked', async () => {
    const fixed = await evaluateRecommend({ data: file, tune: false, lambda: 20, minItemCount: 1, halfLife: null });
    expect(fixed.tuning).toBeNull();
    // 40 items, all under the 1,000-item cap: every item with a training user is modelled
    expect(fixed.params).toEqual({ lambda: 20, minItemCount: 1, maxItems: 1000, recencyHalfLife: null, values: 'binary', modelledItems: 40, itemThreshold: 1 });
    const als = await evaluateRecommend({ data: file, method: 'als', factors: 4, regularization: 1, alpha: 1, seed: 3 });
    expect(als.model).toBe('als');
    expect(als.params).toEqual({ factors: 4, iterations: 10, regularization: 1, alpha: 1, seed: 3 });
  });

  it('names a bad option', async () => {
    await expect(evaluateRecommend({ data: file, method: 'bpr' as 'als' })).rejects.toThrow(/--method must be ease or als, got "bpr"/);
    await expect(evaluateRecommend({ data: file, halfLife: -1 })).rejects.toThrow(/--half-life must be a number/);
    await expect(evaluateRecommend({ data: file, minItemCount: 0 })).rejects.toThrow(/--min-item-count must be an integer >= 1/);
    await expect(evaluateRecommend({ data: file, lambda: 0 })).rejects.toThrow(/--lambda must be a number/);
  });
});
