import { invalidInput } from './failures';
import type pg from 'pg';

/**
 * Postgres errors caused by the data itself, which no retry can fix: SQLSTATE class 22 (data
 * exception: invalid input syntax, a timestamp out of range, an unsupported Unicode escape in JSON…)
 * and class 23 (integrity constraint violation: NOT NULL, CHECK…). Connection loss (class 08), a
 * server shutting down (57P…), lock timeouts and the like are transient and stay retryable.
 */
export function isPgDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** "<message> (SQLSTATE <code>)": the reason kept beside a row Postgres refused. */
export function pgErrorReason(err: unknown): string {
  const e = err as { message?: string; code?: string; detail?: string };
  return `${e.message ?? String(err)}${e.detail ? ` — ${e.detail}` : ''}${e.code ? ` (SQLSTATE ${e.code})` : ''}`;
}

export interface RefusedRow<T> {
  row: T;
  /** the Postgres message that refused it */
  reason: string;
}

/**
 * Inserts `rows` with `insert` (one statement per call) inside the caller's transaction on `client`.
 * When a batch fails for a data reason, it is rolled back to a savepoint and bisected until the rows
 * Postgres refuses are isolated: those are returned with the Postgres message, every other row is
 * stored. A batch of n rows with k bad ones costs about k·log2(n) extra statements.
 *
 * @param client a client inside BEGIN … COMMIT (savepoints need a transaction)
 * @param rows the rows to store, in any order
 * @param insert stores one batch (a single statement, so a failure leaves nothing of that batch)
 * @returns the refused rows with their reasons (empty when all were stored)
 * @throws any error that is not a data error (connection loss etc.), for the caller's retry
 */
export async function insertRefusingBadRows<T>(
  client: pg.PoolClient,
  rows: readonly T[],
  insert: (batch: readonly T[]) => Promise<unknown>,
): Promise<Array<RefusedRow<T>>> {
  const refused: Array<RefusedRow<T>> = [];
  const attempt = async (batch: readonly T[]): Promise<void> => {
    if (batch.length === 0) return;
    await client.query('SAVEPOINT insert_refusing_bad_rows');
    try {
      await insert(batch);
      await client.query('RELEASE SAVEPOINT insert_refusing_bad_rows');
      return;
    } catch (err) {
      if (!isPgDataError(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT insert_refusing_bad_rows');
      await client.query('RELEASE SAVEPOINT insert_refusing_bad_rows');
      if (batch.length === 1) {
        refused.push({ row: batch[0], reason: pgErrorReason(err) });
        return;
      }
    }
    const half = Math.ceil(batch.length / 2);
    await attempt(batch.slice(0, half));
    await attempt(batch.slice(half));
  };
  await attempt(rows);
  return refused;
}

/**
 * Runs `fn`; a Postgres data error escaping it (one no retry can fix) is rethrown as a non-retryable
 * `InvalidInput` failure naming `what`, instead of burning the activity's retry budget. Other errors
 * (connection loss, timeouts) pass through unchanged and stay retryable.
 */
export async function rethrowDataErrorAsNonRetryable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isPgDataError(err)) throw invalidInput(`${what}: Postgres refused the data: ${pgErrorReason(err)}`);
    throw err;
  }
}
