import path from 'node:path';
import pg from 'pg';
import { logger } from './logger';
import { projectRoot } from './paths';

export type Db = pg.Pool;

// Postgres BIGINT/NUMERIC come back as strings by default; our counts fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/**
 * A connection pool for `url` (postgres://…) holding at most `max` connections.
 *
 * No `error` event from pg can crash the process: a server restart or failover drops every connection,
 * and pg then emits `error` on each client, idle or checked out. Idle clients report to the pool's
 * listener; a checked-out client (a transaction in `withTransaction`) has none of the pool's, so every
 * client gets its own listener when it is created. The query in flight fails with the same error,
 * which is how the activity learns of it and retries; pg-pool discards a client that is no longer
 * queryable instead of handing it out again.
 */
export function createDb(url: string, max = 8): Db {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  // The pool re-emits an idle client's error; it is already logged by the client's own listener.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', logConnectionError));
  return pool;
}

/** Connection errors are expected during restarts; logged once per client at warn so an outage is visible. */
function logConnectionError(err: Error): void {
  logger.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'postgres connection lost');
}

export const migrationsDir = path.join(projectRoot, 'db', 'migrations');

/**
 * Applies db/migrations in order; safe to call from every process at start (node-pg-migrate takes a lock).
 * @param count how many pending migrations to apply, in order (default all; a test of one migration stops before it)
 * @returns the names of the migrations applied
 */
export async function migrate(url: string, count = Infinity): Promise<string[]> {
  // Our own client, not node-pg-migrate's: its client has no `error` listener, so a server restart
  // during the migration would crash the process instead of failing this call.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', logConnectionError);
  await client.connect();
  try {
    return await applyMigrations(client, count);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function applyMigrations(client: pg.Client, count: number): Promise<string[]> {
  // Loaded here, not at the top: every process and stage thread uses this module, few of them migrate
  // (node-pg-migrate is ~20 MiB of resident memory per thread, measured).
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    dbClient: client,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count,
    // Workers, the CLI and tests may start together; the second waits for the first's migration.
    advisoryLockMode: 'wait',
    log: () => undefined,
  });
  return applied.map((m) => m.name);
}

/**
 * Runs `fn` inside BEGIN … COMMIT on one pooled client; any error rolls back and is rethrown.
 * A connection lost mid-transaction (server restart) rejects with the error the connection died of
 * (`terminating connection due to administrator command`, `Connection terminated unexpectedly`), and
 * nothing was committed, so the calling activity can retry the whole of it.
 */
export async function withTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let lost: Error | undefined;
  // The pool's listener (createDb) already keeps the process alive; this one remembers that the
  // connection died, so the client is destroyed on release instead of being pooled again.
  const onError = (err: Error) => (lost = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (!lost) await client.query('ROLLBACK').catch(() => undefined);
    // After a lost connection pg only says "Client has encountered a connection error and is not
    // queryable"; the server's reason (e.g. 57P01 terminating connection) is what the failure should show.
    throw lost ?? err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
