import { Context } from '@temporalio/activity';
import { DAY_MS } from '../../lib/dates';
import { configError, FailureType, invalidInput, permanentFailure } from '../../lib/failures';
import type { ObjectStore } from '../../lib/objectStore';
import { missingCredentials, nonDefaultInstance, parseInstant, runConnector, type Connector, type ConnectorContext, type Env } from './connector';
import { createHttp, type FetchFn } from './http';
import { createConnectorRegistry, type ConnectorRegistry } from './platforms';
import type { CollectResult } from './types';

/** What a workflow passes: references and parameters only; credentials stay in the worker's environment. */
export interface PlatformCollectInput {
  /** a platform connector name: x, facebook, instagram, mastodon, bluesky, reddit */
  source: string;
  query: string;
  /** inclusive; `2026-11-20` (UTC midnight) or an ISO-8601 time with a zone */
  since: string;
  /** exclusive; resolved by the workflow (never "now" here, or a retry would collect another window) */
  until: string;
  /** stop after this many posts (after de-duplication) */
  maxPosts?: number;
  /**
   * The instance the run was started for (PipelineInput.instance: a federated platform's non-default server, as
   * configured where the run was started). A worker configured for another instance refuses the run; absent, the
   * worker's own instance is used.
   */
  instance?: string | null;
}

export interface SourceStatus {
  name: string;
  kind: 'platform' | 'builtin';
  configured: boolean;
  /** required env vars that are not set */
  missing: string[];
  /** null when not probed (not configured, or probing not asked for) */
  reachable: boolean | null;
  detail: string;
  /** what a query means for this source */
  query: string;
}

export interface PlatformActivityDeps {
  store: ObjectStore;
  env?: Env;
  fetch?: FetchFn;
  /** epoch ms; tests pin it */
  now?: () => number;
  /** per HTTP request (default 30 s); the activity's heartbeat timeout must be longer */
  httpTimeoutMs?: number;
  registry?: ConnectorRegistry;
}

/** The sources the lead's skeleton collects with their own activities; listed so `sources` shows everything. */
const BUILTIN_SOURCES: SourceStatus[] = [
  {
    name: 'simulated',
    kind: 'builtin',
    configured: true,
    missing: [],
    reachable: true,
    detail: 'built-in generator of a synthetic social network',
    query: 'none',
  },
  { name: 'file', kind: 'builtin', configured: true, missing: [], reachable: true, detail: 'imports CSV/TSV/NDJSON files', query: 'a file path' },
];

const silentLog = { info() {}, warn() {} };

function probeContext(connector: Connector, env: Env, opts: { fetch?: FetchFn; timeoutMs?: number; now?: () => number }): ConnectorContext {
  const now = opts.now ?? Date.now;
  return {
    query: '',
    since: new Date(now() - DAY_MS),
    until: new Date(now()),
    env,
    http: createHttp({ fetch: opts.fetch, timeoutMs: opts.timeoutMs ?? 10_000, now, env }),
    now,
    log: silentLog,
  };
}

/**
 * Every source with whether it is configured and, when `probe` is set, reachable with the configured
 * credentials. Probes run in parallel and spend no search quota where the platform allows it.
 * Details never contain a credential.
 */
export async function describeSources(
  env: Env = process.env,
  opts: { probe?: boolean; fetch?: FetchFn; timeoutMs?: number; now?: () => number; registry?: ConnectorRegistry } = {},
): Promise<SourceStatus[]> {
  const registry = opts.registry ?? createConnectorRegistry();
  const rows = await Promise.all(
    [...registry.values()].map(async (c): Promise<SourceStatus> => {
      const missing = missingCredentials(c, env);
      const configured = missing.length === 0 && c.isConfigured(env);
      const base = { name: c.name, kind: 'platform' as const, configured, missing, query: c.queryHelp };
      if (!configured) return { ...base, reachable: null, detail: `set ${missing.join(', ')}` };
      if (!opts.probe || !c.probe) return { ...base, reachable: null, detail: 'configured (not probed)' };
      try {
        const r = await c.probe(probeContext(c, env, opts));
        return { ...base, reachable: r.reachable, detail: r.detail };
      } catch (err) {
        return { ...base, reachable: false, detail: (err as Error).message };
      }
    }),
  );
  return [...rows, ...BUILTIN_SOURCES];
}

function validateInput(input: PlatformCollectInput, registry: ConnectorRegistry, env: Env) {
  const connector = registry.get(
    String(input?.source ?? '')
      .trim()
      .toLowerCase(),
  );
  if (!connector) {
    throw permanentFailure(
      FailureType.UnknownSource,
      `unknown source ${JSON.stringify(input?.source ?? null)}: platform sources are ${[...registry.keys()].join(', ')} ` +
        `(simulated and file are collected by their own activities)`,
    );
  }
  const missing = missingCredentials(connector, env);
  if (missing.length > 0 || !connector.isConfigured(env)) {
    const what = connector.credentials.filter((c) => missing.includes(c.env)).map((c) => `${c.env} (${c.description})`);
    throw permanentFailure(
      FailureType.MissingCredentials,
      `source ${connector.name} is not configured: set ${what.join(', ')} in the worker's environment; see activities/collect/README.md`,
    );
  }
  if (typeof input.query !== 'string' || input.query.trim() === '') {
    throw invalidInput(`a query is required for ${connector.name}: ${connector.queryHelp}`);
  }
  // The run's identity (its key, its rows) names the instance it was started for; collecting another instance's
  // posts under it would replace that run's data with another server's.
  // A run that names none (started where the setting is not known, or before instances were part of a run) collects
  // from this worker's.
  const wanted = input.instance ?? null;
  const here = nonDefaultInstance(connector, env);
  if (wanted !== null && wanted !== here) {
    const name = (i: string | null) => i ?? `${connector.instance?.default} (the default)`;
    throw configError(
      `this ${connector.name} run was started for ${name(wanted)}, but this worker collects from ${name(here)}: set ${connector.instance?.setting ?? 'its base URL setting'} the same where runs are started (the CLI, the API) and on the workers`,
    );
  }
  const since = parseInstant(input.since, 'since');
  const until = parseInstant(input.until, 'until');
  if (since >= until) {
    throw invalidInput(`since (${since.toISOString()}) must be before until (${until.toISOString()})`);
  }
  if (input.maxPosts !== undefined && input.maxPosts !== null && !(Number.isInteger(input.maxPosts) && input.maxPosts > 0)) {
    throw invalidInput(`maxPosts must be a positive integer, got ${JSON.stringify(input.maxPosts)}`);
  }
  return { connector, since, until };
}

/**
 * What a run's input says of the instance a platform source collects from (PipelineInput.instance), as `env` (where
 * the run is started) configures it: `{ instance }` for a federated platform's non-default server, else `{}`.
 */
export function instanceInput(source: string | undefined, env: Env, registry: ConnectorRegistry = createConnectorRegistry()): { instance?: string } {
  const connector = source ? registry.get(source) : undefined;
  const instance = connector ? nonDefaultInstance(connector, env) : null;
  return instance ? { instance } : {};
}

export function createPlatformCollectActivities(deps: PlatformActivityDeps) {
  const { store } = deps;
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const registry = deps.registry ?? createConnectorRegistry();

  return {
    /**
     * Collects one (source, query, window) into per-day post.v1 + raw partitions. Heartbeats its cursor
     * after every stored page; give it a heartbeat timeout above the HTTP timeout (e.g. 2 min) and a
     * retry policy that does not cap RateLimited retries too tightly (resets can be 15 min away).
     */
    async collectPlatform(input: PlatformCollectInput): Promise<CollectResult> {
      const { connector, since, until } = validateInput(input, registry, env);
      const actx = Context.current();
      const ctx: ConnectorContext = {
        query: input.query.trim(),
        since,
        until,
        env,
        http: createHttp({ fetch: deps.fetch, signal: actx.cancellationSignal, timeoutMs: deps.httpTimeoutMs, now, env, attempt: actx.info.attempt }),
        now,
        log: actx.log,
      };
      return runConnector({ store, connector, ctx }, { ...input, source: connector.name });
    },

    async listSources(): Promise<SourceStatus[]> {
      return describeSources(env, { probe: true, fetch: deps.fetch, now, registry });
    },
  };
}
