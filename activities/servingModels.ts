import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { readBinary, readJson } from '../lib/datasets';
import { servingModel, type ModelVersion } from '../lib/registry';
import type { SentimentScorer } from '../models/sentiment/classifier';
import { loadSentimentModel } from '../models/sentiment/neural';
import { loadTopicModel, type TopicModel } from '../models/topics/topicModel';
import { loadAls, type AlsModel } from '../models/recommend/als';
import type { EngagementArtifact } from '../models/users/engagement';
import type { SegmentsArtifact } from '../models/users/segments';

/**
 * The loaded serving models of this thread: one per model name, the version that served when it was last asked
 * for. A promotion replaces the entry, so the version it displaced is freed once no running task holds it; kept
 * by version, a long-lived worker held every version it had ever served (a nightly retraining adds one a day per
 * model, in every stage thread). Keyed by the artifact's URI, not the version number: two stacks served by one
 * process (tests, a demo beside a worker) each have their own `sentiment` v1.
 */
const loaded = new Map<string, { uri: string; model: Promise<unknown> }>();

/**
 * The model of serving version `m`, decoded on first use and kept until another version of `m.name` is asked for.
 * A failed decode is not kept: the next call tries again.
 */
export function loadServingModel<T>(store: ObjectStore, m: ModelVersion, decode: (store: ObjectStore, m: ModelVersion) => Promise<T>): Promise<T> {
  const hit = loaded.get(m.name);
  if (hit?.uri === m.artifactUri) return hit.model as Promise<T>;
  const entry = {
    uri: m.artifactUri,
    model: decode(store, m).catch((err: unknown) => {
      if (loaded.get(m.name) === entry) loaded.delete(m.name);
      throw err;
    }),
  };
  loaded.set(m.name, entry);
  return entry.model;
}

// The artifact types live beside the models that apply them; re-exported for the training activity.
export type { EngagementArtifact, SegmentsArtifact };

export function createServingModels(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  const serving = async <T>(name: string, decode: (store: ObjectStore, m: ModelVersion) => Promise<T>) => {
    const m = await servingModel(db, name);
    return m ? { version: m.version, model: await loadServingModel(store, m, decode) } : null;
  };
  return {
    // a sentiment version is a linear classifier or a neural challenger: the loader tells them apart
    sentiment: () => serving<SentimentScorer>('sentiment', async (s, m) => loadSentimentModel(await readBinary(s, { uri: m.artifactUri }))),
    topics: () => serving<TopicModel>('topics', async (s, m) => loadTopicModel(await readBinary(s, { uri: m.artifactUri }))),
    recommender: () => serving<AlsModel>('recommender', async (s, m) => loadAls(await readBinary(s, { uri: m.artifactUri }))),
    segments: () => serving<SegmentsArtifact>('segments', (s, m) => readJson(s, { uri: m.artifactUri })),
    engagement: () => serving<EngagementArtifact>('engagement', (s, m) => readJson(s, { uri: m.artifactUri })),
  };
}

export type ServingModels = ReturnType<typeof createServingModels>;
