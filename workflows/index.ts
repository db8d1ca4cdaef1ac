// The single workflowsPath: every workflow type the workers register.
export { collect } from './collect';
export { socialSensePipeline } from './pipeline';
export { backfill } from './backfill';
export { nightlyRetrain } from './retrain';
export { stream, streamWindow } from './stream';
