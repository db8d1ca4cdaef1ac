import { describe, expect, it } from 'vitest';
import { adjustedRandIndex } from '../../models/eval/clustering';
import { createRng } from '../../models/random';
import { botScore, BOT_SIGNALS, precisionRecall } from '../../models/users/bots';
import {
  auc,
  dailyActivity,
  ENGAGEMENT_FEATURES,
  engagementExamples,
  evaluateEngagementPrediction,
  logisticScorer,
  engagementProbabilities,
  predictNextDayEngagement,
  trainLogisticRegression,
} from '../../models/users/engagement';
import {
  accumulateProfiles,
  computeProfiles,
  finalizeProfile,
  mergeProfileStates,
  updateProfiles,
  type ProfileEngagement,
  type ProfilePost,
  type ProfileState,
  type UserProfile,
} from '../../models/users/profile';
import { activityQuantileSegments, nearestCentroids, segmentProfiles, segmentRows, standardizeRows } from '../../models/users/segments';

const post = (p: Partial<ProfilePost> & Pick<ProfilePost, 'id' | 'authorId' | 'createdAt'>): ProfilePost => ({
  text: '',
  hashtags: [],
  likes: 0,
  reposts: 0,
  replies: 0,
  ...p,
});

describe('user profiles', () => {
  const posts: ProfilePost[] = [
    post({
      id: 'p1',
      authorId: 'a',
      createdAt: '2024-01-01T10:00:00Z',
      text: 'hello https://x.co/1',
      hashtags: ['a', 'b'],
      sentiment: 0.5,
      topic: 1,
      nearDuplicate: true,
      followers: 100,
      following: 50,
      likes: 4,
      reposts: 1,
      replies: 1,
    }),
    post({ id: 'p3', authorId: 'a', createdAt: '2024-01-03T10:30:00Z', text: 'third', hashtags: ['c'], sentiment: 1, topic: 2 }),
    post({
      id: 'p2',
      authorId: 'a',
      createdAt: '2024-01-01T12:00:00Z',
      text: 'second',
      sentiment: -0.5,
      topic: 1,
      followers: 110,
      following: 50,
      likes: 2,
    }),
  ];
  const engagements: ProfileEngagement[] = [
    { userId: 'a', postId: 'x1', kind: 'like', at: '2024-01-02T08:00:00Z' },
    { userId: 'a', postId: 'x2', kind: 'like', at: '2024-01-02T09:00:00Z' },
    { userId: 'b', postId: 'p1', kind: 'reply', at: '2024-01-05T09:00:00Z' },
  ];

  it('computes hand-checked values', () => {
    const [a, b] = computeProfiles(posts, engagements);
    expect(a.userId).toBe('a');
    expect(a.posts).toBe(3);
    expect(a.activeSpanDays).toBe(3); // Jan 1 .. Jan 3
    expect(a.postsPerDay).toBeCloseTo(1, 12);
    // hours 10, 10, 12: -(2/3 log2 2/3 + 1/3 log2 1/3)
    expect(a.hourEntropy).toBeCloseTo(0.918296, 5);
    expect(a.engagementReceivedPerPost).toBeCloseTo(8 / 3, 12);
    expect(a.likesReceivedPerPost).toBeCloseTo(2, 12);
    expect(a.engagementsGiven).toBe(2);
    expect(a.engagementsGivenPerDay).toBeCloseTo(2 / 3, 12);
    expect(a.engagementsGivenByKind).toEqual({ like: 2, reply: 0, repost: 0 });
    expect(a.followers).toBe(110); // the latest snapshot wins
    expect(a.followerRatio).toBeCloseTo(2.2, 12);
    expect(a.meanSentiment).toBeCloseTo(1 / 3, 12);
    expect(a.topicMix['1']).toBeCloseTo(2 / 3, 12);
    expect(a.topicMix['2']).toBeCloseTo(1 / 3, 12);
    expect(a.nearDuplicateRatio).toBeCloseTo(1 / 3, 12);
    expect(a.urlRate).toBeCloseTo(1 / 3, 12);
    expect(a.hashtagsPerPost).toBeCloseTo(1, 12);
    expect(a.intervalCv).toBeNull(); // two gaps are too few to judge regularity
    expect(a.botLikeness).toBeGreaterThanOrEqual(0);
    expect(a.botLikeness).toBeLessThan(0.3);

    expect(b.userId).toBe('b');
    expect(b.posts).toBe(0);
    expect(b.engagementsGiven).toBe(1);
    expect(b.engagementsGivenPerDay).toBe(1);
    expect(b.followerRatio).toBeNull();
    expect(b.meanSentiment).toBeNull();
    expect(b.topicMix).toEqual({});
  });

  it('stretches the span to the end of the observation window', () => {
    const [a] = computeProfiles(posts, engagements, { asOf: '2024-01-10T00:00:00Z' });
    expect(a.activeSpanDays).toBe(10);
    expect(a.postsPerDay).toBeCloseTo(0.3, 12);
  });

  it('gives the same profiles when updated day by day through JSON as in one pass', () => {
    const rng = createRng(4);
    const allPosts: ProfilePost[] = [];
    const allEngagements: ProfileEngagement[] = [];
    for (let day = 0; day < 8; day++) {
      for (let i = 0; i < 60; i++) {
        const ms = Date.UTC(2024, 2, 1 + day) + rng.int(86_400_000);
        const author = `u${rng.int(12)}`;
        allPosts.push(
          post({
            id: `d${day}-${i}`,
            authorId: author,
            createdAt: new Date(ms).toISOString(),
            text: rng.next() < 0.3 ? 'see https://example.com' : 'plain text',
            hashtags: rng.next() < 0.5 ? ['x'] : [],
            sentiment: rng.next() < 0.8 ? rng.next() * 2 - 1 : undefined,
            topic: rng.int(4),
            nearDuplicate: rng.next() < 0.2,
            followers: rng.int(1000),
            following: rng.int(500),
            likes: rng.int(10),
            reposts: rng.int(3),
            replies: rng.int(3),
          }),
        );
        allEngagements.push({
          userId: `u${rng.int(15)}`,
          postId: `d${day}-${rng.int(60)}`,
          kind: rng.pick(['like', 'reply', 'repost'] as const),
          at: new Date(ms + rng.int(3_600_000)).toISOString(),
        });
      }
    }
    const oneShot = computeProfiles(allPosts, allEngagements);

    let stored = '[]';
    for (let day = 0; day <= 8; day++) {
      const inDay = (iso: string) => Math.floor((Date.parse(iso) - Date.UTC(2024, 2, 1)) / 86_400_000) === day;
      const prior = JSON.parse(stored) as ProfileState[];
      const updated = updateProfiles(
        prior,
        allPosts.filter((p) => inDay(p.createdAt)),
        allEngagements.filter((e) => inDay(e.at)),
      );
      stored = JSON.stringify([...updated.values()]);
    }
    const incremental = (JSON.parse(stored) as ProfileState[]).map((s) => finalizeProfile(s)).sort((x, y) => (x.userId < y.userId ? -1 : 1));

    expect(incremental.map((p) => p.userId)).toEqual(oneShot.map((p) => p.userId));
    for (let i = 0; i < oneShot.length; i++) expectProfilesClose(incremental[i], oneShot[i]);
  });

  it('merges in either order', () => {
    const early = accumulateProfiles(posts.slice(0, 1)).get('a')!;
    const late = accumulateProfiles(posts.slice(1)).get('a')!;
    expect(finalizeProfile(mergeProfileStates(late, early))).toEqual(finalizeProfile(mergeProfileStates(early, late)));
    expect(() => mergeProfileStates(early, accumulateProfiles([], engagements).get('b')!)).toThrow(/different users/);
  });

  it('rejects timestamps that are not ISO-8601', () => {
    expect(() => computeProfiles([post({ id: 'z', authorId: 'a', createdAt: 'yesterday' })])).toThrow(/post z.*ISO-8601/);
  });
});

function expectProfilesClose(a: UserProfile, b: UserProfile) {
  for (const key of Object.keys(b) as (keyof UserProfile)[]) {
    const x = a[key];
    const y = b[key];
    if (typeof y === 'number') expect(x as number, key).toBeCloseTo(y, 9);
    else if (key === 'topicMix')
      for (const t of Object.keys(y as object)) expect((x as Record<string, number>)[t]).toBeCloseTo((y as Record<string, number>)[t], 12);
    else expect(x, key).toEqual(y);
  }
}

describe('bot-likeness', () => {
  it('weights add up to 1 and the score is a weighted mean of sub-scores', () => {
    const total = Object.values(BOT_SIGNALS).reduce((s, x) => s + x.weight, 0);
    expect(total).toBeCloseTo(1, 12);
    const r = botScore({
      posts: 3,
      postsPerDay: 1,
      nearDuplicateRatio: 0,
      urlRate: 0,
      hashtagsPerPost: 0,
      hourEntropy: 1,
      intervalCv: null,
      rapidFireRatio: null,
      followers: null,
      following: null,
    });
    // timing, hour entropy and follower signals are unknown: the 4 remaining weights are renormalised
    expect(Object.keys(r.contributions).sort()).toEqual(['hashtagsPerPost', 'nearDuplicateRatio', 'postsPerDay', 'urlRate']);
    expect(Object.values(r.contributions).reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    expect(r.score).toBeCloseTo(
      Object.values(r.contributions).reduce((s, c) => s + c.weight * c.subscore, 0),
      12,
    );
    expect(r.score).toBeLessThan(0.1);
  });

  it('ranks planted bot-like authors above normal ones', () => {
    const rng = createRng(9);
    const posts: ProfilePost[] = [];
    const start = Date.UTC(2024, 4, 1);
    const bots = new Set<string>();
    for (let a = 0; a < 40; a++) {
      const isBot = a % 4 === 0;
      const author = `a${a}`;
      if (isBot) bots.add(author);
      const n = isBot ? 150 + rng.int(100) : 5 + rng.int(40);
      let t = start + rng.int(3_600_000);
      for (let i = 0; i < n; i++) {
        if (isBot)
          t += 20 * 60_000 + rng.int(120_000); // every ~20 minutes, day and night
        else {
          // people post in bursts during waking hours
          t += rng.next() < 0.6 ? rng.int(30 * 60_000) : 6 * 3_600_000 + rng.int(30 * 3_600_000);
          const hour = new Date(t).getUTCHours();
          if (hour < 7) t += (7 - hour) * 3_600_000;
        }
        posts.push(
          post({
            id: `${author}-${i}`,
            authorId: author,
            createdAt: new Date(t).toISOString(),
            text: isBot ? `deal ${i % 3} https://spam.example/${i}` : rng.next() < 0.15 ? 'look https://news.example' : 'just thinking',
            hashtags: isBot ? ['win', 'free', 'deal', 'promo'] : rng.next() < 0.3 ? ['life'] : [],
            nearDuplicate: isBot ? rng.next() < 0.8 : rng.next() < 0.05,
            followers: isBot ? 5 + rng.int(20) : 50 + rng.int(2000),
            following: isBot ? 500 + rng.int(3000) : 50 + rng.int(500),
          }),
        );
      }
    }
    const profiles = computeProfiles(posts);
    const scores = profiles.map((p) => p.botLikeness);
    const truth = profiles.map((p) => bots.has(p.userId));
    const minBot = Math.min(...scores.filter((_, i) => truth[i]));
    const maxHuman = Math.max(...scores.filter((_, i) => !truth[i]));
    expect(minBot).toBeGreaterThan(maxHuman);
    expect(auc(scores, truth)).toBe(1);
    const pr = precisionRecall(
      scores.map((s) => s >= 0.5),
      truth,
    );
    expect(pr.precision).toBe(1);
    expect(pr.recall).toBe(1);
  });

  it('computes precision and recall', () => {
    const pr = precisionRecall([true, true, false, false, true], [true, false, true, false, true]);
    expect(pr).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
    expect(precisionRecall([false], [false]).precision).toBe(0);
  });
});

describe('segments', () => {
  it('recovers three well-separated planted groups and picks k = 3', () => {
    const rng = createRng(2);
    const centres = [
      [0, 0, 0, 0],
      [6, 6, 0, 1],
      [0, 6, 6, -1],
    ];
    const rows: number[][] = [];
    const truth: number[] = [];
    for (let i = 0; i < 300; i++) {
      const g = i % 3;
      rows.push(centres[g].map((c) => c + rng.normal()));
      truth.push(g);
    }
    const seg = segmentRows(
      rows,
      ['a', 'b', 'c', 'd'].map((name) => ({ name })),
      { kMin: 2, kMax: 8, seed: 1 },
    );
    expect(seg.k).toBe(3);
    expect(adjustedRandIndex(seg.assignments, truth)).toBeGreaterThan(0.9);
    expect(seg.sizes.reduce((s, x) => s + x, 0)).toBe(300);
    // centroids are reported in original units: each is close to one planted centre
    for (const c of seg.centroids) {
      const nearest = Math.min(...centres.map((p) => Math.hypot(c.a - p[0], c.b - p[1], c.c - p[2], c.d - p[3])));
      expect(nearest).toBeLessThan(0.5);
    }
    expect(new Set(seg.names).size).toBe(3);
  });

  it('is deterministic for a seed', () => {
    const rng = createRng(3);
    const rows = Array.from({ length: 60 }, () => [rng.normal(), rng.normal()]);
    const a = segmentRows(rows, [{ name: 'x' }, { name: 'y' }], { seed: 5 });
    const b = segmentRows(rows, [{ name: 'x' }, { name: 'y' }], { seed: 5 });
    expect(Array.from(a.assignments)).toEqual(Array.from(b.assignments));
  });

  it('names segments after their dominant traits', () => {
    const rng = createRng(6);
    const profiles: UserProfile[] = [];
    const truth: string[] = [];
    const base = (userId: string): UserProfile => ({
      userId,
      posts: 10,
      activeSpanDays: 30,
      postsPerDay: 0.3,
      hourEntropy: 2.5,
      engagementReceivedPerPost: 2,
      likesReceivedPerPost: 1.5,
      engagementsGiven: 30,
      engagementsGivenPerDay: 1,
      engagementsGivenByKind: { like: 30, reply: 0, repost: 0 },
      followers: 200,
      following: 200,
      followerRatio: 1,
      meanSentiment: 0.1,
      topicMix: {},
      nearDuplicateRatio: 0.02,
      urlRate: 0.2,
      hashtagsPerPost: 0.5,
      intervalCv: 1.5,
      rapidFireRatio: 0.05,
      botLikeness: 0.1,
    });
    const jitter = (x: number, s = 0.15) => Math.max(0, x * (1 + s * rng.normal()));
    // bots are a minority, as in real populations: names are relative to the whole population
    for (let i = 0; i < 100; i++) {
      const p = base(`u${i}`);
      const kind = i % 10 === 9 ? 2 : i % 2;
      if (kind === 0) {
        p.postsPerDay = jitter(12);
        p.engagementsGivenPerDay = jitter(0.2);
        p.hourEntropy = jitter(3);
        truth.push('broadcaster');
      } else if (kind === 1) {
        p.postsPerDay = jitter(0.05);
        p.engagementsGivenPerDay = jitter(15);
        p.engagementReceivedPerPost = jitter(0.5);
        truth.push('lurker');
      } else {
        p.postsPerDay = jitter(40);
        p.engagementsGivenPerDay = jitter(0.1);
        p.nearDuplicateRatio = Math.min(1, jitter(0.8, 0.05));
        p.botLikeness = Math.min(1, jitter(0.85, 0.05));
        p.hourEntropy = Math.min(4.58, jitter(4.4, 0.02));
        p.followerRatio = jitter(0.01);
        truth.push('bot');
      }
      p.meanSentiment = 0.1 + 0.05 * rng.normal();
      profiles.push(p);
    }
    const seg = segmentProfiles(profiles, { seed: 1 });
    expect(seg.k).toBe(3);
    expect(adjustedRandIndex(seg.assignments, truth)).toBeGreaterThan(0.9);
    const nameOf = (t: string) => seg.names[seg.assignments[truth.indexOf(t)]];
    expect(nameOf('bot')).toBe('likely bots');
    expect(nameOf('broadcaster')).toBe('prolific broadcasters');
    expect(nameOf('lurker')).toBe('engaged lurkers');
    const botSegment = seg.assignments[truth.indexOf('bot')];
    expect(seg.centroids[botSegment].postsPerDay).toBeGreaterThan(30); // original units, not z-scores
  });
});

describe('engagement prediction', () => {
  /**
   * Simulated users with a planted, learnable signal: a user engages more on their habitual
   * weekday and on the day after someone engaged with their posts. Activity counts alone (the
   * baselines) only see the average propensity.
   */
  function simulate(seed: number, users: number, days: number) {
    const rng = createRng(seed);
    const habit = Array.from({ length: users }, () => rng.int(7));
    const base = Array.from({ length: users }, () => -2.2 + 0.8 * rng.normal());
    const posts: { id: string; authorId: string; createdAt: string }[] = [];
    const engagements: { userId: string; postId: string; at: string }[] = [];
    let receivedYesterday = new Int32Array(users);
    let yesterdayPosts: { id: string; author: number }[] = [];
    const start = Date.UTC(2024, 0, 1);
    for (let day = 0; day < days; day++) {
      const receivedToday = new Int32Array(users);
      const todayPosts: { id: string; author: number }[] = [];
      const at = () => new Date(start + day * 86_400_000 + rng.int(86_400_000)).toISOString();
      for (let u = 0; u < users; u++) {
        if (rng.next() < 0.3) {
          const id = `p${day}-${u}`;
          posts.push({ id, authorId: `u${u}`, createdAt: at() });
          todayPosts.push({ id, author: u });
        }
        const logit = base[u] + (day % 7 === habit[u] ? 2.5 : 0) + (receivedYesterday[u] > 0 ? 1.8 : 0);
        if (yesterdayPosts.length > 0 && rng.next() < 1 / (1 + Math.exp(-logit))) {
          for (let k = 1 + rng.int(3); k > 0; k--) {
            const target = rng.pick(yesterdayPosts);
            engagements.push({ userId: `u${u}`, postId: target.id, at: at() });
            receivedToday[target.author]++;
          }
        }
      }
      receivedYesterday = receivedToday;
      yesterdayPosts = todayPosts;
    }
    return { posts, engagements };
  }

  it('beats the activity baselines where a signal is planted', () => {
    const { posts, engagements } = simulate(8, 250, 42);
    const activity = dailyActivity(posts, engagements);
    expect(activity.numDays).toBe(42);
    const { evaluation } = evaluateEngagementPrediction(activity, { testDays: 10 });
    expect(evaluation.testExamples).toBeGreaterThan(1000);
    expect(evaluation.auc).toBeGreaterThan(evaluation.baseline.recentActivity + 0.05);
    expect(evaluation.auc).toBeGreaterThan(evaluation.baseline.engagedYesterday + 0.05);
    expect(evaluation.coefficients.weekday_match).toBeGreaterThan(0);
    expect(Object.keys(evaluation.coefficients)).toEqual([...ENGAGEMENT_FEATURES]);
  });

  it('scores every active user for tomorrow', () => {
    const { posts, engagements } = simulate(3, 40, 15);
    const activity = dailyActivity(posts, engagements);
    const ex = engagementExamples(activity);
    const model = trainLogisticRegression(ex.x, ex.y, ex.n, ex.d);
    const next = predictNextDayEngagement(model, activity);
    expect(next.length).toBeGreaterThan(30);
    for (const r of next) {
      expect(r.probability).toBeGreaterThan(0);
      expect(r.probability).toBeLessThan(1);
    }
  });

  it('a stored artifact (JSON numbers) scores like the model it was written from, and refuses other features', () => {
    const { posts, engagements } = simulate(3, 40, 15);
    const activity = dailyActivity(posts, engagements);
    const ex = engagementExamples(activity);
    const model = trainLogisticRegression(ex.x, ex.y, ex.n, ex.d);
    const artifact = JSON.parse(
      JSON.stringify({ weights: [...model.weights], bias: model.bias, features: [...ENGAGEMENT_FEATURES], mean: [...model.mean], std: [...model.std] }),
    );
    const stored = engagementProbabilities(artifact, activity);
    const next = predictNextDayEngagement(model, activity);
    expect(stored.size).toBe(next.length);
    for (const r of next) expect(stored.get(r.userId)).toBeCloseTo(r.probability, 12);
    expect(() => engagementProbabilities({ ...artifact, features: [...ENGAGEMENT_FEATURES].reverse() }, activity)).toThrow(/trained on features/);
  });

  it('fits a logistic regression to separable-ish data and computes AUC with ties', () => {
    const rng = createRng(1);
    const n = 2000;
    const x = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x[i * 2] = rng.normal();
      x[i * 2 + 1] = rng.normal();
      y[i] = rng.next() < 1 / (1 + Math.exp(-(2 * x[i * 2] - 1 * x[i * 2 + 1] + 0.5))) ? 1 : 0;
    }
    const model = trainLogisticRegression(x, y, n, 2, { l2: 0 });
    // standardised weights ≈ true weights × feature std (≈ 1)
    expect(model.weights[0]).toBeGreaterThan(1.6);
    expect(model.weights[0]).toBeLessThan(2.4);
    expect(model.weights[1]).toBeLessThan(-0.7);
    expect(model.weights[1]).toBeGreaterThan(-1.3);
    expect(model.iterations).toBeLessThan(15);

    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([1, 1, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
    expect(auc([0.2, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBeCloseTo(0.875, 12);
    expect(auc([1, 2], [1, 1])).toBeNaN();
  });
});

describe('what the promotion gate needs from the user models', () => {
  it('standardises new rows the way the fit did: log1p where flagged, median for unknown values, clipped', () => {
    const st = { mean: [1, 0], std: [2, 1], median: [3, 0.5], clipZ: 3 };
    const x = standardizeRows(
      [
        [Math.E - 1, 10],
        [NaN, -0.5],
      ],
      [{ log: true }, {}],
      st,
    );
    // log1p(e − 1) = 1 → (1 − 1)/2 = 0; 10 → z = 10, clipped to 3; unknown → median 3 → (3 − 1)/2 = 1
    expect(Array.from(x)).toEqual([0, 3, 1, -0.5]);
    expect(Array.from(standardizeRows([[0, 10]], [{}, {}], { ...st, clipZ: undefined }))).toEqual([-0.5, 10]);
    expect(() => standardizeRows([[1]], [{}, {}], st)).toThrow(/1 values, expected 2/);
    expect(() => standardizeRows([[1, 2]], [{}, {}], { mean: [0], std: [1], median: [0] })).toThrow(/1 features/);
  });

  it('a fit’s own rows, standardised again, land on the segments the fit gave them', () => {
    const rng = createRng(4);
    const rows = Array.from({ length: 90 }, (_, i) => [10 * (i % 3) + rng.normal(), -5 * (i % 3) + rng.normal()]);
    const features = [{ name: 'a' }, { name: 'b' }];
    const seg = segmentRows(rows, features, { seed: 2 });
    expect(seg.k).toBe(3);
    const x = standardizeRows(rows, features, seg.standardization);
    expect(Array.from(nearestCentroids(x, rows.length, 2, seg.standardizedCentroids))).toEqual(Array.from(seg.assignments));
  });

  it('assigns to the nearest centroid, the first on ties', () => {
    const x = Float64Array.from([0, 0, 4, 4, 2, 2]);
    expect(
      Array.from(
        nearestCentroids(x, 3, 2, [
          [0, 0],
          [4, 4],
        ]),
      ),
    ).toEqual([0, 1, 0]);
    expect(() => nearestCentroids(x, 3, 2, [])).toThrow(/no centroids/);
    expect(() => nearestCentroids(x, 3, 2, [[1]])).toThrow(/1 coordinates/);
  });

  it('builds the activity-quantile baseline: k equal groups by posting + engagement given', () => {
    const features = [{ name: 'postsPerDay' }, { name: 'meanSentiment' }, { name: 'engagementsGivenPerDay' }];
    // activity = column 0 + column 2: 5, 1, 3, 0, 4, 2
    const x = Float64Array.from([5, 9, 0, 1, 9, 0, 1, 9, 2, 0, 9, 0, 2, 9, 2, 1, 9, 1]);
    expect(Array.from(activityQuantileSegments(x, 6, features, 3))).toEqual([2, 0, 1, 0, 2, 1]);
    expect(() => activityQuantileSegments(x, 6, [{ name: 'x' }, { name: 'y' }, { name: 'z' }], 3)).toThrow(/activity features/);
    expect(() => activityQuantileSegments(x, 6, features, 0)).toThrow(/k must be/);
  });

  it('scores a stored engagement model exactly as the trained one, and refuses other features', () => {
    const rng = createRng(8);
    const n = 200;
    const d = ENGAGEMENT_FEATURES.length;
    const x = Float64Array.from({ length: n * d }, () => rng.normal());
    const y = Array.from({ length: n }, (_, i) => (x[i * d] + 0.5 * rng.normal() > 0 ? 1 : 0));
    const model = trainLogisticRegression(x, y, n, d);
    const stored = JSON.parse(
      JSON.stringify({ weights: [...model.weights], bias: model.bias, mean: [...model.mean], std: [...model.std], features: [...ENGAGEMENT_FEATURES] }),
    );
    const a = model.predict(x, n);
    const b = logisticScorer(stored)(x, n);
    for (let i = 0; i < n; i++) expect(b[i]).toBeCloseTo(a[i], 12);
    expect(() => logisticScorer({ ...stored, features: ['given_1d'] })).toThrow(/trained on features given_1d/);
    expect(() => logisticScorer({ ...stored, features: undefined, weights: [1, 2] })).toThrow(/2 weights/);
  });

  it('scores any other model on the candidate’s own test days (the serving version’s figure)', () => {
    const rng = createRng(11);
    const users = Array.from({ length: 40 }, (_, u) => ({ id: `u${u}`, rate: u % 4 === 0 ? 0.9 : u % 4 === 1 ? 0.5 : 0.1 }));
    const posts = [{ id: 'p0', authorId: 'author', createdAt: '2026-01-01T10:00:00Z' }];
    const engagements: { userId: string; postId: string; at: string }[] = [];
    for (let day = 0; day < 21; day++) {
      for (const u of users) {
        if (day === 0 || rng.next() < u.rate) engagements.push({ userId: u.id, postId: 'p0', at: new Date(Date.UTC(2026, 0, 1 + day, 12)).toISOString() });
      }
    }
    const { model, evaluation } = evaluateEngagementPrediction(dailyActivity(posts, engagements), { testDays: 7 });
    // the candidate itself, scored through the same door, gets exactly its own figure
    expect(evaluation.aucOf((xs, n) => model.predict(xs, n))).toBe(evaluation.auc);
    // a constant scorer is chance; the inverted model is 1 − AUC
    expect(evaluation.aucOf((_, n) => new Float64Array(n).fill(0.3))).toBe(0.5);
    expect(evaluation.aucOf((xs, n) => model.predict(xs, n).map((p) => 1 - p))).toBeCloseTo(1 - evaluation.auc, 12);
    expect(evaluation.auc).toBeGreaterThan(0.7);
  });
});
