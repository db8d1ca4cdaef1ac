/**
 * The file importer as it was before it streamed (session 3, issue 12): kept only so bench/importMemory.ts can
 * measure the streaming importer against it in the same run. It buffers every day's posts and raw records in
 * memory and reads a `.json` document whole. Do not use it anywhere else; the helpers it shares (mapping,
 * recognisers, timestamps) are imported from the current importer so only the buffering differs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../lib/db';
import type { ObjectStore } from '../../lib/objectStore';
import { recordDataset } from '../../lib/catalog';
import { platformNameProblem } from '../../lib/platformName';
import { inputDigest, sha256, writeNdjson } from '../../lib/datasets';
import { InputFileError, delimiterName, openText, readLines, readTableItems, sniffDelimiter } from '../../lib/tabular';
import type { DayOrder } from '../../lib/timestamps';
import type { Post, Quarantined } from '../../lib/schema';
import { heartbeat } from '../../activities/heartbeat';
import { recogniseRecord, type ShapeResult } from '../../activities/collect/fileShapes';
import type { Json } from '../../activities/collect/platforms/mapping';
import { partitionKey, type CollectResult, type CollectedPartition } from '../../activities/collect/types';
import {
  SAMPLE_RECORDS,
  detectFormat,
  parseJsonKeepingBigInts,
  planMapping,
  recordToPost,
  type FileImportInput,
  type FileReadNotes,
  type ImportPlan,
} from '../../activities/collect/file';

const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
type FileItem = ({ line: number; record: Json } | { line: number; error: string; raw: string }) & { unit?: 'line' | 'item' };

/**
 * JSON records of a JSONL/NDJSON file, one per line; a `.json` file whose first line is not a JSON object on its
 * own is read as one document (an array of records, or one object that may hold many posts).
 */
async function* jsonItems(file: string): AsyncGenerator<FileItem> {
  const asDocument = /\.json(\.gz)?$/i.test(file) && (await firstLineIsNotARecord(file));
  if (asDocument) {
    let text = '';
    for await (const chunk of await openText(file)) {
      text += chunk;
      if (text.length > 512 * 1024 * 1024)
        throw new InputFileError(`${path.basename(file)} is a JSON document over 512 MB: convert it to JSON Lines (one record per line), e.g. jq -c '.[]'`);
    }
    let doc: unknown;
    try {
      doc = parseJsonKeepingBigInts(text);
    } catch (err) {
      throw new InputFileError(`${path.basename(file)} is not valid JSON (${(err as Error).message}); if it holds one record per line, name it .jsonl`);
    }
    const list = Array.isArray(doc) ? doc : [doc];
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (isObj(v)) yield { line: i + 1, record: v, unit: 'item' };
      else yield { line: i + 1, error: 'not a JSON object', raw: JSON.stringify(v) ?? String(v), unit: 'item' };
    }
    return;
  }
  for await (const { line, text } of readLines(file)) {
    if (!text.trim()) continue;
    try {
      const value = parseJsonKeepingBigInts(text);
      if (isObj(value)) yield { line, record: value };
      else yield { line, error: 'not a JSON object', raw: text };
    } catch (err) {
      yield { line, error: `invalid JSON: ${(err as Error).message}`, raw: text };
    }
  }
}

async function firstLineIsNotARecord(file: string): Promise<boolean> {
  for await (const { text } of readLines(file)) {
    if (!text.trim()) continue;
    try {
      return !isObj(JSON.parse(text));
    } catch {
      return true;
    }
  }
  return false;
}

async function* tableItems(file: string, delimiter: string): AsyncGenerator<FileItem> {
  const kind = delimiter === '\t' ? 'TSV' : delimiter === ',' ? 'CSV' : `CSV (${delimiterName(delimiter)}-delimited)`;
  for await (const item of readTableItems(file, { delimiter })) {
    if ('error' in item) yield { line: item.line, error: `unreadable ${kind} row: ${item.error}`, raw: item.raw };
    else yield { line: item.line, record: item.row };
  }
}

/** Turns a failure while reading the file into the activity's error: what no retry can fix is non-retryable. */
function asActivityError(file: string, err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const e = err as Error & { code?: string };
  if (err instanceof InputFileError) return ApplicationFailure.nonRetryable(`${e.message} (${file})`, 'InvalidInput');
  if (e?.code === 'EACCES' || e?.code === 'EISDIR' || e?.code === 'ENOENT') {
    return ApplicationFailure.nonRetryable(`cannot read ${file}: ${e.message} (the path is read by the worker)`, 'InvalidInput');
  }
  return err; // I/O trouble (EIO, a network file system): a retry may help
}

const dayOrderNames: Record<DayOrder, string | null> = {
  dmy: 'day-first (DD/MM/YYYY)',
  mdy: 'month-first (MM/DD/YYYY)',
  mixed: 'mixed: both orders occur, those rows are quarantined',
  unknown: null,
};

function log(message: string): void {
  try {
    Context.current().log.info(message);
  } catch {
    // outside an activity (unit tests)
  }
}

export function createFileCollectActivitiesV1(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /**
     * Imports a CSV/TSV/JSONL/JSON file (optionally gzipped; UTF-8, UTF-16 or Windows-1252) into post.v1 day
     * partitions. Recognised JSON exports (fileShapes.ts) need no mapping; other files are mapped by column
     * names decided from the first SAMPLE_RECORDS records. Rows that cannot become a post (unreadable CSV row or
     * JSON line, no text, a bad or implausible time) are quarantined with their line and reason.
     * Result counts: `in` = posts + quarantined, counting posts, not lines (a twarc2 line holds many posts).
     * Fails non-retryably (InvalidInput) for a file that is missing, empty, not what its name says, truncated,
     * or has no records or no usable mapping.
     */
    async importFile(input: FileImportInput): Promise<CollectResult> {
      // Checked before any row is read: a platform name the post schema refuses would quarantine every row.
      const platformProblem = input.platform == null ? null : platformNameProblem(input.platform);
      if (platformProblem) throw ApplicationFailure.nonRetryable(`file.platform: ${platformProblem}`, 'InvalidInput');
      const file = path.resolve(input.path);
      if (!fs.existsSync(file)) throw ApplicationFailure.nonRetryable(`file not found: ${file} (the path is read by the worker)`, 'InvalidInput');
      const stat = fs.statSync(file);
      if (!stat.isFile()) throw ApplicationFailure.nonRetryable(`not a file: ${file}`, 'InvalidInput');
      if (stat.size === 0) throw ApplicationFailure.nonRetryable(`file is empty: ${file}: nothing to import`, 'InvalidInput');
      const format = input.format ?? detectFormat(file);
      const platform = input.platform ?? 'file';
      const fileDigest = sha256(`${file}:${stat.size}:${stat.mtimeMs}`).slice(0, 12);
      const now = Date.now();

      const byDay = new Map<string, { posts: Post[]; raw: unknown[] }>();
      const quarantined: Quarantined[] = [];
      let count = 0;
      const keep = (post: Post, raw: unknown) => {
        const day = post.created_at.slice(0, 10);
        const bucket = byDay.get(day) ?? byDay.set(day, { posts: [], raw: [] }).get(day)!;
        bucket.posts.push(post);
        bucket.raw.push(raw);
      };
      let plan: ImportPlan | null = null;
      let delimiter: string | null;
      const accept = (item: FileItem) => {
        if (item.line % 5000 === 0) heartbeat({ line: item.line });
        const at = `${item.unit ?? 'line'} ${item.line}`;
        if ('error' in item) {
          count++;
          quarantined.push({ reason: `${at}: ${item.error}`, line: item.line, record: item.raw });
          return;
        }
        const shape = plan!.shapes ? recogniseRecord(item.record) : null;
        const results: ShapeResult[] = [];
        if (shape) {
          results.push(...shape.posts(item.record, { platform, now }));
        } else if (plan!.mapping) {
          const r = recordToPost(item.record, plan!.mapping, platform, `${fileDigest}-${item.line}`, {
            excelColumns: plan!.excelColumns,
            dayOrders: plan!.dayOrders,
            now,
          });
          if ('post' in r) {
            const { raw, ...post } = r.post;
            results.push({ post: post as Post, raw });
          } else results.push({ reason: r.reason, raw: item.record });
        } else {
          results.push({ reason: 'not in any recognised shape, and the file has no text column to map', raw: item.record });
        }
        results.forEach((r, i) => {
          count++;
          if ('post' in r) keep(r.post, r.raw);
          // a record holding many posts (a twarc2 line, a saved API page) names which one; the record kept is
          // the one read from the file, or the post's own part of it
          else if (results.length === 1) quarantined.push({ reason: `${at}: ${r.reason}`, line: item.line, record: item.record });
          else quarantined.push({ reason: `${at} (post ${i + 1} of ${results.length}): ${r.reason}`, line: item.line, record: r.raw });
        });
      };

      try {
        // a .csv's delimiter is sniffed from its first lines: European Excel writes `;`
        delimiter = format === 'tsv' ? '\t' : format === 'csv' ? ((await sniffDelimiter(file)) ?? ',') : null;
        const items = delimiter === null ? jsonItems(file) : tableItems(file, delimiter);
        const sample: FileItem[] = [];
        for await (const item of items) {
          if (plan) {
            accept(item);
            continue;
          }
          sample.push(item);
          if (sample.length >= SAMPLE_RECORDS) {
            plan = planMapping(records(sample), { mapping: input.mapping, file, json: format === 'jsonl' });
            sample.forEach(accept);
          }
        }
        if (!plan) {
          const recs = records(sample);
          if (recs.length === 0 && sample.length === 0) throw ApplicationFailure.nonRetryable(`file has a header but no records: ${file}`, 'InvalidInput');
          if (recs.length === 0) {
            const first = sample[0] as { error: string; line: number };
            const read = delimiter && delimiter !== '\t' ? `, read as ${delimiterName(delimiter)}-delimited CSV` : '';
            throw ApplicationFailure.nonRetryable(
              `${file}: none of its ${sample.length} records can be read${read} (line ${first.line}: ${first.error})`,
              'InvalidInput',
            );
          }
          plan = planMapping(recs, { mapping: input.mapping, file, json: format === 'jsonl' });
          sample.forEach(accept);
        }
      } catch (err) {
        throw asActivityError(file, err);
      }
      if (count === 0) throw ApplicationFailure.nonRetryable(`file has no records: ${file}`, 'InvalidInput');

      // file.v3: a .csv's delimiter is sniffed, columns match loosely, day/month dates are read: the same file reads anew
      const digest = inputDigest({ importer: 'file.v3', fileDigest, mapping: input.mapping ?? {}, platform, format });
      const partitions: CollectedPartition[] = [];
      for (const [date, bucket] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
        const rawRef = await writeNdjson(store, partitionKey('raw', 'file', null, date, digest), bucket.raw, 'file.raw.v1');
        const postsRef = await writeNdjson(store, partitionKey('posts', 'file', null, date, digest), bucket.posts, 'post.v1');
        await recordDataset(db, { ref: rawRef, stage: 'raw', source: 'file', date, runKey: input.runKey, meta: { file } });
        await recordDataset(db, { ref: postsRef, stage: 'posts', source: 'file', date, runKey: input.runKey, inputs: [rawRef.uri] });
        partitions.push({ date, posts: postsRef, raw: rawRef });
      }
      let quarantineRef = null;
      if (quarantined.length > 0) {
        quarantineRef = await writeNdjson(store, `quarantine/source=file/${digest}.ndjson.gz`, quarantined, 'quarantine.v1');
        await recordDataset(db, { ref: quarantineRef, stage: 'quarantine', source: 'file', runKey: input.runKey, meta: { file } });
      }
      const timeColumn = plan?.mapping?.created_at;
      const order = timeColumn ? plan?.dayOrders.get(timeColumn) : undefined;
      const dateOrder = order ? dayOrderNames[order] : null;
      const read: FileReadNotes = {
        format,
        ...(delimiter !== null ? { delimiter: delimiterName(delimiter) } : {}),
        ...(plan?.mapping ? { columns: plan.mapping } : {}),
        ...(dateOrder ? { dateOrder } : {}),
      };
      log(`imported ${path.basename(file)}: ${JSON.stringify(read)}`);
      return { source: 'file', query: null, partitions, quarantine: quarantineRef, counts: { in: count, quarantined: quarantined.length }, read };
    },
  };
}

const records = (items: readonly FileItem[]): Json[] => items.flatMap((i) => ('record' in i ? [i.record] : []));
