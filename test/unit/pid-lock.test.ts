import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquirePidLock, lockHolder, LockBusyError } from '../../lib/pidLock';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const busy = (o: { pid: number }) => `held by ${o.pid}`;
let n = 0;
const lockFile = () => path.join(tmp, `db-${++n}.lock`);

/** A process that is alive until killed, and one that has exited (its pid is free). */
async function otherProcess(): Promise<{ pid: number; kill(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  return { pid: child.pid!, kill: () => new Promise((r) => (child.once('exit', r), child.kill('SIGKILL'))) };
}

describe('pid lock (one process at a time on the embedded database)', () => {
  it('takes a free lock, records this process, and frees it on release', () => {
    const file = lockFile();
    const lock = acquirePidLock(file, busy);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
    expect(lockHolder(file)?.pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    expect(lockHolder(file)).toBeNull();
    lock.release(); // idempotent
    acquirePidLock(file, busy).release(); // free again
  });

  it('refuses a second open from the same process while the first holds it', () => {
    const file = lockFile();
    const lock = acquirePidLock(file, busy);
    expect(() => acquirePidLock(file, busy)).toThrow(LockBusyError);
    lock.release();
  });

  it('refuses while another live process holds it, with the message built from the holder', async () => {
    const file = lockFile();
    const other = await otherProcess();
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: other.pid, command: 'socialsense demo --keep', since: new Date().toISOString() }));
      expect(lockHolder(file)?.command).toBe('socialsense demo --keep');
      expect(() => acquirePidLock(file, busy)).toThrow(`held by ${other.pid}`);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(other.pid); // untouched
    } finally {
      await other.kill();
    }
  });

  it('takes over a stale lock whose holder is gone (a crash or kill -9)', async () => {
    const file = lockFile();
    const other = await otherProcess();
    await other.kill();
    fs.writeFileSync(file, JSON.stringify({ pid: other.pid, command: 'crashed', since: '2026-01-01T00:00:00Z' }));
    expect(lockHolder(file)).toBeNull();
    const lock = acquirePidLock(file, busy);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('treats an unreadable lock file as stale', () => {
    const file = lockFile();
    fs.writeFileSync(file, 'not json');
    const lock = acquirePidLock(file, busy);
    expect(lockHolder(file)?.pid).toBe(process.pid);
    lock.release();
  });
});
