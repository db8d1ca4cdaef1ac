import type { Db } from '../../../lib/db';
import type { ObjectStore } from '../../../lib/objectStore';
import { recordDataset } from '../../../lib/catalog';
import { inputDigest, writeNdjson } from '../../../lib/datasets';
import type { DatasetRef } from '../../../lib/schema';
import { heartbeat } from '../../heartbeat';
import { partitionKey, type CollectResult, type CollectedPartition } from '../types';
import { createPopulation, normalizeSimulationOptions, simulateDay, simulationDates, type SimulationOptions } from './generator';

export interface SimulatedCollectInput extends SimulationOptions {
  runKey: string;
}

function splitRaw(records: Array<Record<string, unknown>>): { posts: unknown[]; raw: unknown[] } {
  const posts: unknown[] = [];
  const raw: unknown[] = [];
  for (const { raw: r, ...post } of records) {
    posts.push(post);
    raw.push(r ?? null);
  }
  return { posts, raw };
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
        const day = simulateDay(opts, users, date);
        const { posts, raw } = splitRaw(day.posts as Array<Record<string, unknown>>);
        count += posts.length;
        const rawRef = await writeNdjson(store, partitionKey('raw', 'simulated', null, date, digest), raw, 'simulated.raw.v1');
        const postsRef = await writeNdjson(store, partitionKey('posts', 'simulated', null, date, digest), posts, 'post.v1');
        const engRef = await writeNdjson(store, `engagements/source=simulated/date=${date}/${digest}.ndjson.gz`, day.engagements, 'engagement.v1');
        const truthRef = await writeNdjson(
          store,
          `truth/source=simulated/date=${date}/${digest}.ndjson.gz`,
          day.truth.map((t) => ({ ...t, burstingTopics: day.bursts })),
          'simulated.truth.v1',
        );
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
