/**
 * Temporary directories named after the process that made them, `<prefix>-<pid>-<random>`, so the ones a killed
 * process left behind can be told from those in use. Used for the stage pool's per-task directories
 * (workers/threadPool.ts) and the import's spill folders (activities/collect/fileStream.ts), both under the data
 * dir's `tmp/`, where an import's spill can be hundreds of MB.
 *
 * A process killed without clean-up (SIGKILL, a crash, the machine) runs no `finally`; the next directory made under
 * the same root sweeps the directories of processes that are gone. Directories of live processes (other workers
 * sharing the data dir) are left alone. A directory named with this process's own pid is an orphan unless this
 * process is using it: a restarted container often gets the pid its predecessor had. So a root is assumed to be one
 * machine's (the data dir is local state).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { processIsAlive } from './pidLock';

/** Directories this process made and has not removed yet (a process can run several pools and imports: tests do). */
const inUse = new Set<string>();

const NAME = /^([A-Za-z][A-Za-z0-9]*)-(\d+)-[^/]+$/;

/**
 * Removes the directories under `root` named `<prefix>-<pid>-*`, for one of `prefixes`, whose process is gone.
 * Other entries (other prefixes, files, names without a pid) are left alone.
 * @returns the names removed, in directory order
 */
export function removeOrphanedTempDirs(root: string, prefixes: readonly string[]): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return []; // no root yet
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m || !prefixes.includes(m[1])) continue;
    const dir = path.join(root, name);
    const pid = Number(m[2]);
    if (pid === process.pid ? inUse.has(dir) : processIsAlive(pid)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Makes `<root>/<prefix>-<pid>-<random>` (and `root` if needed), first sweeping the orphans of the same prefix.
 * @param prefix letters and digits, starting with a letter (it is what the sweep matches)
 * @returns the directory's path; remove it with removeProcessTempDir
 * @throws RangeError for a prefix the sweep could not recognise; the file system's error when `root` cannot be made
 */
export function makeProcessTempDir(root: string, prefix: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(prefix)) throw new RangeError(`a temp dir prefix is letters and digits starting with a letter, got "${prefix}"`);
  fs.mkdirSync(root, { recursive: true });
  removeOrphanedTempDirs(root, [prefix]);
  const dir = fs.mkdtempSync(path.join(root, `${prefix}-${process.pid}-`));
  inUse.add(dir);
  return dir;
}

/** Removes a directory made by makeProcessTempDir, with what it holds; nothing when it is gone already. */
export async function removeProcessTempDir(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
  inUse.delete(dir);
}
