import type { Db } from '../../../lib/db';
import type { ObjectStore } from '../../../lib/objectStore';
import { recordDataset } from '../../../lib/catalog';
import { inputDigest, openRecordWriter, writeNdjson } from '../../../lib/datasets';
import type { DatasetRef } from '../../../lib/schema';
import { heartbeat } from '../../heartbeat';
import { partitionKey, type CollectResult, type CollectedPartition } from '../types';
import {
  burstingTopics,
  createPopulation,
  normalizeSimulationOptions,
  simulatedPosts,
  simulationDates,
  type SimulatedPost,
  type SimulationOptions,
} from './generator';

export interface SimulatedCollectInput extends SimulationOptions {
  runKey: string;
}

/** Posts written per batch: what the day's four writers hold at a time, whatever the day's size. */
const WRITE_BATCH = 5_000;

/**
 * Writes one simulated day as it is generated: its posts (without `raw`), their platform records (`raw`, line for
 * line), its engagements and its truth, each a streaming NDJSON writer (lib/datasets openRecordWriter). A 200k-post
 * day held whole cost the worker over a GiB.
 */
async function writeSimulatedDay(
  store: ObjectStore,
  keys: Record<'raw' | 'posts' | 'engagements' | 'truth', string>,
  day: Iterable<SimulatedPost>,
  bursts: string[],
) {
  const writers = {
    raw: openRecordWriter<unknown>(store, keys.raw, 'simulated.raw.v1'),
    posts: openRecordWriter<unknown>(store, keys.posts, 'post.v1'),
    engagements: openRecordWriter<unknown>(store, keys.engagements, 'engagement.v1'),
    truth: openRecordWriter<unknown>(store, keys.truth, 'simulated.truth.v1'),
  };
  const batch = { raw: [] as unknown[], posts: [] as unknown[], engagements: [] as unknown[], truth: [] as unknown[] };
  const flush = async () => {
    for (const name of ['raw', 'posts', 'engagements', 'truth'] as const) {
      if (batch[name].length > 0) await writers[name].write(batch[name]);
      batch[name] = [];
    }
  };
  try {
    for (const p of day) {
      for (const { raw, ...post } of p.posts as Array<Record<string, unknown>>) {
        batch.posts.push(post);
        batch.raw.push(raw ?? null);
      }
      for (const t of p.truth) batch.truth.push({ ...t, burstingTopics: bursts });
      for (const e of p.engagements) batch.engagements.push(e);
      if (batch.posts.length >= WRITE_BATCH) {
        await flush();
        heartbeat();
      }
    }
    await flush();
    return {
      raw: await writers.raw.close(),
      posts: await writers.posts.close(),
      engagements: await writers.engagements.close(),
      truth: await writers.truth.close(),
    };
  } catch (err) {
    await Promise.all(Object.values(writers).map((w) => w.abort(err as Error)));
    throw err;
  }
}

export function createSimulatedCollectActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /** Generates the simulated network for a window of days and stores one partition per day. */
    async collectSimulated(input: SimulatedCollectInput): Promise<CollectResult> {
      const opts = normalizeSimulationOptions(input);
      const digest = inputDigest({ generator: 'simulated.v1', ...opts });
      const users = createPopulation(opts);
      const partitions: CollectedPartition[] = [];
      const engagementRefs: DatasetRef[] = [];
      const truthRefs: DatasetRef[] = [];
      let count = 0;
      for (const date of simulationDates(opts)) {
        heartbeat({ date });
        const written = await writeSimulatedDay(
          store,
          {
            raw: partitionKey('raw', 'simulated', null, date, digest),
            posts: partitionKey('posts', 'simulated', null, date, digest),
            engagements: `engagements/source=simulated/date=${date}/${digest}.ndjson.gz`,
            truth: `truth/source=simulated/date=${date}/${digest}.ndjson.gz`,
          },
          simulatedPosts(opts, users, date),
          burstingTopics(opts.seed, date),
        );
        const { raw: rawRef, posts: postsRef, engagements: engRef, truth: truthRef } = written;
        count += postsRef.records;
        for (const [ref, stage] of [
          [rawRef, 'raw'],
          [postsRef, 'posts'],
          [engRef, 'engagements'],
          [truthRef, 'truth'],
        ] as const) {
          await recordDataset(db, { ref, stage, source: 'simulated', date, runKey: input.runKey, meta: { seed: opts.seed } });
        }
        partitions.push({ date, posts: postsRef, raw: rawRef });
        engagementRefs.push(engRef);
        truthRefs.push(truthRef);
      }
      const usersRef = await writeNdjson(store, `truth/source=simulated/users/${digest}.ndjson.gz`, users, 'simulated.users.v1');
      await recordDataset(db, { ref: usersRef, stage: 'truth', source: 'simulated', runKey: input.runKey });
      return {
        source: 'simulated',
        query: null,
        partitions,
        quarantine: null,
        counts: { in: count, quarantined: 0 },
        extras: {
          users: usersRef,
          ...Object.fromEntries(engagementRefs.map((r, i) => [`engagements:${partitions[i].date}`, r])),
          ...Object.fromEntries(truthRefs.map((r, i) => [`truth:${partitions[i].date}`, r])),
        },
      };
    },
  };
}
