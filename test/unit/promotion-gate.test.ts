import { describe, expect, it } from 'vitest';
import { gateRecord, promotionGate } from '../../models/eval/promotionGate';
import { frequentTermTopics } from '../../models/eval/topicsBaseline';

const popularity = (value: number) => ({ name: 'popularity', value });

describe('promotion gate: one rule for every model, on the same held-out data', () => {
  it('promotes a candidate strictly better than the serving version and the baseline', () => {
    const d = promotionGate({ metric: 'ndcg10', candidate: 0.31, baseline: popularity(0.2), serving: { version: 3, value: 0.3 } });
    expect(d.promote).toBe(true);
    expect(d.comparedWith).toBe('serving');
    expect(d.reason).toBe('held-out ndcg10 0.3100 vs popularity 0.2000 vs serving v3 0.3000 on the same data → promoted');
  });

  it('does not decide on a held-out set smaller than the minimum, however good the figures', () => {
    const base = { metric: 'npmi', candidate: 0.3, baseline: { name: 'frequent terms', value: -0.9 }, serving: { version: 4, value: -0.5 } };
    const small = promotionGate({ ...base, heldOut: { count: 7, min: 100, what: 'posts' } });
    expect(small.promote).toBe(false);
    expect(small.reason).toBe(
      'held-out npmi 0.3000 vs frequent terms -0.9000 vs serving v4 -0.5000 on the same data → kept out: held out 7 posts, fewer than the 100 a decision needs',
    );
    expect(promotionGate({ ...base, heldOut: { count: 99, min: 100, what: 'posts' } }).promote).toBe(false);
    expect(promotionGate({ ...base, heldOut: { count: 100, min: 100, what: 'posts' } }).promote).toBe(true);
    expect(promotionGate(base).promote).toBe(true); // no size given: rules 1-3 only
    // with nothing serving and no baseline, too small still does not promote
    expect(promotionGate({ metric: 'npmi', candidate: 0.3, baseline: null, serving: null, heldOut: { count: 12, min: 100, what: 'posts' } }).promote).toBe(
      false,
    );
  });

  it('does not promote a tie with the serving version', () => {
    const d = promotionGate({ metric: 'npmi', candidate: 0.12, baseline: null, serving: { version: 2, value: 0.12 } });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/ties serving v2 \(a tie does not promote\)/);
  });

  it('does not promote a tie with the baseline when nothing serves', () => {
    const d = promotionGate({ metric: 'auc', candidate: 0.7, baseline: { name: 'best baseline', value: 0.7 }, serving: null, digits: 3 });
    expect(d.promote).toBe(false);
    expect(d.comparedWith).toBe('baseline');
    expect(d.reason).toMatch(/ties best baseline/);
  });

  it('does not promote a regression against the serving version, even far above the baseline', () => {
    const d = promotionGate({ metric: 'macroRecall', candidate: 0.64, baseline: { name: 'lexicon', value: 0.55 }, serving: { version: 7, value: 0.65 } });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/below serving v7/);
  });

  it('does not promote a candidate above the serving version but below the baseline', () => {
    const d = promotionGate({ metric: 'ndcg10', candidate: 0.25, baseline: popularity(0.26), serving: { version: 1, value: 0.2 } });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/below popularity/);
    expect(d.reason).not.toMatch(/below serving/);
  });

  it('with nothing serving, needs only to beat the baseline', () => {
    expect(promotionGate({ metric: 'ndcg10', candidate: 0.21, baseline: popularity(0.2), serving: null })).toMatchObject({
      promote: true,
      comparedWith: 'baseline',
    });
    expect(promotionGate({ metric: 'ndcg10', candidate: 0.19, baseline: popularity(0.2), serving: null }).promote).toBe(false);
    const first = promotionGate({ metric: 'npmi', candidate: 0.01, baseline: null, serving: null });
    expect(first).toMatchObject({ promote: true, comparedWith: 'none' });
    expect(first.reason).toMatch(/first version/);
  });

  it('says so when the serving version’s artifact is missing, and compares with the baseline only', () => {
    const missing = { version: 4, missing: 'its artifact s3://socialsense/models/recommender/v4.bin is missing' };
    const up = promotionGate({ metric: 'ndcg10', candidate: 0.21, baseline: popularity(0.2), serving: missing });
    expect(up.promote).toBe(true);
    expect(up.comparedWith).toBe('baseline');
    expect(up.reason).toMatch(
      /serving v4 not compared: its artifact s3:\/\/socialsense\/models\/recommender\/v4\.bin is missing; compared with the baseline only/,
    );
    expect(promotionGate({ metric: 'ndcg10', candidate: 0.2, baseline: popularity(0.2), serving: missing }).promote).toBe(false);
  });

  it('never promotes a candidate whose figure is not a number (e.g. AUC with one class)', () => {
    const d = promotionGate({ metric: 'auc', candidate: NaN, baseline: { name: 'best baseline', value: 0.6 }, serving: null });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/not a number/);
    expect(promotionGate({ metric: 'auc', candidate: NaN, baseline: null, serving: null }).promote).toBe(false);
  });

  it('lets a candidate replace a serving version that gave no figure on this data', () => {
    const d = promotionGate({ metric: 'auc', candidate: 0.7, baseline: { name: 'best baseline', value: 0.6 }, serving: { version: 2, value: NaN } });
    expect(d.promote).toBe(true);
    expect(d.reason).toMatch(/serving v2 gave no figure/);
  });

  it('refuses malformed input', () => {
    expect(() => promotionGate({ metric: '', candidate: 1, baseline: null, serving: null })).toThrow(/metric/);
    expect(() => promotionGate({ metric: 'auc', candidate: 1, baseline: null, serving: { version: 0, value: 1 } })).toThrow(/version/);
  });

  it('records the baseline’s and the serving version’s figures beside the verdict', () => {
    const decision = promotionGate({ metric: 'ndcg10', candidate: 0.3, baseline: popularity(0.2), serving: { version: 3, value: 0.31 } });
    const record = gateRecord({ ndcg10: 0.2, recall10: 0.1 }, { version: 3, figures: { ndcg10: 0.31, recall10: 0.2 } }, decision);
    expect(record).toEqual({
      ndcg10: 0.2,
      recall10: 0.1,
      serving: { version: 3, ndcg10: 0.31, recall10: 0.2 },
      gate: { promote: false, comparedWith: 'serving', reason: decision.reason },
    });
    const missing = gateRecord(
      null,
      { version: 9, missing: 'gone' },
      promotionGate({ metric: 'npmi', candidate: 0.1, baseline: null, serving: { version: 9, missing: 'gone' } }),
    );
    expect(missing.serving).toEqual({ version: 9, missing: 'gone' });
    expect((missing.gate as { promote: boolean }).promote).toBe(true);
  });
});

describe('frequent-term topics (the NPMI baseline)', () => {
  it('deals the most frequent terms round-robin into k lists, ties alphabetical', () => {
    const docs = [
      ['a', 'b', 'c'],
      ['a', 'b'],
      ['a', 'd'],
      ['e', 'a'],
    ];
    // document frequency: a 4, b 2, c 1, d 1, e 1
    expect(frequentTermTopics(docs, 2, 2)).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    expect(frequentTermTopics(docs, 3, 10)).toEqual([['a', 'd'], ['b', 'e'], ['c']]);
    expect(frequentTermTopics([['x', 'x', 'y']], 5, 1)).toEqual([['x'], ['y']]); // a repeated term counts once per post; empty lists dropped
    expect(() => frequentTermTopics(docs, 0)).toThrow(/k must be/);
  });
});
