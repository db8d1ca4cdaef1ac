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

/** The project root: this file's folder's parent. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where bundles are written: one level below the project root, because lib/paths.ts finds the root as the parent of
 * its module's folder, and inside a bundle that module is the bundle file.
 */
export const BUNDLE_DIR = path.join(projectRoot, '.build');

/** Bundles of other source versions older than this are removed (a long-running process may still load its own). */
const STALE_MS = 7 * 24 * 3600 * 1000;

/**
 * The bundle of `entry`, built unless the one built last is still current: `<project>/.build/<name>-<hash>.mjs`, the
 * chunks it imports lazily (`chunk-<hash>.mjs`: a module imported with `import()` and the npm packages only it imports
 * are loaded when it is, so `socialsense worker` never loads the API's or the report's packages), the source maps
 * beside them, and `<name>.json`, the entry's file name with the size and mtime of every source file in it. esbuild
 * names each file by a hash of its content, so processes of different source versions, or several starting at once,
 * never overwrite each other's files (each is written to a temporary name, then renamed). npm packages stay outside
 * (`packages: 'external'`) and resolve from the project's node_modules, as they do without a bundle.
 * @param {{ entry: string, name: string }} opts entry: a path relative to the project root; name: the entry file's prefix
 * @returns {string | null} the entry file's URL, or null when `.build` cannot be written (a read-only install): the
 *   caller then loads the TypeScript through tsx
 * @throws esbuild's error, naming file and line, when the sources do not compile
 */
export function bundle({ entry, name }) {
  const manifestFile = path.join(BUNDLE_DIR, `${name}.json`);
  const current = currentBundle(manifestFile);
  if (current) return pathToFileURL(current).href;
  // Loaded only to build; stopped after, since buildSync runs esbuild from a worker thread of its own that would
  // otherwise stay for the process's life (measured ~20 MiB of heap in a worker).
  const esbuild = createRequire(import.meta.url)('esbuild');
  let result;
  try {
    result = esbuild.buildSync({
      absWorkingDir: projectRoot,
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      outdir: BUNDLE_DIR,
      entryNames: `${name}-[hash]`,
      chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' },
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } finally {
    esbuild.stop();
  }
  const entryOut = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint)?.[0];
  if (!entryOut) throw new Error(`esbuild returned no bundle for ${entry}`);
  const file = path.join(projectRoot, entryOut);
  try {
    fs.mkdirSync(BUNDLE_DIR, { recursive: true });
    // Chunks first and the entry last: a process that finds the entry finds what it imports.
    const outputs = [...result.outputFiles].sort((x, y) => Number(x.path === file) - Number(y.path === file));
    for (const out of outputs) if (!fs.existsSync(out.path)) writeAtomically(out.path, out.contents);
    // The sizes and mtimes are read after the build: a file saved during the 0.1–0.3 s build is rebuilt on the next
    // start only if its size or mtime changed again, a window accepted for a development convenience.
    const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((f) => [f, stamp(path.join(projectRoot, f))]));
    writeAtomically(manifestFile, JSON.stringify({ bundle: path.basename(file), inputs }));
    removeStale(new Set(result.outputFiles.map((o) => o.path)));
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return null;
    throw err;
  }
  return pathToFileURL(file).href;
}

/** The bundle the manifest names, when it exists and no source file in it changed size or mtime since; else null. */
function currentBundle(manifestFile) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    return null;
  }
  const file = path.join(BUNDLE_DIR, String(manifest.bundle));
  if (!fs.existsSync(file)) return null;
  for (const [f, s] of Object.entries(manifest.inputs ?? {})) if (stamp(path.join(projectRoot, f)) !== s) return null;
  // An added import is in a changed file, so the entries listed are enough.
  return Object.keys(manifest.inputs ?? {}).length ? file : null;
}

function stamp(file) {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function writeAtomically(file, contents) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

/** Removes the built files (entries, chunks, maps) of other builds, and files a killed build left half-written, older than STALE_MS. */
function removeStale(keep) {
  const now = Date.now();
  for (const f of fs.readdirSync(BUNDLE_DIR)) {
    const p = path.join(BUNDLE_DIR, f);
    if (!/\.mjs(\.map)?$|\.tmp$/.test(f) || keep.has(p)) continue;
    try {
      if (now - fs.statSync(p).mtimeMs > STALE_MS) fs.rmSync(p, { force: true });
    } catch {
      // another process removed it meanwhile
    }
  }
}
