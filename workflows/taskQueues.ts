/** Workflows and I/O-bound activities (collection, catalog). */
export const IO_TASK_QUEUE = 'socialsense';

/**
 * CPU-bound activities (preprocess, features, training, scoring) go to `<queue>-ml`, one slot per core.
 * Workflows derive it from their own queue, so an isolated test queue stays isolated.
 */
export const mlQueueFor = (ioQueue: string): string => `${ioQueue}-ml`;
