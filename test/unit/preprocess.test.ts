import { describe, expect, it } from 'vitest';
import { precisionRecall } from '../../models/users/bots';
import { preprocessPosts, SPAM_CLUSTER_SIZE } from '../../activities/preprocess';
import { extractFeatures } from '../../activities/features';
import { simulateNetwork } from '../../activities/collect/simulated/generator';

describe('preprocess', () => {
  it('quarantines invalid records with their reason, drops re-delivered ids, and normalises text', () => {
    const good = { id: 'x:1', platform: 'x', author: { id: 'a', handle: 'a' }, text: 'Fish &amp; chips #Friday @Bob', created_at: '2026-11-20T10:00:00Z' };
    const { clean, quarantined, counts } = preprocessPosts([good, { ...good }, { ...good, id: 'bad id' }, { text: 'no fields' }]);
    expect(counts).toMatchObject({ in: 4, kept: 1, duplicates: 1, quarantined: 2 });
    expect(clean[0]).toMatchObject({ text: 'Fish & chips #Friday @Bob', hashtags: ['friday'], mentions: ['bob'] });
    expect(quarantined[0].reason).toMatch(/record 3 is not a valid post.v1: id: id must look like "platform:native_id"/);
    expect(quarantined[1].reason).toMatch(/record 4 .*created_at/);
  });

  it('filters spam campaigns of the simulated network with high precision and recall, every post accounted for', () => {
    const day = simulateNetwork({ days: 1, postsPerDay: 5000, seed: 21 }).days[0];
    const { clean, spam, quarantined, counts } = preprocessPosts(day.posts);
    expect(counts.in).toBe(counts.kept + counts.duplicates + counts.quarantined + counts.filteredSpam + counts.filteredLanguage);
    const bot = new Map(day.truth.map((t) => [t.id, t.bot]));
    const ids = [...clean.map((p) => p.id), ...spam.map((s) => s.post.id)];
    const predicted = ids.map((_, i) => i >= clean.length);
    const truth = ids.map((id) => bot.get(id)!);
    const pr = precisionRecall(predicted, truth);
    expect(pr.precision).toBeGreaterThan(0.95);
    expect(pr.recall).toBeGreaterThan(0.9);
    expect(spam[0].reason).toMatch(new RegExp(`near-duplicate of \\d+ other posts`));
    expect(SPAM_CLUSTER_SIZE).toBeGreaterThanOrEqual(3);
    expect(quarantined.length).toBe(day.truth.filter((t) => t.malformed).length);
  });

  it('scores sentiment with the lexicon when no trained model serves', () => {
    const [p] = preprocessPosts([{ id: 'x:1', platform: 'x', author: { id: 'a', handle: 'a' }, text: 'I love this so much!', created_at: '2026-11-20T10:00:00Z' }]).clean;
    const [f] = extractFeatures([p]);
    expect(f.features.sentiment).toMatchObject({ label: 'positive', model: 'lexicon.v1' });
    expect(f.features.topic).toBeNull();
  });
});
