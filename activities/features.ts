import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { onceForOutput } from '../lib/catalog';
import { inputDigest, readNdjson, writeNdjson } from '../lib/datasets';
import type { DatasetRef, Post, SentimentLabel } from '../lib/schema';
import { forEachSlice } from './heartbeat';
import { scoreSentiment } from '../models/sentiment/lexicon';

export interface PostFeatures {
  sentiment: { compound: number; label: SentimentLabel; model: string };
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
}

export function extractFeatures(posts: Post[]): FeaturedPost[] {
  return posts.map((post) => {
    const s = scoreSentiment(post.text);
    return { ...post, features: { sentiment: { compound: s.compound, label: s.label, model: 'lexicon.v1' }, topic: null } };
  });
}

export function createFeatureActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    async extractFeatures(input: FeaturesInput): Promise<FeaturesResult> {
      const digest = inputDigest({ stage: 'features.v1', input: input.clean.sha256 });
      const key = `features/source=${input.source}/date=${input.date}/${digest}.ndjson.gz`;
      return onceForOutput(db, store.uri(key), async () => {
        const posts = await readNdjson<Post>(store, input.clean);
        const featured: FeaturedPost[] = [];
        await forEachSlice(posts, 2000, (slice) => void featured.push(...extractFeatures(slice as Post[])));
        const ref = await writeNdjson(store, key, featured, 'post-features.v1');
        return {
          result: { features: ref },
          record: { ref, stage: 'features', source: input.source, date: input.date, runKey: input.runKey, inputs: [input.clean.uri] },
        };
      });
    },
  };
}
