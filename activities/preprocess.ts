import type { Db } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { onceForOutput, recordDataset, type DatasetRecord } from '../lib/catalog';
import { inputDigest, openRecordWriter, readRecordChunks, writeNdjson, writeRecords } from '../lib/datasets';
import { createRecordSpill } from '../lib/recordSpill';
import type { DatasetRef, Post, Quarantined } from '../lib/schema';
import { createPreprocessor, type PreprocessCounts } from '../models/pipeline/preprocess';
import { forEachSlice, heartbeat } from './heartbeat';
import { configError } from '../lib/failures';

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

const MEMORY_POSTS_ENV = 'SOCIALSENSE_PREPROCESS_MEMORY_POSTS';
/** Accepted posts a preprocess task holds in memory before it spills the rest to its temp folder (lib/recordSpill). */
export const DEFAULT_PREPROCESS_MEMORY_POSTS = 50_000;

/**
 * How many accepted posts preprocess holds in memory: `SOCIALSENSE_PREPROCESS_MEMORY_POSTS`, else
 * DEFAULT_PREPROCESS_MEMORY_POSTS. Memory for CPU: fewer holds less and re-reads more from disk.
 * @throws configError when the setting is not a whole number
 */
export function preprocessMemoryPosts(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[MEMORY_POSTS_ENV]?.trim();
  if (v === undefined || v === '') return DEFAULT_PREPROCESS_MEMORY_POSTS;
  if (!/^\d+$/.test(v)) throw configError(`${MEMORY_POSTS_ENV} must be a whole number of posts, got ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * The preprocess stage of one partition: reads its raw posts, writes the clean, spam and quarantine zones.
 * A plain function (not only an activity) so that a worker thread can run it with deps of its own.
 */
export async function preprocessPartition(deps: { store: ObjectStore; db: Db }, input: PreprocessInput): Promise<PreprocessResult> {
  const { store, db } = deps;
  const languages = input.languages ?? null;
  // v5: styled letters are written plain (models/text/normalize.ts foldStyledLetters), the spam filter reads numbers as
  // one word, and counts the input lacks are null (lib/schema.ts metricsSchema), so a partition cleaned before is
  // cleaned again; v4: the clean zone is Parquet; v3 wrote NDJSON.
  const digest = inputDigest({ stage: 'preprocess.v5', inputs: input.inputs.map((r) => r.sha256), languages });
  const key = `clean/source=${input.source}/date=${input.date}/${digest}.parquet`;
  return onceForOutput(db, store.uri(key), async () => {
    // The raw posts stream in chunks (each still carries its platform JSON, the bulk of the bytes). Whether an
    // accepted post is spam is known only once the whole partition has been seen, so the accepted posts are held
    // until then: in memory up to preprocessMemoryPosts(), the rest in a file of this task's temp folder.
    const accepted = createRecordSpill<Post>({ memoryRecords: preprocessMemoryPosts() });
    try {
      const expectedPosts = input.inputs.reduce((n, ref) => n + ref.records, 0);
      const preprocessor = createPreprocessor(languages, (post) => accepted.push(post), { expectedPosts });
      for (const ref of input.inputs) {
        for await (const chunk of readRecordChunks(store, ref)) await forEachSlice(chunk, 2000, preprocessor.add);
      }
      const { quarantined, counts, byLanguage, spamReason } = preprocessor.finish();
      // Filtered, not lost: the spam zone keeps every removed post with the reason.
      const spamKey = `filtered/reason=spam/source=${input.source}/date=${input.date}/${digest}.ndjson.gz`;
      const spamWriter = counts.filteredSpam > 0 ? openRecordWriter<{ reason: string; post: Post }>(store, spamKey, 'filtered.v1') : null;
      let cleanRef: DatasetRef;
      let spamRef: DatasetRef | null = null;
      try {
        let i = 0;
        cleanRef = await writeRecords<Post>(store, key, 'post.v1', async (write) => {
          for await (const batch of accepted.batches(5000)) {
            heartbeat();
            const kept: Post[] = [];
            const spam: Array<{ reason: string; post: Post }> = [];
            for (const post of batch) {
              const reason = spamReason(i++);
              if (reason === null) kept.push(post);
              else spam.push({ reason, post });
            }
            if (kept.length > 0) await write(kept);
            if (spam.length > 0) await spamWriter!.write(spam);
          }
        });
        spamRef = spamWriter ? await spamWriter.close() : null;
      } catch (err) {
        await spamWriter?.abort(err as Error);
        throw err;
      }
      return await catalogued(cleanRef, spamRef, quarantined, counts, byLanguage);
    } finally {
      accepted.close();
    }
  });

  async function catalogued(
    cleanRef: DatasetRef,
    spamRef: DatasetRef | null,
    quarantined: Quarantined[],
    counts: PreprocessCounts,
    byLanguage: Record<string, number>,
  ): Promise<{ result: PreprocessResult; record: DatasetRecord }> {
    if (spamRef) {
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
  }
}

export function createPreprocessActivities(deps: { store: ObjectStore; db: Db }) {
  return {
    preprocess: (input: PreprocessInput): Promise<PreprocessResult> => preprocessPartition(deps, input),
  };
}
