/**
 * A separable synthetic sentiment set for unit tests: each class has its own cue words, plus
 * shared filler words, shuffled by a seeded generator (so every call with a seed gives the same set).
 */
import type { SentimentLabel } from '../../lib/schema';
import { createRng } from '../../models/random';

export function syntheticSentiment(n: number, seed: number): { texts: string[]; labels: SentimentLabel[] } {
  const rng = createRng(seed);
  const cues: Record<SentimentLabel, string[]> = {
    negative: ['awful', 'terrible', 'hate', 'worst', 'broken'],
    neutral: ['table', 'schedule', 'meeting', 'report', 'tuesday'],
    positive: ['lovely', 'wonderful', 'amazing', 'fantastic', 'delight'],
  };
  const filler = ['the', 'a', 'today', 'we', 'it', 'was', 'that', 'and', 'our', 'team'];
  const labels: SentimentLabel[] = [];
  const texts: string[] = [];
  const classes: SentimentLabel[] = ['negative', 'neutral', 'positive'];
  for (let i = 0; i < n; i++) {
    const label = classes[i % 3];
    const words = [rng.pick(cues[label]), rng.pick(filler), rng.pick(filler), rng.pick(cues[label]), rng.pick(filler)];
    rng.shuffle(words);
    texts.push(words.join(' '));
    labels.push(label);
  }
  return { texts, labels };
}
