import type { Db } from '../lib/db';

/**
 * The audit log of operator- and admin-level API calls, in Postgres (table api_audit, migration 006):
 * who called, what (method, route pattern, path parameters and body), when, and the result (status,
 * plus the workflow id or key id it produced, or the error). Refused calls are recorded too.
 */

export interface AuditEntry {
  actor: string;
  role: string | null;
  method: string;
  route: string;
  target: Record<string, unknown>;
  status: number;
  result: Record<string, unknown>;
  ip: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

/** Field names whose values never go into the log, wherever they appear in a body. */
const SECRET_FIELD = /^(key|api_?key|secret|.*_?secret|.*_?token|token|password|passphrase|authorization|credentials?)$/i;

/** A copy of a request body or parameters for the log: secret-looking fields masked, long strings cut. */
export function auditable(value: unknown, depth = 0): unknown {
  if (depth > 4) return '…';
  if (typeof value === 'string') return value.length > 300 ? `${value.slice(0, 300)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => auditable(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '***' : auditable(v, depth + 1)]));
  }
  return value;
}

export async function recordAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.query(`INSERT INTO api_audit (actor, role, method, route, target, status, result, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
    e.actor,
    e.role,
    e.method,
    e.route,
    JSON.stringify(auditable(e.target)),
    e.status,
    JSON.stringify(auditable(e.result)),
    e.ip,
  ]);
}

interface AuditRow extends AuditEntry {
  id: number;
  at: Date;
}

/**
 * Entries newest first, `limit` + 1 of them (the extra one tells whether there is a next page),
 * starting after `before` (the id of the last entry of the previous page) when given.
 */
export async function listAudit(db: Db, opts: { limit: number; before?: number | null; actor?: string | null }): Promise<AuditRecord[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT id, at, actor, role, method, route, target, status, result, ip FROM api_audit
     WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor = $2)
     ORDER BY id DESC LIMIT $3`,
    [opts.before ?? null, opts.actor ?? null, opts.limit + 1],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), at: r.at.toISOString() }));
}
