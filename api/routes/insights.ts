import type { FastifyInstance } from 'fastify';
import { reconcileRuns, runIsOpen } from '../../lib/catalog';
import { addDays } from '../../lib/dates';
import { listModels, type ModelVersion } from '../../lib/registry';
import { buildReport } from '../../cli/report/build';
import { esc } from '../../cli/report/html';
import { RETRAIN_HINT } from '../../cli/report/nextSteps';
import { recommendationsFor, whyNoRecommendations } from '../../cli/report/queries/recommendations';
import { findRun, recentRuns, RunNotFoundError, type RunInfo } from '../../cli/report/queries/runs';
import { userSegments } from '../../cli/report/queries/segments';
import { topicModelFor, topicSummary } from '../../cli/report/queries/topics';
import { trends, type TermKind } from '../../cli/report/queries/trends';
import { decodeCursor, errorSchema, limitSchema, cursorSchema, listSchema, notFound, page, badRequest } from '../http';
import {
  anyObject,
  dateSchema,
  EPOCH_US_SQL,
  FROM_EPOCH_US_SQL,
  hashtagSchema,
  platformParam,
  platformSchema,
  runKeySchema,
  searchTextSchema,
  userIdSchema,
} from '../schemas';
import type { ApiDeps } from '../server';

/**
 * What viewers read: runs, posts, trends, topics, segments, recommendations, models, the HTML report
 * and a home page. Everything goes through the read-side queries the report and `insights` use
 * (cli/report/queries/, lib/registry.ts), so the API shows the same numbers as the page and the CLI.
 */

const security = [{ bearerAuth: [] }];
const viewer = { minRole: 'viewer' as const };
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
const runQuery = { run: { ...runKeySchema, description: 'the run (default: the latest completed run that scored posts)' } };

/** The run a request is about, or a 404 that lists recent runs. */
async function runOr404(deps: ApiDeps, runKey: string | undefined): Promise<RunInfo> {
  try {
    return await findRun(deps.db, runKey);
  } catch (err) {
    if (err instanceof RunNotFoundError) throw notFound(err.message);
    throw err;
  }
}

const temporalLink = (deps: ApiDeps, workflowId: string) =>
  deps.temporal.uiUrl ? `${deps.temporal.uiUrl}/namespaces/${encodeURIComponent(deps.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}` : null;

interface RunRow {
  run_key: string;
  workflow_id: string;
  kind: string;
  status: string;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
  started_us: number;
}

interface PostRow {
  post_id: string;
  run_key: string;
  platform: string;
  author_id: string;
  created_at: Date;
  text: string;
  lang: string | null;
  hashtags: string[];
  sentiment_compound: number | null;
  sentiment_label: string | null;
  sentiment_model: string | null;
  topic: number | null;
  created_us: number;
}

/** LIKE's wildcards and escape taken literally: a search for "50%" finds "50%", not everything. */
const likeLiteral = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function registerInsightRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;

  app.get<{ Querystring: { kind?: string; status?: string; limit: number; cursor?: string } }>(
    '/v1/runs',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: 'run summaries, newest first',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: ['pipeline', 'backfill', 'retrain', 'collect', 'stream'] },
            status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] },
            limit: limitSchema(),
            cursor: cursorSchema,
          },
        },
        response: { 200: listSchema(anyObject), ...errors },
      },
    },
    async (request) => {
      const { kind, status, limit } = request.query;
      const after = decodeCursor(request.query, ['number', 'string']);
      const { rows } = await db.query<RunRow>(
        `SELECT run_key, workflow_id, kind, status, error, started_at, finished_at, ${EPOCH_US_SQL('started_at')} AS started_us FROM runs
         WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)
           AND ($3::bigint IS NULL OR (started_at, run_key) < (${FROM_EPOCH_US_SQL('$3')}, $4::text))
         ORDER BY started_at DESC, run_key DESC LIMIT $5`,
        [kind ?? null, status ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
      );
      return page(
        rows,
        request.query,
        (r) => [Number(r.started_us), r.run_key],
        (r) => ({
          runKey: r.run_key,
          workflowId: r.workflow_id,
          kind: r.kind,
          status: r.status,
          error: r.error,
          startedAt: r.started_at.toISOString(),
          finishedAt: r.finished_at?.toISOString() ?? null,
          report: `/v1/runs/${encodeURIComponent(r.run_key)}/report`,
          temporalUrl: temporalLink(deps, r.workflow_id),
        }),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/runs/:id',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: 'one run: its input, summary, window and number of scored posts',
        security,
        params: { type: 'object', properties: { id: runKeySchema }, required: ['id'] },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      let run = await runOr404(deps, request.params.id);
      if (runIsOpen(run.status)) {
        // Closed behind the catalog's back (terminated, timed out, cancelled before it recorded itself): ask Temporal,
        // as `socialsense runs` does. Without Temporal the stored status is answered.
        const changed = await reconcileRuns(db, deps.temporal.client, { runKey: run.runKey }).catch((err: unknown) => {
          request.log.warn({ err: (err as Error).message, runKey: run.runKey }, 'run status not checked against Temporal');
          return [];
        });
        if (changed.length > 0) run = await runOr404(deps, run.runKey);
      }
      return { ...run, report: `/v1/runs/${encodeURIComponent(run.runKey)}/report`, temporalUrl: temporalLink(deps, run.runKey) };
    },
  );

  // Building a report renders every chart (CPU-bound, ~0.1–1 s): a finished run's page is kept, keyed by
  // what would change it, for the few runs people open again and again.
  const reports = new Map<string, string>();
  app.get<{ Params: { id: string } }>(
    '/v1/runs/:id/report',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: "the run's HTML report (self-contained: charts inline)",
        security,
        params: { type: 'object', properties: { id: runKeySchema }, required: ['id'] },
        produces: ['text/html'],
        response: { 200: { type: 'string', description: 'text/html' }, ...errors },
      },
    },
    async (request, reply) => {
      const run = await runOr404(deps, request.params.id);
      // A run that has not ended changes under the page: built anew each time, never kept.
      let cacheKey: string | null = null;
      if (!runIsOpen(run.status)) {
        // A retrain changes a finished run's page (rescored posts, promoted models, trends, segments): its end is in the key.
        const { rows } = await db.query<{ at: Date | null }>(`SELECT max(finished_at) AS at FROM runs WHERE kind = 'retrain'`);
        cacheKey = `${run.runKey}\u0000${run.status}\u0000${run.finishedAt}\u0000${run.posts}\u0000${rows[0].at?.toISOString() ?? ''}`;
      }
      let html = cacheKey === null ? undefined : reports.get(cacheKey);
      if (!html) {
        html = (await buildReport(db, { runKey: run.runKey })).html;
        if (cacheKey !== null) {
          if (reports.size >= 16) reports.delete(reports.keys().next().value!);
          reports.set(cacheKey, html);
        }
      }
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );

  app.get<{
    Querystring: {
      from?: string;
      to?: string;
      platform?: string;
      topic?: number;
      sentiment?: string;
      hashtag?: string;
      q?: string;
      run?: string;
      author?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    '/v1/posts',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: 'scored posts, newest first, filtered by date range, platform, topic, sentiment, hashtag, text, run and author',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...dateSchema, description: 'first day (UTC, inclusive)' },
            to: { ...dateSchema, description: 'last day (UTC, inclusive)' },
            platform: platformSchema,
            topic: { type: 'integer', minimum: 0, maximum: 100000 },
            sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative', 'unscored'] },
            hashtag: hashtagSchema,
            q: searchTextSchema,
            run: {
              ...runKeySchema,
              description: 'the posts this run scored (post_score_runs), as its summary and insights count them, with their current scores',
            },
            author: {
              ...userIdSchema,
              description:
                "only this author's posts: the author key as posts carry it (authorId, `platform:id`), or a platform's bare id (every platform's author with that id)",
            },
            limit: limitSchema(),
            cursor: cursorSchema,
          },
        },
        response: { 200: listSchema(anyObject), ...errors },
      },
    },
    async (request) => {
      const { from, to, platform, topic, sentiment, hashtag, q, run, author, limit } = request.query;
      if (from && to && from > to) throw badRequest(`from ${from} is after to ${to}`);
      const after = decodeCursor(request.query, ['number', 'string']);
      const { rows } = await db.query<PostRow>(
        `SELECT post_id, run_key, platform, author_id, created_at, text, lang, hashtags, sentiment_compound, sentiment_label, sentiment_model, topic,
                ${EPOCH_US_SQL('created_at')} AS created_us
         FROM post_scores
         WHERE ($1::date IS NULL OR created_at >= $1::date::timestamp AT TIME ZONE 'UTC')
           AND ($2::date IS NULL OR created_at < $2::date::timestamp AT TIME ZONE 'UTC')
           AND ($3::text IS NULL OR platform = $3)
           AND ($4::int IS NULL OR topic = $4)
           AND ($5::text IS NULL OR sentiment_label = $5 OR ($5 = 'unscored' AND sentiment_label IS NULL))
           AND ($6::text IS NULL OR $6 = ANY(hashtags))
           AND ($7::text IS NULL OR text ILIKE $7)
           AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM post_score_runs r WHERE r.run_key = $8 AND r.post_id = post_scores.post_id))
           AND ($9::bigint IS NULL OR (created_at, post_id) < (${FROM_EPOCH_US_SQL('$9')}, $10::text))
           AND ($12::text IS NULL OR author_id = $12 OR right(author_id, length($12) + 1) = ':' || $12)
         ORDER BY created_at DESC, post_id DESC LIMIT $11`,
        [
          from ?? null,
          to ? addDays(to, 1) : null,
          platformParam(platform) ?? null,
          topic ?? null,
          sentiment ?? null,
          hashtag ? hashtag.replace(/^#/, '').toLowerCase() : null,
          q ? likeLiteral(q) : null,
          run ?? null,
          after?.[0] ?? null,
          after?.[1] ?? null,
          limit + 1,
          author ?? null,
        ],
      );
      return page(
        rows,
        request.query,
        (r) => [Number(r.created_us), r.post_id],
        (r) => ({
          id: r.post_id,
          platform: r.platform,
          authorId: r.author_id,
          createdAt: r.created_at.toISOString(),
          text: r.text,
          lang: r.lang,
          hashtags: r.hashtags,
          sentiment: { label: r.sentiment_label, compound: r.sentiment_compound, model: r.sentiment_model },
          topic: r.topic,
          runKey: r.run_key,
        }),
      );
    },
  );

  app.get<{ Querystring: { run?: string; kind?: TermKind[]; limit: number } }>(
    '/v1/trends',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: "a run's emerging and top terms, with their daily series and next-day forecast bands",
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...runQuery,
            kind: {
              type: 'array',
              items: { type: 'string', enum: ['hashtag', 'term', 'topic'] },
              maxItems: 3,
              description: 'term kinds (repeatable; default all)',
            },
            limit: limitSchema(100, 10),
          },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const run = await runOr404(deps, request.query.run);
      return {
        runKey: run.runKey,
        ...(await trends(db, run, { limit: request.query.limit, kinds: request.query.kind?.length ? request.query.kind : undefined })),
      };
    },
  );

  app.get<{ Querystring: { run?: string } }>(
    '/v1/topics',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: "a run's topics with their terms, posts and sentiment",
        security,
        querystring: { type: 'object', additionalProperties: false, properties: runQuery },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const run = await runOr404(deps, request.query.run);
      const model = await topicModelFor(db, run);
      const topics = await topicSummary(db, run.runKey, model);
      // No topic assigned (nothing, or only the "all posts (no topic)" group): say what would fill it, as the CLI and the report do.
      return { runKey: run.runKey, model, topics, ...(topics.every((t) => t.topic === null) ? { note: `no topics yet: ${RETRAIN_HINT}` } : {}) };
    },
  );

  app.get<{ Querystring: { run?: string } }>(
    '/v1/segments',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: 'audience segments: size, average traits and how they differ from the average user, top topics',
        security,
        querystring: { type: 'object', additionalProperties: false, properties: runQuery },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const run = await runOr404(deps, request.query.run);
      const segments = await userSegments(db, run.runKey, await topicModelFor(db, run));
      return { runKey: run.runKey, ...segments, ...(segments.segments.length === 0 ? { note: `no segments yet: ${RETRAIN_HINT}` } : {}) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/v1/users/:id/recommendations',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: "a user's latest recommendations (accounts to engage with), with segment and engagement probability",
        security,
        params: { type: 'object', properties: { id: userIdSchema }, required: ['id'] },
        querystring: { type: 'object', additionalProperties: false, properties: { limit: limitSchema(50, 10) } },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const found = await recommendationsFor(db, request.params.id, request.query.limit);
      if (!found) throw notFound(await whyNoRecommendations(db, request.params.id));
      return found;
    },
  );

  app.get<{ Querystring: { name?: string; status?: string; limit: number; cursor?: string } }>(
    '/v1/models',
    {
      config: viewer,
      schema: {
        tags: ['insights'],
        summary: 'the model registry: every version with its held-out metrics beside its baseline, and which serves',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,40}$', description: 'e.g. sentiment, topics, recommender' },
            status: { type: 'string', enum: ['candidate', 'serving', 'retired', 'rejected'] },
            limit: limitSchema(),
            cursor: cursorSchema,
          },
        },
        response: { 200: listSchema(anyObject), ...errors },
      },
    },
    async (request) => {
      const { name, status, limit } = request.query;
      const after = decodeCursor(request.query, ['string', 'number']);
      // listModels orders by (name, version DESC); the registry is small, so the page is cut here.
      const all = (await listModels(db, name)).filter((m) => !status || m.status === status);
      const rest = after ? all.filter((m) => m.name > after[0] || (m.name === after[0] && m.version < (after[1] as number))) : all;
      return page(
        rest.slice(0, limit + 1),
        request.query,
        (m) => [m.name, m.version],
        (m: ModelVersion) => ({
          ...m,
          createdAt: new Date(m.createdAt).toISOString(),
          promotedAt: m.promotedAt ? new Date(m.promotedAt).toISOString() : null,
        }),
      );
    },
  );

  app.get(
    '/',
    { config: viewer, schema: { tags: ['insights'], summary: "a page linking the latest runs' reports", security, produces: ['text/html'] } },
    async (_request, reply) => {
      const runs = await recentRuns(db, 20);
      const rows = runs
        .map(
          (r) =>
            `<tr><td><a href="/v1/runs/${esc(encodeURIComponent(r.runKey))}/report">${esc(r.runKey)}</a></td><td>${esc(r.kind)}</td><td>${esc(r.status)}</td><td>${esc(r.startedAt.replace('T', ' ').slice(0, 16))} UTC</td></tr>`,
        )
        .join('\n');
      const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SocialSense</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2933}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e4e7eb}a{color:#1d4ed8}</style>
</head><body><h1>SocialSense</h1><p>The latest runs; each links to its report. The API is described at <a href="/docs">/docs</a>.</p>
${runs.length ? `<table><thead><tr><th>Run</th><th>Kind</th><th>Status</th><th>Started</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : '<p>No runs yet.</p>'}
</body></html>`;
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
