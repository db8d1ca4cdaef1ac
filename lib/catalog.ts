import type { Client } from '@temporalio/client';
import { describeFailure } from './failures';
import type { Db } from './db';
import type { DatasetRef } from './schema';

/** The Postgres catalog: which datasets exist, where they came from, and what each run did. */

export interface DatasetRecord {
  ref: DatasetRef;
  stage: string;
  source?: string | null;
  date?: string | null;
  runKey?: string | null;
  inputs?: string[];
  meta?: Record<string, unknown>;
}

/** A `datasets` row as the read side selects it (`partition_date::text AS partition_date`). */
export interface DatasetRow {
  id: number;
  uri: string;
  stage: string;
  source: string | null;
  partition_date: string | null;
  schema: string;
  format: string;
  records: number;
  bytes: number;
  sha256: string;
  run_key: string | null;
  inputs: string[];
  created_at: Date;
}

/** The descriptive fields of a dataset row, named as the API and the report show them. */
export function datasetFields(r: Pick<DatasetRow, 'uri' | 'stage' | 'source' | 'partition_date' | 'schema' | 'format' | 'records' | 'bytes'>) {
  return {
    uri: r.uri,
    stage: r.stage,
    source: r.source,
    partitionDate: r.partition_date,
    schema: r.schema,
    format: r.format,
    records: r.records,
    bytes: r.bytes,
  };
}

export async function recordDataset(db: Db, d: DatasetRecord): Promise<void> {
  // Upsert on uri: a retried activity rewrites the same object and must not add a second row.
  await db.query(
    `INSERT INTO datasets (uri, stage, source, partition_date, schema, format, records, bytes, sha256, run_key, inputs, meta)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
     ON CONFLICT (uri) DO UPDATE SET records = EXCLUDED.records, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256,
       run_key = EXCLUDED.run_key, inputs = EXCLUDED.inputs, meta = EXCLUDED.meta, created_at = now()`,
    [
      d.ref.uri,
      d.stage,
      d.source ?? null,
      d.date ?? null,
      d.ref.schema,
      d.ref.format,
      d.ref.records,
      d.ref.bytes,
      d.ref.sha256,
      d.runKey ?? null,
      d.inputs ?? [],
      d.meta ?? {},
    ],
  );
}

/** A dataset counts as done only once its catalog row exists, and the row is written after the object. */
export async function findDataset(db: Db, uri: string): Promise<DatasetRef | null> {
  const { rows } = await db.query(`SELECT uri, format, schema, records, bytes, sha256 FROM datasets WHERE uri = $1`, [uri]);
  return rows[0] ?? null;
}

export async function startRun(db: Db, run: { runKey: string; workflowId: string; runId?: string; kind: string; input: unknown }): Promise<void> {
  await db.query(
    `INSERT INTO runs (run_key, workflow_id, run_id, kind, status, input) VALUES ($1,$2,$3,$4,'running',$5)
     ON CONFLICT (run_key) DO UPDATE SET run_id = EXCLUDED.run_id, status = 'running', input = EXCLUDED.input,
       error = NULL, summary = NULL, started_at = now(), finished_at = NULL`,
    [run.runKey, run.workflowId, run.runId ?? null, run.kind, JSON.stringify(run.input ?? {})],
  );
}

/**
 * Records a run its starter (the CLI, the API) has just handed to Temporal as `queued`, so it can be found under the
 * id it was given before any worker has taken it: with no worker running, nothing else would write its row until one
 * starts. The workflow's own recordRunStart (startRun) then marks it `running`. A row of the same execution (run_id)
 * is left alone: a fast worker may have recorded it already, even finished it.
 */
export async function recordRunQueued(db: Db, run: { runKey: string; workflowId: string; runId: string; kind: string; input: unknown }): Promise<void> {
  await db.query(
    `INSERT INTO runs (run_key, workflow_id, run_id, kind, status, input) VALUES ($1,$2,$3,$4,'queued',$5)
     ON CONFLICT (run_key) DO UPDATE SET workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id, kind = EXCLUDED.kind, status = 'queued',
       input = EXCLUDED.input, error = NULL, summary = NULL, started_at = now(), finished_at = NULL
     WHERE runs.run_id IS DISTINCT FROM EXCLUDED.run_id`,
    [run.runKey, run.workflowId, run.runId, run.kind, JSON.stringify(run.input ?? {})],
  );
}

/**
 * How a run ended, as `runs.status` records it: `cancelled` when someone cancelled its workflow (the Web UI,
 * `temporal workflow cancel`, the API), `failed` for every other way it ended without its summary.
 */
export type RunEndStatus = 'completed' | 'failed' | 'cancelled';

/**
 * A run's status: `queued` from its start by the CLI or the API until a worker takes it (recordRunQueued), `running`
 * until it ends (startRun), then how it ended (finishRun, reconcileRuns).
 */
export type RunStatus = 'queued' | 'running' | RunEndStatus;

/** The statuses of a run that has not ended: what reconcileRuns asks Temporal about. */
export const OPEN_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running'];

/** Whether a run with this status has not ended yet (queued or running). */
export const runIsOpen = (status: string): boolean => (OPEN_RUN_STATUSES as readonly string[]).includes(status);

export async function finishRun(db: Db, runKey: string, outcome: { status: RunEndStatus; summary?: unknown; error?: string }): Promise<void> {
  await db.query(`UPDATE runs SET status = $2, summary = $3, error = $4, finished_at = now() WHERE run_key = $1`, [
    runKey,
    outcome.status,
    outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
    outcome.error ?? null,
  ]);
}

/**
 * Records in a pipeline run's summary that a retrain rescored some of its partitions: each partition's features
 * dataset (found by its clean dataset, at the same place in `summary.datasets`) becomes the rescored one, the counts
 * people see first become those of `overview` (the post_scores rows now carry the rescore), `models` the models that
 * rescored, and `rescored` says by which retrain and when. So the summary's datasets stay the ones that hold the run's
 * current scores, which is where README's "open a run's data" reads them. A run without such a summary is left alone.
 */
export async function recordRescore(
  db: Db,
  runKey: string,
  rescore: {
    by: string;
    partitions: Array<{ clean: string; features: DatasetRef }>;
    models: { sentiment: string; topics: string | null };
    overview: { sentiment: Record<string, number>; topHashtags: unknown[] };
  },
): Promise<void> {
  await db.query(
    `UPDATE runs SET summary = jsonb_set(
         jsonb_set(summary, '{datasets,features}', (
           SELECT jsonb_agg(coalesce(p.features, f.elem) ORDER BY f.ord)
           FROM jsonb_array_elements(summary->'datasets'->'features') WITH ORDINALITY AS f(elem, ord)
           LEFT JOIN jsonb_array_elements(summary->'datasets'->'clean') WITH ORDINALITY AS c(elem, ord) ON c.ord = f.ord
           LEFT JOIN jsonb_to_recordset($2::jsonb) AS p(clean text, features jsonb) ON p.clean = c.elem->>'uri')),
         '{rescored}', $3::jsonb) || jsonb_build_object('sentiment', $4::jsonb, 'topHashtags', $5::jsonb, 'models', $6::jsonb)
     WHERE run_key = $1 AND jsonb_typeof(summary->'datasets'->'features') = 'array' AND jsonb_array_length(summary->'datasets'->'features') > 0`,
    [
      runKey,
      JSON.stringify(rescore.partitions),
      JSON.stringify({ by: rescore.by, at: new Date().toISOString(), partitions: rescore.partitions.length }),
      JSON.stringify(rescore.overview.sentiment),
      JSON.stringify(rescore.overview.topHashtags),
      JSON.stringify(rescore.models),
    ],
  );
}

/**
 * Runs a stage unless its output is already catalogued under the same deterministic key, in which
 * case the stored result is returned: re-runs and retries after a crash do no work twice.
 */
export async function onceForOutput<T>(db: Db, uri: string, compute: () => Promise<{ result: T; record: DatasetRecord }>): Promise<T> {
  const { rows } = await db.query(`SELECT meta FROM datasets WHERE uri = $1`, [uri]);
  if (rows[0]?.meta?.result !== undefined) return rows[0].meta.result as T;
  const { result, record } = await compute();
  await recordDataset(db, { ...record, meta: { ...record.meta, result } });
  return result;
}

/** A row of `runs` as listed to people. */
export interface RunListing {
  runKey: string;
  workflowId: string;
  runId: string | null;
  kind: string;
  status: RunStatus;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** The newest `limit` runs, newest first. */
export async function listRuns(db: Db, opts: { limit?: number } = {}): Promise<RunListing[]> {
  const { rows } = await db.query(
    `SELECT run_key, workflow_id, run_id, kind, status, error, started_at, finished_at FROM runs ORDER BY started_at DESC LIMIT $1`,
    [opts.limit ?? 20],
  );
  return rows.map((r) => ({
    runKey: r.run_key,
    workflowId: r.workflow_id,
    runId: r.run_id,
    kind: r.kind,
    status: r.status as RunStatus,
    error: r.error,
    startedAt: (r.started_at as Date).toISOString(),
    finishedAt: r.finished_at ? (r.finished_at as Date).toISOString() : null,
  }));
}

/** What reconciling one run found: its new status and error, or why it stays as it is. */
export interface ReconciledRun {
  runKey: string;
  status: RunEndStatus;
  error: string | null;
}

/**
 * Makes `runs` agree with Temporal for every run still marked `queued` or `running`: a workflow that was
 * terminated, timed out, or closed in any way without reaching its own catch block (where it records
 * its end) is closed here, with the reason Temporal gives (`Terminated: <reason>`, `Timeout: …`, the
 * root cause of a failure). A workflow Temporal no longer knows (deleted, past retention, or an
 * embedded dev server that is gone) is marked failed with that explanation. Runs whose workflow is
 * still running are left alone. The update only touches the same execution (run_id) still `queued` or `running`,
 * so a newer run under the same key is never overwritten.
 *
 * @param opts.runKey only this run (the API's GET /v1/runs/{id}); default every run not ended
 * @returns the runs whose row changed
 * @throws when Temporal cannot be reached (the caller decides whether stale statuses are acceptable)
 */
export async function reconcileRuns(db: Db, client: Client, opts: { runKey?: string } = {}): Promise<ReconciledRun[]> {
  const { rows } = await db.query(
    `SELECT run_key, workflow_id, run_id FROM runs WHERE status = ANY($2) AND ($1::text IS NULL OR run_key = $1) ORDER BY started_at`,
    [opts.runKey ?? null, OPEN_RUN_STATUSES],
  );
  const changed: ReconciledRun[] = [];
  for (const row of rows as Array<{ run_key: string; workflow_id: string; run_id: string | null }>) {
    const outcome = await closedOutcome(client, row.workflow_id, row.run_id ?? undefined);
    if (!outcome) continue;
    const updated = await db.query(
      `UPDATE runs SET status = $3, error = $4, summary = COALESCE(summary, $5), finished_at = COALESCE($6, now())
       WHERE run_key = $1 AND status = ANY($7) AND run_id IS NOT DISTINCT FROM $2`,
      [
        row.run_key,
        row.run_id,
        outcome.status,
        outcome.error,
        outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
        outcome.closedAt,
        OPEN_RUN_STATUSES,
      ],
    );
    if (updated.rowCount) changed.push({ runKey: row.run_key, status: outcome.status, error: outcome.error });
  }
  return changed;
}

async function closedOutcome(
  client: Client,
  workflowId: string,
  runId: string | undefined,
): Promise<{ status: RunEndStatus; error: string | null; summary?: unknown; closedAt: Date | null } | null> {
  const handle = client.workflow.getHandle(workflowId, runId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
    return { status: 'failed', error: 'the workflow is unknown to Temporal (deleted, past its retention, or run on a server that is gone)', closedAt: null };
  }
  const closedAt = description.closeTime ?? null;
  switch (description.status.name) {
    case 'RUNNING':
      return null;
    case 'TIMED_OUT':
      return { status: 'failed', error: 'Timeout: the workflow ran past its execution timeout and Temporal closed it', closedAt };
    case 'CONTINUED_AS_NEW':
      return { status: 'failed', error: 'the workflow continued as a new run that this catalog row does not follow', closedAt };
    case 'COMPLETED':
      // Normally recorded by the workflow itself; here when that write was lost.
      return { status: 'completed', error: null, summary: await handle.result().catch(() => undefined), closedAt };
    default: {
      // FAILED, TERMINATED, CANCELLED: the client turns the close event into the failure chain.
      const err = await handle.result().then(
        () => null,
        (e: unknown) => e,
      );
      const status = description.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
      return { status, error: err ? describeFailure(err) : `closed as ${description.status.name}`, closedAt };
    }
  }
}
