import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiDeps } from '../server';

/** How long a readiness probe waits for one dependency before calling it down. */
const PROBE_TIMEOUT_MS = 3000;

interface Check {
  ok: boolean;
  ms: number;
  error?: string;
}

async function probe(fn: () => Promise<unknown>): Promise<Check> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS))),
    ]);
    return { ok: true, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    // the message names the service and the reason, never a credential (the store's errors name the variable)
    return { ok: false, ms: Math.round(performance.now() - t0), error: (err as Error).message.split('\n')[0].slice(0, 300) };
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz (the process answers), /readyz (Postgres, the object store and Temporal answer), /metrics (Prometheus). No auth. */
export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps, registry: Registry): void {
  const check = { type: 'object', properties: { ok: { type: 'boolean' }, ms: { type: 'number' }, error: { type: 'string' } }, required: ['ok', 'ms'] };
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: { tags: ['health'], summary: 'liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'readiness: Postgres, the object store (MinIO) and Temporal answer; 503 when one does not',
        response: {
          '2xx': {
            type: 'object',
            properties: { status: { type: 'string' }, checks: { type: 'object', properties: { postgres: check, objectStore: check, temporal: check } } },
          },
          503: {
            type: 'object',
            properties: { status: { type: 'string' }, checks: { type: 'object', properties: { postgres: check, objectStore: check, temporal: check } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const [postgres, objectStore, temporal] = await Promise.all([
        probe(() => deps.db.query('SELECT 1')),
        probe(() => deps.store.exists('.readyz')),
        probe(() => deps.temporal.client.workflowService.getSystemInfo({})),
      ]);
      const ready = postgres.ok && objectStore.ok && temporal.ok;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { postgres, objectStore, temporal } });
    },
  );

  app.get(
    '/metrics',
    { config: { rateLimit: false }, schema: { tags: ['health'], summary: 'Prometheus metrics: per-route latency and error counts, process metrics' } },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}
