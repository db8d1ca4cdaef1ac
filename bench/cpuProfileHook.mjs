// Preloaded into the end-to-end worker processes with NODE_OPTIONS=--import (which does not allow
// --cpu-prof), and so into each of their worker threads too: profiles every thread.
// - The main thread writes <dir>/<pid>-main.cpuprofile as the process exits.
// - A stage thread is ended by its pool (terminate), which runs no exit handler: it writes its profile in
//   slices instead, <dir>/<pid>-t<threadId>-<seq>.cpuprofile every few seconds, which bench/profile.ts adds up.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.SOCIALSENSE_CPU_PROFILE_DIR;
const SLICE_MS = 5000;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  fs.mkdirSync(dir, { recursive: true });
  const write = (name, profile) => fs.writeFileSync(path.join(dir, `${process.pid}-${name}.cpuprofile`), JSON.stringify(profile));
  if (isMainThread) {
    // A same-thread inspector session answers synchronously, so this completes inside the exit handler.
    process.on('exit', () => session.post('Profiler.stop', (err, result) => !err && write('main', result.profile)));
  } else {
    let seq = 0;
    setInterval(() => {
      session.post('Profiler.stop', (err, result) => {
        if (!err && result.profile.samples.length) write(`t${threadId}-${String(seq++).padStart(4, '0')}`, result.profile);
        session.post('Profiler.start');
      });
    }, SLICE_MS).unref();
  }
}
