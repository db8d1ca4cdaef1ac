/**
 * Summarises V8 CPU profiles (.cpuprofile, as `node --cpu-prof` writes them) into where the time went:
 * self time per function and per area (a project folder, an npm package, Node internals, GC, idle).
 * `npm run bench -- --profile` profiles the end-to-end worker processes with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/paths';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
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
  if (file.startsWith('node:')) return file.split('/')[0];
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const rel = path.relative(projectRoot, file);
  return rel.startsWith('..') ? file : rel;
}

export function summarizeCpuProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    // Line numbers are those of tsx's transpiled output, so the file name is the useful part.
    const name = (functionName || '(anonymous)').slice(0, 60);
    const key = url ? `${name} (${path.basename(url)})` : name;
    const f = functions.get(key) ?? { area, us: 0 };
    f.us += us;
    functions.set(key, f);
  }
  const busy = total - idle;
  const seconds = (us: number) => Number((us / 1e6).toFixed(2));
  const share = (us: number) => Number((busy > 0 ? us / busy : 0).toFixed(3));
  return {
    file,
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

/** Every .cpuprofile in a folder, summarised. */
export function summarizeProfiles(dir: string, top = 15): ProfileSummary[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => summarizeCpuProfile(path.join(dir, f), top));
}
