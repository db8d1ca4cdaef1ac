import fs from 'node:fs';
import { FILE_FORMAT_NAMES, fileFormatNamed, mappableFields } from '../../lib/fileFormat';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ScheduleNotFoundError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { backfillInputOf, backfillWorkflowId, MAX_BACKFILL_DAYS, windowCollectionOf } from '../../cli/commands/backfill';
import { retrainWorkflowId } from '../../cli/commands/retrain';
import { describeForPeople, nightlyScheduleId, noScheduleMessage } from '../../cli/commands/schedule';
import { collectWorkflowId } from '../../cli/commands/sources';
import { instanceInput } from '../../activities/collect/platformActivities';
import { startOrAttach } from '../../cli/follow';
import { pipelineWorkflowId } from '../../cli/pipelineRun';
import { addDays, daysBetween, isoDay, yesterday } from '../../lib/dates';
import { backfill, backfillEnd, cancelSignal, pauseSignal, progressQuery, resumeSignal, type BackfillProgress } from '../../workflows/backfill';
import { collect, PLATFORM_SOURCES, type CollectInput } from '../../workflows/collect';
import { socialSensePipeline, type PipelineInput } from '../../workflows/pipeline';
import { MIN_RETRAIN_DAYS, nightlyRetrain, type RetrainInput } from '../../workflows/retrain';
import { normalizeLanguages } from '../../workflows/runIdentity';
import { ApiError, badRequest, errorSchema, notFound } from '../http';
import { anyObject, collectableSourceSchema, dateSchema, platformParam, platformSchema, printableLine, queryTextSchema, sourceSchema } from '../schemas';
import type { ApiDeps } from '../server';
import { plausibleDataDay } from '../../lib/timestamps';

/**
 * Operators: start and steer runs through the Temporal client, with the same inputs and the same
 * business-key workflow ids as the CLI (the id functions are the CLI's own), so a repeated call is the
 * same run, and a run started here can be followed with the CLI or in the Temporal UI, and vice versa.
 * Every call answers 202 with the workflow id and a link to it in the Temporal UI.
 */

const security = [{ bearerAuth: [] }];
const operator = { minRole: 'operator' as const };
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 503: errorSchema };

const accepted = {
  type: 'object',
  properties: {
    workflowId: { type: 'string' },
    runId: { type: ['string', 'null'] },
    started: { type: 'boolean', description: 'false: the same run was already going, and this call attached to it' },
    temporalUrl: { type: ['string', 'null'] },
    status: { type: 'string' },
  },
  required: ['workflowId', 'temporalUrl'],
} as const;

const posts = { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'simulated posts per day; platforms: the most posts to fetch' } as const;
const days = { type: 'integer', minimum: 1, maximum: 366 } as const;
/** How long GET /v1/backfills/:id waits for a worker to answer the progress query. */
const QUERY_TIMEOUT_MS = 3000;

/** Temporal unreachable or refusing is a 503 the caller may retry, not a 500. */
function temporalError(err: unknown): never {
  if (err instanceof ApiError) throw err;
  if (err instanceof ServiceError || /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|connect/i.test(String((err as Error)?.message))) {
    throw new ApiError(
      503,
      'not_available',
      `Temporal did not accept the call: ${String((err as Error).message)
        .split('\n')[0]
        .slice(0, 300)}`,
    );
  }
  throw err;
}

/**
 * Refuses a body's window days that cannot hold posts (lib/timestamps plausibleDataDay), as the CLI's options do.
 * @throws ApiError 400 naming the field
 */
function checkDataDays(days: Record<string, string | undefined>): void {
  for (const [field, day] of Object.entries(days)) {
    const problem = day === undefined ? null : plausibleDataDay(day);
    if (problem) throw badRequest(`body/${field}: ${problem}`);
  }
}

/**
 * What every day of a backfill's or retrain's window needs to collect its source (cli/commands/backfill.ts
 * windowCollectionOf), from this API's environment.
 * @throws ApiError 400 saying what to give or leave out
 */
function windowCollection(source: string, query: string | undefined): { query?: string; instance?: string } {
  try {
    return windowCollectionOf(source, query, process.env);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/**
 * A file named in a control call, checked to be inside `importDir`: an operator steers runs, but must not
 * make a worker read any file it can reach (/etc/passwd as a "file import" would land in the post tables).
 * The file must exist when the call arrives, and the worker is given where it really is (symbolic links resolved):
 * a name that passed the check while nothing was there could be made a link to any file before the worker opened it.
 * @returns the file's real absolute path
 * @throws ApiError 400 when file inputs are not enabled, the file is not there, or the path leaves the folder
 */
export function importPath(importDir: string | null, file: string, field: string): string {
  if (!importDir)
    throw badRequest(
      `${field}: files cannot be named through the API unless SOCIALSENSE_API_IMPORT_DIR names the folder they must be in; use the CLI, or set it`,
    );
  const root = path.resolve(importDir);
  const resolved = path.resolve(root, file);
  const realRoot = fs.existsSync(root) ? fs.realpathSync(root) : root;
  // checked by name first: whether a path outside the folder exists is not this caller's business
  if (!resolved.startsWith(root + path.sep) && !resolved.startsWith(realRoot + path.sep))
    throw badRequest(`${field}: "${file}" is outside the import folder ${root}`);
  if (!fs.statSync(resolved, { throwIfNoEntry: false })?.isFile())
    throw badRequest(`${field}: "${file}" is not a file in the import folder ${root}: put it there first`);
  // symbolic links count where they point
  const real = fs.realpathSync(resolved);
  if (!real.startsWith(realRoot + path.sep)) throw badRequest(`${field}: "${file}" is outside the import folder ${root}`);
  return real;
}

/**
 * What became of a backfill, for people: Temporal's `status` says COMPLETED for every backfill that returned (the
 * workflow returns what it did), so a returned one is told from its progress as the catalog tells it (backfillEnd):
 * `failed` when a day failed all its attempts, `cancelled` when stopped by its cancel signal, else `completed`.
 */
export function backfillOutcome(status: string, progress: BackfillProgress | null): 'running' | 'paused' | 'completed' | 'cancelled' | 'failed' {
  if (status === 'RUNNING') return progress?.paused ? 'paused' : 'running';
  if (status === 'COMPLETED') return progress ? backfillEnd(progress).status : 'completed';
  return status === 'CANCELLED' ? 'cancelled' : 'failed';
}

export function registerControlRoutes(app: FastifyInstance, deps: ApiDeps, opts: { importDir: string | null }): void {
  const { client, taskQueue, namespace, uiUrl } = deps.temporal;
  const link = (workflowId: string) => (uiUrl ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` : null);
  const answer = (request: FastifyRequest, workflowId: string, handle: { firstExecutionRunId?: string }) => {
    // startOrAttach returns the started handle (with its run id) or, when the id was running, a plain handle to it
    const started = Boolean(handle.firstExecutionRunId);
    const body = {
      workflowId,
      runId: handle.firstExecutionRunId ?? null,
      started,
      status: started ? 'started' : 'already running',
      temporalUrl: link(workflowId),
    };
    request.auditResult = { workflowId, started };
    return body;
  };

  app.post<{ Body: PipelineInput & { file?: { path: string; format?: string; mapping?: Record<string, string>; platform?: string } } }>(
    '/v1/runs',
    {
      config: operator,
      schema: {
        tags: ['control'],
        summary: 'start a pipeline run (collect → preprocess → features → score); the same input is the same run',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            source: { ...sourceSchema, default: 'simulated' },
            date: { ...dateSchema, description: 'last day of the window (default: yesterday, UTC)' },
            days,
            posts,
            seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
            users: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            query: queryTextSchema,
            since: dateSchema,
            until: dateSchema,
            languages: {
              type: 'array',
              items: { type: 'string', pattern: '^[A-Za-z]{2,3}$' },
              maxItems: 20,
              description: 'keep only these languages (ISO 639-1)',
            },
            maxQuarantinedShare: { type: 'number', minimum: 0, maximum: 1 },
            file: {
              type: 'object',
              additionalProperties: false,
              properties: {
                path: { ...printableLine(1000), description: 'a CSV, TSV or JSONL file the worker can read' },
                format: {
                  type: 'string',
                  enum: [...FILE_FORMAT_NAMES],
                  description: 'how to read the file whatever its name: json and ndjson are read as jsonl',
                },
                mapping: {
                  type: 'object',
                  description: 'post field → the column (or dotted path) it is read from',
                  additionalProperties: printableLine(200),
                  // the fields are fixed: a typo is a 400 naming them, not a run that fails in the worker
                  propertyNames: { enum: [...mappableFields] },
                },
                platform: platformSchema,
              },
              required: ['path'],
            },
          },
        },
        response: { 202: accepted, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const source = b.source ?? 'simulated';
      if (source === 'file' && !b.file) throw badRequest('source "file" needs file.path (a CSV, TSV or JSONL file the worker can read)');
      if (source !== 'file' && b.file) throw badRequest(`file is for source "file", not "${source}"`);
      if (PLATFORM_SOURCES.includes(source) && !b.query) throw badRequest(`source "${source}" needs a query (search terms, hashtag, page or subreddit)`);
      if (b.since && b.until && b.since >= b.until) throw badRequest(`since ${b.since} must be before until ${b.until} (until is exclusive)`);
      checkDataDays({ date: b.date, since: b.since, until: b.until });
      // The CLI's defaults, resolved here because they are part of the run's id.
      const file = b.file
        ? {
            ...b.file,
            path: importPath(opts.importDir, b.file.path, 'file.path'),
            ...(b.file.platform ? { platform: platformParam(b.file.platform) } : {}),
            ...(b.file.format ? { format: fileFormatNamed(b.file.format) ?? undefined } : {}),
          }
        : undefined;
      const input: PipelineInput = {
        ...b,
        file,
        source,
        // a file's posts fall on their own days: no window is stored as if the file were of one
        ...(source === 'file' ? { date: undefined, days: undefined } : { date: b.date ?? yesterday(), days: b.days ?? 1 }),
        languages: normalizeLanguages(b.languages),
        // the instance this API's environment names for a federated platform: part of the run's identity
        ...instanceInput(source, process.env),
      };
      try {
        const workflowId = await pipelineWorkflowId(input);
        const handle = await startOrAttach(
          client,
          socialSensePipeline,
          { workflowId, taskQueue, args: [input] },
          { stage: 'pipeline', source, date: input.date },
          { db: deps.db, kind: 'pipeline', input },
        );
        return reply.code(202).send(answer(request, workflowId, handle as { firstExecutionRunId?: string }));
      } catch (err) {
        temporalError(err);
      }
    },
  );

  app.post<{ Body: { source: string; query?: string; since?: string; until?: string; maxPosts?: number } }>(
    '/v1/collections',
    {
      config: operator,
      schema: {
        tags: ['control'],
        summary: 'collect one source over a window into the raw and posts zones (no scoring)',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            source: collectableSourceSchema,
            query: queryTextSchema,
            since: { ...dateSchema, description: 'first day (inclusive; default: the day before until)' },
            until: { ...dateSchema, description: 'end of the window (exclusive; default: today)' },
            maxPosts: posts,
          },
          required: ['source'],
        },
        response: { 202: accepted, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (PLATFORM_SOURCES.includes(b.source) && !b.query) throw badRequest(`source "${b.source}" needs a query (search terms, hashtag, page or subreddit)`);
      checkDataDays({ since: b.since, until: b.until });
      const until = b.until ?? isoDay(Date.now());
      const since = b.since ?? addDays(until, -1);
      if (since >= until) throw badRequest(`since ${since} must be before until ${until} (until is exclusive)`);
      if (daysBetween(since, until) > MAX_BACKFILL_DAYS) throw badRequest(`since … until spans more than ${MAX_BACKFILL_DAYS} days`);
      const instance = instanceInput(b.source, process.env);
      const workflowId = collectWorkflowId(b.source, b.query, since, until, instance.instance);
      const input: CollectInput = { source: b.source, query: b.query, since, until, date: since, posts: b.maxPosts, runKey: workflowId, ...instance };
      try {
        const handle = await startOrAttach(client, collect, { workflowId, taskQueue, args: [input] }, { stage: 'collect', source: b.source, date: since });
        return reply.code(202).send(answer(request, workflowId, handle as { firstExecutionRunId?: string }));
      } catch (err) {
        temporalError(err);
      }
    },
  );

  app.post<{ Body: { from: string; to: string; source: string; concurrency: number; posts?: number; query?: string } }>(
    '/v1/backfills',
    {
      config: operator,
      schema: {
        tags: ['control'],
        summary: 'one pipeline per day over a date range (days already done are skipped); pause, resume and cancel below',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: dateSchema,
            to: dateSchema,
            source: { ...collectableSourceSchema, default: 'simulated' },
            concurrency: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
            posts,
            query: { ...queryTextSchema, description: "a platform source's query for every day (search terms, hashtag, page or subreddit)" },
          },
          required: ['from', 'to'],
        },
        response: { 202: accepted, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.from > b.to) throw badRequest(`from ${b.from} is after to ${b.to}; the range must start on or before its last day`);
      checkDataDays({ from: b.from, to: b.to });
      if (daysBetween(b.from, b.to) > MAX_BACKFILL_DAYS)
        throw badRequest(`from … to spans ${daysBetween(b.from, b.to)} days; at most ${MAX_BACKFILL_DAYS} are allowed`);
      const input = backfillInputOf(b, windowCollection(b.source, b.query));
      const workflowId = backfillWorkflowId(b.source, b.from, b.to, input.pipeline);
      try {
        const handle = await startOrAttach(
          client,
          backfill,
          { workflowId, taskQueue, args: [input], memo: { from: b.from, to: b.to } },
          { stage: 'backfill', source: b.source },
        );
        return reply.code(202).send(answer(request, workflowId, handle as { firstExecutionRunId?: string }));
      } catch (err) {
        temporalError(err);
      }
    },
  );

  const backfillId = {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^backfill-[A-Za-z0-9._:%+=@-]{1,200}$', description: 'the workflow id POST /v1/backfills answered' } },
    required: ['id'],
  } as const;

  /** The running backfill `id`, or 404 (no such workflow, or not a backfill). */
  async function backfillHandle(id: string) {
    const handle = client.workflow.getHandle(id);
    try {
      const d = await handle.describe();
      if (d.type !== 'backfill') throw notFound(`workflow ${id} is a ${d.type}, not a backfill`);
      return { handle, status: d.status.name };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`no backfill ${id}`);
      temporalError(err);
    }
  }

  app.get<{ Params: { id: string } }>(
    '/v1/backfills/:id',
    {
      config: operator,
      schema: {
        tags: ['control'],
        summary: "a backfill's status and progress",
        security,
        params: backfillId,
        response: { 200: anyObject, 404: errorSchema, ...errors },
      },
    },
    async (request) => {
      const { handle, status } = await backfillHandle(request.params.id);
      // A query is answered by a worker: with none polling, say so instead of holding the request.
      let timer: NodeJS.Timeout | undefined;
      const noWorker = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), QUERY_TIMEOUT_MS)));
      const progress = await Promise.race([(status === 'RUNNING' ? handle.query(progressQuery) : handle.result()).catch(() => null), noWorker]).finally(() =>
        clearTimeout(timer),
      );
      return {
        workflowId: request.params.id,
        status,
        outcome: backfillOutcome(status, progress as BackfillProgress | null),
        progress,
        ...(progress === null && status === 'RUNNING'
          ? { note: `no worker answered the progress query within ${QUERY_TIMEOUT_MS / 1000} s: is a worker polling task queue ${taskQueue}?` }
          : {}),
        temporalUrl: link(request.params.id),
      };
    },
  );

  const signals = { pause: pauseSignal, resume: resumeSignal, cancel: cancelSignal } as const;
  for (const action of Object.keys(signals) as Array<keyof typeof signals>) {
    app.post<{ Params: { id: string } }>(
      `/v1/backfills/:id/${action}`,
      {
        config: operator,
        schema: {
          tags: ['control'],
          summary: {
            pause: 'stop starting new days (days running finish)',
            resume: 'start days again after a pause',
            cancel: 'stop starting new days; the backfill returns what it did once the running days finish',
          }[action],
          security,
          params: backfillId,
          response: { 202: accepted, 404: errorSchema, 409: errorSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { handle, status } = await backfillHandle(request.params.id);
        if (status !== 'RUNNING')
          throw new ApiError(409, 'conflict', `backfill ${request.params.id} is ${status.toLowerCase()}: only a running backfill can ${action}`);
        try {
          await handle.signal(signals[action]);
        } catch (err) {
          temporalError(err);
        }
        request.auditResult = { workflowId: request.params.id, signal: action };
        return reply.code(202).send({ workflowId: request.params.id, runId: null, status: `${action} sent`, temporalUrl: link(request.params.id) });
      },
    );
  }

  app.post<{ Body: { date?: string; days: number; source: string; posts?: number; query?: string; topics?: number; sentimentTrainFile?: string } }>(
    '/v1/retrain',
    {
      config: operator,
      schema: {
        tags: ['control'],
        summary: 'what the nightly Schedule runs, now: train on the window, evaluate, promote if better, rescore',
        security,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            date: { ...dateSchema, description: 'last day of the window (default: yesterday)' },
            days: { ...days, minimum: MIN_RETRAIN_DAYS, default: 7, description: `days in the training window (at least ${MIN_RETRAIN_DAYS})` },
            // file: trains on the imports of the window's days (nothing is collected)
            source: { ...sourceSchema, default: 'simulated' },
            posts,
            query: { ...queryTextSchema, description: "a platform source's query, for the days of the window not collected yet" },
            topics: { type: 'integer', minimum: 2, maximum: 200 },
            sentimentTrainFile: {
              ...printableLine(1000),
              description: 'labelled TSV the worker can read: columns text and label (negative, neutral or positive, in any case), at least 10 labelled rows',
            },
          },
        },
        response: { 202: accepted, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      checkDataDays({ date: b.date });
      const date = b.date ?? yesterday();
      const sentimentTrainFile = b.sentimentTrainFile ? importPath(opts.importDir, b.sentimentTrainFile, 'sentimentTrainFile') : null;
      const collection = windowCollection(b.source, b.query);
      const input: RetrainInput = { date, days: b.days, source: b.source, posts: b.posts, topics: b.topics, sentimentTrainFile, ...collection };
      const workflowId = retrainWorkflowId(b.source, date, collection);
      try {
        const handle = await startOrAttach(
          client,
          nightlyRetrain,
          { workflowId, taskQueue, args: [input] },
          { stage: 'retrain', source: b.source, date },
          { db: deps.db, kind: 'retrain', input },
        );
        return reply.code(202).send(answer(request, workflowId, handle as { firstExecutionRunId?: string }));
      } catch (err) {
        temporalError(err);
      }
    },
  );

  app.get(
    '/v1/schedule',
    {
      config: operator,
      schema: {
        tags: ['control'],
        summary: 'the nightly retraining Schedule: spec, next and recent runs, paused or not',
        security,
        response: { 200: anyObject, 404: errorSchema, ...errors },
      },
    },
    async () => {
      const id = nightlyScheduleId(taskQueue);
      try {
        return describeForPeople(await client.schedule.getHandle(id).describe());
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) throw notFound(noScheduleMessage(id));
        temporalError(err);
      }
    },
  );
}
