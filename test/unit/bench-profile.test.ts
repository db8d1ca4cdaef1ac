import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeProfiles } from '../../bench/profile';
import { projectRoot } from '../../lib/paths';

// A bundle beside its source map, as bin/bundle.mjs writes them: line 1 of the bundle comes from
// activities/preprocess.ts, line 2 from models/text/tokenize.ts ("AAAA;ACAA": the second line's segment moves to the
// next source).
// Under the project (so the sources resolve to its files) in its git-ignored scratch/ folder.
fs.mkdirSync(path.join(projectRoot, 'scratch'), { recursive: true });
const dir = fs.mkdtempSync(path.join(projectRoot, 'scratch', 'profile-'));
const bundle = path.join(dir, 'stage-thread-TEST.mjs');
fs.writeFileSync(bundle, 'function scan() {}\nfunction tok() {}\n');
fs.writeFileSync(
  `${bundle}.map`,
  JSON.stringify({ version: 3, sources: ['../../activities/preprocess.ts', '../../models/text/tokenize.ts'], names: [], mappings: 'AAAA;ACAA' }),
);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const url = pathToFileURL(bundle).href;
const frame = (id: number, functionName: string, at: string, lineNumber = 0) => ({ id, callFrame: { functionName, url: at, lineNumber, columnNumber: 0 } });
const nodes = [frame(1, '(root)', ''), frame(2, 'scan', url, 0), frame(3, 'tok', url, 1), frame(4, '(idle)', '')];
const write = (name: string, samples: number[], timeDeltas: number[]) => fs.writeFileSync(path.join(dir, name), JSON.stringify({ nodes, samples, timeDeltas }));

describe('bench --profile summaries', () => {
  it("adds up a stage thread's slices, maps bundled frames to their TypeScript files, and keeps the main thread apart", () => {
    // a stage thread profiled in two slices (its pool ends it without exit handlers), times in µs
    write('4242-t2-0000.cpuprofile', [2, 2, 3, 4], [100_000, 100_000, 50_000, 200_000]);
    write('4242-t2-0001.cpuprofile', [3, 3], [100_000, 100_000]);
    fs.writeFileSync(
      path.join(dir, '4242-main.cpuprofile'),
      JSON.stringify({ nodes: [frame(1, '(root)', ''), frame(2, 'poll', 'node:internal/timers')], samples: [2], timeDeltas: [300_000] }),
    );
    const [main, thread] = summarizeProfiles(dir);
    expect(main).toMatchObject({ thread: 'main', busySeconds: 0.3, areas: [{ area: 'node:internal', seconds: 0.3, share: 1 }] });
    expect(thread.thread).toBe('t2');
    expect(thread.file).toBe(path.join(dir, '4242-t2-0000.cpuprofile'));
    expect(thread.totalSeconds).toBe(0.65); // idle included
    expect(thread.busySeconds).toBe(0.45);
    expect(thread.areas).toEqual([
      { area: 'models/text/tokenize.ts', seconds: 0.25, share: 0.556 },
      { area: 'activities/preprocess.ts', seconds: 0.2, share: 0.444 },
    ]);
    expect(thread.functions).toEqual([
      { fn: 'tok (tokenize.ts)', area: 'models/text/tokenize.ts', seconds: 0.25, share: 0.556 },
      { fn: 'scan (preprocess.ts)', area: 'activities/preprocess.ts', seconds: 0.2, share: 0.444 },
    ]);
  });
});
