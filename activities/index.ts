import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { createCatalogActivities } from './catalog';
import { createFileCollectActivities } from './collect/file';
import { createPlatformCollectActivities, type PlatformCollectInput } from './collect/platformActivities';
import { createSimulatedCollectActivities } from './collect/simulated/activity';
import type { CollectResult } from './collect/types';
import { recordDataset } from '../lib/catalog';
import { createFeatureActivities } from './features';
import { createInsightActivities } from './insights';
import { createProfileActivities } from './profiles';
import { createTrainingActivities } from './train';
import { createPreprocessActivities } from './preprocess';
import { createScoreActivities } from './score';
import { createStreamActivities } from './stream';

export interface ActivityDeps {
  store: ObjectStore;
  db: Db;
}

/** Platform collection, with its partitions entered in the catalog like every other source's. */
function createCatalogedPlatformActivities(deps: ActivityDeps) {
  const platform = createPlatformCollectActivities({ store: deps.store });
  return {
    async collectPlatform(input: PlatformCollectInput & { runKey: string }): Promise<CollectResult> {
      const { runKey, ...collectInput } = input;
      const result = await platform.collectPlatform(collectInput);
      for (const p of result.partitions) {
        if (p.raw) await recordDataset(deps.db, { ref: p.raw, stage: 'raw', source: result.source, date: p.date, runKey, meta: { query: result.query } });
        await recordDataset(deps.db, { ref: p.posts, stage: 'posts', source: result.source, date: p.date, runKey, inputs: p.raw ? [p.raw.uri] : [], meta: { query: result.query } });
      }
      if (result.quarantine) await recordDataset(deps.db, { ref: result.quarantine, stage: 'quarantine', source: result.source, runKey });
      return result;
    },
  };
}

/** I/O-bound activities: collection and the catalog. They run on the `socialsense` task queue. */
export function createIoActivities(deps: ActivityDeps) {
  return {
    ...createCatalogActivities(deps),
    ...createSimulatedCollectActivities(deps),
    ...createFileCollectActivities(deps),
    ...createCatalogedPlatformActivities(deps),
    ...createStreamActivities(deps),
  };
}

/** CPU-bound stages. They run on the `socialsense-ml` task queue, one slot per core. */
export function createMlActivities(deps: ActivityDeps) {
  return {
    ...createPreprocessActivities(deps),
    ...createFeatureActivities(deps),
    ...createScoreActivities(deps),
    ...createTrainingActivities(deps),
    ...createInsightActivities(deps),
    ...createProfileActivities(deps),
  };
}

export type IoActivities = ReturnType<typeof createIoActivities>;
export type MlActivities = ReturnType<typeof createMlActivities>;
