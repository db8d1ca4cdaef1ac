import type { Db } from './db';
import { withTransaction } from './db';

/** The model registry in Postgres: every trained version, its evaluation, and which one serves. */

export type ModelStatus = 'candidate' | 'serving' | 'retired' | 'rejected';

export interface ModelVersion {
  name: string;
  version: number;
  status: ModelStatus;
  /** the version's held-out figures */
  metrics: Record<string, unknown>;
  /**
   * What the promotion gate compared it with, on the same held-out data (models/eval/promotionGate
   * `gateRecord`): the baseline's figures under the same keys as `metrics`, `serving` (the version
   * serving then, with its figures, or `{ version, missing }` when its artifact could not be scored;
   * null when nothing served) and `gate` (`promote`, `comparedWith`, `reason`). Versions registered
   * before the gate compared like with like hold only the baseline's figures.
   */
  baseline: Record<string, unknown> | null;
  params: Record<string, unknown>;
  artifactUri: string;
  lineage: Record<string, unknown>;
  runKey: string | null;
  createdAt: Date;
  promotedAt: Date | null;
}

const columns = `name, version, status, metrics, baseline, params, artifact_uri AS "artifactUri", lineage, run_key AS "runKey",
  created_at AS "createdAt", promoted_at AS "promotedAt"`;

export async function nextVersion(db: Db, name: string): Promise<number> {
  const { rows } = await db.query(`SELECT coalesce(max(version), 0) + 1 AS v FROM models WHERE name = $1`, [name]);
  return rows[0].v;
}

export async function registerModel(
  db: Db,
  m: { name: string; version: number; metrics: object; baseline?: object | null; params?: object; artifactUri: string; lineage?: object; runKey?: string },
): Promise<void> {
  // A retried training activity registers the same version again: same row, not a second one.
  await db.query(
    `INSERT INTO models (name, version, status, metrics, baseline, params, artifact_uri, lineage, run_key)
     VALUES ($1, $2, 'candidate', $3, $4, $5, $6, $7, $8)
     ON CONFLICT (name, version) DO UPDATE SET metrics = EXCLUDED.metrics, baseline = EXCLUDED.baseline,
       params = EXCLUDED.params, artifact_uri = EXCLUDED.artifact_uri, lineage = EXCLUDED.lineage`,
    [m.name, m.version, m.metrics, m.baseline ?? null, m.params ?? {}, m.artifactUri, m.lineage ?? {}, m.runKey ?? null],
  );
}

export async function servingModel(db: Db, name: string): Promise<ModelVersion | null> {
  const { rows } = await db.query(`SELECT ${columns} FROM models WHERE name = $1 AND status = 'serving'`, [name]);
  return rows[0] ?? null;
}

export async function getModel(db: Db, name: string, version: number): Promise<ModelVersion | null> {
  const { rows } = await db.query(`SELECT ${columns} FROM models WHERE name = $1 AND version = $2`, [name, version]);
  return rows[0] ?? null;
}

export async function listModels(db: Db, name?: string): Promise<ModelVersion[]> {
  const { rows } = await db.query(`SELECT ${columns} FROM models WHERE $1::text IS NULL OR name = $1 ORDER BY name, version DESC`, [name ?? null]);
  return rows;
}

/** The versions serving now, and every version `runKey` trained (promoted or not): what a run's report shows. */
export async function servingOrTrainedBy(db: Db, runKey: string): Promise<ModelVersion[]> {
  const { rows } = await db.query(
    `SELECT ${columns} FROM models WHERE status = 'serving' OR run_key = $1 ORDER BY name, (status = 'serving') DESC, version DESC`,
    [runKey],
  );
  return rows;
}

/** Makes `version` the serving one; the version serving before is retired (kept for rollback). */
export async function promoteModel(db: Db, name: string, version: number): Promise<void> {
  await withTransaction(db, async (client) => {
    const { rowCount } = await client.query(`SELECT 1 FROM models WHERE name = $1 AND version = $2`, [name, version]);
    if (!rowCount) throw new Error(`no model ${name} version ${version}; see \`socialsense models list\``);
    await client.query(`UPDATE models SET status = 'retired' WHERE name = $1 AND status = 'serving'`, [name]);
    await client.query(`UPDATE models SET status = 'serving', promoted_at = now() WHERE name = $1 AND version = $2`, [name, version]);
  });
}

export async function rejectModel(db: Db, name: string, version: number): Promise<void> {
  await db.query(`UPDATE models SET status = 'rejected' WHERE name = $1 AND version = $2 AND status = 'candidate'`, [name, version]);
}

/** Serves the version that served before the current one again; the current one is marked rejected. */
export async function rollbackModel(db: Db, name: string): Promise<{ from: number; to: number }> {
  return withTransaction(db, async (client) => {
    const current = await client.query(`SELECT version FROM models WHERE name = $1 AND status = 'serving'`, [name]);
    if (!current.rowCount) throw new Error(`model ${name} has no serving version to roll back`);
    const from = current.rows[0].version as number;
    const previous = await client.query(
      `SELECT version FROM models WHERE name = $1 AND status = 'retired' AND version < $2 ORDER BY promoted_at DESC NULLS LAST, version DESC LIMIT 1`,
      [name, from],
    );
    if (!previous.rowCount) throw new Error(`model ${name} has no earlier serving version to roll back to`);
    const to = previous.rows[0].version as number;
    await client.query(`UPDATE models SET status = 'rejected' WHERE name = $1 AND version = $2`, [name, from]);
    await client.query(`UPDATE models SET status = 'serving', promoted_at = now() WHERE name = $1 AND version = $2`, [name, to]);
    return { from, to };
  });
}
