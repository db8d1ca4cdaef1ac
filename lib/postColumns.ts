/**
 * The flat, typed column layout of the clean (post.v1) and features (post-features.v1) zones in
 * Parquet, and the conversion between those columns and the objects the stages use (Post, FeaturedPost).
 *
 * Every post.v1 field is a column; nested objects are flattened with `_` (author.id → author_id,
 * metrics.likes → metrics_likes), the features' sentiment becomes sentiment_compound/label/model.
 * Types follow lib/schema.ts: `created_at` is a UTC timestamp in milliseconds (an instant: the
 * original offset is not kept, and reading gives `toISOString()`, e.g. "2026-10-01T07:00:00.000Z");
 * author.followers (an integer) is int64; metrics are float64 because post.v1 allows any non-negative
 * number; hashtags, mentions and urls are list<string>; author.created_at stays a string (post.v1 does
 * not constrain its format). `raw` is not a column: post.v1 keeps it only in the raw zone.
 */
import {
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { Post, SentimentLabel } from './schema';
import type { FeaturedPost } from '../models/pipeline/features';

/**
 * How a column is stored: its Arrow type, and how its buffers are built from the values (the Arrow
 * builders of vectorFromArray are several times slower, so the buffers are filled directly).
 */
type Kind = 'utf8' | 'int64' | 'float64' | 'int32' | 'timestamp' | 'strings';

interface Column<T> {
  name: string;
  kind: Kind;
  /** the column's value for one record (null for a missing value): string, number, or string[] for 'strings' */
  get(record: T): unknown;
}

function arrowType(kind: Kind): DataType {
  switch (kind) {
    case 'utf8':
      return new Utf8();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'int32':
      return new Int32();
    case 'timestamp':
      // milliseconds since the epoch, UTC: what `new Date(s)` gives for any ISO-8601 string post.v1 accepts
      return new Timestamp(TimeUnit.MILLISECOND, 'UTC');
    case 'strings':
      return new List(new Field('item', new Utf8(), true));
  }
}

function epochMs(iso: string, id: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`post ${JSON.stringify(id)}: created_at ${JSON.stringify(iso)} is not a timestamp that can be stored in Parquet`);
  return ms;
}

/** The post.v1 columns, in file order. */
export const POST_COLUMNS: ReadonlyArray<Column<Post>> = [
  { name: 'id', kind: 'utf8', get: (p) => p.id },
  { name: 'platform', kind: 'utf8', get: (p) => p.platform },
  { name: 'author_id', kind: 'utf8', get: (p) => p.author.id },
  { name: 'author_handle', kind: 'utf8', get: (p) => p.author.handle },
  { name: 'author_followers', kind: 'int64', get: (p) => p.author.followers ?? null },
  { name: 'author_created_at', kind: 'utf8', get: (p) => p.author.created_at ?? null },
  { name: 'text', kind: 'utf8', get: (p) => p.text },
  { name: 'lang', kind: 'utf8', get: (p) => p.lang ?? null },
  { name: 'created_at', kind: 'timestamp', get: (p) => epochMs(p.created_at, p.id) },
  { name: 'url', kind: 'utf8', get: (p) => p.url ?? null },
  { name: 'metrics_likes', kind: 'float64', get: (p) => p.metrics.likes },
  { name: 'metrics_reposts', kind: 'float64', get: (p) => p.metrics.reposts },
  { name: 'metrics_replies', kind: 'float64', get: (p) => p.metrics.replies },
  { name: 'metrics_views', kind: 'float64', get: (p) => p.metrics.views ?? null },
  { name: 'reply_to', kind: 'utf8', get: (p) => p.reply_to ?? null },
  { name: 'repost_of', kind: 'utf8', get: (p) => p.repost_of ?? null },
  { name: 'hashtags', kind: 'strings', get: (p) => p.hashtags },
  { name: 'mentions', kind: 'strings', get: (p) => p.mentions },
  { name: 'urls', kind: 'strings', get: (p) => p.urls },
];

/** The post-features.v1 columns: the post's, then the features. */
export const FEATURED_POST_COLUMNS: ReadonlyArray<Column<FeaturedPost>> = [
  ...(POST_COLUMNS as ReadonlyArray<Column<FeaturedPost>>),
  { name: 'sentiment_compound', kind: 'float64', get: (p) => p.features.sentiment.compound },
  { name: 'sentiment_label', kind: 'utf8', get: (p) => p.features.sentiment.label },
  { name: 'sentiment_model', kind: 'utf8', get: (p) => p.features.sentiment.model },
  { name: 'topic', kind: 'int32', get: (p) => p.features.topic },
];

/** Validity bitmap (bit i set: value i present) and the count of nulls. */
function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) nullCount++;
    else nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  return { nullBitmap, nullCount };
}

/** UTF-8 bytes and offsets of strings (null ones take no bytes). */
function utf8Buffers(values: ReadonlyArray<string | null>): { data: Uint8Array; valueOffsets: Int32Array } {
  const valueOffsets = new Int32Array(values.length + 1);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) size += Buffer.byteLength(v, 'utf8');
    valueOffsets[i + 1] = size;
  }
  const data = Buffer.allocUnsafeSlow(size); // not from the shared pool: Arrow takes the whole view
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v) data.write(v, valueOffsets[i], 'utf8');
  }
  return { data, valueOffsets };
}

function columnData(kind: Kind, values: unknown[]): Data {
  const type = arrowType(kind);
  const length = values.length;
  if (kind === 'strings') {
    const lists = values as string[][];
    const valueOffsets = new Int32Array(length + 1);
    const flat: string[] = [];
    for (let i = 0; i < length; i++) {
      for (const s of lists[i]) flat.push(s);
      valueOffsets[i + 1] = flat.length;
    }
    const child = makeData({ type: new Utf8(), length: flat.length, nullCount: 0, ...utf8Buffers(flat) });
    return makeData({ type: type as List<Utf8>, length, nullCount: 0, valueOffsets, child });
  }
  const { nullBitmap, nullCount } = validity(values);
  const bitmap = nullCount > 0 ? nullBitmap : undefined;
  switch (kind) {
    case 'utf8':
      return makeData({ type: type as Utf8, length, nullCount, nullBitmap: bitmap, ...utf8Buffers(values as Array<string | null>) });
    case 'float64':
    case 'int32': {
      const data = kind === 'float64' ? new Float64Array(length) : new Int32Array(length);
      for (let i = 0; i < length; i++) data[i] = (values[i] as number | null) ?? 0;
      return makeData({ type: type as Float64 | Int32, length, nullCount, nullBitmap: bitmap, data } as never);
    }
    case 'int64':
    case 'timestamp': {
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) data[i] = values[i] === null ? 0n : BigInt(values[i] as number);
      return makeData({ type: type as Int64, length, nullCount, nullBitmap: bitmap, data } as never);
    }
  }
}

/** A dataset schema name (DatasetRef.schema) that has a Parquet layout. */
export type ColumnarSchema = 'post.v1' | 'post-features.v1';

const LAYOUTS: Record<ColumnarSchema, ReadonlyArray<Column<never>>> = {
  'post.v1': POST_COLUMNS,
  'post-features.v1': FEATURED_POST_COLUMNS,
};

/** The columns of a schema, or an error naming the schemas that have a Parquet layout. */
function layout(schema: string): ReadonlyArray<Column<unknown>> {
  const cols = LAYOUTS[schema as ColumnarSchema] as ReadonlyArray<Column<unknown>> | undefined;
  if (!cols) throw new Error(`schema ${JSON.stringify(schema)} has no Parquet layout (only ${Object.keys(LAYOUTS).join(', ')}): write it as .ndjson.gz`);
  return cols;
}

/**
 * Records → one Arrow table (one record batch) with the schema's columns.
 * @throws when the schema has no Parquet layout, or a created_at is not a parseable timestamp
 */
export function recordsToArrow(schema: string, records: readonly unknown[]): Table {
  const cols = layout(schema);
  const children = cols.map((col) => {
    const values = new Array(records.length);
    for (let i = 0; i < records.length; i++) values[i] = col.get(records[i]);
    return columnData(col.kind, values);
  });
  const fields = cols.map((col, i) => new Field(col.name, children[i].type, true));
  const struct = makeData({ type: new Struct(fields), length: records.length, nullCount: 0, children });
  return new Table([new RecordBatch(new Schema(fields), struct)]);
}

/** Reads one column of a record batch as JS values (null where missing), without the per-cell Vector.get. */
function readColumn(kind: Kind, d: Data): unknown[] {
  const n = d.length;
  const off = d.offset;
  const out = new Array(n);
  const bitmap = d.nullCount > 0 ? d.nullBitmap : null;
  const valid = (i: number) => !bitmap || (bitmap[(off + i) >> 3] & (1 << ((off + i) & 7))) !== 0;
  const strings = (sd: Data, from: number, to: number, into: unknown[], at: number) => {
    const bytes = sd.values as Uint8Array;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const offs = sd.valueOffsets as Int32Array;
    for (let i = from; i < to; i++) into[at + i - from] = buf.toString('utf8', offs[sd.offset + i], offs[sd.offset + i + 1]);
  };
  switch (kind) {
    case 'utf8': {
      strings(d, 0, n, out, 0);
      for (let i = 0; i < n; i++) if (!valid(i)) out[i] = null;
      return out;
    }
    case 'strings': {
      const offs = d.valueOffsets as Int32Array;
      const child = d.children[0];
      for (let i = 0; i < n; i++) {
        const from = offs[off + i];
        const to = offs[off + i + 1];
        const list = new Array(to - from);
        strings(child, from, to, list, 0);
        out[i] = list;
      }
      return out;
    }
    case 'float64':
    case 'int32': {
      const values = d.values as Float64Array | Int32Array;
      for (let i = 0; i < n; i++) out[i] = valid(i) ? values[off + i] : null;
      return out;
    }
    case 'int64':
    case 'timestamp': {
      const values = d.values as BigInt64Array;
      for (let i = 0; i < n; i++) out[i] = valid(i) ? Number(values[off + i]) : null;
      return out;
    }
  }
}

/**
 * One Arrow record batch with a schema's columns → the objects (Post, or FeaturedPost for
 * post-features.v1), the same as those written, except created_at in its canonical UTC form.
 * `schema` null: told by the columns (a sentiment_compound column means post-features.v1).
 * @throws when a column of the layout is missing from the batch
 */
export function arrowToRecords<T>(schemaName: string | null, batch: RecordBatch): T[] {
  const schema = schemaName ?? (batch.getChild('sentiment_compound') ? 'post-features.v1' : 'post.v1');
  const cols = layout(schema);
  const c: Record<string, unknown[]> = {};
  for (const col of cols) {
    const v = batch.getChild(col.name);
    if (!v) throw new Error(`the Parquet data has no column ${col.name} (schema ${schema})`);
    if (String(v.type) !== String(arrowType(col.kind))) throw new Error(`column ${col.name} is ${v.type}, schema ${schema} has ${arrowType(col.kind)}`);
    c[col.name] = readColumn(col.kind, v.data[0]);
  }
  const featured = schema === 'post-features.v1';
  const out = new Array<T>(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const post: Post = {
      id: c.id[i] as string,
      platform: c.platform[i] as string,
      author: {
        id: c.author_id[i] as string,
        handle: c.author_handle[i] as string,
        followers: c.author_followers[i] as number | null,
        created_at: c.author_created_at[i] as string | null,
      },
      text: c.text[i] as string,
      lang: c.lang[i] as string | null,
      created_at: new Date(c.created_at[i] as number).toISOString(),
      url: c.url[i] as string | null,
      metrics: {
        likes: c.metrics_likes[i] as number,
        reposts: c.metrics_reposts[i] as number,
        replies: c.metrics_replies[i] as number,
        views: c.metrics_views[i] as number | null,
      },
      reply_to: c.reply_to[i] as string | null,
      repost_of: c.repost_of[i] as string | null,
      hashtags: c.hashtags[i] as string[],
      mentions: c.mentions[i] as string[],
      urls: c.urls[i] as string[],
    };
    if (featured) {
      const compound = c.sentiment_compound[i] as number | null;
      const sentiment =
        compound === null
          ? { compound: null, label: null, model: null }
          : { compound, label: c.sentiment_label[i] as SentimentLabel, model: c.sentiment_model[i] as string };
      (post as FeaturedPost).features = { sentiment, topic: c.topic[i] as number | null };
    }
    out[i] = post as T;
  }
  return out;
}
