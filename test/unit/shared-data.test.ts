import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireSharedData, sharedDataPath } from '../helpers/sharedData';

/** The quality tests fail, not skip, without their data, and say where they looked and what to set. */
describe('requireSharedData', () => {
  const saved = process.env.SOCIALSENSE_SHARED_DATA;
  afterEach(() => {
    if (saved === undefined) delete process.env.SOCIALSENSE_SHARED_DATA;
    else process.env.SOCIALSENSE_SHARED_DATA = saved;
  });

  it('throws naming every missing path and SOCIALSENSE_SHARED_DATA', () => {
    process.env.SOCIALSENSE_SHARED_DATA = '/nonexistent/shared-data';
    const a = sharedDataPath('semeval', 'sentiment-dev.tsv');
    const b = sharedDataPath('nab-tweets');
    expect(a).toBe('/nonexistent/shared-data/semeval/sentiment-dev.tsv');
    expect(() => requireSharedData(a, b)).toThrow(
      'quality test data missing: /nonexistent/shared-data/semeval/sentiment-dev.tsv, /nonexistent/shared-data/nab-tweets. ' +
        'The quality tests need the shared reference data sets (semeval/, nab-tweets/, movielens-small/); ' +
        'set SOCIALSENSE_SHARED_DATA to the folder that holds them (now /nonexistent/shared-data).',
    );
  });

  it('names only what is missing, and passes when everything is there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-data-'));
    try {
      process.env.SOCIALSENSE_SHARED_DATA = dir;
      fs.writeFileSync(path.join(dir, 'ratings.csv'), 'userId,movieId\n');
      expect(() => requireSharedData(sharedDataPath('ratings.csv'))).not.toThrow();
      expect(() => requireSharedData(sharedDataPath('ratings.csv'), sharedDataPath('labels.json'))).toThrow(
        `quality test data missing: ${path.join(dir, 'labels.json')}. `,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
