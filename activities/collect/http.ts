import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType, configError, permanentFailure, transientFailure } from '../../lib/failures';
import { maskError, maskSecrets, type SecretEnv } from '../../lib/secrets';

/**
 * The HTTP layer every platform connector goes through. It turns each way a platform API can fail
 * into the Temporal failure that makes the retry do the right thing:
 *
 * | what happened                        | failure type        | retried?                                   |
 * |--------------------------------------|---------------------|--------------------------------------------|
 * | 429 / quota exhausted                | RateLimited         | yes, after the reset the headers announce  |
 * | 5xx, 408, timeout, connection error  | PlatformUnavailable / PlatformTimeout / NetworkError | yes, with the policy's backoff |
 * | 2xx whose body is not JSON           | MalformedResponse   | yes, twice (a proxy or gateway page); from the 3rd attempt a ConfigError naming the base URL setting |
 * | 401                                  | BadCredentials      | no: names the env vars to fix              |
 * | 403                                  | PermissionDenied    | no: names the credential and permission    |
 * | 400 / 404 / 422                      | InvalidQuery        | no: names the query                        |
 *
 * Rate limits are never waited out with a sleep inside the activity: a long sleep would hold a worker
 * slot and outlive heartbeat timeouts, while `nextRetryDelay` lets the server schedule the retry.
 * Messages name hosts and paths but never query strings or headers, which can carry tokens; quoted
 * response bodies (a platform may echo the token it was sent) go through `maskSecrets` before they are
 * cut to length, and every failure leaving `createHttp` is masked once more as a whole.
 */

export type FetchFn = typeof globalThis.fetch;

export interface RateLimitState {
  limit: number | null;
  remaining: number | null;
  /** epoch ms at which the quota resets, when the platform says */
  resetAt: number | null;
}

/** Reads a platform's rate-limit headers; `now` is epoch ms (some platforms announce a delta). */
export type RateLimitReader = (headers: Headers, now: number) => RateLimitState | null;

function num(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function reader(prefix: string, reset: (value: string, now: number) => number | null): RateLimitReader {
  return (headers, now) => {
    const limit = num(headers.get(`${prefix}-limit`));
    const remaining = num(headers.get(`${prefix}-remaining`));
    const resetRaw = headers.get(`${prefix}-reset`);
    const resetAt = resetRaw ? reset(resetRaw.trim(), now) : null;
    if (limit === null && remaining === null && resetAt === null) return null;
    return { limit, remaining, resetAt };
  };
}

/** The three ways platforms announce when a rate-limit window resets. */
export const rateLimitHeaders = {
  /** `<prefix>-reset: 1764000000` (X, Bluesky) */
  unixSeconds: (prefix: string) => reader(prefix, (v) => (num(v) === null ? null : num(v)! * 1000)),
  /** `<prefix>-reset: 42` seconds from now (Reddit) */
  deltaSeconds: (prefix: string) => reader(prefix, (v, now) => (num(v) === null ? null : now + num(v)! * 1000)),
  /** `<prefix>-reset: 2026-11-20T10:15:00.000Z` (Mastodon) */
  isoTime: (prefix: string) =>
    reader(prefix, (v) => {
      const ms = Date.parse(v);
      return Number.isNaN(ms) ? null : ms;
    }),
};

/** `Retry-After: 120` or `Retry-After: <HTTP date>` → epoch ms. */
export function retryAfterAt(headers: Headers, now: number): number | null {
  const v = headers.get('retry-after');
  if (!v) return null;
  const seconds = num(v);
  if (seconds !== null) return now + seconds * 1000;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

/** Used when a platform says "too many requests" without saying until when. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

/**
 * The failure for an exhausted quota. The delay is rounded up to whole seconds plus one, because
 * platforms reset on second boundaries and a retry landing exactly on the boundary can still be refused.
 */
export function rateLimitedFailure(platform: string, resetAt: number | null, now: number, detail = ''): ApplicationFailure {
  const delayMs = resetAt === null ? DEFAULT_RATE_LIMIT_DELAY_MS : Math.max(1000, Math.ceil((resetAt - now) / 1000) * 1000 + 1000);
  const when =
    resetAt === null
      ? `it announced no reset time, so retrying in ${delayMs / 1000}s`
      : `retrying in ${delayMs / 1000}s, after the limit resets at ${new Date(resetAt).toISOString()}`;
  return transientFailure(FailureType.RateLimited, maskSecrets(`${platform} rate limit reached${detail ? ` (${detail})` : ''}: ${when}`), {
    nextRetryDelay: delayMs,
    details: [{ platform, resetAt: resetAt === null ? null : new Date(resetAt).toISOString(), delayMs }],
  });
}

export function badCredentials(platform: string, envVars: readonly string[], detail: string): ApplicationFailure {
  return permanentFailure(
    FailureType.BadCredentials,
    maskSecrets(`${platform} rejected the credentials${detail ? ` (${detail})` : ''}: check ${envVars.join(' and ')} (see activities/collect/README.md)`),
  );
}

export function permissionDenied(platform: string, envVars: readonly string[], permission: string, detail: string): ApplicationFailure {
  return permanentFailure(
    FailureType.PermissionDenied,
    maskSecrets(`${platform} refused access${detail ? ` (${detail})` : ''}: the credentials in ${envVars.join(' and ')} lack ${permission}`),
  );
}

export function invalidQuery(platform: string, query: string, detail: string): ApplicationFailure {
  return permanentFailure(FailureType.InvalidQuery, maskSecrets(`${platform} rejected the query ${JSON.stringify(query)}${detail ? `: ${detail}` : ''}`));
}

export interface HttpReply<T = unknown> {
  status: number;
  headers: Headers;
  /** parsed JSON; for error replies whose body is not JSON, the text */
  body: T;
  rateLimit: RateLimitState | null;
}

export interface JsonRequest {
  /** the platform's name as people know it; starts every error message */
  platform: string;
  url: URL;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** JSON-encoded unless `form` is set */
  json?: unknown;
  form?: Record<string, string>;
  /** env vars named when the platform answers 401/403 */
  credentials: readonly string[];
  /** the env var that holds `url`'s base, named when its host does not resolve (e.g. MASTODON_BASE_URL) */
  hostSetting?: string;
  /** what to grant when the platform answers 403, e.g. "the pages_read_engagement permission" */
  permission?: string;
  /** the user's query, named when the platform answers 400/404 */
  query?: string;
  rateLimit?: RateLimitReader;
  /**
   * Platform-specific reading of a non-2xx reply (or a 2xx carrying an error, as some APIs do): return
   * a failure to throw, 'accept' to hand the reply back to the caller (e.g. to refresh a session), or
   * undefined for the generic mapping.
   */
  interpret?: (reply: HttpReply) => ApplicationFailure | 'accept' | undefined;
}

export interface Http {
  json<T = unknown>(req: JsonRequest): Promise<HttpReply<T>>;
}

export interface HttpOptions {
  fetch?: FetchFn;
  /** aborts in-flight requests when the activity is cancelled */
  signal?: AbortSignal;
  timeoutMs?: number;
  now?: () => number;
  /** the environment the credentials come from, when not process.env: its secret values are masked too */
  env?: SecretEnv;
  /** the activity attempt making the requests (1-based; Temporal's info.attempt), which bounds MalformedResponse retries */
  attempt?: number;
}

/**
 * Attempts after which a success that is not JSON is taken for a wrong base URL (a web page, a login or captive portal
 * answering 200), not a passing proxy page: a ConfigError instead of hours of retries.
 */
export const MALFORMED_RESPONSE_ATTEMPTS = 3;

/**
 * First characters of a body, on one line, for error messages. Credentials are masked before the text
 * is cut, so a token straddling the cut cannot leak its first half.
 */
export function snippet(text: string, max = 160, env?: SecretEnv): string {
  const flat = maskSecrets(text, env).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The human-readable error a platform put in its body, whatever its shape; credentials masked (see `snippet`). */
export function errorDetail(body: unknown, env?: SecretEnv): string {
  if (typeof body === 'string') return snippet(body, 200, env);
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  const push = (v: unknown) => {
    if (typeof v === 'string' && v && !parts.includes(v)) parts.push(v);
  };
  if (b.error && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    push(e.message);
    push(e.type);
  } else push(b.error);
  push(b.message);
  push(b.title);
  push(b.detail);
  push(b.reason);
  if (Array.isArray(b.errors)) for (const e of b.errors.slice(0, 3)) push((e as Record<string, unknown>)?.message);
  return snippet(parts.join('; '), 300, env);
}

function where(url: URL): string {
  return `${url.host}${url.pathname}`;
}

export function createHttp(opts: HttpOptions = {}): Http {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const now = opts.now ?? Date.now;
  // The last rate-limit state seen per endpoint: a request that the platform would refuse is not sent.
  const lastLimits = new Map<string, RateLimitState>();

  return {
    async json<T>(req: JsonRequest): Promise<HttpReply<T>> {
      try {
        return await request<T>(req);
      } catch (err) {
        // whatever built the failure (this module, a platform's interpret hook, fetch itself)
        throw maskError(err, opts.env);
      }
    },
  };

  async function request<T>(req: JsonRequest): Promise<HttpReply<T>> {
    const { platform, url } = req;
    const endpoint = `${platform} ${url.host}${url.pathname}`;
    const known = lastLimits.get(endpoint);
    if (known && known.remaining !== null && known.remaining <= 0 && known.resetAt !== null && known.resetAt > now()) {
      throw rateLimitedFailure(platform, known.resetAt, now(), `no requests left for ${where(url)}`);
    }

    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.form) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let status: number;
    let resHeaders: Headers;
    let text: string;
    try {
      const res = await doFetch(url, { method: req.method ?? 'GET', headers, body, signal, redirect: 'follow' });
      status = res.status;
      resHeaders = res.headers;
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new CancelledFailure('activity cancelled');
      if (timeout.aborted) {
        throw transientFailure(FailureType.PlatformTimeout, `${platform} did not answer within ${timeoutMs / 1000}s (${where(url)}); will retry`);
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      // ENOTFOUND is getaddrinfo's "no such name" (EAI_NONAME): DNS answered and the host does not exist, a typo in
      // a base URL that 40 retries over hours would not fix. A resolver that is down or slow is EAI_AGAIN: retried.
      if (cause?.code === 'ENOTFOUND') {
        const setting = req.hostSetting ? `check ${req.hostSetting}` : `check the URL`;
        throw configError(`cannot reach ${platform}: the host ${url.hostname} does not resolve (ENOTFOUND): ${setting}, and that this machine has DNS`);
      }
      throw transientFailure(
        FailureType.NetworkError,
        `cannot reach ${platform} at ${url.host}: ${cause?.code ?? cause?.message ?? (err as Error).message}; will retry`,
      );
    }

    const rateLimit = req.rateLimit?.(resHeaders, now()) ?? null;
    if (rateLimit) lastLimits.set(endpoint, rateLimit);

    let parsed: unknown = text;
    let isJson = false;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
        isJson = true;
      } catch {
        // judged below: only a success that is not JSON is an error in itself
      }
    }
    const reply: HttpReply = { status, headers: resHeaders, body: parsed, rateLimit };

    const custom = req.interpret?.(reply);
    if (custom === 'accept') return reply as HttpReply<T>;
    if (custom) throw custom;

    if (status >= 200 && status < 300) {
      if (!isJson) {
        const type = resHeaders.get('content-type') ?? 'no content-type';
        const what = `${platform} answered ${where(url)} with HTTP ${status} but the body is not JSON (${type}, ${text.length} bytes: ${JSON.stringify(snippet(text, 120, opts.env))})`;
        if ((opts.attempt ?? 1) >= MALFORMED_RESPONSE_ATTEMPTS)
          throw configError(
            `${what}, on attempt ${opts.attempt} of this collection: not a passing proxy page but a wrong base URL (a web page, a login or captive portal); ${req.hostSetting ? `check ${req.hostSetting}` : 'check the URL'}`,
          );
        throw transientFailure(FailureType.MalformedResponse, `${what}; usually a proxy or gateway page, will retry`);
      }
      return reply as HttpReply<T>;
    }
    throw failureFor(req, reply, now(), opts.env);
  }
}

/** The generic status → failure mapping, for replies the platform hook did not claim. */
export function failureFor(req: JsonRequest, reply: HttpReply, now: number, env?: SecretEnv): ApplicationFailure {
  const { platform, url } = req;
  const { status, headers, rateLimit } = reply;
  const detail = errorDetail(reply.body, env);
  if (status === 429 || (status === 403 && rateLimit?.remaining === 0)) {
    return rateLimitedFailure(platform, rateLimit?.resetAt ?? retryAfterAt(headers, now), now, `HTTP ${status}`);
  }
  if (status === 401) return badCredentials(platform, req.credentials, `HTTP 401${detail ? `: ${detail}` : ''}`);
  if (status === 403) {
    return permissionDenied(platform, req.credentials, req.permission ?? `permission to read ${where(url)}`, `HTTP 403${detail ? `: ${detail}` : ''}`);
  }
  if ((status === 400 || status === 404 || status === 422) && req.query !== undefined) {
    return invalidQuery(platform, req.query, `HTTP ${status} from ${where(url)}${detail ? `: ${detail}` : ''}`);
  }
  if (status >= 500 || status === 408 || status === 425) {
    const retryAt = retryAfterAt(headers, now);
    return transientFailure(
      FailureType.PlatformUnavailable,
      `${platform} is failing (HTTP ${status} from ${where(url)}${detail ? `: ${detail}` : ''}); will retry`,
      {
        nextRetryDelay: retryAt !== null && retryAt > now ? Math.ceil((retryAt - now) / 1000) * 1000 : undefined,
      },
    );
  }
  return permanentFailure(FailureType.HttpError, `${platform} refused the request (HTTP ${status} from ${where(url)}${detail ? `: ${detail}` : ''})`);
}

/** Builds a URL under a base that may itself carry a path (e.g. https://graph.facebook.com/v21.0). */
export function apiUrl(base: string, path: string, params: Record<string, string | number | undefined | null> = {}): URL {
  const url = new URL(base.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, ''));
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  return url;
}

/** Query parameters of a platform's `next` link, minus credentials, to keep as a resumable cursor. */
export function cursorParams(nextUrl: string, drop: readonly string[] = ['access_token', 'appsecret_proof']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(nextUrl).searchParams) if (!drop.includes(k)) out[k] = v;
  return out;
}
