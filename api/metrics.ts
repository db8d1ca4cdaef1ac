import client from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Prometheus metrics of one API instance, on a registry of its own (several apps in one test process
 * must not share counters): request latency per route and status, error responses per route and
 * status, and the process's default metrics (CPU, memory, event-loop lag).
 */
export function createApiMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'socialsense_api_' });
  const duration = new client.Histogram({
    name: 'socialsense_api_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new client.Counter({
    name: 'socialsense_api_request_errors_total',
    help: 'HTTP responses with status >= 400 by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  return {
    registry,
    /** onResponse hook: one observation per finished request, by route pattern (never the raw URL: bounded label values) */
    observe(request: FastifyRequest, reply: FastifyReply): void {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
      duration.observe(labels, reply.elapsedTime / 1000);
      if (reply.statusCode >= 400) errors.inc(labels);
    },
  };
}
