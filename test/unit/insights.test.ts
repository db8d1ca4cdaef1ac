import { describe, expect, it } from 'vitest';
import { createAuthorRecommender } from '../../models/recommend/authors';
import { volumeTrends } from '../../models/trends/termTrends';
import { poissonQuantile } from '../../models/trends/countTail';
import { nearestSegment, SEGMENT_FEATURES } from '../../models/users/segments';
import type { UserProfile } from '../../models/users/profile';
import type { FeaturedPost } from '../../models/pipeline/features';
import type { Engagement } from '../../lib/schema';
import { csrFromTriples, trainAls } from '../../models/recommend/als';

const post = (id: string, author: string, text: string): FeaturedPost =>
  ({
    id,
    author: { id: author, handle: author, followers: 1, created_at: null },
    text,
    created_at: '2026-11-20T10:00:00Z',
    hashtags: [],
    mentions: [],
    urls: [],
    platform: 'x',
    lang: 'en',
    url: null,
    reply_to: null,
    repost_of: null,
    metrics: { likes: 0, reposts: 0, replies: 0, views: null },
    features: { sentiment: { compound: 0, label: 'neutral', model: 'lexicon.v1' }, topic: null },
  }) as FeaturedPost;

describe('author recommendations', () => {
  const posts = [
    post('x:1', 'chef', 'pasta recipe with garlic and basil'),
    post('x:2', 'baker', 'sourdough bread recipe and garlic butter'),
    post('x:3', 'striker', 'late goal wins the derby match'),
    post('x:4', 'keeper', 'penalty saved in the derby match'),
    post('x:5', 'newcook', 'my first basil pasta recipe tonight'),
  ];
  const engagements: Engagement[] = [
    { user_id: 'fan', post_id: 'x:3', kind: 'like', at: '2026-11-20T11:00:00Z' },
    { user_id: 'fan', post_id: 'x:4', kind: 'like', at: '2026-11-20T11:00:00Z' },
    { user_id: 'foodie', post_id: 'x:1', kind: 'like', at: '2026-11-20T11:00:00Z' },
    { user_id: 'other', post_id: 'x:3', kind: 'repost', at: '2026-11-20T11:00:00Z' },
  ];

  it('recommends by content to a new user who only posts, by popularity to a stranger', () => {
    const recommend = createAuthorRecommender(null, posts, engagements);
    const forCook = recommend('newcook', 2);
    expect(forCook.map((r) => r.item)).toEqual(['chef', 'baker']);
    expect(forCook[0].kind).toBe('author (similar content)');
    const forStranger = recommend('nobody', 2);
    expect(forStranger).toEqual([
      { item: 'striker', kind: 'author (popular)', score: 2 },
      { item: 'chef', kind: 'author (popular)', score: 1 },
    ]);
  });

  it('blends the CF model with content for users it knows, never recommending what they already follow', () => {
    const users = ['fan', 'foodie', 'other'];
    const items = ['chef', 'baker', 'striker', 'keeper'];
    const csr = csrFromTriples(users.length, items.length, [0, 0, 1, 2], [2, 3, 0, 2], [1, 1, 1, 1]);
    const als = trainAls(csr, { factors: 2, iterations: 5, seed: 1, userIds: users, itemIds: items });
    const recommend = createAuthorRecommender(als, posts, engagements);
    const forFoodie = recommend('foodie', 3);
    expect(forFoodie[0]).toMatchObject({ item: 'baker', kind: 'author' }); // reads like the chef they like
    expect(forFoodie.map((r) => r.item)).not.toContain('chef');
  });
});

describe('hashtag trends over days that were not collected', () => {
  const DAY = Date.UTC(2026, 10, 1);
  const H = 3_600_000;
  /** `perHour(day, hour)` posts tagged #news each hour of each day in `days`, plus 6 posts tagged #rare on day 1 */
  const window = (days: number[], perHour: (day: number, hour: number) => number) => {
    const posts: FeaturedPost[] = [];
    for (const d of days) {
      for (let h = 0; h < 24; h++) {
        for (let k = 0; k < perHour(d, h); k++) {
          const p = post(`x:${d}-${h}-${k}`, `u${k}`, 'breaking news update');
          posts.push({ ...p, created_at: new Date(DAY + d * 24 * H + h * H + k * 1000).toISOString(), hashtags: ['news'] });
        }
      }
    }
    for (let k = 0; k < 6; k++)
      posts.push({ ...post(`x:rare-${k}`, 'r', 'rare'), created_at: new Date(DAY + 24 * H + 10 * H + k).toISOString(), hashtags: ['rare'] });
    return posts;
  };
  const steady = (_: number, h: number) => 20 + ((h * 7) % 5) + (h >= 12 && h < 20 ? 10 : 0);
  const day = (d: number) => new Date(DAY + d * 24 * H).toISOString().slice(0, 10);
  const collected = [0, 1, 2, 3, 7, 8]; // days 4, 5 and 6: the collector was down

  it('gives missing days no row and raises no trend when volume returns to normal after them', () => {
    const rows = volumeTrends(window(collected, steady), 5, collected.map(day));
    const news = rows.filter((r) => r.term === 'news');
    expect(news.map((r) => r.day)).toEqual(collected.map(day));
    expect(news.filter((r) => r.flag)).toEqual([]);
    expect(news.find((r) => r.day === day(7))!.volume).toBe(Array.from({ length: 24 }, (_, h) => steady(7, h)).reduce((a, b) => a + b, 0));
    // the forecast for the day after the outage did not learn three days of zeros
    const after = news.find((r) => r.day === day(7))!;
    expect(after.forecast).not.toBeNull();
    expect(Math.abs(after.forecast! - after.volume) / after.volume).toBeLessThan(0.1);
    // a collected day without the hashtag is a real zero; an uncollected one has no row
    expect(rows.filter((r) => r.term === 'rare').map((r) => [r.day, r.volume])).toEqual(collected.map((d) => [day(d), d === 1 ? 6 : 0]));
  });

  it('the same days declared collected but empty are real zeros', () => {
    const all = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const rows = volumeTrends(window(collected, steady), 5, all.map(day)).filter((r) => r.term === 'news');
    expect(rows.map((r) => [r.day, r.volume]).filter(([, v]) => v === 0)).toEqual([4, 5, 6].map((d) => [day(d), 0]));
    // three days of real silence, then the usual volume: that return is a surge against what was seen
    expect(rows.find((r) => r.day === day(7))!.flag).toBe(true);
  });

  it('a burst after days of silence gets a forecast band at least as wide as Poisson noise, not zero width', () => {
    // #blackfriday: nothing on days 0–2 (collected: #news was there), then 200 posts between 09:00 and 13:00 on day 3
    const days = [0, 1, 2, 3];
    const posts = window(days, steady);
    for (let k = 0; k < 200; k++)
      posts.push({
        ...post(`x:bf-${k}`, `b${k}`, 'deals'),
        created_at: new Date(DAY + 3 * 24 * H + 9 * H + k * 70_000).toISOString(),
        hashtags: ['blackfriday'],
      });
    const bf = volumeTrends(posts, 5, days.map(day)).filter((r) => r.term === 'blackfriday');
    const burst = bf.find((r) => r.day === day(3))!;
    expect(burst).toMatchObject({ volume: 200, flag: true });
    // the hourly forecast catches up within the day; its band was fitted on two days of zeros (no error at all)
    expect(burst.forecast).toBeGreaterThan(1);
    expect(burst.low!).toBeLessThanOrEqual(poissonQuantile(0.05, burst.forecast!));
    expect(burst.high!).toBeGreaterThanOrEqual(poissonQuantile(0.95, burst.forecast!));
    expect(burst.high! - burst.low!).toBeGreaterThan(0);
    // a series whose own errors are wider keeps its band: #news's day 3 band contains its Poisson range
    const news = volumeTrends(posts, 5, days.map(day)).find((r) => r.term === 'news' && r.day === day(3))!;
    expect(news.low!).toBeLessThanOrEqual(poissonQuantile(0.05, news.forecast!));
    expect(news.high!).toBeGreaterThanOrEqual(poissonQuantile(0.95, news.forecast!));
  });

  it('a real surge on the first day after the outage is still a trend', () => {
    const surge = (d: number, h: number) => steady(d, h) * (d === 7 && h >= 10 && h < 16 ? 6 : 1);
    const rows = volumeTrends(window(collected, surge), 5, collected.map(day)).filter((r) => r.term === 'news');
    expect(rows.filter((r) => r.flag).map((r) => r.day)).toEqual([day(7)]);
  });
});

describe('nearestSegment (serving) assigns like the fit and the promotion gate', () => {
  // 8 features, all non-log except the first four (log1p); mean 0, std 1 in transformed units.
  const d = SEGMENT_FEATURES.length;
  const base = { features: SEGMENT_FEATURES.map((f) => f.name), mean: new Array(d).fill(0), std: new Array(d).fill(1), names: ['calm', 'bots'] };
  // Segment 0 sits at the origin; segment 1 at +2.5 on bot-likeness only.
  const botIndex = SEGMENT_FEATURES.findIndex((f) => f.name === 'botLikeness');
  const centroids = [new Array(d).fill(0), SEGMENT_FEATURES.map((_, i) => (i === botIndex ? 2.5 : 0))];
  const profile = (botLikeness: number | null) =>
    ({
      postsPerDay: 0,
      engagementReceivedPerPost: 0,
      engagementsGivenPerDay: 0,
      followerRatio: 0,
      hourEntropy: 0,
      nearDuplicateRatio: 0,
      meanSentiment: 0,
      botLikeness,
    }) as unknown as UserProfile;

  it('clips z-scores to ±clipZ: an extreme user is no further than the clip', () => {
    // Unclipped, z = 100 is nearest to segment 1 as well; with clipZ 1 it sits at 1, nearer the origin (1 < 1.5).
    expect(nearestSegment({ ...base, centroids }, profile(100))).toBe(1);
    expect(nearestSegment({ ...base, centroids, clipZ: 1 }, profile(100))).toBe(0);
  });

  it("imputes an unknown value with the fit's median, not the mean", () => {
    const median = SEGMENT_FEATURES.map((_, i) => (i === botIndex ? 2 : 0));
    expect(nearestSegment({ ...base, centroids }, profile(null))).toBe(0); // old artifacts: no median, the mean (0)
    expect(nearestSegment({ ...base, centroids, median }, profile(null))).toBe(1); // median 2 is nearer 2.5
  });
});
