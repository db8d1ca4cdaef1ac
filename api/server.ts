import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestAsyncHookHandler,
} from 'fastify';
import { describeSchemaError, type SchemaError } from './validationErrors';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { Db } from '../lib/db';
import { logger as rootLogger, type Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/objectStore';
import { recordAudit } from './audit';
import { ApiKeyVerifier, keyLookup, looksLikeApiKey } from './auth/keys';
import { OidcVerifier, type OidcConfig } from './auth/oidc';
import { roleAllows, type Principal, type Role } from './auth/roles';
import { ApiError, errorBody, etagOnSend, type ErrorCode } from './http';
import { createApiMetrics } from './metrics';
import { registerAdminRoutes } from './routes/admin';
import { registerControlRoutes } from './routes/control';
import { registerDatasetRoutes } from './routes/datasets';
import { registerHealthRoutes } from './routes/health';
import { registerInsightRoutes } from './routes/insights';
import { parseQueryString } from './queryString';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the least role that may call the route; unset = public (health, metrics, docs) */
    minRole?: Role;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** what an audited call produced (workflow id, key id…), for the audit log */
    auditResult: Record<string, unknown> | null;
    /** the message of the error answered, for the audit log */
    errorMessage: string | null;
  }
}

/** The services the API reads and steers; the same objects `connectStack` gives every command. */
export interface ApiDeps {
  db: Db;
  store: ObjectStore;
  temporal: { client: Client; namespace: string; taskQueue: string; uiUrl: string | null };
}

export interface ApiOptions {
  /** pino logger (default: the project's JSON logger on stderr) */
  logger?: Logger;
  /** OIDC bearer tokens besides API keys (api/auth/oidc.ts); null/undefined = keys only */
  oidc?: OidcConfig | null;
  /** requests per key (per client address without a key) per window; default 600 per minute */
  rateLimit?: { max: number; timeWindowMs: number };
  /** largest accepted request body in bytes; default 64 KiB */
  bodyLimit?: number;
  /** lifetime of presigned download URLs in seconds; default 900 */
  downloadExpirySeconds?: number;
  /**
   * The folder (on the workers' file system) that file imports and training files started through the
   * API must be in; unset = the API refuses them (the CLI, run by someone with a shell, has no such limit).
   */
  importDir?: string | null;
  /**
   * Behind a gateway or load balancer: which proxies to believe about the client address (fastify's
   * trustProxy: true, a hop count, or addresses/CIDRs such as "10.0.0.0/8"); it decides the per-address
   * rate limit of calls without a key and the address in the audit log. Default: none.
   */
  trustProxy?: boolean | number | string;
}

/** Roles at or above which every call is written to the audit log. */
const AUDITED: Role = 'operator';

/**
 * Builds the HTTP API (not listening yet: `app.listen` or `app.inject`). Every input is validated by
 * the routes' JSON schemas (unknown fields refused), every error has one shape (api/http.ts), reads
 * carry ETags, lists are cursor-paginated, and every route but /healthz, /readyz, /metrics, /openapi.json
 * and /docs needs `Authorization: Bearer <API key or OIDC token>` with a role allowed there.
 */
export async function buildApi(deps: ApiDeps, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? 64 * 1024;
  const app = Fastify({
    loggerInstance: (opts.logger ?? rootLogger).child({ component: 'api' }) as FastifyBaseLogger,
    // Access lines are written by the onResponse hook below (route pattern, no headers, no query values).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // (typed as boolean only to keep fastify's overloads on the plain-http server; numbers and CIDR strings work the same)
    trustProxy: (opts.trustProxy ?? false) as boolean,
    // A request must arrive whole within a minute (slow-drip clients do not hold sockets forever).
    requestTimeout: 60_000,
    // Ids are short; a longer path segment is bad input, answered in the API's error shape like any other.
    // Query values whose bytes are not UTF-8 decode to U+FFFD, which the text schemas refuse (api/queryString.ts).
    routerOptions: { maxParamLength: 300, querystringParser: parseQueryString },
    frameworkErrors: (err, request, reply) => {
      request.errorMessage = err.message;
      const message =
        (err as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'a path parameter is longer than 300 characters'
          : `the URL could not be read: ${err.message}`;
      return (reply as FastifyReply).code(400).send(errorBody(request as FastifyRequest, 400, 'invalid_request', message));
    },
  });
  // Query strings and paths arrive as text, so their numbers are coerced; a JSON body is taken as sent:
  // `"posts": true` or `"posts": "10"` is a malformed body (400), not a 1 or a 10. Unknown fields are
  // refused everywhere (a misspelt option must not be silently ignored).
  const validators = { text: createAjv('array'), body: createAjv(false) };
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.text).compile(schema));
  const keys = new ApiKeyVerifier(deps.db);
  const oidc = opts.oidc ? new OidcVerifier(opts.oidc) : null;
  const metrics = createApiMetrics();

  app.decorateRequest('principal', null);
  app.decorateRequest('auditResult', null);
  app.decorateRequest('errorMessage', null);

  await app.register(helmet, {
    // Served over plain http on loopback or behind a gateway that terminates TLS: upgrading would break links.
    contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } },
  });
  await app.register(rateLimit, {
    global: true,
    max: opts.rateLimit?.max ?? 600,
    timeWindow: opts.rateLimit?.timeWindowMs ?? 60_000,
    // Per key: its public lookup part (never the secret); a token or no credentials count per client address.
    keyGenerator: (request) => {
      const token = bearerToken(request);
      const lookup = token ? keyLookup(token) : null;
      return lookup ? `key:${lookup}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        429,
        'rate_limited',
        `rate limit exceeded: at most ${context.max} requests per ${context.after === '1 minute' ? 'minute' : context.after}; retry in ${context.after}`,
      ),
  });

  // After the rate limit (which adds its hook per route when a route is defined): a flood of wrong
  // keys is limited before any of them costs a scrypt hash.
  const authenticate: onRequestAsyncHookHandler = async (request) => {
    const required = request.routeOptions.config.minRole!;
    const token = bearerToken(request);
    if (token === null)
      throw new ApiError(401, 'unauthorized', 'this endpoint needs `Authorization: Bearer <key>` (create a key with `socialsense api keys create`)');
    if (looksLikeApiKey(token) || !oidc) {
      request.principal = await keys.verify(token);
      if (!request.principal) throw new ApiError(401, 'unauthorized', 'the API key is not valid: unknown, mistyped or revoked');
    } else {
      const outcome = await oidc.verify(token);
      if (!outcome.ok)
        throw new ApiError(outcome.reason === 'no-role' ? 403 : 401, outcome.reason === 'no-role' ? 'forbidden' : 'unauthorized', outcome.message);
      request.principal = outcome.principal;
    }
    if (!roleAllows(request.principal.role, required)) {
      throw new ApiError(
        403,
        'forbidden',
        `${request.method} ${request.routeOptions.url} needs the ${required} role or above; this ${request.principal.kind === 'key' ? 'key' : 'token'} has ${request.principal.role}`,
      );
    }
  };
  app.addHook('onRoute', (route) => {
    if (!route.config?.minRole) return;
    route.onRequest = [...(Array.isArray(route.onRequest) ? route.onRequest : route.onRequest ? [route.onRequest] : []), authenticate];
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SocialSense Insights API',
        version: '1',
        description:
          'Insights (viewer), datasets (analyst), pipeline control (operator) and keys (admin). Every route but the health, metrics and ' +
          'documentation routes needs `Authorization: Bearer <key>`; errors are `{"error": {"status", "code", "message", "requestId"}}`; ' +
          'lists are `{"items": [...], "nextCursor": …}` (pass `cursor=<nextCursor>` for the next page); reads carry an ETag.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key (ssk_…) or, when configured, an OIDC access token' } },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI sets element styles from its script (needs 'unsafe-inline' for styles, which hashes would
    // switch off); and plain http on loopback must not be upgraded. Scripts stay restricted to its own files.
    transformStaticCSP: (csp) => csp.replace(/style-src [^;]*;/, "style-src 'self' https: 'unsafe-inline';").replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  // Browsers ask for it on every page; an empty answer instead of a 404 in their console.
  app.get('/favicon.ico', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => reply.code(204).send());

  app.addHook('onSend', etagOnSend);
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(request, reply);
    const route = request.routeOptions.url ?? 'unmatched';
    // (request.log already carries the request id)
    const line = { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, actor: request.principal?.id ?? null };
    if (reply.statusCode === 503) request.log.warn(line, 'a dependency is not available');
    else if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.debug(line, 'request');
    const required = request.routeOptions.config.minRole;
    if (required && roleAllows(required, AUDITED)) {
      await recordAudit(deps.db, {
        actor: request.principal ? `${request.principal.id} (${request.principal.name})` : 'anonymous',
        role: request.principal?.role ?? null,
        method: request.method,
        route,
        target: { params: request.params ?? {}, body: request.body ?? null },
        status: reply.statusCode,
        result: reply.statusCode < 400 ? (request.auditResult ?? {}) : { error: request.errorMessage },
        ip: request.ip,
      }).catch((err) => request.log.error({ err: { message: (err as Error).message } }, 'could not write the audit log entry'));
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown; validationContext?: string }, request, reply) => {
    const [status, code, message] = classifyError(err, bodyLimit);
    if (status === 500) request.log.error({ err }, 'unexpected error');
    else if (status === 503) request.log.warn({ err: { message: err.message, code: err.code } }, 'a dependency did not answer');
    request.errorMessage = message;
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.code(status).send(errorBody(request, status, code, message));
  });
  app.setNotFoundHandler((request, reply) => {
    request.errorMessage = 'no such route';
    return reply.code(404).send(errorBody(request, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}; see /docs`));
  });

  registerHealthRoutes(app, deps, metrics.registry);
  registerInsightRoutes(app, deps);
  registerDatasetRoutes(app, deps, { expirySeconds: opts.downloadExpirySeconds ?? 900 });
  registerControlRoutes(app, deps, { importDir: opts.importDir ?? null });
  registerAdminRoutes(app, deps);
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());
  await app.ready();
  return app;
}

function createAjv(coerceTypes: 'array' | false): Ajv {
  // verbose: each error carries the value and its schema, which the 400 message quotes (api/validationErrors.ts)
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, verbose: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/** The token of `Authorization: Bearer <token>`, or null when the header is missing or another scheme. */
function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : null;
}

/** Status, code and message for any error a request can end in; input problems are 400, never 500. */
function classifyError(
  err: Error & { statusCode?: number; code?: string; validation?: unknown; validationContext?: string },
  bodyLimit: number,
): [number, ErrorCode, string] {
  if (err instanceof ApiError) return [err.statusCode, err.code, err.message];
  if (err.validation) return [400, 'invalid_request', describeSchemaError(err.validation as SchemaError[], err.validationContext)];
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return [400, 'body_too_large', `the request body is larger than the ${bodyLimit} bytes this API accepts`];
  // Malformed JSON, a wrong content type, an empty JSON body, a bad encoding: all the client's to fix.
  if (err.code?.startsWith('FST_ERR_CTP_') || err instanceof SyntaxError) return [400, 'invalid_request', `the request body could not be read: ${err.message}`];
  if (err.statusCode === 429) return [429, 'rate_limited', err.message];
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return [400, 'invalid_request', err.message];
  // Postgres gone or restarting (connection refused, admin shutdown, pool timeout): the client may retry.
  if (
    ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001', '53300'].includes(String(err.code)) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(err.message)
  ) {
    return [503, 'not_available', 'the database is not reachable right now; retry shortly'];
  }
  return [500, 'internal', 'internal error; the server log has the details under this request id'];
}

export type { FastifyInstance, FastifyReply, FastifyRequest };
