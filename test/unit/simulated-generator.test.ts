import { describe, expect, it } from 'vitest';
import { postSchema } from '../../lib/schema';
import { createPopulation, normalizeSimulationOptions, simulateDay, simulateNetwork } from '../../activities/collect/simulated/generator';

describe('simulated social network', () => {
  const sim = simulateNetwork({ seed: 3, users: 200, days: 5, postsPerDay: 300, endDate: '2026-11-10' });
  const posts = sim.days.flatMap((d) => d.posts);
  const truth = sim.days.flatMap((d) => d.truth);

  it('is deterministic in its seed and differs across seeds', () => {
    const again = simulateNetwork({ seed: 3, users: 200, days: 5, postsPerDay: 300, endDate: '2026-11-10' });
    expect(again.days.flatMap((d) => d.posts)).toEqual(posts);
    const other = simulateNetwork({ seed: 4, users: 200, days: 5, postsPerDay: 300, endDate: '2026-11-10' });
    expect(other.days[0].posts).not.toEqual(sim.days[0].posts);
  });

  it('generates one day alone exactly as inside a longer window', () => {
    const opts = normalizeSimulationOptions({ seed: 3, users: 200, days: 1, postsPerDay: 300, endDate: '2026-11-08' });
    const alone = simulateDay(opts, createPopulation(opts), '2026-11-08');
    expect(alone.posts).toEqual(sim.days.find((d) => d.date === '2026-11-08')!.posts);
  });

  it('plants bots, duplicates, malformed records and bursts, and records them in the truth', () => {
    expect(truth).toHaveLength(posts.length);
    const bots = truth.filter((t) => t.bot);
    expect(bots.length / truth.length).toBeGreaterThan(0.02);
    expect(truth.some((t) => t.duplicateDelivery)).toBe(true);
    const valid = posts.filter((p) => postSchema.safeParse(p).success).length;
    expect(posts.length - valid).toBe(truth.filter((t) => t.malformed).length);
    expect(sim.days.some((d) => d.bursts.length > 0)).toBe(true);
    // A bursting topic has clearly more posts that day than its average.
    const day = sim.days.find((d) => d.bursts.length > 0)!;
    const topic = day.bursts[0];
    const onDay = day.truth.filter((t) => t.topic === topic && !t.bot).length;
    const avg = truth.filter((t) => t.topic === topic && !t.bot).length / sim.days.length;
    expect(onDay).toBeGreaterThan(avg * 1.3);
  });

  it('gives users heavy-tailed followers and engagement driven by interests', () => {
    const followers = sim.users.map((u) => u.followers).sort((a, b) => b - a);
    const top = followers.slice(0, Math.ceil(followers.length / 10)).reduce((a, b) => a + b, 0);
    expect(top / followers.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.4); // top 10% hold > 40%
    const users = new Map(sim.users.map((u) => [u.id, u]));
    const topicOf = new Map(truth.map((t) => [t.id, t.topic]));
    const topics = ['climate', 'football', 'ai', 'music', 'food', 'travel', 'finance', 'gaming'];
    const engagements = sim.days.flatMap((d) => d.engagements);
    expect(engagements.length).toBeGreaterThan(posts.length);
    const interested = engagements.filter((e) => users.get(e.user_id)!.interests.includes(topics.indexOf(topicOf.get(e.post_id)!)));
    expect(interested.length).toBe(engagements.length);
  });

  it('writes hashtags, mentions, urls and emoji into the text', () => {
    const texts = posts.map((p) => String((p as { text: string }).text));
    expect(texts.some((t) => /#\w+/.test(t))).toBe(true);
    expect(texts.some((t) => /@\w+/.test(t))).toBe(true);
    expect(texts.some((t) => /https:\/\//.test(t))).toBe(true);
    expect(texts.some((t) => /\p{Extended_Pictographic}/u.test(t))).toBe(true);
  });
});
