// Bundles one of the project's TypeScript entry points into plain JavaScript with esbuild, for the code that runs
// long or hot: the CLI (bin/socialsense.mjs, so the worker process) and the stage threads (workers/stageBundle.ts).
// The project has no build step: tests and `tsx` run the TypeScript directly. Loading the same code through tsx at
// run time costs, measured on a worker: ~40 MiB more resident memory per process (tsx's loader thread and its
// compiled copies of every module, in each thread again), and ~10% more CPU in the stages, because tsx (esbuild
// `keepNames`) wraps every nested function in a naming call each time it is created.
//
// Plain JavaScript with JSDoc so bin/socialsense.mjs can use it before any TypeScript loader is registered.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

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
 * The bundle of `entry`, built unless the one built last is still current: `<project>/.build/<name>-<16 hex of the
 * sha256 of its code>.mjs`, its source map beside it, and `<name>.json`, the bundle's name with the size and mtime of
 * every source file in it. A name per content, so processes of different source versions, or several starting at
 * once, never overwrite each other's file (each file is written to a temporary name, then renamed). npm packages stay
 * outside (`packages: 'external'`) and resolve from the project's node_modules, as they do without a bundle.
 * @param {{ entry: string, name: string }} opts entry: a path relative to the project root; name: the files' prefix
 * @returns {string | null} the bundle's file URL, or null when `.build` cannot be written (a read-only install): the
 *   caller then loads the TypeScript through tsx
 * @throws esbuild's error, naming file and line, when the sources do not compile
 */
export function bundle({ entry, name }) {
  const manifestFile = path.join(BUNDLE_DIR, `${name}.json`);
  const current = currentBundle(manifestFile);
  if (current) return pathToFileURL(current).href;
  const result = buildSync({
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    outdir: BUNDLE_DIR,
    entryNames: name,
    outExtension: { '.js': '.mjs' },
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.mjs.map'));
  if (!js || !map) throw new Error(`esbuild returned no bundle for ${entry} (files: ${result.outputFiles.map((f) => f.path).join(', ')})`);
  // Named by the code without its last line, the source map's name, which is written for the name chosen here.
  const code = js.text.replace(/\/\/# sourceMappingURL=\S+\s*$/, '');
  const base = `${name}-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  const file = path.join(BUNDLE_DIR, base);
  try {
    fs.mkdirSync(BUNDLE_DIR, { recursive: true });
    if (!fs.existsSync(file)) {
      writeAtomically(`${file}.map`, map.contents);
      writeAtomically(file, `${code}//# sourceMappingURL=${base}.map\n`);
    }
    // The sizes and mtimes are read after the build: a file saved during the 0.1–0.3 s build is rebuilt on the next
    // start only if its size or mtime changed again, a window accepted for a development convenience.
    const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((f) => [f, stamp(path.join(projectRoot, f))]));
    writeAtomically(manifestFile, JSON.stringify({ bundle: base, inputs }));
    removeStale(name, file);
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

function removeStale(name, current) {
  const now = Date.now();
  for (const f of fs.readdirSync(BUNDLE_DIR)) {
    const p = path.join(BUNDLE_DIR, f);
    if (!new RegExp(`^${name}-[0-9a-f]{16}\\.mjs`).test(f) || p === current || p === `${current}.map`) continue;
    try {
      if (now - fs.statSync(p).mtimeMs > STALE_MS) fs.rmSync(p, { force: true });
    } catch {
      // another process removed it meanwhile
    }
  }
}
