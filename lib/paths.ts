import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, resolved from this file so commands work from any working directory. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The read-only reference data sets (SemEval, NAB tweets, MovieLens); never copied into the repo. */
export function sharedDataDir(): string {
  return path.resolve(process.env.SOCIALSENSE_SHARED_DATA ?? path.join(projectRoot, '..', 'shared', 'data'));
}

/** Where local services, the embedded store and caches keep their files. */
export function dataDir(): string {
  return path.resolve(process.env.SOCIALSENSE_DATA_DIR ?? path.join(projectRoot, '.data'));
}
