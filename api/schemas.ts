/**
 * JSON-schema pieces shared by the routes. Identifiers are matched against what the pipeline writes
 * (run keys, user ids, platform names, hashtags), so quotes, semicolons, spaces and control characters
 * — the stuff of injection strings — are refused with a 400 before any query runs; the queries are
 * parameterised anyway.
 */

/** Run keys / workflow ids: `pipeline-simulated-2026-11-24-<digest>`, `collect-x-climate%20change-…`, `backfill-…`. */
export const runKeySchema = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:%+=@-]{0,199}$',
  description: 'a run key (workflow id), e.g. pipeline-simulated-2026-11-24-0123456789ab',
} as const;

/** A user's id (`platform:native`) or handle (with or without @, Mastodon's user@instance too). */
/** An author key (`x:12`, `mastodon:mastodon.social/109…`: hence `/`), a platform's bare id, or a handle (with or without @). */
export const userIdSchema = { type: 'string', pattern: '^@?[\\p{L}\\p{N}_][\\p{L}\\p{N}._:@+/-]{0,199}$', description: "a user's id or handle" } as const;

/** A calendar day, checked to exist (2024-02-30 is refused). */
export const dateSchema = { type: 'string', format: 'date', description: 'YYYY-MM-DD (UTC)' } as const;

/**
 * A platform name as post ids carry it (lib/platformName.ts), in any case: `X` can only mean `x`, and the CLI lowers it
 * the same way (normalizePlatformName). Handlers read it through `platformParam`.
 */
export const platformSchema = {
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$',
  description: 'platform, e.g. x, mastodon or file; upper case is read as lower case',
} as const;
/** A platformSchema value as the tables hold it: lower case. */
export const platformParam = (value: string | undefined): string | undefined => value?.toLowerCase();

export const hashtagSchema = { type: 'string', pattern: '^#?[\\p{L}\\p{N}_]{1,100}$', description: 'a hashtag, with or without #' } as const;

/**
 * One line of printable text: no C0 control character or DEL, and no U+FFFD. The replacement character is what
 * fastify's decoders make of bytes that are not UTF-8 (`?q=%FF%FE`, a Latin-1 JSON body), so a value holding it was
 * not sent as UTF-8; searching for or collecting it would silently answer another question. api/validationErrors.ts
 * explains both refusals.
 */
export const PRINTABLE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f\\ufffd]+$';
export const printableLine = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: PRINTABLE_LINE_PATTERN }) as const;

/** Free text: any printable characters (quotes included: they are searched for literally), one line. */
export const searchTextSchema = { ...printableLine(200), description: 'text the post contains (case-insensitive, literal)' } as const;

export const sourceSchema = { type: 'string', enum: ['simulated', 'file', 'x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'reddit'] } as const;
export const collectableSourceSchema = {
  type: 'string',
  enum: ['simulated', 'x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'reddit'],
  description: 'a source that can be collected again for every day (not file)',
} as const;

/** Platform query / hashtag / page / subreddit: printable, one line. */
export const queryTextSchema = printableLine(200);

/** Numeric path ids (API keys, datasets). */
export const numericIdSchema = { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: 'a numeric id' } as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;

/** Microseconds since 1970 of a timestamp as Postgres computes it: exact, for keyset cursors. */
export const EPOCH_US_SQL = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint`;
/** The inverse, exact (interval arithmetic is in whole microseconds). */
export const FROM_EPOCH_US_SQL = (param: string) => `('epoch'::timestamptz + ${param}::bigint * interval '1 microsecond')`;
