/**
 * Masking of credentials in text that leaves the process: error messages, failures stored in workflow
 * histories, log lines, CLI output. The one place that knows what a secret looks like; every message
 * builder and the logger call `maskSecrets`.
 *
 * Two kinds of secrets are masked:
 * - configured values: every environment variable that holds a credential (the connectors' tokens and
 *   passwords, the S3 keys, the password inside `DATABASE_URL` or any other URL-valued variable), in the
 *   forms they travel in (as is, URL-encoded, JSON-escaped, base64 in a Basic header). The mask names
 *   the variable, e.g. `[masked X_BEARER_TOKEN]`, so a reader knows what was there and what to check;
 * - anything shaped like a credential, configured here or not: `Bearer …`, `Basic …`, `sk-…` style API
 *   keys, JWTs, `access_token=…` / `"password": "…"` pairs, and the password in `scheme://user:pass@host`.
 */

import { causeChain } from './failures';

export type SecretEnv = Record<string, string | undefined>;

/**
 * Credential variables by name (activities/collect/README.md lists the connectors' ones). Variables
 * whose names look secret (`SECRET_NAME`) are masked too, so a connector added later is covered.
 */
export const SECRET_ENV_VARS: readonly string[] = [
  'X_BEARER_TOKEN',
  'FACEBOOK_ACCESS_TOKEN',
  'INSTAGRAM_ACCESS_TOKEN',
  'MASTODON_ACCESS_TOKEN',
  'BLUESKY_APP_PASSWORD',
  'REDDIT_CLIENT_ID',
  'REDDIT_CLIENT_SECRET',
  'REDDIT_PASSWORD',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
];

/** Names that hold a credential whatever the prefix: FOO_TOKEN, FOO_SECRET, FOO_PASSWORD, FOO_API_KEY, … */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$/i;

/** Values shorter than this are not masked by value: masking "ab" everywhere would garble every message. */
const MIN_SECRET_LENGTH = 4;

export interface SecretValue {
  /** what the mask names, e.g. `X_BEARER_TOKEN` or `DATABASE_URL password` */
  name: string;
  value: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The password part of `scheme://user:password@host`, or null. */
function urlPassword(value: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*:([^/?#@\s]+)@/i.exec(value.trim());
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/**
 * The credential values set in `env`, longest first (so a secret containing another is masked whole).
 * Includes the password of every URL-valued variable (`DATABASE_URL` and the like).
 */
export function secretValues(env: SecretEnv): SecretValue[] {
  const out: SecretValue[] = [];
  const isSecretName = (name: string) => SECRET_ENV_VARS.includes(name) || SECRET_NAME.test(name);
  // A value that a non-secret setting also holds is public in this deployment (the local stack's
  // S3_ACCESS_KEY is "socialsense", like its bucket and the logs' service name): masking it would
  // garble every bucket URI and log line while hiding nothing.
  const published = new Set(['socialsense']);
  for (const [name, raw] of Object.entries(env)) if (typeof raw === 'string' && !isSecretName(name)) published.add(raw.trim().toLowerCase());
  for (const [name, raw] of Object.entries(env)) {
    if (typeof raw !== 'string') continue;
    const value = raw.trim();
    if (value.length >= MIN_SECRET_LENGTH && isSecretName(name) && !published.has(value.toLowerCase())) out.push({ name, value });
    const password = urlPassword(raw);
    if (password && password.length >= MIN_SECRET_LENGTH) out.push({ name: `${name} password`, value: password });
  }
  return out.sort((a, b) => b.value.length - a.value.length);
}

/** The forms a value takes on the wire and in messages: as is, URL-encoded (both styles), JSON-escaped. */
function forms(value: string): string[] {
  const all = new Set([value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2), JSON.stringify(value).slice(1, -1)]);
  return [...all].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** A token value: 8+ token characters (RFC 6750, plus % of URL-encoded ones) with at least one digit or one of _~+/=% (so prose like "bearer credentials" stays). */
const TOKEN_VALUE = '(?=[A-Za-z0-9\\-._~+/%]*[0-9_~+/=%])[A-Za-z0-9\\-._~+/%]{8,}=*';
const KEY_NAMES =
  'access_token|refresh_token|id_token|auth_token|oauth_token|client_secret|app_?secret|appsecret_proof|api_?key|apikey|password|passwd|app_password|secret|token|x-api-key|private_key|secret_key|secretkey';

/** Pattern masks, applied after the configured values; each keeps its context and replaces the secret. */
const PATTERNS: Array<{ re: RegExp; mask: (m: string, ...groups: string[]) => string }> = [
  // scheme://user:password@host → scheme://user:[masked password]@host
  { re: /\b([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s"'\\]*:)([^/?#@\s"'\\]+)@/gi, mask: (_m, pre) => `${pre}[masked password]@` },
  // Authorization header schemes (RFC 6750 b64token, and Basic's base64)
  { re: new RegExp(`\\b(bearer|basic)(\\s+|%20)${TOKEN_VALUE}`, 'gi'), mask: (_m, scheme, sp) => `${scheme}${sp}[masked ${scheme.toLowerCase()} token]` },
  // key=value, "key": "value", key: value (also JSON-escaped inside a string) for the usual credential names
  {
    re: new RegExp(`(\\\\?["']?\\b(?:${KEY_NAMES})\\\\?["']?\\s*[:=]\\s*\\\\?["']?)(?!\\[masked)([^\\s"'&,;)}\\]<>\\\\]{3,})`, 'gi'),
    mask: (_m, pre) => `${pre}[masked ${pre.replace(/["'\s:=\\]/g, '').toLowerCase()}]`,
  },
  // Well-known key shapes: sk-… (OpenAI style), GitHub, Slack, AWS access key ids, Google API keys, JWTs
  { re: /\b(?:sk|pk|rk)[-_](?:live[-_]|test[-_]|proj[-_])?[A-Za-z0-9_-]{12,}/g, mask: () => '[masked API key]' },
  { re: /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}/g, mask: () => '[masked API key]' },
  { re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, mask: () => '[masked API key]' },
  { re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, mask: () => '[masked API key]' },
  { re: /\bAIza[0-9A-Za-z_-]{35}/g, mask: () => '[masked API key]' },
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, mask: () => '[masked JWT]' },
];

/**
 * `text` with every credential replaced by `[masked WHAT]`.
 *
 * @param env variables whose credential values are masked, in addition to `process.env`'s (tests and
 *   activities that read another environment pass theirs)
 * @returns the masked text; text without secrets comes back unchanged
 */
export function maskSecrets(text: string, env?: SecretEnv): string {
  if (typeof text !== 'string' || text === '') return text;
  let out = text;
  const values = env && env !== process.env ? [...secretValues(env), ...secretValues(process.env)] : secretValues(process.env);
  values.sort((a, b) => b.value.length - a.value.length);
  for (const { name, value } of values) {
    for (const form of forms(value)) {
      if (out.includes(form)) out = out.replace(new RegExp(escapeRegExp(form), 'g'), `[masked ${name}]`);
    }
    // a Basic header carries base64("id:secret"): mask any base64 that decodes to contain the secret
    out = out.replace(/\bBasic(\s+|%20)([A-Za-z0-9+/]{8,}={0,2})/g, (m, sp, b64) =>
      Buffer.from(b64, 'base64').toString('utf8').includes(value) ? `Basic${sp}[masked ${name}]` : m,
    );
  }
  for (const { re, mask } of PATTERNS) out = out.replace(re, mask as (m: string, ...g: string[]) => string);
  return out;
}

/**
 * Masks an error in place (message, stack, failure details, and the same for its causes) and returns it, so that a
 * thrown failure keeps its class, type and retry semantics. Non-errors are returned as they are.
 */
export function maskError<E>(err: E, env?: SecretEnv): E {
  for (const link of causeChain(err)) {
    if (typeof link !== 'object') break;
    const e = link as { message?: unknown; stack?: unknown };
    try {
      if (typeof e.message === 'string') e.message = maskSecrets(e.message, env);
      if (typeof e.stack === 'string') e.stack = maskSecrets(e.stack, env);
      // ApplicationFailure details travel into workflow histories beside the message
      const d = (e as { details?: unknown }).details;
      if (Array.isArray(d)) (e as { details?: unknown }).details = maskDeep(d, env);
    } catch {
      // a frozen error: nothing to do but leave it
    }
  }
  return err;
}

/** A deep copy of a JSON-like value with every string masked (for failure details and log objects). */
export function maskDeep<T>(value: T, env?: SecretEnv, depth = 0): T {
  if (typeof value === 'string') return maskSecrets(value, env) as T;
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, env, depth + 1)) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, env, depth + 1)])) as T;
}
