import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../../lib/db';
import { isRole, type Principal, type Role } from './roles';

/**
 * API keys: `ssk_<lookup>_<secret>`, where `lookup` (64 random bits, hex) finds the row and `secret`
 * (256 random bits, base64url) is what proves possession. Postgres keeps only scrypt(secret) with a
 * per-key salt, the creation time and the last use; the key itself is shown once, when created.
 */

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

/** scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, ~50 ms): OWASP's floor for scrypt. */
const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32 } as const;

const KEY_PATTERN = /^ssk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Whether a bearer token has the shape of one of our keys (else it may be an OIDC token). */
export const looksLikeApiKey = (token: string): boolean => token.startsWith('ssk_');

/** The public part of a key, safe to log and to rate-limit by; null when `token` is not a key. */
export function keyLookup(token: string): string | null {
  return KEY_PATTERN.exec(token)?.[1] ?? null;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

async function hashSecret(secret: string, salt = crypto.randomBytes(16)): Promise<string> {
  const derived = await scrypt(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${b64(salt)}$${b64(derived)}`;
}

async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !expected) return false;
  const want = Buffer.from(expected, 'base64url');
  const got = await scrypt(secret, Buffer.from(salt, 'base64url'), want.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return crypto.timingSafeEqual(got, want);
}

export interface ApiKeyInfo {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** the key itself: shown once, never stored */
  key: string;
}

export class KeyInputError extends Error {
  override name = 'KeyInputError';
}

/** Names people give keys: printable, one line, at most 100 characters. */
export function checkKeyName(name: string): string {
  const n = name.trim();
  if (!n || n.length > 100 || /[\u0000-\u001f\u007f]/.test(n))
    throw new KeyInputError(`a key name is 1 to 100 printable characters on one line, got ${JSON.stringify(name.slice(0, 120))}`);
  return n;
}

interface KeyRow {
  id: number;
  name: string;
  role: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: Number(r.id),
  name: r.name,
  role: r.role as Role,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/**
 * Creates a key with `role`; the returned `key` is the only copy there will ever be.
 * @throws KeyInputError for an unknown role or an unusable name
 */
export async function createApiKey(db: Db, opts: { role: string; name: string }): Promise<CreatedApiKey> {
  if (!isRole(opts.role)) throw new KeyInputError(`unknown role "${opts.role}"; use viewer, analyst, operator or admin`);
  const name = checkKeyName(opts.name);
  const lookup = crypto.randomBytes(8).toString('hex');
  const secret = b64(crypto.randomBytes(32));
  const hash = await hashSecret(secret);
  const { rows } = await db.query<KeyRow>(
    `INSERT INTO api_keys (lookup, name, role, hash) VALUES ($1, $2, $3, $4) RETURNING id, name, role, created_at, last_used_at, revoked_at`,
    [lookup, name, opts.role, hash],
  );
  return { ...toInfo(rows[0]), key: `ssk_${lookup}_${secret}` };
}

/** Every key (revoked ones too), newest first; never a hash or a key. */
export async function listApiKeys(db: Db): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<KeyRow>(`SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id DESC`);
  return rows.map(toInfo);
}

/**
 * Revokes key `id`: its next request is refused (every request reads the row). Revoking twice keeps the first time.
 * @returns the key, or null when there is no key with that id
 */
export async function revokeApiKey(db: Db, id: number): Promise<ApiKeyInfo | null> {
  const { rows } = await db.query<KeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id, name, role, created_at, last_used_at, revoked_at`,
    [id],
  );
  return rows[0] ? toInfo(rows[0]) : null;
}

/**
 * Whether key `id` is the only admin key not revoked: revoking it over the API would leave no key that can make
 * another (the command line can, with database access).
 */
export async function isLastAdminKey(db: Db, id: number): Promise<boolean> {
  const { rows } = await db.query<{ last: boolean }>(
    `SELECT bool_and(id = $1) AND bool_or(id = $1) AS last FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL`,
    [id],
  );
  return rows[0]?.last === true;
}

/**
 * Checks keys against the database. scrypt is slow on purpose, so a secret that matched its row's hash
 * once is remembered (as its SHA-256, per row) and not hashed again; the row itself — its role and
 * whether it is revoked — is read on every request, so a revocation or a role change applies at once.
 * `last_used_at` is written at most once a minute per key.
 */
export class ApiKeyVerifier {
  private readonly verified = new Map<number, string>();
  private readonly touched = new Map<number, number>();

  constructor(private readonly db: Db) {}

  /** @returns the caller, or null for an unknown, wrong or revoked key */
  async verify(token: string): Promise<Principal | null> {
    const m = KEY_PATTERN.exec(token);
    if (!m) return null;
    const [, lookup, secret] = m;
    const { rows } = await this.db.query<{ id: number; name: string; role: string; hash: string }>(
      `SELECT id, name, role, hash FROM api_keys WHERE lookup = $1 AND revoked_at IS NULL`,
      [lookup],
    );
    const row = rows[0];
    if (!row || !isRole(row.role)) return null;
    const id = Number(row.id);
    const digest = crypto.createHash('sha256').update(secret).digest('base64url');
    if (this.verified.get(id) !== digest) {
      if (!(await verifySecret(secret, row.hash))) return null;
      this.verified.set(id, digest);
    }
    this.touch(id);
    return { id: `key:${id}`, name: row.name, role: row.role, kind: 'key' };
  }

  private touch(id: number): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < 60_000) return;
    this.touched.set(id, now);
    // Not awaited: bookkeeping must not slow the request or fail it.
    this.db.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [id]).catch(() => this.touched.delete(id));
  }
}
