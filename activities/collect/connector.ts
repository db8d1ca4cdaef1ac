import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';
import type { ObjectStore } from '../../lib/objectStore';
import { inputDigest, sha256, writeNdjson } from '../../lib/datasets';
import { postSchema, type Post, type Quarantined } from '../../lib/schema';
import type { Http } from './http';
import { maskError } from '../../lib/secrets';
import { ISO_DAY } from '../../lib/dates';
import { FailureType, invalidInput, permanentFailure } from '../../lib/failures';
import { partitionKey, type CollectResult, type CollectedPartition } from './types';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

export type Env = Record<string, string | undefined>;

/** A resumable position in a platform's results: small and JSON-able, it travels in heartbeats. Never a credential. */
export type Cursor = string | number | boolean | null | Cursor[] | { [key: string]: Cursor };

export interface CredentialSpec {
  env: string;
  description: string;
  /** set when the connector works without it (e.g. a public Mastodon instance) */
  optional?: boolean;
}

export interface ConnectorContext {
  /** the user's query as given (each connector decides what it means: hashtag, page, subreddit, search) */
  query: string;
  /** the collection window, [since, until) */
  since: Date;
  until: Date;
  env: Env;
  http: Http;
  /** epoch ms; injectable so tests control "now" */
  now(): number;
  log: { info(msg: string, meta?: Record<string, unknown>): void; warn(msg: string, meta?: Record<string, unknown>): void };
}

export interface Page {
  /** the platform's records, verbatim (or wrapped with the context they need, see README) */
  items: unknown[];
  /** where to continue; null when the results are exhausted */
  next: Cursor | null;
}

export interface ProbeResult {
  reachable: boolean;
  detail: string;
}

export interface Connector {
  name: string;
  /** what a query means for this platform, shown by `socialsense sources` */
  queryHelp: string;
  credentials: CredentialSpec[];
  isConfigured(env: Env): boolean;
  /** fetches one page; `cursor` is null for the first page, then whatever the previous page returned as `next` */
  fetchPage(ctx: ConnectorContext, cursor: Cursor | null): Promise<Page>;
  /** maps one item to post.v1 (without `raw`); throwing sends the item to quarantine with the message */
  toPost(item: unknown, ctx: Pick<ConnectorContext, 'env' | 'query'>): Post;
  /** cheap reachability check that spends no search quota where the platform allows it */
  probe?(ctx: ConnectorContext): Promise<ProbeResult>;
  /**
   * For a federated platform, the server a query runs on (Mastodon: the instance's host): the same query on two
   * instances is two collections, with their own objects and runs. Absent for a platform that is one service.
   */
  instance?: {
    /** the instance `env` configures */
    of(env: Env): string;
    /** the instance used when `env` names none */
    default: string;
    /** the setting that names it, for messages (e.g. MASTODON_BASE_URL) */
    setting: string;
  };
}

/**
 * The instance a run of `connector` collects from, when it is not the connector's default: what a run's input carries
 * (PipelineInput.instance), so that the same query on two instances is two runs. null for the default instance and
 * for platforms that are one service.
 */
export function nonDefaultInstance(connector: Pick<Connector, 'instance'>, env: Env): string | null {
  const instance = connector.instance?.of(env) ?? null;
  return instance !== null && instance !== connector.instance?.default ? instance : null;
}

/** Required credentials that are not set. */
export function missingCredentials(connector: Pick<Connector, 'credentials'>, env: Env): string[] {
  return connector.credentials.filter((c) => !c.optional && !env[c.env]?.trim()).map((c) => c.env);
}

export interface PageCounts {
  /** records the platform returned */
  items: number;
  /** records mapped to post.v1 inside the window (before de-duplication across pages) */
  posts: number;
  quarantined: number;
  /** records outside [since, until): not an error, the platform's paging is coarser than the window */
  outOfWindow: number;
}

/** Heartbeat details: enough to continue exactly after the last stored page. */
export interface CollectProgress {
  cursor: Cursor | null;
  /** pages stored so far; the next one is page + 1 */
  page: number;
  counts: PageCounts;
  done: boolean;
}

export interface CollectWindowInput {
  source: string;
  query: string;
  since: string;
  until: string;
  maxPosts?: number;
}

export interface RunDeps {
  store: ObjectStore;
  connector: Connector;
  ctx: ConnectorContext;
}

const zeroCounts = (): PageCounts => ({ items: 0, posts: 0, quarantined: 0, outOfWindow: 0 });

function isProgress(v: unknown): v is CollectProgress {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return Number.isInteger(p.page) && (p.page as number) >= 0 && typeof p.done === 'boolean' && 'cursor' in p && !!p.counts && typeof p.counts === 'object';
}

interface Checkpoint extends CollectProgress {
  result?: CollectResult;
}

type Mapped = { ok: true; post: Post; inWindow: boolean } | { ok: false; reason: string };

function mapItem(connector: Connector, ctx: ConnectorContext, item: unknown): Mapped {
  let candidate: Post;
  try {
    candidate = connector.toPost(item, ctx);
  } catch (err) {
    return { ok: false, reason: `cannot map ${connector.name} record: ${(err as Error).message}` };
  }
  const parsed = postSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
    return { ok: false, reason: `not a valid post.v1: ${issues}` };
  }
  const { raw: _raw, ...post } = parsed.data;
  const t = Date.parse(post.created_at);
  return { ok: true, post: post as Post, inWindow: t >= ctx.since.getTime() && t < ctx.until.getTime() };
}

function countPage(connector: Connector, ctx: ConnectorContext, items: unknown[]): PageCounts {
  const c = zeroCounts();
  for (const item of items) {
    c.items++;
    const m = mapItem(connector, ctx, item);
    if (!m.ok) c.quarantined++;
    else if (m.inWindow) c.posts++;
    else c.outOfWindow++;
  }
  return c;
}

const addCounts = (a: PageCounts, b: PageCounts): PageCounts => ({
  items: a.items + b.items,
  posts: a.posts + b.posts,
  quarantined: a.quarantined + b.quarantined,
  outOfWindow: a.outOfWindow + b.outOfWindow,
});

const pageKey = (prefix: string, page: number) => `${prefix}page-${String(page).padStart(6, '0')}.json.gz`;
const pageNumber = (key: string) => Number(/page-(\d+)\.json\.gz$/.exec(key)?.[1] ?? NaN);

async function readJsonGz<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse((await gunzip(await store.get(key))).toString('utf8')) as T;
}

/** `2026-11-20` or any ISO-8601 instant with a zone → Date; anything else is the caller's mistake. */
export function parseInstant(value: string | undefined, field: string): Date {
  const v = (value ?? '').trim();
  const ms = ISO_DAY.test(v) ? Date.parse(`${v}T00:00:00Z`) : /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) {
    throw invalidInput(`${field} must be a UTC date (2026-11-20) or an ISO-8601 time with a zone (2026-11-20T08:00:00Z), got ${JSON.stringify(value ?? null)}`);
  }
  return new Date(ms);
}

/**
 * Runs a connector as a resumable Temporal activity body.
 *
 * Each page is stored in the object store before its cursor is heartbeated, so whatever the last
 * heartbeat says is durable. A retried attempt continues after the last stored page; a checkpoint
 * object written next to the pages covers heartbeats the server never received (they are throttled,
 * and a crash loses the last ones). The final merge dedupes by post id, so a page fetched twice around
 * a crash cannot produce duplicates either. Scratch lives under the activity's identity (workflow run +
 * activity id), which stays the same across retries and differs between runs.
 */
export async function runConnector(deps: RunDeps, input: CollectWindowInput): Promise<CollectResult> {
  try {
    return await collectPages(deps, input);
  } catch (err) {
    // The last line of defence before a failure is stored in the workflow history: a connector's own
    // message (not only the HTTP layer's) may quote what the platform echoed, credentials included.
    throw maskError(err, deps.ctx.env);
  }
}

async function collectPages(deps: RunDeps, input: CollectWindowInput): Promise<CollectResult> {
  const { store, connector } = deps;
  const actx = Context.current();
  // A page can take many requests (Facebook and Instagram fetch comments per post): repeat the last
  // durable progress before each one so a long page never looks like a dead worker.
  const ctx: ConnectorContext = {
    ...deps.ctx,
    http: { json: (req) => (actx.heartbeat(state), deps.ctx.http.json(req)) },
  };
  const info = actx.info;
  const query = input.query.trim();
  const instance = connector.instance?.of(ctx.env);
  const digest = inputDigest({
    collector: 'platform.v1',
    source: connector.name,
    // a federated platform's instance: the same query on another instance must not land in the same objects
    ...(instance ? { instance } : {}),
    query,
    since: ctx.since.toISOString(),
    until: ctx.until.toISOString(),
    maxPosts: input.maxPosts ?? null,
  });
  const runKey = sha256(`${info.workflowExecution?.workflowId ?? ''}\n${info.workflowExecution?.runId ?? info.activityRunId ?? ''}\n${info.activityId}`).slice(
    0,
    16,
  );
  const prefix = `collect-runs/source=${connector.name}/${digest}/${runKey}/`;
  const checkpointKey = `${prefix}checkpoint.json`;
  const maxPosts = input.maxPosts && input.maxPosts > 0 ? input.maxPosts : Infinity;

  let state: CollectProgress = { cursor: null, page: 0, counts: zeroCounts(), done: false };
  const fromHeartbeat = isProgress(info.heartbeatDetails) ? info.heartbeatDetails : null;
  const checkpoint = (await store.exists(checkpointKey))
    ? await store
        .get(checkpointKey)
        .then((b) => JSON.parse(b.toString('utf8')) as Checkpoint)
        .catch(() => null)
    : null;
  if (checkpoint?.result) return checkpoint.result; // a retry after the work was done but not reported

  const existing = (await store.list(prefix)).filter((k) => Number.isFinite(pageNumber(k)));
  const resumeFrom = [fromHeartbeat, checkpoint && isProgress(checkpoint) ? checkpoint : null]
    .filter((p): p is CollectProgress => p !== null)
    .sort((a, b) => b.page - a.page)[0];
  if (resumeFrom) {
    const stored = new Set(existing.map(pageNumber));
    const complete = Array.from({ length: resumeFrom.page }, (_, i) => i + 1).every((n) => stored.has(n));
    if (complete) {
      state = { cursor: resumeFrom.cursor, page: resumeFrom.page, counts: resumeFrom.counts, done: resumeFrom.done };
      actx.log.info('resuming collection', { source: connector.name, page: state.page, done: state.done });
    } else {
      // e.g. a local-folder store on another machine: the pages are not here, so start over cleanly
      actx.log.warn('heartbeat points at pages this object store does not have; collecting from the start', { source: connector.name, page: resumeFrom.page });
    }
  }
  // Pages past the resume point were stored by an attempt whose checkpoint never landed: fetch them again.
  await store.remove(existing.filter((k) => pageNumber(k) > state.page));
  if (state.page === 0) await store.remove([checkpointKey]);

  actx.heartbeat(state);
  const seenCursors = new Set<string>();
  while (!state.done) {
    if (actx.cancellationSignal.aborted) throw actx.cancellationSignal.reason;
    const cursorKey = JSON.stringify(state.cursor);
    if (seenCursors.has(cursorKey)) {
      throw permanentFailure(
        FailureType.PagingStuck,
        `${connector.name} returned the same paging cursor twice (${cursorKey.slice(0, 100)}); stopping instead of looping`,
      );
    }
    seenCursors.add(cursorKey);

    const page = await connector.fetchPage(ctx, state.cursor);
    const number = state.page + 1;
    const body = await gzip(JSON.stringify({ page: number, cursor: state.cursor, items: page.items }));
    await store.put(pageKey(prefix, number), body, 'application/json+gzip');
    const counts = addCounts(state.counts, countPage(connector, ctx, page.items));
    state = { cursor: page.next, page: number, counts, done: page.next === null || counts.posts >= maxPosts };
    await store.put(checkpointKey, Buffer.from(JSON.stringify(state)), 'application/json');
    actx.heartbeat(state);
  }

  const result = await mergePages(store, connector, ctx, { prefix, digest, query, maxPosts, pages: state.page });
  await store.put(checkpointKey, Buffer.from(JSON.stringify({ ...state, result } satisfies Checkpoint)), 'application/json');
  await store.remove(Array.from({ length: state.page }, (_, i) => pageKey(prefix, i + 1)));
  return result;
}

async function mergePages(
  store: ObjectStore,
  connector: Connector,
  ctx: ConnectorContext,
  opts: { prefix: string; digest: string; query: string; maxPosts: number; pages: number },
): Promise<CollectResult> {
  const byDay = new Map<string, Array<{ post: Post; raw: unknown }>>();
  const seen = new Set<string>();
  const seenBad = new Set<string>();
  const quarantine: Quarantined[] = [];
  let accepted = 0;
  pages: for (let n = 1; n <= opts.pages; n++) {
    const { items } = await readJsonGz<{ items: unknown[] }>(store, pageKey(opts.prefix, n));
    for (const item of items) {
      const m = mapItem(connector, ctx, item);
      if (!m.ok) {
        // the same broken record on two overlapping pages is one problem, not two
        const key = sha256(JSON.stringify(item) ?? 'undefined');
        if (!seenBad.has(key)) quarantine.push({ reason: m.reason, record: item });
        seenBad.add(key);
        continue;
      }
      if (!m.inWindow || seen.has(m.post.id)) continue;
      if (accepted >= opts.maxPosts) break pages;
      seen.add(m.post.id);
      accepted++;
      const day = new Date(m.post.created_at).toISOString().slice(0, 10);
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push({ post: m.post, raw: item });
    }
  }

  const partitions: CollectedPartition[] = [];
  for (const day of [...byDay.keys()].sort()) {
    // Sorted so that a retried merge writes byte-identical objects whatever order the pages came in.
    const rows = byDay.get(day)!.sort((a, b) => a.post.created_at.localeCompare(b.post.created_at) || a.post.id.localeCompare(b.post.id));
    const posts = await writeNdjson(
      store,
      partitionKey('posts', connector.name, opts.query, day, opts.digest),
      rows.map((r) => r.post),
      'post.v1',
    );
    const raw = await writeNdjson(
      store,
      partitionKey('raw', connector.name, opts.query, day, opts.digest),
      rows.map((r) => r.raw),
      `${connector.name}.raw.v1`,
    );
    partitions.push({ date: day, posts, raw });
  }
  const quarantineRef = quarantine.length
    ? await writeNdjson(
        store,
        partitionKey('quarantine', connector.name, opts.query, ctx.since.toISOString().slice(0, 10), opts.digest),
        quarantine,
        'quarantine.v1',
      )
    : null;
  return {
    source: connector.name,
    query: opts.query,
    partitions,
    quarantine: quarantineRef,
    counts: { in: accepted + quarantine.length, quarantined: quarantine.length },
  };
}
