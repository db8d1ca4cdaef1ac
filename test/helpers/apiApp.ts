import type { FastifyInstance } from 'fastify';
import { createApiKey, type CreatedApiKey } from '../../api/auth/keys';
import { ROLES, type Role } from '../../api/auth/roles';
import { buildApi, type ApiOptions } from '../../api/server';
import type { Stack } from '../../lib/stack';

/** The API over the test stack, on a task queue of the test's choosing (one no shared worker polls). */
export function buildTestApi(stack: Stack, taskQueue: string, opts: ApiOptions = {}): Promise<FastifyInstance> {
  return buildApi({ db: stack.db, store: stack.store, temporal: { client: stack.client, namespace: stack.namespace, taskQueue, uiUrl: stack.uiUrl } }, opts);
}

export interface TestKeys {
  byRole: Record<Role, CreatedApiKey>;
  /** a key that was revoked right after it was created */
  revoked: CreatedApiKey;
  /** ids of every key made here, for cleanup */
  ids: number[];
  cleanup(): Promise<void>;
}

/** One key per role plus a revoked one, named after the test; cleanup deletes them and their audit rows. */
export async function createTestKeys(stack: Stack, label: string): Promise<TestKeys> {
  const byRole = {} as Record<Role, CreatedApiKey>;
  for (const role of ROLES) byRole[role] = await createApiKey(stack.db, { role, name: `${label}-${role}` });
  const revoked = await createApiKey(stack.db, { role: 'admin', name: `${label}-revoked` });
  await stack.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [revoked.id]);
  const ids = [...Object.values(byRole).map((k) => k.id), revoked.id];
  return {
    byRole,
    revoked,
    ids,
    async cleanup() {
      await stack.db.query(`DELETE FROM api_audit WHERE actor LIKE ANY($1::text[])`, [ids.map((id) => `key:${id} (%`)]);
      await stack.db.query(`DELETE FROM api_keys WHERE id = ANY($1::bigint[])`, [ids]);
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
