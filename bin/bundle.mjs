// Bundles one of the project's TypeScript entry points into plain JavaScript with esbuild, for the code that runs
// long or hot: the CLI (bin/socialsense.mjs, so the worker process) and the stage threads (workers/threadPool.ts
// stageThreadBundle). The project has no build step: tests and `tsx` run the TypeScript directly. Loading the same code
// through tsx at run time costs (A/B on 250k posts end to end, bench/README.md "2026-12-01") 80–140 MiB more peak RSS
// and 4–9% more worker CPU: tsx's loader thread and its compiled copy of every module, in each thread again, and tsx
// (esbuild `keepNames`) wraps every nested function in a naming call each time it is created.
//
// Plain JavaScript with JSDoc so bin/socialsense.mjs can use it before any TypeScript loader is registered.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

/** The project root: this file's folder's parent (lib/paths.ts has the same for the TypeScript, which this file cannot import). */
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where bundles are written: one level below the project root, because lib/paths.ts finds the root as the parent of
 * its module's folder, and inside a bundle that module is the bundle file.
 */
export const BUNDLE_DIR = path.join(projectRoot, '.build');

/**
 * A built file that no manifest names and that nobody has used for this long is removed. A process touches the files
 * of the build it runs when it starts and every USE_REFRESH_MS after (a worker's training threads load them again at
 * every retrain), so a live process's files are never this old.
 */
const UNUSED_MS = 24 * 3600 * 1000;
const USE_REFRESH_MS = 3600 * 1000;
/** A half-written file (`*.tmp`) this old was left by a process killed or failing mid-write. */
const TMP_MS = 3600 * 1000;
/** Write errors after which the caller runs through tsx instead: a read-only install, a full disk or quota. */
const CANNOT_WRITE = new Set(['EACCES', 'EROFS', 'EPERM', 'ENOSPC', 'EDQUOT']);

/**
 * Whether SOCIALSENSE_NO_BUNDLE turns the bundle off: `1`/`true`/`yes` do, unset, empty, `0`/`false`/`no` do not.
 * @throws Error naming the variable for any other value
 */
export function bundlingDisabled(env = process.env) {
  const v = (env.SOCIALSENSE_NO_BUNDLE ?? '').trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['', '0', 'false', 'no'].includes(v)) return false;
  throw new Error(`SOCIALSENSE_NO_BUNDLE must be 1 (run through tsx) or 0 (run the bundle), got ${JSON.stringify(env.SOCIALSENSE_NO_BUNDLE)}`);
}

/**
 * The bundle of `entry`, built unless the one built last is still current: `<dir>/<name>-<hash>.mjs`, the chunks it
 * imports lazily (`chunk-<hash>.mjs`: a module imported with `import()` and the npm packages only it imports are loaded
 * when it is, so `socialsense worker` never loads the API's or the report's packages), the source maps beside them,
 * and `<name>.json`, the manifest: the build's files, and the size and mtime of every source file in it. esbuild names
 * each file by a hash of its content, so processes of different source versions, or several starting at once, never
 * overwrite each other's files (each is written to a temporary name, then renamed). npm packages stay outside
 * (`packages: 'external'`) and resolve from the project's node_modules, as they do without a bundle.
 *
 * Files no manifest names are removed once unused for UNUSED_MS; this process keeps its own build's files in use.
 * @param {{ entry: string, name: string, dir?: string }} opts entry: a path relative to the project root; name: the
 *   entry file's prefix; dir: where to write (default BUNDLE_DIR; only an entry that does not import lib/paths.ts may
 *   be bundled elsewhere)
 * @returns {string | null} the entry file's URL, or null when the folder cannot be written (a read-only install, a full
 *   disk): the caller then loads the TypeScript through tsx
 * @throws esbuild's error, naming file and line, when the sources do not compile
 */
export function bundle({ entry, name, dir = BUNDLE_DIR }) {
  const manifestFile = path.join(dir, `${name}.json`);
  const current = currentBuild(dir, manifestFile);
  if (current) return inUse(current);
  // A second of margin: the file system's clock is coarser than Date.now().
  const startedMs = Date.now() - 1000;
  const result = build(entry, name, dir);
  const entryOut = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint)?.[0];
  if (!entryOut) throw new Error(`esbuild returned no bundle for ${entry}`);
  const file = path.join(projectRoot, entryOut);
  const files = result.outputFiles.map((o) => o.path);
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Chunks first and the entry last: a process that finds the entry finds what it imports.
    const outputs = [...result.outputFiles].sort((x, y) => Number(x.path === file) - Number(y.path === file));
    for (const out of outputs) if (!fs.existsSync(out.path)) writeAtomically(out.path, out.contents);
    const sources = Object.keys(result.metafile.inputs).map((f) => [f, statOf(path.join(projectRoot, f))]);
    const inputs = Object.fromEntries(sources.map(([f, s]) => [f, stamp(s)]));
    // A source saved while esbuild read it (or gone since) may be in the bundle as it was before: no manifest then, so
    // the next start builds again instead of taking this bundle for current.
    const savedDuring = sources.some(([, s]) => !s || s.mtimeMs >= startedMs);
    if (!savedDuring) writeAtomically(manifestFile, JSON.stringify({ bundle: path.basename(file), files: files.map((f) => path.basename(f)), inputs }));
    removeUnused(dir, new Set(files));
  } catch (err) {
    if (CANNOT_WRITE.has(/** @type {NodeJS.ErrnoException} */ (err).code)) return null;
    throw err;
  }
  return inUse({ file, files });
}

/** Runs esbuild once, loaded only for it and without its worker thread (which buildSync would keep for the process's life). */
function build(entry, name, dir) {
  const before = process.env.ESBUILD_WORKER_THREADS;
  // Read once, when esbuild's module loads: buildSync then runs the esbuild binary as a child it waits for, so it
  // leaves neither a thread (~20 MiB) nor an unreaped child process behind.
  process.env.ESBUILD_WORKER_THREADS = '0';
  try {
    return createRequire(import.meta.url)('esbuild').buildSync({
      absWorkingDir: projectRoot,
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      outdir: dir,
      entryNames: `${name}-[hash]`,
      chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' },
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } finally {
    if (before === undefined) delete process.env.ESBUILD_WORKER_THREADS;
    else process.env.ESBUILD_WORKER_THREADS = before;
  }
}

/** The manifest's build when every file of it exists and no source file in it changed size or mtime since; else null. */
function currentBuild(dir, manifestFile) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    return null;
  }
  const inputs = Object.entries(manifest.inputs ?? {});
  // An added import is in a changed file, so the sources listed are enough.
  if (!inputs.length || !Array.isArray(manifest.files)) return null;
  const files = manifest.files.map((f) => path.join(dir, String(f)));
  if (!files.every((f) => fs.existsSync(f))) return null;
  for (const [f, s] of inputs) if (stamp(statOf(path.join(projectRoot, f))) !== s) return null;
  return { file: path.join(dir, String(manifest.bundle)), files };
}

/** Entry files whose build this process already keeps fresh (the stage pool and the training pool share one). */
const keptFresh = new Set();

/** Marks a build's files as used now, and again every USE_REFRESH_MS while this process lives; returns the entry's URL. */
function inUse({ file, files }) {
  const touch = () => {
    const now = new Date();
    for (const f of files) {
      try {
        fs.utimesSync(f, now, now);
      } catch {
        // a read-only folder: nothing removes files there either
      }
    }
  };
  touch();
  if (!keptFresh.has(file)) {
    keptFresh.add(file);
    setInterval(touch, USE_REFRESH_MS).unref();
  }
  return pathToFileURL(file).href;
}

function statOf(file) {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

/** A source file's size and mtime as the manifest records them. */
const stamp = (s) => (s ? `${s.size}:${s.mtimeMs}` : 'missing');

function writeAtomically(file, contents) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, contents);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Removes built files (entries, chunks, maps) that no manifest in `dir` names and nobody used for UNUSED_MS, and
 * half-written files older than TMP_MS.
 */
function removeUnused(dir, keep) {
  const now = Date.now();
  const names = fs.readdirSync(dir);
  for (const m of names.filter((f) => f.endsWith('.json'))) {
    try {
      for (const f of JSON.parse(fs.readFileSync(path.join(dir, m), 'utf8')).files ?? []) keep.add(path.join(dir, String(f)));
    } catch {
      // being replaced by another process: its files are fresh anyway
    }
  }
  for (const f of names) {
    const p = path.join(dir, f);
    const limit = f.endsWith('.tmp') ? TMP_MS : /\.mjs(\.map)?$/.test(f) && !keep.has(p) ? UNUSED_MS : null;
    if (limit === null) continue;
    try {
      if (now - fs.statSync(p).mtimeMs > limit) fs.rmSync(p, { force: true });
    } catch {
      // another process removed it meanwhile
    }
  }
}
