import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../lib/db';
import type { ObjectStore } from '../../lib/objectStore';
import { recordDataset } from '../../lib/catalog';
import { inputDigest, sha256, writeNdjson } from '../../lib/datasets';
import { readTable } from '../../lib/tabular';
import type { Post, Quarantined } from '../../lib/schema';
import { heartbeat } from '../heartbeat';
import { partitionKey, type CollectResult, type CollectedPartition } from './types';

/** post.v1 fields a file column can be mapped to. */
export const mappableFields = ['id', 'text', 'created_at', 'author_id', 'author_handle', 'followers', 'lang', 'url', 'likes', 'reposts', 'replies'] as const;
export type MappableField = (typeof mappableFields)[number];
export type ColumnMapping = Partial<Record<MappableField, string>>;

/** Column names tried, in order, for each field when the mapping does not name one. */
const defaultColumns: Record<MappableField, string[]> = {
  id: ['id', 'post_id', 'tweet_id', 'id_str'],
  text: ['text', 'full_text', 'content', 'body', 'message'],
  created_at: ['created_at', 'timestamp', 'date', 'time', 'createdAt'],
  author_id: ['author_id', 'user_id', 'userId', 'author', 'user'],
  author_handle: ['author_handle', 'handle', 'username', 'screen_name', 'user_name'],
  followers: ['followers', 'followers_count'],
  lang: ['lang', 'language'],
  url: ['url', 'link', 'permalink'],
  likes: ['likes', 'like_count', 'favorite_count'],
  reposts: ['reposts', 'retweets', 'retweet_count', 'shares'],
  replies: ['replies', 'reply_count', 'comments'],
};

export type FileFormat = 'csv' | 'tsv' | 'jsonl';

export interface FileImportInput {
  path: string;
  format?: FileFormat;
  mapping?: ColumnMapping;
  /** the platform prefix of post ids; 'file' unless the data is known to come from one */
  platform?: string;
  runKey: string;
}

export function detectFormat(file: string): FileFormat {
  const name = file.replace(/\.gz$/, '').toLowerCase();
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  throw ApplicationFailure.nonRetryable(
    `cannot tell the format of ${file}: name it .csv, .tsv, .jsonl or .ndjson (optionally .gz), or pass format`,
    'InvalidInput',
  );
}

const SNOWFLAKE_EPOCH = 1288834974657;

/** Twitter-style Snowflake ids carry their creation time: (id >> 22) + epoch. */
export function snowflakeTime(id: string): string | null {
  if (!/^\d{15,20}$/.test(id)) return null;
  const ms = Number(BigInt(id) >> 22n) + SNOWFLAKE_EPOCH;
  return ms > SNOWFLAKE_EPOCH && ms < Date.now() + 86_400_000 ? new Date(ms).toISOString() : null;
}

export function parseTimestamp(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  if (/^\d{9,13}$/.test(v)) return new Date(v.length <= 10 ? Number(v) * 1000 : Number(v)).toISOString();
  // "2015-02-26 21:42:53" carries no zone; the data sets we know record UTC.
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(v) && !/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v.replace(' ', 'T') + 'Z' : v;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function getPath(record: Record<string, unknown>, key: string): unknown {
  if (key in record) return record[key];
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), record);
}

/** Resolves the mapping against the columns present; an explicit mapping to a missing column is an error. */
export function resolveMapping(columns: string[], mapping: ColumnMapping = {}, file = 'input'): Partial<Record<MappableField, string>> {
  for (const [field, column] of Object.entries(mapping)) {
    if (!(mappableFields as readonly string[]).includes(field)) {
      throw ApplicationFailure.nonRetryable(`unknown field "${field}" in the column mapping; mappable fields: ${mappableFields.join(', ')}`, 'InvalidInput');
    }
    if (column && !columns.includes(column) && !column.includes('.')) {
      throw ApplicationFailure.nonRetryable(`${file}: mapping ${field}=${column} names a column the file does not have; its columns are: ${columns.join(', ')}`, 'InvalidInput');
    }
  }
  const resolved: Partial<Record<MappableField, string>> = {};
  for (const field of mappableFields) {
    const column = mapping[field] ?? defaultColumns[field].find((c) => columns.includes(c));
    if (column) resolved[field] = column;
  }
  if (!resolved.text) {
    throw ApplicationFailure.nonRetryable(
      `${file}: no text column found (looked for ${defaultColumns.text.join(', ')}); its columns are: ${columns.join(', ')}. Map one, e.g. --map text=COLUMN`,
      'InvalidInput',
    );
  }
  return resolved;
}

const num = (v: unknown): number | null => (v === undefined || v === null || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

export function recordToPost(
  record: Record<string, unknown>,
  mapping: Partial<Record<MappableField, string>>,
  platform: string,
  fallbackId: string,
): { post: Post } | { reason: string } {
  const get = (f: MappableField) => (mapping[f] ? getPath(record, mapping[f]!) : undefined);
  const text = get('text');
  if (typeof text !== 'string' || text.trim() === '') return { reason: `empty or missing text (column "${mapping.text}")` };
  const nativeId = String(get('id') ?? '').trim() || fallbackId;
  const rawTime = get('created_at');
  const createdAt = rawTime !== undefined && rawTime !== null && rawTime !== '' ? parseTimestamp(String(rawTime)) : snowflakeTime(nativeId);
  if (!createdAt) {
    return {
      reason: mapping.created_at
        ? `unparseable timestamp "${String(rawTime)}" in column "${mapping.created_at}"`
        : 'no created_at column and the id is not a Snowflake id: map a timestamp column (created_at=COLUMN)',
    };
  }
  const authorId = String(get('author_id') ?? get('author_handle') ?? 'unknown');
  return {
    post: {
      id: `${platform}:${nativeId}`,
      platform,
      author: { id: authorId, handle: String(get('author_handle') ?? authorId), followers: num(get('followers')), created_at: null },
      text,
      lang: (get('lang') as string) || null,
      created_at: createdAt,
      url: (get('url') as string) || null,
      metrics: { likes: num(get('likes')) ?? 0, reposts: num(get('reposts')) ?? 0, replies: num(get('replies')) ?? 0, views: null },
      reply_to: null,
      repost_of: null,
      hashtags: [],
      mentions: [],
      urls: [],
      raw: record,
    },
  };
}

async function* readJsonLines(file: string): AsyncGenerator<{ line: number; record?: Record<string, unknown>; error?: string; text: string }> {
  const stream = fs.createReadStream(file);
  const input = file.endsWith('.gz') ? stream.pipe(zlib.createGunzip()) : stream;
  let line = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    try {
      const value = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) yield { line, record: value, text };
      else yield { line, error: 'not a JSON object', text };
    } catch (err) {
      yield { line, error: `invalid JSON: ${(err as Error).message}`, text };
    }
  }
}

export function createFileCollectActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /** Imports a CSV/TSV/JSONL file (optionally gzipped) into post.v1 partitions; bad rows are quarantined. */
    async importFile(input: FileImportInput): Promise<CollectResult> {
      const file = path.resolve(input.path);
      if (!fs.existsSync(file)) throw ApplicationFailure.nonRetryable(`file not found: ${file} (the path is read by the worker)`, 'InvalidInput');
      if (fs.statSync(file).size === 0) throw ApplicationFailure.nonRetryable(`file is empty: ${file}: nothing to import`, 'InvalidInput');
      const format = input.format ?? detectFormat(file);
      const platform = input.platform ?? 'file';
      const fileDigest = sha256(`${file}:${fs.statSync(file).size}:${fs.statSync(file).mtimeMs}`).slice(0, 12);

      const byDay = new Map<string, { posts: Post[]; raw: unknown[] }>();
      const quarantined: Quarantined[] = [];
      let mapping: Partial<Record<MappableField, string>> | null = null;
      let count = 0;
      const accept = (record: Record<string, unknown>, line: number) => {
        if (line % 5000 === 0) heartbeat({ line });
        mapping ??= resolveMapping(Object.keys(record), input.mapping, file);
        const result = recordToPost(record, mapping, platform, `${fileDigest}-${line}`);
        if ('reason' in result) {
          quarantined.push({ reason: `line ${line}: ${result.reason}`, line, record });
          return;
        }
        const { raw, ...post } = result.post;
        const day = post.created_at.slice(0, 10);
        const bucket = byDay.get(day) ?? byDay.set(day, { posts: [], raw: [] }).get(day)!;
        bucket.posts.push(post as Post);
        bucket.raw.push(raw);
      };

      if (format === 'jsonl') {
        for await (const item of readJsonLines(file)) {
          count++;
          if (item.record) accept(item.record, item.line);
          else quarantined.push({ reason: `line ${item.line}: ${item.error}`, line: item.line, record: item.text });
        }
      } else {
        let line = 1; // the header
        for await (const row of readTable(file, { delimiter: format === 'tsv' ? '\t' : ',' })) {
          line++;
          count++;
          accept(row, line);
        }
      }
      if (count === 0) throw ApplicationFailure.nonRetryable(`file has a header but no records: ${file}`, 'InvalidInput');

      const digest = inputDigest({ importer: 'file.v1', fileDigest, mapping: input.mapping ?? {}, platform, format });
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
      return { source: 'file', query: null, partitions, quarantine: quarantineRef, counts: { in: count, quarantined: quarantined.length } };
    },
  };
}
