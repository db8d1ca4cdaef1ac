import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, roleAllows, type Role } from '../../api/auth/roles';
import { createApiKey } from '../../api/auth/keys';
import { buildApi } from '../../api/server';
import { createDb } from '../../lib/db';
import { resetBenchDatabase } from '../../bench/benchDatabase';
import { backfillWorkflowId } from '../../cli/commands/backfill';
import { applyNightlySchedule, nightlyScheduleId } from '../../cli/commands/schedule';
import type { Stack } from '../../lib/stack';
import { bearer, buildTestApi, createTestKeys, type TestKeys } from '../helpers/apiApp';
import { insertReportFixture, type ReportFixture } from '../helpers/reportFixture';
import { requireStack } from '../helpers/stack';

/**
 * The auth matrix: every protected route × every role, plus no key, a revoked key, a key with a wrong
 * secret and a token that is no key, each with its expected status. Allowed calls must reach the
 * handler and succeed (the control calls really start workflows, on a task queue no worker polls;
 * they are terminated afterwards). Refused calls must not have done anything.
 */

let stack: Stack;
let app: FastifyInstance;
let keys: TestKeys;
let fx: ReportFixture;
let datasetId: number;
let throwawayKeyId: number;
const taskQueue = `test-api-matrix-${crypto.randomUUID().slice(0, 8)}`;
const started = new Set<string>();
const createdKeyIds: number[] = [];
const testStart = new Date();

interface RouteCase {
  /** method and path pattern, as in the OpenAPI document */
  route: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: () => string;
  body?: object;
  minRole: Role;
  /** the status an allowed caller gets */
  ok: number;
}

const BACKFILL = { from: '2021-01-01', to: '2021-01-02', posts: 10 };
const backfillId = backfillWorkflowId('simulated', BACKFILL.from, BACKFILL.to, { posts: BACKFILL.posts });

const ROUTES: RouteCase[] = [
  { route: 'GET /', method: 'GET', url: () => '/', minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/runs', method: 'GET', url: () => '/v1/runs?limit=5', minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/runs/:id', method: 'GET', url: () => `/v1/runs/${fx.runKey}`, minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/runs/:id/report', method: 'GET', url: () => `/v1/runs/${fx.runKey}/report`, minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/posts', method: 'GET', url: () => `/v1/posts?run=${fx.runKey}&limit=5`, minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/trends', method: 'GET', url: () => `/v1/trends?run=${fx.runKey}`, minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/topics', method: 'GET', url: () => `/v1/topics?run=${fx.runKey}`, minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/segments', method: 'GET', url: () => `/v1/segments?run=${fx.runKey}`, minRole: 'viewer', ok: 200 },
  {
    route: 'GET /v1/users/:id/recommendations',
    method: 'GET',
    url: () => `/v1/users/${encodeURIComponent(fx.expected.exampleUser)}/recommendations`,
    minRole: 'viewer',
    ok: 200,
  },
  { route: 'GET /v1/models', method: 'GET', url: () => '/v1/models?limit=5', minRole: 'viewer', ok: 200 },
  { route: 'GET /v1/datasets', method: 'GET', url: () => `/v1/datasets?run=${fx.runKey}`, minRole: 'analyst', ok: 200 },
  { route: 'GET /v1/datasets/:id/download', method: 'GET', url: () => `/v1/datasets/${datasetId}/download`, minRole: 'analyst', ok: 200 },
  { route: 'POST /v1/runs', method: 'POST', url: () => '/v1/runs', body: { source: 'simulated', date: '2021-01-05', posts: 10 }, minRole: 'operator', ok: 202 },
  {
    route: 'POST /v1/collections',
    method: 'POST',
    url: () => '/v1/collections',
    body: { source: 'simulated', since: '2021-01-05', until: '2021-01-06', maxPosts: 10 },
    minRole: 'operator',
    ok: 202,
  },
  { route: 'POST /v1/backfills', method: 'POST', url: () => '/v1/backfills', body: BACKFILL, minRole: 'operator', ok: 202 },
  { route: 'GET /v1/backfills/:id', method: 'GET', url: () => `/v1/backfills/${backfillId}`, minRole: 'operator', ok: 200 },
  { route: 'POST /v1/backfills/:id/pause', method: 'POST', url: () => `/v1/backfills/${backfillId}/pause`, minRole: 'operator', ok: 202 },
  { route: 'POST /v1/backfills/:id/resume', method: 'POST', url: () => `/v1/backfills/${backfillId}/resume`, minRole: 'operator', ok: 202 },
  { route: 'POST /v1/backfills/:id/cancel', method: 'POST', url: () => `/v1/backfills/${backfillId}/cancel`, minRole: 'operator', ok: 202 },
  { route: 'POST /v1/retrain', method: 'POST', url: () => '/v1/retrain', body: { date: '2021-01-05', days: 3, posts: 10 }, minRole: 'operator', ok: 202 },
  { route: 'GET /v1/schedule', method: 'GET', url: () => '/v1/schedule', minRole: 'operator', ok: 200 },
  { route: 'GET /v1/keys', method: 'GET', url: () => '/v1/keys', minRole: 'admin', ok: 200 },
  { route: 'POST /v1/keys', method: 'POST', url: () => '/v1/keys', body: { role: 'viewer', name: 'matrix-created' }, minRole: 'admin', ok: 201 },
  { route: 'DELETE /v1/keys/:id', method: 'DELETE', url: () => `/v1/keys/${throwawayKeyId}`, minRole: 'admin', ok: 200 },
  { route: 'GET /v1/audit', method: 'GET', url: () => '/v1/audit?limit=5', minRole: 'admin', ok: 200 },
];

beforeAll(async () => {
  stack = await requireStack();
  fx = await insertReportFixture(stack.db);
  keys = await createTestKeys(stack, `matrix-${taskQueue}`);
  datasetId = Number((await stack.db.query(`SELECT id FROM datasets WHERE run_key = $1 ORDER BY id LIMIT 1`, [fx.runKey])).rows[0].id);
  throwawayKeyId = (await createApiKey(stack.db, { role: 'viewer', name: `matrix-throwaway-${taskQueue}` })).id;
  createdKeyIds.push(throwawayKeyId);
  await applyNightlySchedule(stack, { cron: '0 2 * * *', timezone: 'UTC', catchupWindow: '1 day', taskQueue });
  app = await buildTestApi(stack, taskQueue);
});

afterAll(async () => {
  await app?.close();
  for (const id of started)
    await stack.client.workflow
      .getHandle(id)
      .terminate('api auth matrix test done')
      .catch(() => undefined);
  await stack?.client.schedule
    .getHandle(nightlyScheduleId(taskQueue))
    .delete()
    .catch(() => undefined);
  await stack?.db.query(`DELETE FROM api_audit WHERE actor LIKE ANY($1::text[])`, [createdKeyIds.map((id) => `key:${id} (%`)]);
  // the refused calls without a key this test made (only these tests call the API without a key on audited routes)
  await stack?.db.query(`DELETE FROM api_audit WHERE actor = 'anonymous' AND at >= $1`, [testStart]);
  await stack?.db.query(`DELETE FROM api_keys WHERE id = ANY($1::bigint[])`, [createdKeyIds]);
  await keys?.cleanup();
  await fx?.cleanup();
  await stack?.close();
});

async function call(route: RouteCase, headers: Record<string, string>) {
  const res = await app.inject({ method: route.method, url: route.url(), headers, ...(route.body ? { payload: route.body } : {}) });
  if (res.statusCode === 202) started.add(res.json().workflowId);
  if (res.statusCode === 201) createdKeyIds.push(res.json().id);
  return res;
}

describe('auth matrix', () => {
  it('covers every protected route of the app', () => {
    // every operation of the OpenAPI document that needs a key is in the matrix, and nothing else
    const doc = app.swagger() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const secured = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length)
        .map(([m]) => `${m.toUpperCase()} ${p.replace(/\{\w+\}/g, ':id')}`),
    );
    expect(new Set(secured)).toEqual(new Set(ROUTES.map((r) => r.route)));
    expect(secured).toHaveLength(ROUTES.length);
  });

  for (const route of ROUTES) {
    const name = route.route;
    it(`${name}: 401 without a key, with a revoked, a wrong or a malformed key; then by role`, async () => {
      for (const [label, headers] of [
        ['no key', {}],
        ['revoked', bearer(keys.revoked.key)],
        ['wrong secret', bearer(keys.byRole.admin.key.slice(0, -4) + 'AAAA')],
        ['not a key', bearer('hello')],
        ['basic auth', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ] as Array<[string, Record<string, string>]>) {
        const res = await call(route, headers);
        expect(res.statusCode, `${name} ${label}`).toBe(401);
        expect(res.json().error).toMatchObject({ status: 401, code: 'unauthorized' });
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
      for (const role of ROLES) {
        const res = await call(route, bearer(keys.byRole[role].key));
        const expected = roleAllows(role, route.minRole) ? route.ok : 403;
        expect(res.statusCode, `${name} as ${role}: ${res.body.slice(0, 300)}`).toBe(expected);
        if (expected === 403) expect(res.json().error.message).toContain(`needs the ${route.minRole} role`);
      }
    });
  }

  it('a key revoked while in use stops working on its next request', async () => {
    const k = await createApiKey(stack.db, { role: 'viewer', name: `matrix-revoke-live-${taskQueue}` });
    createdKeyIds.push(k.id);
    expect((await app.inject({ url: '/v1/runs?limit=1', headers: bearer(k.key) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/keys/${k.id}`, headers: bearer(keys.byRole.admin.key) })).statusCode).toBe(200);
    const after = await app.inject({ url: '/v1/runs?limit=1', headers: bearer(k.key) });
    expect(after.statusCode).toBe(401);
  });

  it('refuses to revoke the last admin key over the API (nothing could make keys after it), and revokes it once another exists', async () => {
    // a registry of its own: the shared database holds other tests' admin keys
    const database = `socialsense_lastadmin_${crypto.randomUUID().slice(0, 8)}`;
    const url = await resetBenchDatabase(stack.databaseUrl, database);
    const db = createDb(url, 2);
    const own = await buildApi({ db, store: stack.store, temporal: { client: stack.client, namespace: stack.namespace, taskQueue, uiUrl: stack.uiUrl } });
    try {
      const only = await createApiKey(db, { role: 'admin', name: 'the only admin' });
      const viewer = await createApiKey(db, { role: 'viewer', name: 'a viewer' });
      const refused = await own.inject({ method: 'DELETE', url: `/v1/keys/${only.id}`, headers: bearer(only.key) });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.message).toBe(
        `key ${only.id} is the last admin key: revoking it would leave no key that can make keys; create another admin key first (POST /v1/keys), or revoke it from the command line (\`socialsense api keys revoke ${only.id}\`)`,
      );
      expect((await own.inject({ url: '/v1/runs?limit=1', headers: bearer(only.key) })).statusCode).toBe(200); // still works
      expect((await own.inject({ method: 'DELETE', url: `/v1/keys/${viewer.id}`, headers: bearer(only.key) })).statusCode).toBe(200);
      const second = await createApiKey(db, { role: 'admin', name: 'a second admin' });
      expect((await own.inject({ method: 'DELETE', url: `/v1/keys/${only.id}`, headers: bearer(second.key) })).statusCode).toBe(200);
      expect((await own.inject({ method: 'DELETE', url: `/v1/keys/${second.id}`, headers: bearer(second.key) })).statusCode).toBe(409);
    } finally {
      await own.close();
      await db.end();
      const admin = createDb(stack.databaseUrl, 1);
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('records operator and admin calls in the audit log, refused ones too, and no viewer reads', async () => {
    const { rows } = await stack.db.query(`SELECT actor, role, method, route, status, result FROM api_audit WHERE actor LIKE ANY($1::text[]) ORDER BY id`, [
      [...keys.ids, ...createdKeyIds].map((id) => `key:${id} (%`),
    ]);
    const operatorStart = rows.find((r) => r.route === '/v1/runs' && r.method === 'POST' && r.role === 'operator');
    expect(operatorStart).toMatchObject({ status: 202, actor: `key:${keys.byRole.operator.id} (matrix-${taskQueue}-operator)` });
    expect(operatorStart.result.workflowId).toMatch(/^pipeline-simulated-2021-01-05-[0-9a-f]{12}$/);
    const refused = rows.find((r) => r.route === '/v1/runs' && r.method === 'POST' && r.role === 'viewer');
    expect(refused).toMatchObject({ status: 403 });
    expect(refused.result.error).toContain('needs the operator role');
    const keyCreated = rows.find((r) => r.route === '/v1/keys' && r.method === 'POST' && r.role === 'admin');
    expect(keyCreated, JSON.stringify(rows.filter((r) => r.route === '/v1/keys'))).toMatchObject({ status: 201 });
    expect(createdKeyIds).toContain(keyCreated.result.keyId);
    // reads below operator level are not audited
    expect(rows.filter((r) => r.route === '/v1/posts')).toEqual([]);
    // never a key in the log
    expect(JSON.stringify(rows)).not.toMatch(/ssk_[0-9a-f]{16}_/);
  });

  it('the public routes need no key', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBeLessThan(400);
    }
  });
});
