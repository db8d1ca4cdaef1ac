/**
 * Summarises V8 CPU profiles (.cpuprofile, as `node --cpu-prof` writes them) into where the time went:
 * self time per function and per area (a project folder, an npm package, Node internals, GC, idle).
 * `npm run bench -- --profile` profiles the end-to-end worker processes with it.
 */
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../lib/paths';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** the profile's file, or for a thread profiled in slices, its first slice's */
  file: string;
  /** `main`, or the worker thread's id (`t3`) */
  thread: string;
  /** profiled wall time, idle included */
  totalSeconds: number;
  /** time the process was not idle */
  busySeconds: number;
  /** share of busy time per area, largest first */
  areas: Array<{ area: string; seconds: number; share: number }>;
  /** functions by self time, largest first */
  functions: Array<{ fn: string; area: string; seconds: number; share: number }>;
}

/** The part of the code a frame belongs to: `activities/preprocess.ts`, `npm:zod`, `node:zlib`, `(garbage collector)`. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  return areaOfFile(file);
}

function areaOfFile(file: string): string {
  if (file.startsWith('node:')) return file.split('/')[0];
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const rel = path.relative(projectRoot, file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * The source file a frame of a bundled file comes from, through the bundle's source map (`<file>.map`, as
 * workers/stageBundle.ts writes it): the stage threads run the bundle, and a profile names only it.
 */
function sourceFileOf(file: string, lineNumber: number, columnNumber: number, maps: Map<string, SourceMap | null>): string {
  if (!maps.has(file)) {
    let map: SourceMap | null = null;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
    } catch {
      // not a bundle: no map beside it
    }
    maps.set(file, map);
  }
  const entry = maps.get(file)?.findEntry(lineNumber, columnNumber) as { originalSource?: string } | undefined;
  if (!entry?.originalSource) return file;
  const src = entry.originalSource;
  return src.startsWith('file://') ? decodeURIComponent(new URL(src).pathname) : path.resolve(path.dirname(file), src);
}

/**
 * Self time per area and function, added up over one or more profiles of the same thread (a stage thread's slices).
 * @param files .cpuprofile files; the first names the summary
 */
export function summarizeCpuProfile(files: string | string[], top = 15): ProfileSummary {
  const list = typeof files === 'string' ? [files] : files;
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; us: number }>();
  const maps = new Map<string, SourceMap | null>();
  let total = 0;
  let idle = 0;
  for (const file of list) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
    for (const [id, us] of selfUs) {
      const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
      total += us;
      if (functionName === '(idle)') {
        idle += us;
        continue;
      }
      const source = url.startsWith('file://') ? sourceFileOf(decodeURIComponent(new URL(url).pathname), lineNumber, columnNumber, maps) : url;
      const area = source ? areaOfFile(source) : areaOf(url, functionName);
      areas.set(area, (areas.get(area) ?? 0) + us);
      // Line numbers are those of tsx's transpiled output or the bundle, so the file name is the useful part.
      const name = (functionName || '(anonymous)').slice(0, 60);
      const key = source ? `${name} (${path.basename(source)})` : name;
      const f = functions.get(key) ?? { area, us: 0 };
      f.us += us;
      functions.set(key, f);
    }
  }
  const file = list[0];
  const busy = total - idle;
  const seconds = (us: number) => Number((us / 1e6).toFixed(2));
  const share = (us: number) => Number((busy > 0 ? us / busy : 0).toFixed(3));
  return {
    file,
    thread: /-(t\d+)-\d+\.cpuprofile$/.exec(file)?.[1] ?? 'main',
    totalSeconds: seconds(total),
    busySeconds: seconds(busy),
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, seconds: seconds(us), share: share(us) })),
    functions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, f]) => ({ fn, area: f.area, seconds: seconds(f.us), share: share(f.us) })),
  };
}

/** Every thread profiled in a folder (bench/cpuProfileHook.mjs's files), summarised: a thread's slices added up. */
export function summarizeProfiles(dir: string, top = 15): ProfileSummary[] {
  if (!fs.existsSync(dir)) return [];
  const threads = new Map<string, string[]>();
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.cpuprofile'))
    .sort()) {
    const key = f.replace(/-\d+\.cpuprofile$|\.cpuprofile$/, '');
    threads.set(key, [...(threads.get(key) ?? []), path.join(dir, f)]);
  }
  return [...threads.values()].map((files) => summarizeCpuProfile(files, top));
}
