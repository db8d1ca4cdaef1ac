import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { createCatalogActivities } from './catalog';
import { createFileCollectActivities } from './collect/file';
import { createSimulatedCollectActivities } from './collect/simulated/activity';
import { createFeatureActivities } from './features';
import { createPreprocessActivities } from './preprocess';
import { createScoreActivities } from './score';

export interface ActivityDeps {
  store: ObjectStore;
  db: Db;
}

/** I/O-bound activities: collection and the catalog. They run on the `socialsense` task queue. */
export function createIoActivities(deps: ActivityDeps) {
  return {
    ...createCatalogActivities(deps),
    ...createSimulatedCollectActivities(deps),
    ...createFileCollectActivities(deps),
  };
}

/** CPU-bound stages. They run on the `socialsense-ml` task queue, one slot per core. */
export function createMlActivities(deps: ActivityDeps) {
  return {
    ...createPreprocessActivities(deps),
    ...createFeatureActivities(deps),
    ...createScoreActivities(deps),
  };
}

export type IoActivities = ReturnType<typeof createIoActivities>;
export type MlActivities = ReturnType<typeof createMlActivities>;
