import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { onceForOutput } from '../lib/catalog';
import { inputDigest, readNdjson, writeNdjson } from '../lib/datasets';
import type { DatasetRef, Post, SentimentLabel } from '../lib/schema';
import type { SentimentScorer } from '../models/sentiment/classifier';
import { canScoreSentiment } from '../models/sentiment/languages';
import { lexiconModelName, scoreSentiment, type DomainLexicon } from '../models/sentiment/lexicon';
import { configuredDomainLexicon } from '../lib/domainLexicon';
import type { TopicModel } from '../models/topics/lda';
import { extractTerms, Vocabulary } from '../models/topics/terms';
import { forEachSlice } from './heartbeat';
import { createServingModels } from './servingModels';

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

export interface FeaturesInput {
  runKey: string;
  source: string;
  date: string;
  clean: DatasetRef;
}

export interface FeaturesResult {
  features: DatasetRef;
  models: { sentiment: string; topics: string | null };
}

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
    if (!canScoreSentiment(post.lang)) return { ...post, features: { sentiment: { compound: null, label: null, model: null }, topic } };
    const lexicon = scoreSentiment(post.text, models.lexicon);
    const label = classifier ? classifier.predict(post.text).label : lexicon.label;
    return { ...post, features: { sentiment: { compound: lexicon.compound, label, model: sentimentModel }, topic } };
  });
}

export function createFeatureActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  const serving = createServingModels(deps);
  return {
    async extractFeatures(input: FeaturesInput): Promise<FeaturesResult> {
      const models: FeatureModels = { sentiment: await serving.sentiment(), topics: await serving.topics(), lexicon: configuredDomainLexicon() };
      const versions = { sentiment: sentimentModelName(models), topics: models.topics ? `topics.v${models.topics.version}` : null };
      // The serving versions are part of the key: after a promotion the same posts are scored anew.
      // v3: posts in languages without a sentiment model are no longer scored (null sentiment).
      const digest = inputDigest({ stage: 'features.v3', input: input.clean.sha256, versions });
      const key = `features/source=${input.source}/date=${input.date}/${digest}.ndjson.gz`;
      return onceForOutput(db, store.uri(key), async () => {
        const posts = await readNdjson<Post>(store, input.clean);
        const featured: FeaturedPost[] = [];
        await forEachSlice(posts, 2000, (slice) => void featured.push(...extractFeatures(slice as Post[], models)));
        const ref = await writeNdjson(store, key, featured, 'post-features.v1');
        return {
          result: { features: ref, models: versions },
          record: { ref, stage: 'features', source: input.source, date: input.date, runKey: input.runKey, inputs: [input.clean.uri], meta: { models: versions } },
        };
      });
    },
  };
}
