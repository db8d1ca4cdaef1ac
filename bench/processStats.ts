/**
 * CPU seconds and peak memory of processes, from /proc (Linux). On a 2-core machine the end-to-end
 * run shares the cores with Temporal, MinIO and Postgres, so where the CPU went says what limits it.
 * Elsewhere every figure is null rather than an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from '../lib/paths';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the project runs on

function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces: split after its closing parenthesis
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** user + system CPU seconds of a process; with `children`, also of its exited, reaped children. */
export function cpuSeconds(pid: number, children = false): number | null {
  const f = statFields(pid);
  if (!f) return null;
  // fields 14-17 of /proc/pid/stat (1-based) are utime, stime, cutime, cstime; f[0] is field 3
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

/** Peak resident set size (VmHWM) in MiB. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 && fs.existsSync(`/proc/${pid}`) ? pid : null;
  } catch {
    return null;
  }
}

function childPids(parent: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (f && Number(f[1]) === parent) out.push(Number(e));
  }
  return out;
}

export type ServiceName = 'temporal' | 'minio' | 'postgres';

/**
 * CPU seconds used so far by the local stack that scripts/services.sh started (pid files under
 * .data/). Postgres counts its postmaster, its live backends and the backends it has reaped.
 */
export function serviceCpuSeconds(): Record<ServiceName, number | null> {
  const run = path.join(dataDir(), 'run');
  const temporal = readPid(path.join(run, 'temporal.pid'));
  const minio = readPid(path.join(run, 'minio.pid'));
  const postmaster = readPid(path.join(dataDir(), 'postgres', 'postmaster.pid'));
  const sumChildren = (pid: number) => childPids(pid).reduce((s, c) => s + (cpuSeconds(c) ?? 0), 0);
  return {
    temporal: temporal === null ? null : (cpuSeconds(temporal, true) ?? 0) + sumChildren(temporal),
    minio: minio === null ? null : cpuSeconds(minio, true),
    postgres: postmaster === null ? null : (cpuSeconds(postmaster, true) ?? 0) + sumChildren(postmaster),
  };
}

/** CPU seconds of the whole machine (all processes, all cores) so far, from /proc/stat. */
export function machineCpuSeconds(): number | null {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    const n = fields.map(Number);
    return (n[0] + n[1] + n[2] + n[5] + n[6] + (n[7] ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resident set size now, in MiB. */
export function rssMb(pid: number): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Samples processes' RSS until stopped; reports each one's peak and when it happened (epoch ms). */
export function sampleRss(pids: number[], everyMs = 1000): { stop(): Array<{ pid: number; peakMb: number | null; atMs: number | null }> } {
  const peaks = pids.map((pid) => ({ pid, peakMb: null as number | null, atMs: null as number | null }));
  const timer = setInterval(() => {
    for (const p of peaks) {
      const mb = rssMb(p.pid);
      if (mb !== null && (p.peakMb === null || mb > p.peakMb)) {
        p.peakMb = mb;
        p.atMs = Date.now();
      }
    }
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return peaks;
    },
  };
}
