import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { onceForOutput, recordDataset } from '../lib/catalog';
import { inputDigest, readRecordChunks, writeNdjson, writeRecords } from '../lib/datasets';
import type { DatasetRef } from '../lib/schema';
import { createPreprocessor, type PreprocessCounts } from '../models/pipeline/preprocess';
import { forEachSlice } from './heartbeat';

export interface PreprocessInput {
  runKey: string;
  source: string;
  date: string;
  inputs: DatasetRef[];
  /** keep only these languages (ISO 639-1); null keeps all. Undetectable short posts are kept. */
  languages?: string[] | null;
}

export interface PreprocessResult {
  clean: DatasetRef;
  quarantine: DatasetRef | null;
  spam: DatasetRef | null;
  counts: PreprocessCounts;
  languages: Record<string, number>;
}

/**
 * The preprocess stage of one partition: reads its raw posts, writes the clean, spam and quarantine zones.
 * A plain function (not only an activity) so that a worker thread can run it with deps of its own.
 */
export async function preprocessPartition(deps: { store: ObjectStore; db: Db }, input: PreprocessInput): Promise<PreprocessResult> {
  const { store, db } = deps;
  const languages = input.languages ?? null;
  // v4: the clean zone is Parquet (lib/postColumns.ts); v3 wrote NDJSON.
  const digest = inputDigest({ stage: 'preprocess.v4', inputs: input.inputs.map((r) => r.sha256), languages });
  const key = `clean/source=${input.source}/date=${input.date}/${digest}.parquet`;
  return onceForOutput(db, store.uri(key), async () => {
    const preprocessor = createPreprocessor(languages);
    // The raw posts stream in chunks (each still carries its platform JSON, the bulk of the bytes), so only
    // the accepted posts stay in memory: the near-duplicate decision needs the whole partition's texts
    // before any post can be written. The partition split bounds how many that is.
    for (const ref of input.inputs) {
      for await (const chunk of readRecordChunks(store, ref)) await forEachSlice(chunk, 2000, preprocessor.add);
    }
    const { clean, spam, quarantined, counts, byLanguage } = preprocessor.finish();
    const cleanRef = await writeRecords<(typeof clean)[number]>(store, key, 'post.v1', (write) => forEachSlice(clean, 5000, write));
    let spamRef: DatasetRef | null = null;
    if (spam.length > 0) {
      // Filtered, not lost: the spam zone keeps every removed post with the reason.
      spamRef = await writeNdjson(store, `filtered/reason=spam/source=${input.source}/date=${input.date}/${digest}.ndjson.gz`, spam, 'filtered.v1');
      await recordDataset(db, {
        ref: spamRef,
        stage: 'spam',
        source: input.source,
        date: input.date,
        runKey: input.runKey,
        inputs: input.inputs.map((r) => r.uri),
      });
    }
    let quarantineRef: DatasetRef | null = null;
    if (quarantined.length > 0) {
      quarantineRef = await writeNdjson(
        store,
        `quarantine/stage=preprocess/source=${input.source}/date=${input.date}/${digest}.ndjson.gz`,
        quarantined,
        'quarantine.v1',
      );
      await recordDataset(db, {
        ref: quarantineRef,
        stage: 'quarantine',
        source: input.source,
        date: input.date,
        runKey: input.runKey,
        inputs: input.inputs.map((r) => r.uri),
      });
    }
    const result: PreprocessResult = { clean: cleanRef, quarantine: quarantineRef, spam: spamRef, counts, languages: byLanguage };
    return {
      result,
      record: { ref: cleanRef, stage: 'clean', source: input.source, date: input.date, runKey: input.runKey, inputs: input.inputs.map((r) => r.uri) },
    };
  });
}

export function createPreprocessActivities(deps: { store: ObjectStore; db: Db }) {
  return {
    preprocess: (input: PreprocessInput): Promise<PreprocessResult> => preprocessPartition(deps, input),
  };
}
