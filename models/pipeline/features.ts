/**
 * Per-post features, pure: sentiment (lexicon compound, classifier label) and topic. activities/features.ts
 * is the I/O around it.
 */
import type { Post, SentimentLabel } from '../../lib/schema';
import type { SentimentScorer } from '../sentiment/classifier';
import { canScoreSentimentOf } from '../sentiment/languages';
import { lexiconModelName, scoreSentiment, type DomainLexicon } from '../sentiment/lexicon';
import type { TopicModel } from '../topics/topicModel';
import { extractTerms, Vocabulary } from '../topics/terms';

export interface PostFeatures {
  /**
   * compound: the lexicon's score in [-1, 1]; label: the serving classifier's, else the lexicon's;
   * model: which of them labelled it. All three are null ("not scored") when the post's language
   * has no sentiment model (models/sentiment/languages.ts): no sentiment rather than a wrong one.
   */
  sentiment: { compound: number; label: SentimentLabel; model: string } | { compound: null; label: null; model: null };
  topic: number | null;
}
export type FeaturedPost = Post & { features: PostFeatures };

export interface FeatureModels {
  sentiment?: { version: number; model: SentimentScorer } | null;
  topics?: { version: number; model: TopicModel } | null;
  /** the user's domain lexicon (SOCIALSENSE_LEXICON), applied by the lexicon and named in the model */
  lexicon?: DomainLexicon | null;
}

/** The sentiment model name recorded with each score; a domain lexicon's digest is part of it. */
export function sentimentModelName(models: FeatureModels): string {
  if (!models.sentiment) return lexiconModelName(models.lexicon);
  return `classifier.v${models.sentiment.version}${models.lexicon ? `+domain.${models.lexicon.digest}` : ''}`;
}

/**
 * Sentiment (the lexicon's compound score always; the label from the trained classifier when one
 * serves, since it is the more accurate labeller) and the topic from the serving topic model.
 * A post whose `lang` (the platform's, or what preprocessing detected) has no sentiment model gets
 * null sentiment; an unknown `lang` is scored.
 */
export function extractFeatures(posts: Post[], models: FeatureModels = {}): FeaturedPost[] {
  const classifier = models.sentiment?.model;
  const topicModel = models.topics?.model;
  const vocabulary = topicModel?.terms ? new Vocabulary(topicModel.terms) : null;
  const sentimentModel = sentimentModelName(models);
  return posts.map((post) => {
    const topic = topicModel && vocabulary ? topicModel.assign(vocabulary.encode(extractTerms(post.text)), { iterations: 10, seed: 1 }) : null;
    if (!canScoreSentimentOf(post.text, post.lang)) return { ...post, features: { sentiment: { compound: null, label: null, model: null }, topic } };
    const lexicon = scoreSentiment(post.text, models.lexicon);
    const label = classifier ? classifier.predict(post.text).label : lexicon.label;
    return { ...post, features: { sentiment: { compound: lexicon.compound, label, model: sentimentModel }, topic } };
  });
}
