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

/** Artifacts are immutable per (name, version), so a worker loads each serving version once. */
const cache = new Map<string, Promise<unknown>>();

async function load<T>(store: ObjectStore, m: ModelVersion, decode: (store: ObjectStore, m: ModelVersion) => Promise<T>): Promise<T> {
  const key = `${m.name}@${m.version}`;
  if (!cache.has(key))
    cache.set(
      key,
      decode(store, m).catch((err) => (cache.delete(key), Promise.reject(err))),
    );
  return cache.get(key) as Promise<T>;
}

// The artifact types live beside the models that apply them; re-exported for the training activity.
export type { EngagementArtifact, SegmentsArtifact };

export function createServingModels(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  const serving = async <T>(name: string, decode: (store: ObjectStore, m: ModelVersion) => Promise<T>) => {
    const m = await servingModel(db, name);
    return m ? { version: m.version, model: await load(store, m, decode) } : null;
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
