import fs from 'node:fs';
import path from 'node:path';

/** What a lock file records about the process that holds it. */
export interface LockOwner {
  pid: number;
  /** the command line of the holder, for the message another process prints */
  command: string;
  /** ISO time the lock was taken */
  since: string;
}

/** Another live process holds the lock; the message says which one and what to do. */
export class LockBusyError extends Error {
  override name = 'LockBusyError';
  constructor(
    message: string,
    readonly owner: LockOwner,
  ) {
    super(message);
  }
}

/** Lock files this process holds right now: a second open from the same process is refused as well. */
const heldHere = new Set<string>();

/** Whether a process with this pid is running (EPERM: it exists but belongs to someone else, so it is alive). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : null;
  } catch {
    return null; // missing, half-written or not ours: treated as stale
  }
}

/**
 * The live process that holds the lock at `file`, or null when it is free (no file, or a stale one).
 * Only a hint (the holder may change right after): use it to fail early, then take the lock with `acquirePidLock`.
 */
export function lockHolder(file: string): LockOwner | null {
  const owner = readOwner(file);
  return owner && (owner.pid === process.pid ? heldHere.has(path.resolve(file)) : processIsAlive(owner.pid)) ? owner : null;
}

/**
 * Takes an exclusive, process-wide lock on a file: the file is created atomically (`wx`) with this
 * process's pid in it. A lock whose holder is no longer running (a crash, a `kill -9`) is stale and
 * taken over. Used for resources that exactly one process may open at a time, like the embedded
 * PGlite database, whose files two processes would corrupt.
 *
 * @param file the lock file (its directory must exist)
 * @param busyMessage builds the one-line message for a lock held by another live process
 * @returns `release()`, idempotent; the lock is also released when the process exits
 * @throws LockBusyError when another live process holds it
 */
export function acquirePidLock(file: string, busyMessage: (owner: LockOwner) => string): { release(): void } {
  const key = path.resolve(file);
  if (heldHere.has(key)) {
    const owner = readOwner(key) ?? { pid: process.pid, command: process.argv.slice(1).join(' '), since: '' };
    throw new LockBusyError(busyMessage(owner), owner);
  }
  const me: LockOwner = { pid: process.pid, command: process.argv.slice(1).join(' '), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const owner = readOwner(file);
      if (owner && owner.pid !== process.pid && processIsAlive(owner.pid)) throw new LockBusyError(busyMessage(owner), owner);
      // Stale (or our own from an earlier open that was not released): remove and retry the atomic create.
      fs.rmSync(file, { force: true });
    }
  }
  heldHere.add(key);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(key);
    process.off('exit', release);
    // Only remove the file if it is still ours (a later holder may have taken over a stale copy).
    if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { release };
}
