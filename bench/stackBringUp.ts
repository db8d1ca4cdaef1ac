/**
 * The benchmark's end-to-end part needs the local stack (Temporal, MinIO, Postgres). Like `npm test`
 * (scripts/test.sh), it brings up the services that are down with `scripts/services.sh up` and stops
 * the ones it started when it is done; a stack configured elsewhere that does not answer is not ours
 * to start, so it gets a message naming what does not answer instead.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { loadDotEnv } from '../lib/config';
import { projectRoot } from '../lib/paths';

export type ServiceName = 'temporal' | 'postgres' | 'minio';

export interface Endpoint {
  service: ServiceName;
  /** the variable it comes from, for messages */
  variable: 'TEMPORAL_ADDRESS' | 'DATABASE_URL' | 'S3_ENDPOINT';
  host: string;
  port: number;
}

/**
 * The TCP endpoints the environment points at (after `.env` is applied). Unset variables and a
 * `file://` object store (a local folder: nothing to reach) give no endpoint; an unparseable value
 * gives none either (connectStack names it when it validates the configuration).
 */
export function stackEndpoints(env: NodeJS.ProcessEnv): Endpoint[] {
  const out: Endpoint[] = [];
  const address = env.TEMPORAL_ADDRESS?.match(/^\[?([^\]\s]+?)\]?:(\d{1,5})$/);
  if (address) out.push({ service: 'temporal', variable: 'TEMPORAL_ADDRESS', host: address[1], port: Number(address[2]) });
  for (const [variable, service, defaultPort] of [
    ['DATABASE_URL', 'postgres', 5432],
    ['S3_ENDPOINT', 'minio', 0],
  ] as const) {
    const value = env[variable];
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    if (url.protocol === 'file:') continue;
    const port = Number(url.port) || defaultPort || (url.protocol === 'https:' ? 443 : 80);
    out.push({ service, variable, host: url.hostname.replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);
const SERVICES: readonly ServiceName[] = ['temporal', 'minio', 'postgres'];
const VARIABLE = { temporal: 'TEMPORAL_ADDRESS', postgres: 'DATABASE_URL', minio: 'S3_ENDPOINT' } as const;

const isConfigured = (env: NodeJS.ProcessEnv) => SERVICES.some((s) => env[VARIABLE[s]]);

/** Where scripts/services.sh runs the local stack (its defaults, or the SOCIALSENSE_*_PORT overrides it honours). */
export function localEndpoints(env: NodeJS.ProcessEnv): Endpoint[] {
  const port = (name: string, fallback: number) => Number(env[name]) || fallback;
  return [
    { service: 'temporal', variable: 'TEMPORAL_ADDRESS', host: '127.0.0.1', port: port('SOCIALSENSE_TEMPORAL_PORT', 7233) },
    { service: 'minio', variable: 'S3_ENDPOINT', host: '127.0.0.1', port: port('SOCIALSENSE_MINIO_PORT', 9000) },
    { service: 'postgres', variable: 'DATABASE_URL', host: '127.0.0.1', port: port('SOCIALSENSE_PG_PORT', 5433) },
  ];
}

/** The endpoints to probe: the configured ones, or the local stack's when nothing is configured (no `.env` yet). */
export const endpointsToProbe = (env: NodeJS.ProcessEnv): Endpoint[] => (isConfigured(env) ? stackEndpoints(env) : localEndpoints(env));

export type BringUpPlan =
  | { action: 'use' }
  /**
   * run scripts/services.sh up: it starts `start` (the local services that are down; those are the
   * ones to stop afterwards) and writes `.env`, which is needed too when nothing is configured yet
   */
  | { action: 'start-local'; start: ServiceName[] }
  | { action: 'fail'; message: string };

/**
 * What to do before the end-to-end run, from the environment and the endpoints of `endpointsToProbe`
 * that did not answer. Nothing configured means the local stack (services.sh writes `.env`); endpoints
 * on this machine that are down are the local stack's, started by services.sh; a remote endpoint that
 * is down is not ours to start, so it is reported with the variable that names it.
 */
export function planStackBringUp(env: NodeJS.ProcessEnv, down: readonly Endpoint[]): BringUpPlan {
  const start = (services: ServiceName[]) => SERVICES.filter((s) => services.includes(s));
  if (!isConfigured(env)) return { action: 'start-local', start: start(down.map((e) => e.service)) };
  const remote = down.filter((e) => !LOOPBACK.has(e.host));
  if (remote.length) {
    return {
      action: 'fail',
      message:
        `the configured stack does not answer: ${remote.map((e) => `${e.service} at ${e.host}:${e.port} (${e.variable})`).join(', ')}; ` +
        'start it, or unset those variables (and .env) so that the benchmark starts the local stack with `bash scripts/services.sh up`',
    };
  }
  // A variable left unset (while others are set) is filled from the .env that services.sh writes.
  const unset = SERVICES.filter((s) => !env[VARIABLE[s]]);
  if (down.length === 0 && unset.length === 0) return { action: 'use' };
  return { action: 'start-local', start: start([...down.map((e) => e.service), ...unset]) };
}

/** Resolves true when something accepts a TCP connection at host:port within `timeoutMs`. */
export function answers(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Runs `bash scripts/services.sh <action> "<services>"` (all three when the list is empty), output on our stderr; resolves with the exit code. */
export function runServicesScript(action: 'up' | 'down', services: readonly ServiceName[]): Promise<number> {
  return new Promise((resolve) => {
    const args = [path.join(projectRoot, 'scripts', 'services.sh'), action, ...(services.length ? [services.join(' ')] : [])];
    const child = spawn('bash', args, { stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', () => resolve(127));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

export interface EnsureStackDeps {
  env?: NodeJS.ProcessEnv;
  probe?: (host: string, port: number) => Promise<boolean>;
  services?: (action: 'up' | 'down', services: readonly ServiceName[]) => Promise<number>;
  loadEnv?: () => void;
  log?: (line: string) => void;
}

/**
 * Makes sure the stack the benchmark will connect to answers: applies `.env`, probes the endpoints,
 * runs `scripts/services.sh up` when the local stack is down or not configured (it installs binaries
 * with scripts/setup.sh if needed and writes `.env`), and probes again.
 *
 * @returns `started`: the services it started; `stop()` stops exactly those (as scripts/test.sh does)
 * @throws Error with one line saying what to run when the stack cannot be reached or started
 */
export async function ensureStack(deps: EnsureStackDeps = {}): Promise<{ started: ServiceName[]; stop(): Promise<void> }> {
  const env = deps.env ?? process.env;
  const probe = deps.probe ?? answers;
  const services = deps.services ?? runServicesScript;
  const loadEnv = deps.loadEnv ?? (() => loadDotEnv());
  const log = deps.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const downOf = async (endpoints: Endpoint[]) => {
    const up = await Promise.all(endpoints.map((e) => probe(e.host, e.port)));
    return endpoints.filter((_, i) => !up[i]);
  };
  loadEnv();
  const plan = planStackBringUp(env, await downOf(endpointsToProbe(env)));
  if (plan.action === 'use') return { started: [], stop: async () => undefined };
  if (plan.action === 'fail') throw new Error(plan.message);
  log(
    `the local stack is not running${plan.start.length ? ` (${plan.start.join(', ')} down)` : ' or not configured'}: \`bash scripts/services.sh up\`, as \`npm test\` does`,
  );
  const code = await services('up', plan.start);
  if (code !== 0) {
    throw new Error(
      `the local stack is down and \`bash scripts/services.sh up\` failed (exit ${code}; logs in .data/logs): run it yourself to see why, then \`npm run bench\` again`,
    );
  }
  loadEnv(); // services.sh up wrote .env; it fills only what is not set already
  const still = await downOf(stackEndpoints(env));
  if (still.length || !isConfigured(env)) {
    throw new Error(
      `\`bash scripts/services.sh up\` finished but ${still.length ? `${still.map((e) => `${e.service} at ${e.host}:${e.port} (${e.variable})`).join(', ')} does not answer` : 'no stack is configured (.env not applied)'}: ` +
        'check those variables (an exported value wins over .env, SOCIALSENSE_ENV_FILE names another file), or run `bash scripts/services.sh status`',
    );
  }
  const started = plan.start;
  return {
    started,
    async stop() {
      if (!started.length) return;
      log(`stopping what the benchmark started: ${started.join(', ')}`);
      await services('down', started);
    },
  };
}
