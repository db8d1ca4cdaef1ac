// Entry of the stage pool's worker threads (workers/threadPool.ts). The pool hands each thread, as piscina's
// workerData, the file URL of the stages bundled as plain JavaScript (bin/bundle.mjs); where no bundle
// could be written (a read-only install) the thread registers tsx and loads the TypeScript itself, since a thread
// does not inherit the loader that bin/socialsense.mjs (or vitest) registered in the main thread.
// No top-level await, and the stages are imported on the first task: piscina first loads the entry with
// require(), which Node 20 can do for an ES module without top-level await; with one, that attempt fails
// after loading everything and piscina loads it again through import() (measured, two idle threads:
// process RSS 272 MiB that way, 113 MiB this way; ~330 MiB either way once each thread ran a task).
import { workerData } from 'piscina';

const bundle = workerData?.bundle ?? null;
// No Node source maps in a bundled thread, as in the main thread (bin/socialsense.mjs): its stacks name the bundle.
let stage;

/** Without a bundle, tsx is loaded (only then: a bundled thread never loads it) and registered before the stages. */
async function loadThroughTsx() {
  (await import('tsx/esm/api')).register();
  return import('./stageThread.ts');
}

export default async function runStageTask(task) {
  stage ??= bundle ? import(bundle) : loadThroughTsx();
  let stages;
  try {
    stages = await stage;
  } catch (err) {
    stage = undefined; // the next task tries again
    // A bundle file removed under a running worker would fail every retry the same way: say what fixes it, once.
    // (The shape of an ApplicationFailure's outcome, as stageThread.ts describeError sends it.)
    if (bundle && err?.code === 'ERR_MODULE_NOT_FOUND')
      return {
        error: {
          message: `the stage threads' bundle cannot be loaded (${err.message}): restart the worker, which bundles its code again (bin/bundle.mjs), or set SOCIALSENSE_NO_BUNDLE=1`,
          stack: err.stack ?? null,
          name: 'Error',
          type: 'ConfigError',
          nonRetryable: true,
        },
      };
    throw err;
  }
  return stages.default(task);
}
