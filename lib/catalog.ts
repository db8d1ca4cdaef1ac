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

export async function recordDataset(db: Db, d: DatasetRecord): Promise<void> {
  // Upsert on uri: a retried activity rewrites the same object and must not add a second row.
  await db.query(
    `INSERT INTO datasets (uri, stage, source, partition_date, schema, format, records, bytes, sha256, run_key, inputs, meta)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
     ON CONFLICT (uri) DO UPDATE SET records = EXCLUDED.records, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256,
       run_key = EXCLUDED.run_key, inputs = EXCLUDED.inputs, meta = EXCLUDED.meta, created_at = now()`,
    [d.ref.uri, d.stage, d.source ?? null, d.date ?? null, d.ref.schema, d.ref.format, d.ref.records, d.ref.bytes, d.ref.sha256, d.runKey ?? null, d.inputs ?? [], d.meta ?? {}],
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

export async function finishRun(db: Db, runKey: string, outcome: { status: 'completed' | 'failed'; summary?: unknown; error?: string }): Promise<void> {
  await db.query(`UPDATE runs SET status = $2, summary = $3, error = $4, finished_at = now() WHERE run_key = $1`, [
    runKey,
    outcome.status,
    outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
    outcome.error ?? null,
  ]);
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
