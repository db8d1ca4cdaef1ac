import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { onceForOutput } from '../lib/catalog';
import { inputDigest, readNdjson, writeNdjson } from '../lib/datasets';
import type { DatasetRef, Post } from '../lib/schema';
import { configuredDomainLexicon } from '../lib/domainLexicon';
import { extractFeatures, sentimentModelName, type FeaturedPost, type FeatureModels } from '../models/pipeline/features';
import { forEachSlice } from './heartbeat';
import { createServingModels } from './servingModels';


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

/**
 * The features stage of one partition: reads its clean posts, writes the features zone with the serving models.
 * A plain function (not only an activity) so that a worker thread can run it with deps of its own.
 */
export async function extractPartitionFeatures(
  deps: { store: ObjectStore; db: Db; serving: ReturnType<typeof createServingModels> },
  input: FeaturesInput,
): Promise<FeaturesResult> {
  const { store, db, serving } = deps;
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
}

export function createFeatureActivities(deps: { store: ObjectStore; db: Db }) {
  const serving = createServingModels(deps);
  return {
    extractFeatures: (input: FeaturesInput): Promise<FeaturesResult> => extractPartitionFeatures({ ...deps, serving }, input),
  };
}
