import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProcessTempDir, removeOrphanedTempDirs, removeProcessTempDir } from '../../lib/processTempDirs';

const deadPid = () => Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());

describe('temporary directories named after their process', () => {
  it('sweeps only the prefixes it is given, and only directories of processes that are gone', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-ptd-'));
    try {
      const dead = deadPid();
      for (const n of [`preprocess-${dead}-a1`, `score-${dead}-b2`, `import-${dead}-c3`, `preprocess-${process.ppid}-d4`, `preprocess-${dead}`])
        fs.mkdirSync(path.join(root, n));
      expect(removeOrphanedTempDirs(root, ['preprocess', 'score']).sort()).toEqual([`preprocess-${dead}-a1`, `score-${dead}-b2`]);
      // `import-…` is another prefix; the live parent's is in use; a name without its random part is not one of ours
      expect(fs.readdirSync(root).sort()).toEqual([`import-${dead}-c3`, `preprocess-${dead}`, `preprocess-${process.ppid}-d4`].sort());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps the directories this process uses and removes them when released, also under a root made on the way', async () => {
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-ptd-')), 'tmp', 'nested');
    const a = makeProcessTempDir(root, 'features');
    const b = makeProcessTempDir(root, 'features'); // sweeping before b leaves a alone: it is in use
    expect(path.basename(a)).toMatch(new RegExp(`^features-${process.pid}-`));
    expect(fs.existsSync(a) && fs.existsSync(b)).toBe(true);
    fs.writeFileSync(path.join(a, 'spill.gz'), 'x');
    await removeProcessTempDir(a);
    expect(fs.existsSync(a)).toBe(false);
    await removeProcessTempDir(a); // already gone: nothing to do
    // b, once released by a process that "restarted" under the same pid, is an orphan: here it is still in use
    expect(removeOrphanedTempDirs(root, ['features'])).toEqual([]);
    await removeProcessTempDir(b);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('refuses a prefix the sweep could not recognise', () => {
    for (const bad of ['', 'import-x', '9lives', 'a/b'])
      expect(() => makeProcessTempDir(os.tmpdir(), bad)).toThrow(
        new RangeError(`a temp dir prefix is letters and digits starting with a letter, got "${bad}"`),
      );
  });
});
