import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, transientFailure } from '../../../lib/failures';
import type { ConnectorContext } from '../connector';
import { apiUrl, badCredentials, errorDetail, invalidQuery, permissionDenied, rateLimitedFailure, type HttpReply } from '../http';
import type { Json } from './mapping';

/**
 * What Facebook and Instagram share: the Meta Graph API. It reports most errors as HTTP 400 with an
 * `error.code`, so the status alone says little; the code decides what the retry should do.
 * https://developers.facebook.com/docs/graph-api/guides/error-handling
 */

export const DEFAULT_GRAPH_BASE = 'https://graph.facebook.com/v21.0';

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
/** Meta's usage windows roll over an hour; without an estimate, check back in a quarter of that. */
const GRAPH_DEFAULT_WAIT_MS = 15 * 60_000;

/** `X-Business-Use-Case-Usage` / `X-Ad-Account-Usage` carry `estimated_time_to_regain_access` in minutes. */
export function graphRegainAt(headers: Headers, now: number): number | null {
  let minutes = -1;
  for (const name of ['x-business-use-case-usage', 'x-ad-account-usage']) {
    const raw = headers.get(name);
    if (!raw) continue;
    try {
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === 'estimated_time_to_regain_access' && typeof x === 'number') minutes = Math.max(minutes, x);
            else walk(x);
          }
        }
      };
      walk(JSON.parse(raw));
    } catch {
      // a header we cannot read only costs us the estimate
    }
  }
  return minutes > 0 ? now + minutes * 60_000 : null;
}

export interface GraphSpec {
  platform: string;
  tokenEnv: string;
  /** the permissions the connector needs, named when Meta says one is missing */
  permissions: string;
  /** the env var that can override the Graph API base URL, named when its host does not resolve */
  baseEnv: string;
}

export function graphInterpreter(spec: GraphSpec, query: string | undefined, now: () => number) {
  return (reply: HttpReply): ApplicationFailure | undefined => {
    const err = (reply.body as Json | null)?.error as Json | undefined;
    if (!err || typeof err !== 'object') return undefined;
    const code = Number(err.code);
    const sub = Number(err.error_subcode);
    const detail = `Graph error ${code}${Number.isFinite(sub) ? `/${sub}` : ''}: ${errorDetail(reply.body)}`;
    if (code === 190 || code === 102 || code === 463 || code === 467) {
      return badCredentials(spec.platform, [spec.tokenEnv], `${detail}; the token is invalid or expired, generate a new long-lived token`);
    }
    if (code === 10 || (code >= 200 && code <= 299)) return permissionDenied(spec.platform, [spec.tokenEnv], spec.permissions, detail);
    if (RATE_LIMIT_CODES.has(code) || (code >= 80001 && code <= 80014)) {
      const at = graphRegainAt(reply.headers, now());
      return rateLimitedFailure(spec.platform, at ?? now() + GRAPH_DEFAULT_WAIT_MS, now(), detail);
    }
    if (code === 1 || code === 2 || err.is_transient === true) {
      return transientFailure(FailureType.PlatformUnavailable, `${spec.platform} is failing (${detail}); will retry`);
    }
    if ((code === 100 || code === 803 || code === 24) && query !== undefined) {
      return invalidQuery(spec.platform, query, `${detail} (does the object exist, and can this token see it?)`);
    }
    return undefined;
  };
}

export async function graphGet(
  ctx: ConnectorContext,
  spec: GraphSpec & { base: string },
  path: string,
  params: Record<string, string | number | null | undefined>,
  query: string | undefined = ctx.query,
): Promise<HttpReply<Json>> {
  return ctx.http.json<Json>({
    platform: spec.platform,
    url: apiUrl(spec.base, path, { ...params, access_token: ctx.env[spec.tokenEnv] }),
    hostSetting: spec.baseEnv,
    credentials: [spec.tokenEnv],
    permission: spec.permissions,
    query,
    interpret: graphInterpreter(spec, query, ctx.now),
  });
}

/** Graph list replies: `{ data: [...], paging: { cursors: { before, after }, next? } }`. */
export function graphList(body: Json): { data: Json[]; next: string | null } {
  const data = Array.isArray(body.data) ? (body.data as Json[]) : [];
  const paging = (body.paging ?? {}) as Json;
  return { data, next: typeof paging.next === 'string' && paging.next ? paging.next : null };
}

/** Follows an edge (e.g. a post's comments) to its end, starting from the page embedded in the parent. */
export async function graphRest(
  ctx: ConnectorContext,
  spec: GraphSpec & { base: string },
  first: Json | undefined,
  path: string,
  params: Record<string, string | number>,
  maxPages = 50,
): Promise<Json[]> {
  if (!first) return [];
  let { data, next } = graphList(first);
  const out = [...data];
  for (let i = 0; next && i < maxPages; i++) {
    const after = new URL(next).searchParams.get('after');
    if (!after) break;
    const reply = await graphGet(ctx, spec, path, { ...params, after }, undefined);
    ({ data, next } = graphList(reply.body));
    out.push(...data);
  }
  return out;
}
