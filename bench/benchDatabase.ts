/**
 * The end-to-end benchmark's own database on the team's Postgres server. Stages skip work whose output
 * the catalog already records (onceForOutput, keyed on input content), so a second run of the same
 * posts against the team database would measure lookups, not work. A fresh database per run measures
 * the real thing, and keeps a million benchmark rows out of the team's catalog and insight tables.
 * Objects go to the same bucket: their keys are content digests, so rewriting them changes nothing.
 */
import { createDb, migrate, type Db } from '../lib/db';

export const BENCH_DATABASE = process.env.SOCIALSENSE_BENCH_DATABASE ?? 'socialsense_bench';

/** The team's DATABASE_URL with the database name replaced. */
export function databaseUrlFor(teamUrl: string, database: string): string {
  const url = new URL(teamUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops and recreates the benchmark database, migrates it, and returns its URL. */
export async function resetBenchDatabase(teamUrl: string, database = BENCH_DATABASE): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`SOCIALSENSE_BENCH_DATABASE must be a plain lowercase identifier, got "${database}"`);
  if (new URL(teamUrl).pathname === `/${database}`) throw new Error(`the benchmark database "${database}" must not be the team database (DATABASE_URL)`);
  const admin = createDb(teamUrl, 1);
  try {
    // FORCE: a worker of an aborted earlier benchmark may still hold a connection.
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(teamUrl, database);
  await migrate(url);
  return url;
}

/**
 * Copies the registry rows of the models serving in the team database, so the features stage loads
 * the same classifier and topic model (their artifacts are in the shared bucket) and costs what it
 * costs for the team. Returns "name v<version>" of each copied model.
 */
export async function copyServingModels(teamDb: Db, benchUrl: string): Promise<string[]> {
  const { rows } = await teamDb.query(`SELECT * FROM models WHERE status = 'serving' ORDER BY name`);
  if (rows.length === 0) return [];
  const bench = createDb(benchUrl, 1);
  try {
    for (const row of rows as Array<Record<string, unknown>>) {
      const columns = Object.keys(row);
      const values = columns.map((c) => (row[c] !== null && typeof row[c] === 'object' && !(row[c] instanceof Date) ? JSON.stringify(row[c]) : row[c]));
      await bench.query(`INSERT INTO models (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    }
  } finally {
    await bench.end();
  }
  return rows.map((r) => `${r.name} v${r.version}`);
}
