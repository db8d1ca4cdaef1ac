/**
 * The reference baseline for the lexicon: the vader-sentiment npm package (a port of Hutto &
 * Gilbert's VADER) with VADER's published cut-offs (compound >= 0.05 positive, <= -0.05 negative).
 * One definition, used by `eval sentiment`, the bench and the quality tests.
 */
// @ts-expect-error: vader-sentiment ships no type declarations
import vader from 'vader-sentiment';
import type { SentimentLabel } from '../../lib/schema';

/** VADER's compound score in [-1, 1] and its 3-class label. */
export function vaderSentiment(text: string): { compound: number; label: SentimentLabel } {
  const compound = vader.SentimentIntensityAnalyzer.polarity_scores(text).compound as number;
  return { compound, label: compound >= 0.05 ? 'positive' : compound <= -0.05 ? 'negative' : 'neutral' };
}
