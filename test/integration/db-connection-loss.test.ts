import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDotEnv } from '../../lib/config';
import { createDb, withTransaction, type Db } from '../../lib/db';

/**
 * A connection that the server drops (restart, failover, an admin's pg_terminate_backend) must end as a
 * rejected promise, never as an unhandled `error` event that kills the process. Terminating only this
 * test's own backends reproduces it on the shared Postgres without disturbing anyone else.
 */
let db: Db;
let admin: Db;
const unhandled: unknown[] = [];
const onUncaught = (err: unknown) => unhandled.push(err);

beforeAll(() => {
  loadDotEnv();
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: run scripts/services.sh up');
  db = createDb(process.env.DATABASE_URL, 2);
  admin = createDb(process.env.DATABASE_URL, 1);
  // vitest reports uncaught errors itself; collecting them here also lets each test assert there were none
  process.on('uncaughtException', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await db?.end();
  await admin?.end();
});

const terminate = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('a Postgres connection lost mid-use', () => {
  it('inside withTransaction: the transaction rejects with the server’s reason, nothing is committed, the process lives', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS test_connection_loss (id text PRIMARY KEY)');
    const id = `t-${Date.now()}-${Math.random()}`;
    const err = await withTransaction(db, async (client) => {
      await client.query('INSERT INTO test_connection_loss (id) VALUES ($1)', [id]);
      const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
      await terminate(rows[0].pid);
      await settle(); // the error event arrives while no query is running: the case that used to crash
      await client.query('SELECT 1');
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/terminating connection due to administrator command|Connection terminated/);
    expect(unhandled).toEqual([]);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM test_connection_loss WHERE id = $1', [id]);
    expect(rows[0].n).toBe(0);
  });

  it('the broken client is not handed out again: the next transactions and queries work', async () => {
    for (let i = 0; i < 4; i++) {
      expect(await withTransaction(db, async (client) => (await client.query('SELECT 41 + 1 AS n')).rows[0].n)).toBe(42);
    }
    expect((await db.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('an idle pooled client that loses its server is dropped quietly; the pool reconnects', async () => {
    const pids = (await Promise.all([db.query('SELECT pg_backend_pid() AS pid'), db.query('SELECT pg_backend_pid() AS pid')])).map(
      (r) => r.rows[0].pid as number,
    );
    for (const pid of new Set(pids)) await terminate(pid);
    await settle();
    expect(unhandled).toEqual([]);
    expect((await db.query('SELECT 2 AS two')).rows[0].two).toBe(2);
  });
});
