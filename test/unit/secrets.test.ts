import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { maskDeep, maskError, maskSecrets, secretValues } from '../../lib/secrets';
import { errorDetail, snippet } from '../../activities/collect/http';
import { createConnectorRegistry } from '../../activities/collect/platforms';

/** Random, so that nothing in the code under test can know the value in advance. */
const secret = (prefix = '') => `${prefix}${crypto.randomBytes(12).toString('base64url')}9`;

/** Connector variables that identify (an account, a URL, an app's user agent) rather than authenticate. */
const IDENTIFIERS = new Set(['BLUESKY_HANDLE', 'INSTAGRAM_USER_ID', 'REDDIT_USERNAME', 'REDDIT_USER_AGENT']);

describe('maskSecrets: configured credential values', () => {
  const registry = createConnectorRegistry();
  // required credentials other than account identifiers, and optional ones named like secrets
  const credentialVars = [
    ...new Set(
      [...registry.values()].flatMap((c) =>
        c.credentials.filter((s) => (!s.optional && !IDENTIFIERS.has(s.env)) || /TOKEN|SECRET|PASSWORD|KEY/.test(s.env)).map((s) => s.env),
      ),
    ),
  ];

  it('knows every credential the connectors read (activities/collect/README.md)', () => {
    expect(credentialVars.sort()).toEqual(
      [
        'BLUESKY_APP_PASSWORD',
        'FACEBOOK_ACCESS_TOKEN',
        'INSTAGRAM_ACCESS_TOKEN',
        'MASTODON_ACCESS_TOKEN',
        'REDDIT_CLIENT_ID',
        'REDDIT_CLIENT_SECRET',
        'REDDIT_PASSWORD',
        'X_BEARER_TOKEN',
      ].sort(),
    );
  });

  it.each([...credentialVars, 'S3_SECRET_KEY', 'S3_ACCESS_KEY'])('%s is masked by name, wherever it appears', (name) => {
    const value = secret();
    const env = { [name]: value };
    expect(maskSecrets(`before ${value} after`, env)).toBe(`before [masked ${name}] after`);
    expect(maskSecrets(`${value}${value}`, env)).toBe(`[masked ${name}][masked ${name}]`);
  });

  it('masks the forms a value travels in: URL-encoded, form-encoded, JSON-escaped, inside a Basic header', () => {
    const value = `a/b+c d"e%f${secret()}`;
    const env = { REDDIT_CLIENT_SECRET: value, REDDIT_CLIENT_ID: 'client-id-123' };
    expect(maskSecrets(`q=${encodeURIComponent(value)}`, env)).toBe('q=[masked REDDIT_CLIENT_SECRET]');
    expect(maskSecrets(new URLSearchParams({ s: value }).toString(), env)).toBe('s=[masked REDDIT_CLIENT_SECRET]');
    expect(maskSecrets(JSON.stringify({ s: value }), env)).toBe('{"s":"[masked REDDIT_CLIENT_SECRET]"}');
    const basic = Buffer.from(`client-id-123:${value}`).toString('base64');
    expect(maskSecrets(`authorization: Basic ${basic}`, env)).toBe('authorization: Basic [masked REDDIT_CLIENT_SECRET]');
  });

  it('masks the password of DATABASE_URL (and of any URL-valued variable), decoded or not', () => {
    const env = { DATABASE_URL: 'postgres://analyst:s3cr%40t-pw@db.internal:5432/socialsense', OTHER_URL: 'amqp://u:rabbit-pw-77@mq/' };
    expect(maskSecrets('connect postgres://analyst:s3cr%40t-pw@db.internal:5432/socialsense failed', env)).toBe(
      'connect postgres://analyst:[masked DATABASE_URL password]@db.internal:5432/socialsense failed',
    );
    expect(maskSecrets('password authentication failed: s3cr@t-pw', env)).toBe('password authentication failed: [masked DATABASE_URL password]');
    expect(maskSecrets('rabbit-pw-77', env)).toBe('[masked OTHER_URL password]');
    expect(
      secretValues(env)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['DATABASE_URL password', 'OTHER_URL password']);
  });

  it('masks a longer secret whole when a shorter one is inside it', () => {
    const inner = secret();
    const env = { X_BEARER_TOKEN: `${inner}XYZ123`, FACEBOOK_ACCESS_TOKEN: inner };
    expect(maskSecrets(`${inner}XYZ123 and ${inner}`, env)).toBe('[masked X_BEARER_TOKEN] and [masked FACEBOOK_ACCESS_TOKEN]');
  });

  it('also masks the values of process.env, which is what workers read', () => {
    const value = secret();
    process.env.SOME_SERVICE_API_KEY = value;
    try {
      expect(maskSecrets(`key ${value}`)).toBe('key [masked SOME_SERVICE_API_KEY]');
      expect(maskSecrets(`key ${value}`, { OTHER: 'x' })).toBe('key [masked SOME_SERVICE_API_KEY]');
    } finally {
      delete process.env.SOME_SERVICE_API_KEY;
    }
  });

  it('leaves values that are public in the deployment, and values too short to mask meaningfully', () => {
    const env = { S3_ACCESS_KEY: 'socialsense', S3_BUCKET: 'socialsense', X_BEARER_TOKEN: 'abc' };
    expect(maskSecrets('stored s3://socialsense/clean/x.ndjson.gz', env)).toBe('stored s3://socialsense/clean/x.ndjson.gz');
    expect(maskSecrets('abc', env)).toBe('abc');
    expect(maskSecrets('', env)).toBe('');
  });
});

describe('maskSecrets: anything shaped like a credential, configured here or not', () => {
  const cases: Array<[string, string, string]> = [
    ['bearer token', 'invalid token Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid', 'invalid token Bearer [masked bearer token]'],
    ['lower-case bearer', 'authorization: bearer abc.def-123_456', 'authorization: bearer [masked bearer token]'],
    ['basic', 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==', 'Authorization: Basic [masked basic token]'],
    ['sk- key', 'key sk-proj-AbCdEf0123456789xyz rejected', 'key [masked API key] rejected'],
    ['access_token param', 'GET /v21.0/me?access_token=EAAB12xyz&fields=id', 'GET /v21.0/me?access_token=[masked access_token]&fields=id'],
    ['client_secret form', 'grant_type=client_credentials&client_secret=abc123def', 'grant_type=client_credentials&client_secret=[masked client_secret]'],
    ['JSON password', '{"identifier":"me.bsky.social","password":"hunter2-x"}', '{"identifier":"me.bsky.social","password":"[masked password]"}'],
    ['JSON-escaped password', 'msg {\\"password\\":\\"hunter2-x\\"}', 'msg {\\"password\\":\\"[masked password]\\"}'],
    ['URL userinfo', 'cannot reach https://admin:pa55word@api.example.com/x', 'cannot reach https://admin:[masked password]@api.example.com/x'],
    ['JWT', 'session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok', 'session [masked JWT] ok'],
    ['AWS key id', 'AccessKeyId AKIAIOSFODNN7EXAMPLE is unknown', 'AccessKeyId [masked API key] is unknown'],
    ['GitHub token', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'token [masked API key]'],
  ];
  it.each(cases)('%s', (_name, text, masked) => {
    expect(maskSecrets(text, {})).toBe(masked);
  });

  const prose = [
    'Bearer credentials are required: check X_BEARER_TOKEN',
    'the token is invalid or expired, generate a new long-lived token',
    'basic functionality works; Basic tier or above',
    'next_token=b26v89c19zqg8o3fr5&max_results=100',
    'X rate limit reached (HTTP 429): retrying in 61s',
    'post_scores holds 226 rows for pipeline-simulated-2026-11-24',
  ];
  it.each(prose)('leaves ordinary text alone: %s', (text) => {
    expect(maskSecrets(text, {})).toBe(text);
  });
});

describe('messages built from platform bodies mask before they cut', () => {
  const token = secret('tok-');
  const env = { X_BEARER_TOKEN: token };

  it('snippet: a token straddling the cut leaves no prefix', () => {
    for (let pad = 140; pad <= 165; pad++) {
      const text = `${'x'.repeat(pad)} ${token}`;
      const out = snippet(text, 160, env);
      expect(out).not.toContain(token.slice(0, 8));
      expect(out.length).toBeLessThanOrEqual(161);
    }
  });

  it('errorDetail masks every field it quotes', () => {
    expect(errorDetail({ error: { message: `bad token ${token}`, type: 'OAuthException' } }, env)).toBe('bad token [masked X_BEARER_TOKEN]; OAuthException');
    expect(errorDetail({ errors: [{ message: `Bearer ${token}` }] }, env)).toBe('Bearer [masked X_BEARER_TOKEN]');
    expect(errorDetail(`<html>${token}</html>`, env)).toBe('<html>[masked X_BEARER_TOKEN]</html>');
  });
});

describe('maskError and maskDeep', () => {
  it('masks message, stack, details and causes, and keeps the failure what it was', () => {
    const token = secret();
    const env = { FACEBOOK_ACCESS_TOKEN: token };
    const cause = new Error(`socket to ?access_token=${token}`);
    const f = ApplicationFailure.create({
      message: `Graph said ${token}`,
      type: 'BadCredentials',
      nonRetryable: true,
      details: [{ echoed: token, nested: [token] }],
      cause,
    });
    const masked = maskError(f, env);
    expect(masked).toBe(f);
    expect(masked).toBeInstanceOf(ApplicationFailure);
    expect({ type: masked.type, nonRetryable: masked.nonRetryable }).toEqual({ type: 'BadCredentials', nonRetryable: true });
    expect(masked.message).toBe('Graph said [masked FACEBOOK_ACCESS_TOKEN]');
    expect(masked.stack).not.toContain(token);
    expect(masked.details).toEqual([{ echoed: '[masked FACEBOOK_ACCESS_TOKEN]', nested: ['[masked FACEBOOK_ACCESS_TOKEN]'] }]);
    expect((masked.cause as Error).message).toBe('socket to ?access_token=[masked FACEBOOK_ACCESS_TOKEN]');
  });

  it('passes non-errors through, and maskDeep copies plain data only', () => {
    expect(maskError('text')).toBe('text');
    expect(maskError(null)).toBe(null);
    const token = secret();
    const date = new Date(0);
    expect(maskDeep({ a: [token, 1, { b: token }], d: date }, { X_BEARER_TOKEN: token })).toEqual({
      a: ['[masked X_BEARER_TOKEN]', 1, { b: '[masked X_BEARER_TOKEN]' }],
      d: date,
    });
  });
});

describe('worker interceptor: every activity failure is masked before the server stores it', () => {
  it('masks what an activity throws, whatever built it, and keeps its type', async () => {
    const { MockActivityEnvironment } = await import('@temporalio/testing');
    const { maskActivityFailures } = await import('../../workers/maskFailures');
    const password = secret('pw-');
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = `postgres://app:${password}@db.internal:5432/socialsense`;
    try {
      const failing = async () => {
        throw ApplicationFailure.create({
          message: `connect ${process.env.DATABASE_URL} failed`,
          type: 'DbDown',
          details: [{ url: process.env.DATABASE_URL }],
        });
      };
      const masked = new MockActivityEnvironment(undefined, { interceptors: [maskActivityFailures] });
      const err = await masked.run(failing).then(
        () => null,
        (e: ApplicationFailure) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err!.type).toBe('DbDown');
      expect(err!.message).toBe('connect postgres://app:[masked DATABASE_URL password]@db.internal:5432/socialsense failed');
      expect(JSON.stringify(err!.details)).not.toContain(password);
      // without the interceptor the same activity leaks: the test above is not vacuous
      const raw = await new MockActivityEnvironment().run(failing).then(
        () => null,
        (e: ApplicationFailure) => e,
      );
      expect(raw!.message).toContain(password);
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });
});
