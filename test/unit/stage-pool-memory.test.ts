import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parseConfig, storageConfigSchema } from '../../lib/config';
import { FailureType } from '../../lib/failures';
import { execFileSync } from 'node:child_process';
import {
  createStagePool,
  DEFAULT_THREAD_HEAP_MB,
  DEFAULT_THREAD_YOUNG_MB,
  mallocArenaAdvice,
  RECOMMENDED_MALLOC_ARENA_MAX,
  removeOrphanedTaskDirs,
  threadHeapMb,
  threadYoungMb,
} from '../../workers/threadPool';

// A local object folder that is never touched: the tasks here fail before any I/O.
const storage = parseConfig(storageConfigSchema, { S3_ENDPOINT: 'file:///nonexistent/socialsense-unit', S3_BUCKET: 'unused' });

/** The stage threads' heap limit (workers/threadPool.ts): how it is configured and what running out of it says. */
describe('stage thread heap limit', () => {
  it('defaults to DEFAULT_THREAD_HEAP_MB, takes SOCIALSENSE_THREAD_HEAP_MB, 0 meaning V8 default', () => {
    expect(threadHeapMb({})).toBe(DEFAULT_THREAD_HEAP_MB);
    expect(threadHeapMb({ SOCIALSENSE_THREAD_HEAP_MB: '' })).toBe(DEFAULT_THREAD_HEAP_MB);
    expect(threadHeapMb({ SOCIALSENSE_THREAD_HEAP_MB: '512' })).toBe(512);
    expect(threadHeapMb({ SOCIALSENSE_THREAD_HEAP_MB: ' 0 ' })).toBe(0);
  });

  it("the young generation defaults to V8's (DEFAULT_THREAD_YOUNG_MB 0) and takes SOCIALSENSE_THREAD_YOUNG_MB", () => {
    expect(DEFAULT_THREAD_YOUNG_MB).toBe(0); // V8's own unless an operator trades CPU for memory
    expect(threadYoungMb({})).toBe(DEFAULT_THREAD_YOUNG_MB);
    expect(threadYoungMb({ SOCIALSENSE_THREAD_YOUNG_MB: '' })).toBe(DEFAULT_THREAD_YOUNG_MB);
    expect(threadYoungMb({ SOCIALSENSE_THREAD_YOUNG_MB: '48' })).toBe(48);
    expect(threadYoungMb({ SOCIALSENSE_THREAD_YOUNG_MB: ' 16 ' })).toBe(16);
    // the two settings are read independently
    expect(threadYoungMb({ SOCIALSENSE_THREAD_HEAP_MB: '512' })).toBe(DEFAULT_THREAD_YOUNG_MB);
    expect(threadHeapMb({ SOCIALSENSE_THREAD_YOUNG_MB: '8' })).toBe(DEFAULT_THREAD_HEAP_MB);
  });

  it('advises MALLOC_ARENA_MAX to a worker with threads on glibc that runs without it, and only then', () => {
    const advice = mallocArenaAdvice(2, {}, '2.36');
    expect(advice).toContain(`MALLOC_ARENA_MAX=${RECOMMENDED_MALLOC_ARENA_MAX}`);
    expect(advice).toContain('2 stage threads');
    expect(mallocArenaAdvice(1, { MALLOC_ARENA_MAX: '' }, '2.36')).toContain('with 1 stage thread glibc');
    expect(mallocArenaAdvice(2, { MALLOC_ARENA_MAX: '2' }, '2.36')).toBeNull(); // the operator chose
    expect(mallocArenaAdvice(2, { MALLOC_ARENA_MAX: '8' }, '2.36')).toBeNull();
    expect(mallocArenaAdvice(0, {}, '2.36')).toBeNull(); // --threads 0: no stage threads
    expect(mallocArenaAdvice(2, {}, undefined)).toBeNull(); // musl (Alpine) and other allocators have no such arenas
  });

  it('refuses a value that is not a whole number of MiB, naming the variable', () => {
    const settings = [
      ['SOCIALSENSE_THREAD_HEAP_MB', threadHeapMb],
      ['SOCIALSENSE_THREAD_YOUNG_MB', threadYoungMb],
    ] as const;
    for (const [name, read] of settings) {
      for (const bad of ['-1', '1.5', '256MB', 'lots']) {
        let err: unknown;
        try {
          read({ [name]: bad });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect((err as ApplicationFailure).type).toBe(FailureType.ConfigError);
        expect((err as Error).message).toContain(name);
        expect((err as Error).message).toContain(JSON.stringify(bad));
      }
    }
    expect(() => createStagePool({ threads: 1, deps: { databaseUrl: 'postgres://unused', storage: storage }, heapMb: -5 })).toThrow(RangeError);
    expect(() => createStagePool({ threads: 1, deps: { databaseUrl: 'postgres://unused', storage: storage }, youngMb: 2.5 })).toThrow(/young generation/);
  });

  it('a thread that runs out of its heap fails the task with a ConfigError that says what to change; the replaced thread answers the next task', async () => {
    // 8 MiB is too little to even load the stages' modules: the thread dies of a real V8 out-of-memory.
    const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-pool-tmp-'));
    const pool = createStagePool({ threads: 1, deps: { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', storage: storage }, heapMb: 8, tmpRoot });
    try {
      const task = {
        stage: 'preprocess' as const,
        input: { runKey: 'r', source: 's', date: '2026-01-01', posts: { uri: 'x', count: 0, sha256: 'x' } } as never,
      };
      // twice: piscina replaces the dead thread, so the next task is answered (the same way), not left hanging
      for (let i = 0; i < 2; i++) {
        let err: unknown;
        try {
          await pool.run(task);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect((err as ApplicationFailure).type).toBe(FailureType.ConfigError);
        expect((err as ApplicationFailure).nonRetryable).toBe(true);
        expect((err as Error).message).toMatch(
          /preprocess stage ran out of memory in its thread \(heap limit 8 MiB\).*SOCIALSENSE_THREAD_HEAP_MB.*SOCIALSENSE_MAX_PARTITION_POSTS/,
        );
      }
      expect(pool.completed).toBe(2); // both tasks were answered by a thread (completed counts failed ones)
      // each task had a temporary directory of its own, removed although its thread died midway
      expect(fs.readdirSync(tmpRoot)).toEqual([]);
    } finally {
      await pool.close();
      fs.rmSync(tmpRoot, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('task directories left by a killed worker', () => {
  it('are removed when a pool starts: those of processes that are gone and unused ones of this process; live processes keep theirs', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-orphans-'));
    try {
      // a pid that was a process a moment ago and is gone now
      const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
      const make = (name: string) => {
        fs.mkdirSync(path.join(root, name));
        fs.writeFileSync(path.join(root, name, '0.ndjson.gz'), 'spilled');
      };
      make(`importFile-${deadPid}-AbC123`); // a killed worker's import
      make(`score-${process.pid}-XyZ789`); // this pid, but no pool of this process uses it (a restarted container)
      make(`features-${process.ppid}-live01`); // a live process: another worker's task in progress
      make(`import-${deadPid}-Qw12Er`); // an inline import's spill (no pool): the importer sweeps its own prefix
      fs.writeFileSync(path.join(root, 'notes.txt'), 'not a directory of ours');
      expect(removeOrphanedTaskDirs(root).sort()).toEqual([`importFile-${deadPid}-AbC123`, `score-${process.pid}-XyZ789`]);
      expect(fs.readdirSync(root).sort()).toEqual([`features-${process.ppid}-live01`, `import-${deadPid}-Qw12Er`, 'notes.txt'].sort());
      expect(removeOrphanedTaskDirs(path.join(root, 'missing'))).toEqual([]);

      // createStagePool sweeps its tmpRoot
      make(`preprocess-${deadPid}-Zz9`);
      const pool = createStagePool({ threads: 1, deps: { databaseUrl: 'postgres://unused', storage }, tmpRoot: root });
      await pool.close();
      expect(fs.existsSync(path.join(root, `preprocess-${deadPid}-Zz9`))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
