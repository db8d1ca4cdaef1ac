import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { invalidInput } from '../../lib/failures';
import { DAY_MS } from '../../lib/dates';
import { parse as parseLossless } from 'lossless-json';
import type { Db } from '../../lib/db';
import type { ObjectStore } from '../../lib/objectStore';
import { recordDataset } from '../../lib/catalog';
import { platformNameProblem } from '../../lib/platformName';
import { inputDigest, sha256 } from '../../lib/datasets';
import { dataDir } from '../../lib/paths';
import { InputFileError, delimiterName, openText, readLines, readTableItems, sniffDelimiter } from '../../lib/tabular';
import { dayMonthOrder, excelSerialColumn, postTime, type DayOrder } from '../../lib/timestamps';
import type { Post, Quarantined } from '../../lib/schema';
import { heartbeat } from '../heartbeat';
import { archiveOwner, dominantShape, recogniseRecord, sampleIsRecognised, shapeProblem, type ShapeResult } from './fileShapes';
import { DELETED_TEXTS, unknownAuthor, type Json } from './platforms/mapping';
import { jsonArrayItems, partOf, PartitionSpill, spilledLines, uploadSpilled, type SpilledFile } from './fileStream';
import { partitionKey, type CollectResult, type CollectedPartition } from './types';
import { mappableFields, type ColumnMapping, type FileFormat, type MappableField } from '../../lib/fileFormat';

/** The mapping's fields are defined with the file formats (lib/fileFormat.ts), which the CLI reads without this module. */
export { mappableFields, type ColumnMapping, type MappableField };

/**
 * Column names tried, in order, for each field when the mapping does not name one: exact names first (any field),
 * then names equal but for case, surrounding spaces and spaces/hyphens for underscores (`Tweet`, ` Created At `).
 */
const defaultColumns: Record<MappableField, string[]> = {
  // id_str before id: in Twitter v1.1 JSON `id` is a 64-bit number and `id_str` its exact digits
  id: ['id_str', 'id', 'post_id', 'tweet_id', 'status_id'],
  text: ['text', 'full_text', 'content', 'body', 'selftext', 'message', 'caption', 'post', 'tweet', 'tweet_text'],
  // a title read before the text, as Reddit shows a submission (its GDPR export's posts.csv: title, body)
  title: ['title'],
  created_at: ['created_at', 'created_time', 'created_utc', 'createdAt', 'timestamp', 'published', 'date', 'time', 'datetime', 'created'],
  // these may hold an object (`user`, `account`, `author`, `from`): its id and handle are used
  author_id: ['author_id', 'user_id', 'userId', 'author', 'user', 'account', 'from', 'owner'],
  author_handle: ['author_handle', 'handle', 'username', 'screen_name', 'user_name', 'acct'],
  followers: ['followers', 'followers_count'],
  lang: ['lang', 'language'],
  url: ['url', 'link', 'permalink'],
  likes: ['likes', 'like_count', 'favorite_count', 'favourites_count', 'likeCount'],
  reposts: ['reposts', 'retweets', 'retweet_count', 'reblogs_count', 'shares', 'repostCount'],
  replies: ['replies', 'reply_count', 'replies_count', 'comments', 'replyCount'],
};

export type { FileFormat };

export interface FileImportInput {
  path: string;
  format?: FileFormat;
  mapping?: ColumnMapping;
  /** the platform prefix of post ids; 'file' unless the data is known to come from one */
  platform?: string;
  /**
   * A day with more posts than this is stored as parts of at most about this many posts each (assigned by a hash of
   * the post id); default `defaultMaxPartitionPosts()`.
   */
  maxPartitionPosts?: number;
  runKey: string;
}

/** Posts per stored partition above which a day is split into parts (one long activity per big day otherwise). */
export const DEFAULT_MAX_PARTITION_POSTS = 100_000;

/**
 * The split threshold when the import input names none: `SOCIALSENSE_MAX_PARTITION_POSTS` if set (a positive
 * integer), else DEFAULT_MAX_PARTITION_POSTS. Throws for a value that is not a positive integer.
 */
export function defaultMaxPartitionPosts(env: Record<string, string | undefined> = process.env): number {
  const v = env.SOCIALSENSE_MAX_PARTITION_POSTS;
  if (v === undefined || v === '') return DEFAULT_MAX_PARTITION_POSTS;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`SOCIALSENSE_MAX_PARTITION_POSTS must be a positive integer, got "${v}"`);
  return n;
}

/** Records read before the mapping is decided: the columns seen in all of them count, not only the first's. */
export const SAMPLE_RECORDS = 1000;

export function detectFormat(file: string): FileFormat {
  const name = file.replace(/\.gz$/, '').toLowerCase();
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  // .txt: what Excel calls "Unicode Text" and "Text (Tab delimited)"; read as a table whose delimiter is sniffed.
  if (name.endsWith('.csv') || name.endsWith('.txt')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  // an X (Twitter) account archive's data/tweets.js: a JSON array behind a `window.YTD.tweets.part0 = ` assignment
  if (name.endsWith('.js')) return 'jsonl';
  if (name.endsWith('.car'))
    throw invalidInput(
      `${file} is a Bluesky repository export (CAR, binary), which is not read: save the posts as JSON instead, e.g. the response of com.atproto.repo.listRecords (collection app.bsky.feed.post) or app.bsky.feed.getAuthorFeed, and import that .json`,
    );
  const hint = /\.(xlsx|xls|ods|numbers)$/.test(name) ? ' (a spreadsheet: save it as "CSV UTF-8" first)' : '';
  throw invalidInput(
    `cannot tell the format of ${file}${hint}: name it .csv, .tsv, .txt (a delimited table), .jsonl, .ndjson or .json (optionally .gz), or give its format: \`run --format csv|tsv|jsonl|json\` (the API: file.format)`,
  );
}

const SNOWFLAKE_EPOCH = 1288834974657;

/** Twitter-style Snowflake ids carry their creation time: (id >> 22) + epoch. */
export function snowflakeTime(id: string): string | null {
  if (!/^\d{15,20}$/.test(id)) return null;
  const ms = Number(BigInt(id) >> 22n) + SNOWFLAKE_EPOCH;
  return ms > SNOWFLAKE_EPOCH && ms < Date.now() + DAY_MS ? new Date(ms).toISOString() : null;
}

/**
 * A number of 16 or more digits (a decimal point among them allowed) where JSON can start a number: the text's start,
 * or after `:`, `,` or `[`, then blanks and a minus. Where an integer past Number.MAX_SAFE_INTEGER (16 digits) can be,
 * also written with an exponent (`1790000000000000403e0`, `1.790000000000000403e18`). Ids in strings
 * (`"id_str":"1790…"`, what X, Mastodon and Reddit exports hold on every line) do not match, though a string holding
 * `, 1790…` can, and so can a float with 16+ digits: that only costs the slower parse.
 */
const UNSAFE_INTEGER_CANDIDATE = /(?:^|[:,[])\s*-?\d(?:\.?\d){15}/;

/** Whether `text` may hold an integer JSON.parse would round, i.e. needs parseJsonKeepingBigInts's slow path. */
export const mayHoldUnsafeInteger = (text: string): boolean => UNSAFE_INTEGER_CANDIDATE.test(text);

/** Digits an integer read from JSON may have and still be kept exact (a 64-bit id has 20 at most). */
const MAX_EXACT_INTEGER_DIGITS = 40;

/**
 * The exact decimal digits of a JSON number literal when its value is an integer (`1790000000000000403e0`,
 * `1.790000000000000403e18` → "1790000000000000403", `-12e2` → "-1200"), else null (a fraction, or more than
 * MAX_EXACT_INTEGER_DIGITS digits).
 */
export function exactIntegerDigits(literal: string): string | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return null;
  const [, sign, whole, fraction = '', exponent = '0'] = m;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent); // where the decimal point falls in `digits`
  if (point > MAX_EXACT_INTEGER_DIGITS) return null;
  if (point < digits.length && /[1-9]/.test(digits.slice(Math.max(point, 0)))) return null; // a fraction
  const integer = (point <= 0 ? '0' : digits.slice(0, point).padEnd(point, '0')).replace(/^0+(?=\d)/, '');
  return integer === '0' ? '0' : sign + integer;
}

/**
 * Parses one JSON text keeping 64-bit integers exact: an integer beyond Number.MAX_SAFE_INTEGER becomes its digit
 * string (JSON.parse would round 1790000000000000001 to 1790000000000000000), also when written with an exponent.
 * Texts where no number can have 16 digits (mayHoldUnsafeInteger) take the fast JSON.parse path: 0.7 µs instead of
 * 3.8 µs for a tweet with its ids in strings. Bare NaN, Infinity and -Infinity values (Python's json.dumps writes them)
 * are read as null. A key written twice keeps its last value, as with JSON.parse. Throws SyntaxError like JSON.parse.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  try {
    return parseExact(text);
  } catch (err) {
    // Python's json.dumps writes a missing float as NaN (allow_nan is its default): not JSON, but meant as "no value"
    const nulled = nonFiniteAsNull(text);
    if (nulled === text) throw err;
    try {
      return parseExact(nulled);
    } catch {
      throw err; // the line's own error: its positions are the line's
    }
  }
}

function parseExact(text: string): unknown {
  if (!mayHoldUnsafeInteger(text)) return JSON.parse(text);
  return parseLossless(text, null, {
    parseNumber: (v: string) => {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : (exactIntegerDigits(v) ?? n);
    },
    // A key written twice keeps its last value, as JSON.parse (the fast path), Python and pandas do; lossless-json
    // would throw, so one line would be quarantined or kept depending on whether it also held a 64-bit number.
    onDuplicateKey: ({ newValue }) => newValue,
  });
}

/**
 * `text` with the bare tokens NaN, Infinity and -Infinity outside strings written as null (the same text when it has
 * none): what Python's json module and JavaScript's older exporters write for a float with no value.
 */
export function nonFiniteAsNull(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else {
      const token = text.startsWith('NaN', i) ? 'NaN' : text.startsWith('-Infinity', i) ? '-Infinity' : text.startsWith('Infinity', i) ? 'Infinity' : null;
      if (token) {
        out += text.slice(from, i) + 'null';
        i += token.length - 1;
        from = i + 1;
      }
    }
  }
  return out + text.slice(from);
}

function getPath(record: Record<string, unknown>, key: string): unknown {
  if (key in record) return record[key];
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), record);
}

/** The columns (top-level keys) of a sample of records, in the order they are first seen. */
export function columnsOf(sample: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of sample) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/**
 * Resolves the mapping against the columns present in a sample of records (all of it, not the first record: a
 * Facebook export's first post may lack `message`). An explicit mapping to a column that no sampled record has is
 * an error naming the columns seen; a dotted path (`user.id_str`) must resolve in at least one sampled record.
 * Throws a non-retryable InvalidInput ApplicationFailure for those and when no text column is found.
 */
export function resolveMapping(
  columns: string[],
  mapping: ColumnMapping = {},
  file = 'input',
  sample: readonly Record<string, unknown>[] = [],
): Partial<Record<MappableField, string>> {
  const explicit: Partial<Record<MappableField, string>> = {};
  for (const [field, column] of Object.entries(mapping)) {
    if (!(mappableFields as readonly string[]).includes(field)) {
      throw invalidInput(`unknown field "${field}" in the column mapping; mappable fields: ${mappableFields.join(', ')}`);
    }
    if (!column) continue;
    const present = columns.includes(column) || (column.includes('.') && (sample.length === 0 || sample.some((r) => getPath(r, column) !== undefined)));
    if (present) {
      explicit[field as MappableField] = column;
      continue;
    }
    // `--map text=tweet` for a column `Tweet`: taken when exactly one column is that name but for case and spaces
    const like = columns.filter((c) => looseName(c) === looseName(column));
    if (like.length === 1) {
      explicit[field as MappableField] = like[0];
      continue;
    }
    const seen = sample.length > 1 ? ` (in its first ${sample.length} records)` : '';
    const why = like.length > 1 ? `matches several columns but for case (${like.join(', ')}): give the exact name` : 'names a column the file does not have';
    throw invalidInput(`${file}: mapping ${field}=${column} ${why}; its columns are: ${columns.join(', ')}${seen}`);
  }
  const resolved: Partial<Record<MappableField, string>> = {};
  const taken = new Set(Object.values(explicit));
  // exact names first, for every field, so a file that matched exactly before maps exactly as before
  for (const field of mappableFields) {
    const column = explicit[field] ?? defaultColumns[field].find((c) => columns.includes(c));
    if (column) {
      resolved[field] = column;
      taken.add(column);
    }
  }
  for (const field of mappableFields) {
    if (resolved[field]) continue;
    for (const name of defaultColumns[field]) {
      const like = columns.filter((c) => looseName(c) === looseName(name) && !taken.has(c));
      if (like.length === 1) {
        resolved[field] = like[0];
        taken.add(like[0]);
        break;
      }
    }
  }
  if (!resolved.text) {
    throw invalidInput(
      `${file}: no text column found (looked for ${defaultColumns.text.join(', ')}); its columns are: ${columns.join(', ')}. Map one, e.g. --map text=COLUMN`,
    );
  }
  return resolved;
}

/** A column name compared loosely: case, surrounding spaces, and spaces/hyphens inside (`Created At` = `created_at`). */
const looseName = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const num = (v: unknown): number | null => (v === undefined || v === null || v === '' || typeof v === 'object' || Number.isNaN(Number(v)) ? null : Number(v));
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const firstString = (o: Json, keys: string[]) => {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  }
  return null;
};

/** An author column that holds an object (`user`, `account`, `author`, `from`): its id, handle and followers. */
export function authorFromObject(o: Json): { id: string | null; handle: string | null; followers: number | null } {
  return {
    id: firstString(o, ['id_str', 'id', 'did', 'pk', 'author_id', 'user_id']),
    handle: firstString(o, ['screen_name', 'username', 'acct', 'handle', 'name']),
    followers: num(o.followers_count ?? o.followers),
  };
}

/** A scalar cell as a string; objects are refused (they would become "[object Object]"). */
function scalar(v: unknown, column: string | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw new Error(`column "${column}" holds ${Array.isArray(v) ? 'a list' : 'an object'}, not a value: map one of its fields, e.g. ${column}.id`);
}

export interface RecordOptions {
  /** columns whose numbers are Excel serial days (decided per file by `planMapping`) */
  excelColumns?: ReadonlySet<string>;
  /** epoch ms for the plausibility check of times */
  now?: number;
  /** the day/month order of each time column's numeric dates (`13/05/2024`), decided per file by `planMapping` */
  dayOrders?: ReadonlyMap<string, DayOrder>;
  /** the file is one account's archive: a row without an author is the archive owner's (fileShapes.ts archiveOwner) */
  archiveOwner?: boolean;
}

/**
 * Ids for the rows of a file without an id column (or with one set aside: row numbers, ids Excel cut to scientific
 * notation): `r` and 16 hex digits of the SHA-256 of the row's cells, the set-aside column left out, and `-2`, `-3`, …
 * for the second, third identical row of the file. The same rows imported again (a re-download of a sheet with one row
 * more, a copy under another name, the file touched) keep their ids, so their posts merge instead of being counted
 * twice; a row edited in between is a new post. Memory: one entry per distinct row.
 */
export function createRowIds(): { of(record: Record<string, unknown>, setAside?: string): string } {
  const seen = new Map<string, number>();
  return {
    of(record, setAside) {
      const cells = Object.entries(record).filter(([name]) => name !== setAside);
      const digest = `r${inputDigest(cells)}`;
      const n = (seen.get(digest) ?? 0) + 1;
      seen.set(digest, n);
      return n === 1 ? digest : `${digest}-${n}`;
    },
  };
}

/**
 * Maps one flat record (a CSV row or a JSON object) to post.v1 through a resolved column mapping, or gives the
 * reason it cannot be a post: `no text (…)`, an unparseable or implausible time (lib/timestamps), no time and no
 * Snowflake id, a column holding an object where a value belongs. `raw` keeps the record verbatim.
 */
export function recordToPost(
  record: Record<string, unknown>,
  mapping: Partial<Record<MappableField, string>>,
  platform: string,
  fallbackId: string,
  opts: RecordOptions = {},
): { post: Post } | { reason: string } {
  try {
    const get = (f: MappableField) => (mapping[f] ? getPath(record, mapping[f]!) : undefined);
    const str = (f: MappableField) => scalar(get(f), mapping[f]);
    const written = get('text');
    const title = get('title');
    // Reddit writes a deleted or removed text as this placeholder: no text, as a deleted post has none; a post keeps
    // its title, as the Reddit connector keeps it
    const removed = typeof written === 'string' && DELETED_TEXTS.has(written.trim());
    if (removed && !(typeof title === 'string' && title.trim() !== '')) return { reason: `no text (column "${mapping.text}" holds ${written.trim()})` };
    const body = removed ? undefined : written;
    const text = [title, body].filter((t): t is string => typeof t === 'string' && t.trim() !== '').join('\n\n');
    if (text === '') return { reason: `no text (column "${mapping.text}"${mapping.title ? ` and column "${mapping.title}" are` : ' is'} empty or missing)` };
    const nativeId = str('id')?.trim() || fallbackId;
    const rawTime = get('created_at');
    let createdAt: string | null;
    if (rawTime !== undefined && rawTime !== null && rawTime !== '') {
      const t = postTime(rawTime, {
        excelSerial: opts.excelColumns?.has(mapping.created_at!) ?? false,
        dayOrder: opts.dayOrders?.get(mapping.created_at!),
        now: opts.now,
        where: `column "${mapping.created_at}"`,
      });
      if (!t.ok) return { reason: t.reason };
      createdAt = t.iso;
    } else {
      createdAt = snowflakeTime(nativeId);
      if (!createdAt) {
        return {
          reason: mapping.created_at
            ? `no time (column "${mapping.created_at}" is empty or missing) and the id is not a Snowflake id`
            : 'no created_at column and the id is not a Snowflake id: map a timestamp column (created_at=COLUMN)',
        };
      }
    }
    const authorValue = get('author_id');
    const handleValue = get('author_handle');
    const fromObj = isObj(authorValue) ? authorFromObject(authorValue) : null;
    const handleObj = isObj(handleValue) ? authorFromObject(handleValue) : null;
    const authorId = fromObj ? fromObj.id : scalar(authorValue, mapping.author_id)?.trim() || null;
    const handle = handleObj ? handleObj.handle : ((scalar(handleValue, mapping.author_handle)?.trim() || null) ?? fromObj?.handle ?? null);
    const id = authorId ?? handleObj?.id ?? handle;
    const followers = num(get('followers')) ?? fromObj?.followers ?? handleObj?.followers ?? null;
    return {
      post: {
        id: `${platform}:${nativeId}`,
        platform,
        // without an author the post still counts for text analytics; a per-post id keeps it out of a fake user
        author: id
          ? { id, handle: handle ?? id, followers: followers !== null && Number.isInteger(followers) && followers >= 0 ? followers : null, created_at: null }
          : opts.archiveOwner
            ? archiveOwner(platform)
            : unknownAuthor(`${platform}:${nativeId}`),
        text,
        lang: str('lang') || null,
        created_at: createdAt,
        url: str('url') || null,
        metrics: { likes: num(get('likes')), reposts: num(get('reposts')), replies: num(get('replies')), views: null },
        reply_to: null,
        repost_of: null,
        hashtags: [],
        mentions: [],
        urls: [],
        raw: record,
      },
    };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

/** How a file's records become posts, decided from a sample of its first records. */
export interface ImportPlan {
  /** JSON records are read by the recognisers of activities/collect/fileShapes.ts */
  shapes: boolean;
  /** the most common recognised shape of the sample: a record no recogniser takes is judged against it */
  shape: string | null;
  /** the column mapping for records no recogniser takes (null when shapes cover the sample) */
  mapping: Partial<Record<MappableField, string>> | null;
  /**
   * the id column when its sampled values are the row numbers (0 or 1, 2, 3, … in file order, `rowNumberIds`):
   * such a column is no identity (two spreadsheets would share `file:1`), so posts get the ids of files without one
   */
  rowNumberColumn: string | null;
  /**
   * the id column when sampled values are numbers in scientific notation (`1.86253E+18`: what a spreadsheet shows for a
   * 19-digit id, and saves so when the sheet is saved again), `idsLostDigits`: different posts share such an id, so
   * posts get the ids of files without one
   */
  lostDigitsColumn: string | null;
  excelColumns: Set<string>;
  /** the day/month order of the time column's numeric dates; `unknown` when the sample does not prove it */
  dayOrders: Map<string, DayOrder>;
  /** the file is one account's archive (Reddit's data request: REDDIT_ARCHIVE_COLUMNS), so its posts are the owner's */
  archiveOwner: boolean;
}

/**
 * The columns of the CSV files of Reddit's data request (reddit.com/settings/data-request): `posts.csv` is `id,
 * permalink, date, ip, subreddit, gildings, title, url, body`, `comments.csv` `id, permalink, date, ip, subreddit,
 * gildings, link, parent, body, media`. They hold one account's own posts and never name it.
 */
const REDDIT_ARCHIVE_COLUMNS = ['id', 'permalink', 'date', 'subreddit', 'gildings', 'body'];

/**
 * Decides the plan from the sample: without an explicit mapping, JSON records in recognised shapes go through
 * the recognisers; otherwise columns are mapped (by name, or as the mapping says) from the columns seen in the
 * whole sample, and the timestamp column is read as Excel serial days when its sampled values are evidently
 * such (lib/timestamps `excelSerialColumn`). Throws InvalidInput for a mapping the sample cannot satisfy.
 */
export function planMapping(sample: readonly Json[], opts: { mapping?: ColumnMapping; file?: string; json: boolean }): ImportPlan {
  const explicit = opts.mapping && Object.keys(opts.mapping).length > 0;
  const shapes = !explicit && opts.json && sampleIsRecognised(sample).recognised;
  const rest = shapes ? sample.filter((r) => !recogniseRecord(r)) : sample;
  const restColumns = columnsOf(rest);
  let mapping: Partial<Record<MappableField, string>> | null = null;
  if (!shapes || rest.length > 0) {
    try {
      mapping = resolveMapping(restColumns, opts.mapping, opts.file, rest);
    } catch (err) {
      if (!shapes) throw err;
    }
  }
  // Reddit's data-request CSVs: one account's posts, which a post keeps its title with (as the Reddit connector does)
  const ownArchive = mapping !== null && !mapping.author_id && !mapping.author_handle && REDDIT_ARCHIVE_COLUMNS.every((c) => restColumns.includes(c));
  if (ownArchive && !mapping!.title && restColumns.includes('title')) mapping = { ...mapping, title: 'title' };
  const excelColumns = new Set<string>();
  const timeColumn = mapping?.created_at;
  const dayOrders = new Map<string, DayOrder>();
  if (timeColumn) {
    const values = rest.map((r) => getPath(r, timeColumn));
    if (excelSerialColumn(values, timeColumn)) excelColumns.add(timeColumn);
    // decided once for the whole column: a row past the sample is read in the sample's order, or refused with it
    dayOrders.set(timeColumn, dayMonthOrder(values) ?? 'unknown');
  }
  const idColumn = mapping?.id;
  const ids = idColumn ? rest.map((r) => getPath(r, idColumn)) : [];
  const rowNumberColumn = idColumn && rowNumberIds(ids) ? idColumn : null;
  const lostDigitsColumn = idColumn && idsLostDigits(ids) ? idColumn : null;
  return {
    shapes,
    shape: shapes ? dominantShape(sample) : null,
    mapping,
    excelColumns,
    dayOrders,
    rowNumberColumn,
    lostDigitsColumn,
    archiveOwner: ownArchive,
  };
}

/** A number written in scientific notation: 1.86253E+18, 1.8e19, 2E+18. */
const SCIENTIFIC = /^\s*-?\d+(?:\.\d+)?[eE]\+?\d+\s*$/;

/**
 * Whether an id column's sampled values lost their digits: some are written in scientific notation, as a spreadsheet
 * saves a 64-bit id it has turned into a number (1862530000000000123 → `1.86253E+18`). Such ids no longer tell posts
 * apart: three different tweets of one export shared `1.86253E+18` and two were dropped as duplicates.
 */
export function idsLostDigits(values: readonly unknown[]): boolean {
  return values.some((v) => typeof v === 'string' && SCIENTIFIC.test(v));
}

/**
 * Whether an id column's sampled values (in file order) are row numbers: at least 2 values, each an integer (a
 * number or a digit string) and equal to start + i for a start of 0 or 1. Real ids (64-bit tweet ids, ids with gaps
 * or out of order, a sheet filtered before export) are not; a table whose ids happen to be 1..N is, and loses nothing:
 * a row number carries no identity beyond the file's own.
 */
export function rowNumberIds(values: readonly unknown[]): boolean {
  if (values.length < 2) return false;
  const n = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : NaN);
  const start = n(values[0]);
  if (start !== 0 && start !== 1) return false;
  return values.every((v, i) => n(v) === start + i);
}

/** One item read from a file: a record, or what could not be read (with the raw text). */
export type FileItem = ({ line: number; record: Json } | { line: number; error: string; raw: string }) & {
  /** what `line` counts: lines of JSONL/CSV, or items of a JSON document's array */
  unit?: 'line' | 'item';
};

/** A JSON document read whole (a top-level object: one API response or archive) is refused beyond this size. */
const MAX_JSON_DOCUMENT_CHARS = 512 * 1024 * 1024;

/**
 * JSON records of a JSONL/NDJSON file, one per line; a `.json` file (or one of another name read as JSON) whose first
 * line is not a JSON object on its own is read as one document: a top-level array streamed element by element (`jsonArrayItems`: memory holds one
 * element, whatever the file's size), any other document (one object that may hold many posts: an API response, an
 * archive's outbox) read whole, up to 512 MB.
 */
async function* jsonItems(file: string): AsyncGenerator<FileItem> {
  const archive = /\.js(\.gz)?$/i.test(file);
  // .jsonl/.ndjson say "one record per line"; any other name (.json, or a file read as JSON by its given format) is
  // looked at: JSON Lines, an array or one document
  const shape = archive ? 'array' : /\.(jsonl|ndjson)(\.gz)?$/i.test(file) ? 'lines' : await jsonDocumentShape(file);
  const name = path.basename(file);
  if (shape === 'array') {
    const chunks = archive ? withoutArchiveAssignment(await openText(file), name) : await openText(file);
    for await (const { index, text } of jsonArrayItems(chunks, name)) {
      let v: unknown;
      try {
        v = parseJsonKeepingBigInts(text);
      } catch (err) {
        throw new InputFileError(`${name} is not valid JSON (element ${index}: ${(err as Error).message}); if it holds one record per line, name it .jsonl`);
      }
      if (isObj(v)) yield { line: index, record: v, unit: 'item' };
      else yield { line: index, error: 'not a JSON object', raw: text, unit: 'item' };
    }
    return;
  }
  if (shape === 'document') {
    let text = '';
    for await (const chunk of await openText(file)) {
      text += chunk;
      if (text.length > MAX_JSON_DOCUMENT_CHARS)
        throw new InputFileError(`${name} is a JSON document over 512 MB: convert it to JSON Lines (one record per line), e.g. jq -c '.[]'`);
    }
    let doc: unknown;
    try {
      doc = parseJsonKeepingBigInts(text);
    } catch (err) {
      // a file named .json that holds a table: its first line is a header, not JSON
      const head = text.trimStart().split(/\r?\n/, 1)[0];
      const table = !/^[[{"]/.test(head) && /[,;\t|]/.test(head);
      throw new InputFileError(
        table
          ? `${name} is not JSON: it looks like a delimited table (its first line is ${JSON.stringify(head.slice(0, 60))}): name it .csv (or .tsv)`
          : `${name} is not valid JSON (${(err as Error).message}); if it holds one record per line, name it .jsonl`,
      );
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

/** The assignment before the JSON array of an X archive's data file: `window.YTD.tweets.part0 = `. */
const ARCHIVE_ASSIGNMENT = /^\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*=\s*/;

/**
 * The text of an X (Twitter) archive's `data/*.js` file without its `window.YTD.<name>.part<N> = ` assignment, i.e. the
 * JSON array of its items (`[{ "tweet": {...} }, ...]`).
 * @throws InputFileError when the file does not start with that assignment (a .js file is read only as such)
 */
async function* withoutArchiveAssignment(chunks: AsyncIterable<string>, name: string): AsyncGenerator<string> {
  let head: string | null = '';
  for await (const chunk of chunks) {
    if (head === null) {
      yield chunk;
      continue;
    }
    head += chunk;
    if (head.length < 256 && !/=/.test(head)) continue;
    const m = ARCHIVE_ASSIGNMENT.exec(head);
    if (!m)
      throw new InputFileError(
        `${name} is a .js file that is not an X (Twitter) archive data file (those start with window.YTD.tweets.part0 = [): a .js file is read only as one; export other data as .json, .jsonl or .csv`,
      );
    yield head.slice(m[0].length);
    head = null;
  }
  if (head !== null && head.trim() !== '')
    throw new InputFileError(`${name} is a .js file that is not an X (Twitter) archive data file (those start with window.YTD.tweets.part0 = [)`);
}

/** A first line longer than this is not taken for a JSON Lines record (a one-line document is read as a document). */
const MAX_FIRST_LINE_CHARS = 64 * 1024 * 1024;

/**
 * How a `.json` file (or one of another name read as JSON) is read: `lines` when its first non-empty line is a JSON object on its own (JSON Lines named
 * .json), `array` when its text starts with `[`, else `document`. Reads only the first line (bounded), never the file.
 */
export async function jsonDocumentShape(file: string): Promise<'lines' | 'array' | 'document'> {
  let head = '';
  for await (const chunk of await openText(file)) {
    head += chunk;
    const start = head.search(/\S/);
    if (start < 0) {
      head = '';
      continue;
    }
    if (head[start] === '[') return 'array';
    const end = head.indexOf('\n', start);
    if (end < 0 && head.length - start < MAX_FIRST_LINE_CHARS) continue;
    const first = head.slice(start, end < 0 ? undefined : end);
    try {
      return isObj(JSON.parse(first)) ? 'lines' : 'document';
    } catch {
      return 'document';
    }
  }
  const start = head.search(/\S/);
  if (start < 0) return 'document';
  try {
    return isObj(JSON.parse(head.slice(start))) ? 'lines' : 'document';
  } catch {
    return 'document';
  }
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
  if (err instanceof InputFileError) return invalidInput(`${e.message} (${file})`);
  if (e?.code === 'EACCES' || e?.code === 'EISDIR' || e?.code === 'ENOENT') {
    return invalidInput(`cannot read ${file}: ${e.message} (the path is read by the worker)`);
  }
  return err; // I/O trouble (EIO, a network file system): a retry may help
}

/** How the file was read, returned with the import's result (and logged): what was sniffed or decided from the sample. */
export type FileReadNotes = {
  format: FileFormat;
  /** comma, semicolon, tab or pipe (tables only) */
  delimiter?: string;
  /** the columns the fields were read from */
  columns?: Partial<Record<MappableField, string>>;
  /** the order numeric dates (13/05/2024) were read in, when the time column holds them */
  dateOrder?: string;
  /** the id column, when its values were taken for row numbers (1, 2, 3, …) and post ids were made as without one */
  idsAreRowNumbers?: string;
  /** the id column, when its values lost digits (scientific notation, a spreadsheet's doing) and post ids were made as without one */
  idsLostDigits?: string;
  /** rows whose every cell is empty (a spreadsheet's formatted blank rows): skipped, not posts */
  emptyRows?: number;
};

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

/**
 * `tmpDir`: where partitions are spilled while a file is read (default: the data dir's `tmp/`, lib/paths `dataDir`);
 * one folder per import, removed when it ends.
 */
export function createFileCollectActivities(deps: { store: ObjectStore; db: Db; tmpDir?: string }) {
  const { store, db } = deps;
  return {
    /**
     * Imports a CSV/TSV/JSONL/JSON file (optionally gzipped; UTF-8, UTF-16 or Windows-1252) into post.v1 day
     * partitions. Recognised JSON exports (fileShapes.ts) need no mapping; other files are mapped by column
     * names decided from the first SAMPLE_RECORDS records. Rows that cannot become a post (unreadable CSV row or
     * JSON line, no text, a bad or implausible time) are quarantined with their line and reason.
     * Result counts: `in` = posts + quarantined, counting posts, not lines (a twarc2 line holds many posts).
     * Streams: the file is read once, in chunks, and each day's posts, raw records and the quarantine are spilled to
     * gzip files as they are read (`PartitionSpill`), then uploaded one object each; memory is bounded by the spill
     * buffers and the mapping sample, not by the file or a day. A day with more than `maxPartitionPosts` posts is
     * stored as ceil(posts / maxPartitionPosts) parts by a hash of the post id (`partOf`), entries carrying `part`
     * (0-based) and `parts`; a part that gets no post has no entry.
     * Fails non-retryably (InvalidInput) for a file that is missing, empty, not what its name says, truncated,
     * or has no records or no usable mapping.
     */
    async importFile(input: FileImportInput): Promise<CollectResult> {
      // Checked before any row is read: a platform name the post schema refuses would quarantine every row.
      const platformProblem = input.platform == null ? null : platformNameProblem(input.platform);
      if (platformProblem) throw invalidInput(`file.platform: ${platformProblem}`);
      const file = path.resolve(input.path);
      if (!fs.existsSync(file)) throw invalidInput(`file not found: ${file} (the path is read by the worker)`);
      const stat = fs.statSync(file);
      if (!stat.isFile()) throw invalidInput(`not a file: ${file}`);
      if (stat.size === 0) throw invalidInput(`file is empty: ${file}: nothing to import`);
      const format = input.format ?? detectFormat(file);
      const platform = input.platform ?? 'file';
      const fileDigest = sha256(`${file}:${stat.size}:${stat.mtimeMs}`).slice(0, 12);
      const now = Date.now();
      let maxPartitionPosts: number;
      try {
        maxPartitionPosts = input.maxPartitionPosts ?? defaultMaxPartitionPosts();
      } catch (err) {
        // the worker's environment: a retry cannot fix it
        throw invalidInput((err as Error).message);
      }
      if (!Number.isSafeInteger(maxPartitionPosts) || maxPartitionPosts < 1) {
        throw invalidInput(`file.maxPartitionPosts must be a positive integer, got ${maxPartitionPosts}`);
      }

      const spill = new PartitionSpill(deps.tmpDir ?? path.join(dataDir(), 'tmp'));
      try {
        let count = 0;
        let quarantinedCount = 0;
        const quarantine = (q: Quarantined) => {
          quarantinedCount++;
          spill.add(QUARANTINE, JSON.stringify(q));
        };
        const keep = (post: Post, raw: unknown) => {
          const day = post.created_at.slice(0, 10);
          spill.add(`posts/${day}`, JSON.stringify(post));
          spill.add(`raw/${day}`, `${JSON.stringify(raw)}`);
        };
        let plan = null as ImportPlan | null;
        // the mapping posts are read with: the plan's, without an id column of row numbers
        let postMapping: Partial<Record<MappableField, string>> | null = null;
        const decide = (p: ImportPlan) => {
          plan = p;
          postMapping = p.mapping && (p.rowNumberColumn || p.lostDigitsColumn) ? { ...p.mapping, id: undefined } : p.mapping;
        };
        let delimiter: string | null = null;
        const rowIds = createRowIds();
        let emptyRows = 0;
        const accept = (item: FileItem) => {
          if (item.line % 5000 === 0) heartbeat({ line: item.line });
          const at = `${item.unit ?? 'line'} ${item.line}`;
          if ('error' in item) {
            count++;
            quarantine({ reason: `${at}: ${item.error}`, line: item.line, record: item.raw });
            return;
          }
          // a table row whose every cell is empty (`,,,`: what a spreadsheet writes for formatted blank rows) holds no post
          if (format !== 'jsonl' && Object.values(item.record).every((v) => v === '' || v === null || v === undefined)) {
            emptyRows++;
            return;
          }
          const shape = plan!.shapes ? recogniseRecord(item.record) : null;
          const results: ShapeResult[] = [];
          if (shape) {
            results.push(...shape.posts(item.record, { platform, now }));
          } else if (postMapping) {
            // no id column: an id from the row's own cells, so a later download or a copy of the same sheet keeps it
            const fallbackId = postMapping.id ? `${fileDigest}-${item.line}` : rowIds.of(item.record, plan!.mapping?.id);
            const r = recordToPost(item.record, postMapping, platform, fallbackId, {
              excelColumns: plan!.excelColumns,
              dayOrders: plan!.dayOrders,
              archiveOwner: plan!.archiveOwner,
              now,
            });
            if ('post' in r) {
              const { raw, ...post } = r.post;
              results.push({ post: post as Post, raw });
            } else results.push({ reason: r.reason, raw: item.record });
          } else {
            // the file's shape was decided from its sample: say what this record lacks, not what the file does
            const why = plan!.shape
              ? shapeProblem(item.record, plan!.shape, { platform, now })
              : 'not in any recognised shape, and the file has no text column to map';
            results.push({ reason: why, raw: item.record });
          }
          results.forEach((r, i) => {
            count++;
            if ('post' in r) keep(r.post, r.raw);
            // a record holding many posts (a twarc2 line, a saved API page) names which one; the record kept is
            // the one read from the file, or the post's own part of it
            else if (results.length === 1) quarantine({ reason: `${at}: ${r.reason}`, line: item.line, record: item.record });
            else quarantine({ reason: `${at} (post ${i + 1} of ${results.length}): ${r.reason}`, line: item.line, record: r.raw });
          });
        };

        try {
          // a .csv's delimiter is sniffed from its first lines: European Excel writes `;`
          delimiter = format === 'tsv' ? '\t' : format === 'csv' ? ((await sniffDelimiter(file)) ?? ',') : null;
          const items = delimiter === null ? jsonItems(file) : tableItems(file, delimiter);
          const sample: FileItem[] = [];
          let read = 0;
          for await (const item of items) {
            // compression runs on the thread pool; this waits only when it falls behind the parsing
            if (++read % 100 === 0) await spill.pressure();
            if (plan) {
              accept(item);
              continue;
            }
            sample.push(item);
            if (sample.length >= SAMPLE_RECORDS) {
              decide(planMapping(records(sample), { mapping: input.mapping, file, json: format === 'jsonl' }));
              sample.forEach(accept);
            }
          }
          if (!plan) {
            const recs = records(sample);
            if (recs.length === 0 && sample.length === 0) throw invalidInput(`file has a header but no records: ${file}`);
            if (recs.length === 0) {
              const first = sample[0] as { error: string; line: number };
              const read = delimiter && delimiter !== '\t' ? `, read as ${delimiterName(delimiter)}-delimited CSV` : '';
              throw invalidInput(`${file}: none of its ${sample.length} records can be read${read} (line ${first.line}: ${first.error})`);
            }
            decide(planMapping(recs, { mapping: input.mapping, file, json: format === 'jsonl' }));
            sample.forEach(accept);
          }
        } catch (err) {
          throw asActivityError(file, err);
        }
        if (count === 0) throw invalidInput(`file has no records: ${file}`);

        // file.v3: a .csv's delimiter is sniffed, columns match loosely, day/month dates are read: the same file reads anew
        const digest = inputDigest({ importer: 'file.v3', fileDigest, mapping: input.mapping ?? {}, platform, format });
        const days = spill
          .keys()
          .filter((k) => k.startsWith('posts/'))
          .map((k) => k.slice('posts/'.length))
          .sort();
        const partitions: CollectedPartition[] = [];
        const store1 = async (date: string, posts: SpilledFile, raw: SpilledFile, part?: { part: number; parts: number }) => {
          heartbeat({ storing: date, ...(part ? { part: part.part } : {}) });
          const rawRef = await uploadSpilled(store, partitionKey('raw', 'file', null, date, digest, part), raw, 'file.raw.v1');
          const postsRef = await uploadSpilled(store, partitionKey('posts', 'file', null, date, digest, part), posts, 'post.v1');
          const partMeta = part ? { part: part.part, parts: part.parts } : {};
          await recordDataset(db, { ref: rawRef, stage: 'raw', source: 'file', date, runKey: input.runKey, meta: { file, ...partMeta } });
          await recordDataset(db, { ref: postsRef, stage: 'posts', source: 'file', date, runKey: input.runKey, inputs: [rawRef.uri], meta: partMeta });
          partitions.push({ date, posts: postsRef, raw: rawRef, ...partMeta });
        };
        for (const date of days) {
          const posts = await spill.finish(`posts/${date}`);
          const raw = await spill.finish(`raw/${date}`);
          if (posts.records <= maxPartitionPosts) {
            await store1(date, posts, raw);
          } else {
            // the day's size is known now, after the pass: its spilled files are read once more and dealt into parts
            const parts = Math.ceil(posts.records / maxPartitionPosts);
            await splitSpilled(spill, posts, raw, date, parts);
            for (let part = 0; part < parts; part++) {
              const key = `${date}/part-${part}`;
              if (spill.records(`posts/${key}`) === 0) continue;
              await store1(date, await spill.finish(`posts/${key}`), await spill.finish(`raw/${key}`), { part, parts });
              spill.discard(`posts/${key}`);
              spill.discard(`raw/${key}`);
            }
          }
          spill.discard(`posts/${date}`);
          spill.discard(`raw/${date}`);
        }
        let quarantineRef = null;
        if (quarantinedCount > 0) {
          quarantineRef = await uploadSpilled(store, `quarantine/source=file/${digest}.ndjson.gz`, await spill.finish(QUARANTINE), 'quarantine.v1');
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
          ...(plan?.rowNumberColumn ? { idsAreRowNumbers: plan.rowNumberColumn } : {}),
          ...(plan?.lostDigitsColumn ? { idsLostDigits: plan.lostDigitsColumn } : {}),
          ...(emptyRows > 0 ? { emptyRows } : {}),
        };
        log(`imported ${path.basename(file)}: ${JSON.stringify(read)}`);
        return { source: 'file', query: null, partitions, quarantine: quarantineRef, counts: { in: count, quarantined: quarantinedCount }, read };
      } finally {
        await spill.dispose();
      }
    },
  };
}

/** The spill key of the quarantined records (day keys are `posts/DAY`, `raw/DAY`, and `…/DAY/part-N` for parts). */
const QUARANTINE = 'quarantine';

/**
 * Deals a spilled day into `parts` parts by `partOf(post id)`, reading its posts and raw files in step (line i of
 * one is line i of the other) and adding to `posts/DAY/part-N` and `raw/DAY/part-N`; the order within a part is the
 * file's. Memory: one line of each, plus the spill's buffers.
 */
async function splitSpilled(spill: PartitionSpill, posts: SpilledFile, raw: SpilledFile, date: string, parts: number): Promise<void> {
  const rawLines = spilledLines(raw.file);
  let n = 0;
  for await (const line of spilledLines(posts.file)) {
    const r = await rawLines.next();
    if (r.done) throw new Error(`spilled raw records of ${date} end before its posts (line ${n + 1})`);
    const key = `${date}/part-${partOf(postIdOfLine(line), parts)}`;
    spill.add(`posts/${key}`, line);
    spill.add(`raw/${key}`, r.value);
    if (++n % 100 === 0) await spill.pressure();
    if (n % 5000 === 0) heartbeat({ splitting: date, line: n });
  }
  if (!(await rawLines.next()).done) throw new Error(`spilled raw records of ${date} outnumber its posts (${n})`);
}

/** The `id` of a post.v1 JSON line: read from its start when it comes first (as the importer writes it), else parsed. */
function postIdOfLine(line: string): string {
  const m = /^\{"id":("(?:[^"\\]|\\.)*")/.exec(line);
  return m ? (JSON.parse(m[1]) as string) : (JSON.parse(line) as Post).id;
}

const records = (items: readonly FileItem[]): Json[] => items.flatMap((i) => ('record' in i ? [i.record] : []));
