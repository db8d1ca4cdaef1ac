/**
 * The retrain's long computations (workflows/retrain.ts): each training activity and the insights activity read a
 * whole window and compute for up to minutes in one call, which on the worker's main thread held the event loop, so
 * they could not heartbeat and a worker that died during one was noticed only at the 1-hour start-to-close timeout.
 * With a stage pool they run on the worker's training pool (workers/worker.ts) and the activity heartbeats every 2 s
 * from the free main thread, as the partition stages do.
 */
import type { createTrainingActivities } from '../activities/train';
import type { createInsightActivities } from '../activities/insights';

type Training = ReturnType<typeof createTrainingActivities>;
type Insights = ReturnType<typeof createInsightActivities>;

/** The activities that run on the training pool, by name. */
export type TrainingActivities = Pick<Training, 'trainSentiment' | 'trainTopics' | 'trainRecommender' | 'trainUserModels'> & Pick<Insights, 'scoreInsights'>;
export type TrainingMethod = keyof TrainingActivities;

/** Every training-pool activity once (the type makes the list complete). */
const METHODS: Record<TrainingMethod, true> = { trainSentiment: true, trainTopics: true, trainRecommender: true, trainUserModels: true, scoreInsights: true };
export const TRAINING_METHODS = Object.keys(METHODS) as TrainingMethod[];

/** What a training-pool thread is sent: the activity's name and its input, as JSON. */
export interface TrainingTask {
  method: TrainingMethod;
  input: unknown;
}
