import { InvalidArgumentError, type Command } from 'commander';
import { listAudit } from '../../api/audit';
import { createApiKey, KeyInputError, listApiKeys, revokeApiKey } from '../../api/auth/keys';
import { oidcConfigFromEnv } from '../../api/auth/oidc';
import { ROLES } from '../../api/auth/roles';
import { ConfigError, databaseConfigSchema, parseConfig } from '../../lib/config';
import { createDb, migrate, type Db } from '../../lib/db';
import { logger } from '../../lib/logger';
import { installRuntime } from '../../lib/runtime';
import { connectStack } from '../../lib/stack';
import { limitOption, portOption, wholeNumberOption } from '../options';
import { jsonLine, printLine } from '../terminalText';

/** `--role`: one of the API's roles. */
function roleOption(value: string): string {
  const v = value.trim().toLowerCase();
  if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown role "${value}"; use one of ${ROLES.join(', ')}`);
  return v;
}

/** `--host`: an address to bind (IPv4, IPv6 or a host name), no scheme or port. */
function hostOption(value: string): string {
  const v = value.trim();
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(v)) throw new InvalidArgumentError(`expected an address to listen on, e.g. 127.0.0.1 or 0.0.0.0, got "${value}"`);
  return v.replace(/^\[(.*)\]$/, '$1');
}

const keyIdOption = wholeNumberOption(1, Number.MAX_SAFE_INTEGER, 'key id');

/** Requests per minute per key: `SOCIALSENSE_API_RATE_LIMIT` (default 600). */
function rateLimitFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.SOCIALSENSE_API_RATE_LIMIT;
  if (!raw) return 600;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ConfigError(`SOCIALSENSE_API_RATE_LIMIT must be a whole number of requests per minute per key (≥ 1), got "${raw}"`);
  return Number(raw);
}

/** `SOCIALSENSE_API_TRUST_PROXY`: true, a hop count, or proxy addresses/CIDRs (comma-separated); unset: none. */
function trustProxyFromEnv(env: NodeJS.ProcessEnv): boolean | number | string {
  const raw = env.SOCIALSENSE_API_TRUST_PROXY?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!/^[0-9A-Fa-f.:/,\s]+$/.test(raw))
    throw new ConfigError(`SOCIALSENSE_API_TRUST_PROXY must be true, a hop count or proxy addresses/CIDRs separated by commas, got "${raw}"`);
  return raw;
}

/** Keys and the audit log live in Postgres only: no Temporal or object store needed. */
async function withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const { DATABASE_URL } = parseConfig(databaseConfigSchema);
  await migrate(DATABASE_URL);
  const db = createDb(DATABASE_URL, 2);
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

const day = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 16) : '-');

export function registerApi(program: Command): void {
  const api = program
    .command('api')
    .description(
      'the HTTP API (insights, datasets, control, keys) over the configured Postgres, object store and Temporal; `api keys` and `api audit` manage it',
    )
    .option('--port <port>', 'TCP port', portOption, 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', hostOption, '127.0.0.1')
    .addHelpText(
      'after',
      '\nAuthentication: `Authorization: Bearer <key>` (keys from `socialsense api keys create`), or OIDC tokens when\n' +
        'SOCIALSENSE_OIDC_ISSUER, SOCIALSENSE_OIDC_AUDIENCE and SOCIALSENSE_OIDC_JWKS_URL are set (roles from the claim\n' +
        'SOCIALSENSE_OIDC_ROLES_CLAIM, default `roles`). SOCIALSENSE_API_RATE_LIMIT: requests per minute per key (600).\n' +
        'SOCIALSENSE_API_IMPORT_DIR: the folder file imports and training files started through the API must be in (unset: refused).\n' +
        'SOCIALSENSE_API_TRUST_PROXY: behind a gateway, the proxies whose X-Forwarded-For to believe (true, a hop count, or CIDRs).\n' +
        'OpenAPI at /openapi.json, docs at /docs; /healthz, /readyz and /metrics need no key.',
    )
    .action(async (opts: { port: number; host: string }) => {
      const oidc = oidcConfigFromEnv();
      const max = rateLimitFromEnv(process.env);
      const trustProxy = trustProxyFromEnv(process.env);
      installRuntime();
      const stack = await connectStack();
      // A pool of its own, larger than a command's: every request reads its key's row, then its data.
      const db = createDb(stack.databaseUrl, 20);
      const { buildApi } = await import('../../api/server');
      const app = await buildApi(
        { db, store: stack.store, temporal: { client: stack.client, namespace: stack.namespace, taskQueue: stack.taskQueue, uiUrl: stack.uiUrl } },
        { oidc, rateLimit: { max, timeWindowMs: 60_000 }, importDir: process.env.SOCIALSENSE_API_IMPORT_DIR || null, trustProxy },
      );
      const address = await app.listen({ port: opts.port, host: opts.host });
      logger.info({ address, oidc: Boolean(oidc), rateLimitPerMinute: max }, 'SocialSense API listening');
      printLine(`SocialSense API on ${address} (docs ${address}/docs); Ctrl-C stops it`, process.stderr);
      await new Promise<void>((resolve) => {
        const stop = async () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          // Requests in flight finish; new connections are refused.
          await app.close();
          await db.end();
          await stack.close();
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  const keys = api.command('keys').description('API keys: create (prints the key once), list, revoke');
  keys
    .command('create')
    .description('create a key; it is printed this once and stored only as a scrypt hash')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, roleOption)
    .requiredOption('--name <name>', 'who or what uses it, e.g. "dashboard" or "alice"')
    .option('--json', 'print {"key", "id", "role", "name", "createdAt"} as one JSON object')
    .action(async (opts: { role: string; name: string; json?: boolean }, cmd: Command) => {
      try {
        const k = await withDatabase((db) => createApiKey(db, opts));
        if (opts.json) return void process.stdout.write(jsonLine({ key: k.key, id: k.id, role: k.role, name: k.name, createdAt: k.createdAt }));
        printLine(k.key);
        printLine(`key ${k.id} "${k.name}" (${k.role}) created; this is the only time it is shown: store it now`, process.stderr);
      } catch (err) {
        if (err instanceof KeyInputError) cmd.error(`error: ${err.message}`);
        throw err;
      }
    });
  keys
    .command('list')
    .description('every key: id, name, role, created, last used, revoked (never the key)')
    .option('--json', 'one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const list = await withDatabase((db) => listApiKeys(db));
      if (opts.json) return void process.stdout.write(jsonLine({ keys: list }));
      if (!list.length) return printLine('no API keys yet; create one with `socialsense api keys create --role viewer --name NAME`');
      printLine(`${'id'.padStart(5)}  ${'role'.padEnd(8)}  ${'created'.padEnd(16)}  ${'last used'.padEnd(16)}  ${'revoked'.padEnd(16)}  name`);
      for (const k of list)
        printLine(
          `${String(k.id).padStart(5)}  ${k.role.padEnd(8)}  ${day(k.createdAt).padEnd(16)}  ${day(k.lastUsedAt).padEnd(16)}  ${day(k.revokedAt).padEnd(16)}  ${k.name}`,
        );
    });
  keys
    .command('revoke')
    .description('revoke a key: its next request is refused')
    .argument('<id>', 'the key id (see `api keys list`)', keyIdOption)
    .option('--json', 'one JSON object')
    .action(async (id: number, opts: { json?: boolean }, cmd: Command) => {
      const k = await withDatabase((db) => revokeApiKey(db, id));
      if (!k) return cmd.error(`error: there is no API key ${id}; see \`socialsense api keys list\``, { exitCode: 1 });
      if (opts.json) return void process.stdout.write(jsonLine(k));
      printLine(`key ${k.id} "${k.name}" (${k.role}) revoked at ${day(k.revokedAt)} UTC`);
    });

  api
    .command('audit')
    .description('the audit log of operator and admin API calls, newest first: who, what, when, result')
    .option('--limit <n>', 'entries', limitOption, 50)
    .option('--json', 'one JSON object')
    .action(async (opts: { limit: number; json?: boolean }) => {
      const entries = (await withDatabase((db) => listAudit(db, { limit: opts.limit }))).slice(0, opts.limit);
      if (opts.json) return void process.stdout.write(jsonLine({ entries }));
      if (!entries.length) return printLine('the audit log is empty: no operator or admin call has been made through the API');
      for (const e of entries) {
        const result = e.status < 400 ? JSON.stringify(e.result) : String(e.result.error ?? '');
        printLine(
          `${day(e.at)}  ${String(e.status).padEnd(3)}  ${e.method.padEnd(6)} ${e.route.padEnd(28)} ${e.actor} [${e.role ?? '-'}]  ${JSON.stringify(e.target.params ?? {})}  ${result}`,
        );
      }
    });
}
