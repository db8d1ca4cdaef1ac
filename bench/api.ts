/**
 * The API under load (`npm run bench -- --only api`): the real `socialsense api` process on loopback,
 * 50 concurrent clients for 30 s cycling through the read endpoints with a viewer key (autocannon).
 * Reports requests/s, latency percentiles as the clients saw them, errors and non-2xx answers, and the
 * server's own mean time per route from its /metrics.
 *
 * The per-key rate limit stays on (its cost is in the figures) but is raised for the run, since all 50
 * clients share one key; the default (600/min) would otherwise answer most of them with 429.
 */
import autocannon from 'autocannon';
import { createApiKey } from '../api/auth/keys';
import { findRun, RunNotFoundError } from '../cli/report/queries/runs';
import { yesterday } from '../lib/dates';
import { runPipeline, withLocalWorkers } from '../cli/pipelineRun';
import { freePort } from '../lib/net';
import { connectStack, type Stack } from '../lib/stack';
import { spawnCli } from '../test/helpers/cli';

export interface ApiBenchOptions {
  connections?: number;
  durationSeconds?: number;
  progress?: (line: string) => void;
}

export interface ApiBenchResult {
  connections: number;
  durationSeconds: number;
  endpoints: string[];
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** mean server-side time per route (from the API's own histogram), ms */
  serverMeanMsByRoute: Record<string, number>;
}

const round = (x: number, d = 2) => Number(x.toFixed(d));

/** A completed run with scored posts to read; a small simulated one is run first on an empty database. */
async function ensureRun(stack: Stack, log: (line: string) => void): Promise<string> {
  try {
    return (await findRun(stack.db)).runKey;
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
    log('api bench: no completed run yet; running a small simulated pipeline to read');
    const date = yesterday();
    return (await withLocalWorkers(stack, () => runPipeline(stack, { source: 'simulated', date, days: 3, posts: 500 }))).workflowId;
  }
}

/** Mean seconds per route from Prometheus text: sum / count of the duration histogram, 200s only. */
function serverMeans(metrics: string): Record<string, number> {
  const grab = (kind: 'sum' | 'count') => {
    const out = new Map<string, number>();
    const re = new RegExp(`^socialsense_api_request_duration_seconds_${kind}\\{method="GET",route="([^"]+)",status_code="200"\\} ([0-9.e+-]+)$`, 'gm');
    for (const m of metrics.matchAll(re)) out.set(m[1], Number(m[2]));
    return out;
  };
  const sums = grab('sum');
  const counts = grab('count');
  return Object.fromEntries([...sums].filter(([r]) => counts.get(r)).map(([r, s]) => [r, round((1000 * s) / counts.get(r)!, 2)]));
}

export async function runApiBench(opts: ApiBenchOptions = {}): Promise<ApiBenchResult> {
  const log = opts.progress ?? ((line: string) => process.stderr.write(line + '\n'));
  const connections = opts.connections ?? 50;
  const durationSeconds = opts.durationSeconds ?? 30;
  const stack = await connectStack();
  const key = await createApiKey(stack.db, { role: 'viewer', name: `bench-${Date.now().toString(36)}` });
  const port = await freePort();
  const server = spawnCli(['api', '--port', String(port), '--host', '127.0.0.1'], {
    ...process.env,
    SOCIALSENSE_API_RATE_LIMIT: '100000000',
    LOG_LEVEL: 'warn',
  });
  try {
    const run = encodeURIComponent(await ensureRun(stack, log));
    await server.waitFor(/SocialSense API on http/, 120_000);
    const endpoints = [
      '/v1/runs?limit=20',
      `/v1/runs/${run}`,
      '/v1/posts?limit=50',
      `/v1/posts?limit=50&run=${run}&sentiment=positive`,
      `/v1/trends?run=${run}`,
      `/v1/topics?run=${run}`,
      `/v1/segments?run=${run}`,
      '/v1/models?limit=20',
    ];
    const base = `http://127.0.0.1:${port}`;
    // every endpoint answers before the clock starts (and warms the key check and the pools)
    for (const path of endpoints) {
      const res = await fetch(base + path, { headers: { authorization: `Bearer ${key.key}` } });
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
    log(`api bench: ${connections} clients for ${durationSeconds} s on ${endpoints.length} read endpoints of ${base}`);
    const result = await autocannon({
      url: base,
      connections,
      duration: durationSeconds,
      headers: { authorization: `Bearer ${key.key}` },
      requests: endpoints.map((path) => ({ method: 'GET' as const, path })),
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const out: ApiBenchResult = {
      connections,
      durationSeconds,
      endpoints,
      requests: result.requests.total,
      requestsPerSecond: round(result.requests.total / result.duration, 1),
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: round(result.latency.average), max: result.latency.max },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      serverMeanMsByRoute: serverMeans(metrics),
    };
    log(
      `api bench: ${out.requestsPerSecond} requests/s, p50 ${out.latencyMs.p50} ms, p99 ${out.latencyMs.p99} ms, ${out.errors} errors, ${out.non2xx} non-2xx`,
    );
    return out;
  } finally {
    await server.stop('SIGTERM');
    await stack.db.query(`DELETE FROM api_keys WHERE id = $1`, [key.id]).catch(() => undefined);
    await stack.close();
  }
}

/** The figures as a Markdown section. */
export function renderApiBench(r: ApiBenchResult): string {
  const lines = [
    `## API load (${r.connections} clients, ${r.durationSeconds} s, loopback)`,
    '',
    '| requests/s | p50 ms | p90 ms | p99 ms | max ms | requests | errors | non-2xx |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.requestsPerSecond} | ${r.latencyMs.p50} | ${r.latencyMs.p90} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.requests} | ${r.errors} | ${r.non2xx} |`,
    '',
    '| route | server mean ms |',
    '|---|---:|',
    ...Object.entries(r.serverMeanMsByRoute).map(([route, ms]) => `| ${route} | ${ms} |`),
    '',
  ];
  return lines.join('\n');
}
