import fs from 'node:fs';
import path from 'node:path';
import { sharedDataDir } from '../../lib/paths';

/** A path inside the shared reference data (SOCIALSENSE_SHARED_DATA, default ../shared/data). */
export const sharedDataPath = (...parts: string[]): string => path.join(sharedDataDir(), ...parts);

/**
 * Fails (never skips) when a reference data file or folder is missing: a quality test that silently
 * skips lets CI pass without measuring anything. The message names each missing path and the
 * variable that points at the data.
 */
export function requireSharedData(...paths: string[]): void {
  const missing = paths.filter((p) => !fs.existsSync(p));
  if (missing.length === 0) return;
  throw new Error(
    `quality test data missing: ${missing.join(', ')}. ` +
      `The quality tests need the shared reference data sets (semeval/, nab-tweets/, movielens-small/); ` +
      `set SOCIALSENSE_SHARED_DATA to the folder that holds them (now ${sharedDataDir()}${process.env.SOCIALSENSE_SHARED_DATA ? '' : ', the default ../shared/data'}).`,
  );
}

/**
 * A small labelled sample of SemEval train (the header and every 12th tweet) written to `dir/train.tsv`, for retrains
 * that must stay quick; the full set is the nightly default. Returns the file's path.
 */
export function writeSentimentTrainSample(dir: string): string {
  const lines = fs.readFileSync(sharedDataPath('semeval', 'sentiment-train.tsv'), 'utf8').split('\n');
  const file = path.join(dir, 'train.tsv');
  fs.writeFileSync(file, [lines[0], ...lines.slice(1).filter((_, i) => i % 12 === 0)].join('\n'));
  return file;
}
