/**
 * The API's roles, each including everything the one before it may do:
 * viewer (read insights) < analyst (+ datasets and downloads) < operator (+ start and steer runs)
 * < admin (+ keys and the audit log). Pure: no I/O, so the matrix is testable with plain values.
 */

export const ROLES = ['viewer', 'analyst', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Whether `role` may call an endpoint that needs `required`. */
export const roleAllows = (role: Role, required: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(required);

/**
 * The strongest role among `values` (claim values of an identity provider, e.g. `["analyst", "viewer"]`);
 * values that are no role are ignored. Accepts one string, a space- or comma-separated string, or an array.
 * @returns null when none of the values is a role
 */
export function strongestRole(values: unknown): Role | null {
  const list = Array.isArray(values) ? values : typeof values === 'string' ? values.split(/[\s,]+/) : [];
  let best: Role | null = null;
  for (const v of list) {
    const r = typeof v === 'string' ? v.trim().toLowerCase() : v;
    if (isRole(r) && (best === null || roleAllows(r, best))) best = r;
  }
  return best;
}

/** Who is calling, once authenticated: what the audit log records and the rate limit counts by. */
export interface Principal {
  /** `key:<id>` or `oidc:<subject>` */
  id: string;
  /** people's name for it: the key's name, or the token's subject */
  name: string;
  role: Role;
  kind: 'key' | 'oidc';
}
