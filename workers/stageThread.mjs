// Entry of the stage pool's worker threads (workers/threadPool.ts). The project runs TypeScript through
// tsx without a build step; a thread does not inherit the loader that bin/socialsense.mjs (or vitest)
// registered in the main thread, so it registers tsx itself, like bench/throughput.ts's threads.
// No top-level await, and the stages are imported on the first task: piscina first loads the entry with
// require(), which Node 20 can do for an ES module without top-level await; with one, that attempt fails
// after loading everything and piscina loads it again through import() (measured, two idle threads:
// process RSS 272 MiB that way, 113 MiB this way; ~330 MiB either way once each thread ran a task).
import { register } from 'tsx/esm/api';

register();
let stage;

export default async function runStageTask(task) {
  stage ??= import('./stageThread.ts');
  return (await stage).default(task);
}
