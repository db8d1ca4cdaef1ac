import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { onceForOutput } from '../lib/catalog';
import { inputDigest, readRecordChunks, writeRecords } from '../lib/datasets';
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
  // v4: the features zone is Parquet (lib/postColumns.ts); it reads a clean zone in either format.
  const digest = inputDigest({ stage: 'features.v4', input: input.clean.sha256, versions });
  const key = `features/source=${input.source}/date=${input.date}/${digest}.parquet`;
  return onceForOutput(db, store.uri(key), async () => {
    // Read, featured and written a chunk at a time: memory holds one chunk, not the partition.
    const ref = await writeRecords<FeaturedPost>(store, key, 'post-features.v1', async (write) => {
      for await (const chunk of readRecordChunks<Post>(store, input.clean)) {
        await forEachSlice(chunk, 2000, (slice) => write(extractFeatures(slice as Post[], models)));
      }
    });
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
