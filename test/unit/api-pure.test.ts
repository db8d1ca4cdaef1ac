import { describe, expect, it } from 'vitest';
import { auditable } from '../../api/audit';
import { keyLookup, looksLikeApiKey } from '../../api/auth/keys';
import { oidcConfigFromEnv } from '../../api/auth/oidc';
import { roleAllows, ROLES, strongestRole } from '../../api/auth/roles';
import { ApiError, decodeCursor, encodeCursor, page } from '../../api/http';
import { backfillOutcome } from '../../api/routes/control';
import type { BackfillProgress } from '../../workflows/backfill';
import { describeSchemaError } from '../../api/validationErrors';
import { ConfigError } from '../../lib/config';

describe('roles', () => {
  it('each role includes every role below it and none above', () => {
    for (const [i, role] of ROLES.entries()) {
      for (const [j, required] of ROLES.entries()) expect(roleAllows(role, required), `${role} → ${required}`).toBe(i >= j);
    }
  });

  it('the strongest role named in a claim wins; other values are ignored', () => {
    expect(strongestRole(['viewer', 'operator', 'offline_access'])).toBe('operator');
    expect(strongestRole('analyst viewer')).toBe('analyst');
    expect(strongestRole('viewer,admin')).toBe('admin');
    expect(strongestRole(['ADMIN '])).toBe('admin');
    expect(strongestRole(['superuser', 'uma_authorization'])).toBeNull();
    expect(strongestRole(undefined)).toBeNull();
    expect(strongestRole({ admin: true })).toBeNull();
    expect(strongestRole([1, null, 'viewer'])).toBe('viewer');
  });
});

describe('API keys', () => {
  it('finds the public lookup part of a well-formed key only', () => {
    const key = `ssk_0123456789abcdef_${'A'.repeat(43)}`;
    expect(keyLookup(key)).toBe('0123456789abcdef');
    expect(looksLikeApiKey(key)).toBe(true);
    for (const bad of [
      'ssk_0123456789ABCDEF_' + 'A'.repeat(43),
      'ssk_0123456789abcdef_' + 'A'.repeat(42),
      `ssk_0123456789abcdef_${'A'.repeat(43)}x`,
      'eyJhbGciOi.x.y',
      '',
    ]) {
      expect(keyLookup(bad), bad).toBeNull();
    }
    expect(looksLikeApiKey('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
  });
});

describe('audit entries', () => {
  it('mask secret-looking fields at any depth and keep the rest', () => {
    expect(auditable({ role: 'viewer', name: 'x', key: 'ssk_1', keyId: 4, nested: { clientSecret: 's', accessToken: 't', password: 'p', posts: 3 } })).toEqual({
      role: 'viewer',
      name: 'x',
      key: '***',
      keyId: 4,
      nested: { clientSecret: '***', accessToken: '***', password: '***', posts: 3 },
    });
    expect(String(auditable('x'.repeat(1000))).length).toBe(301);
    expect((auditable(Array.from({ length: 50 }, (_, i) => i)) as number[]).length).toBe(20);
  });
});

describe('cursors', () => {
  const q = (cursor?: string, filters: Record<string, unknown> = { from: '2026-11-28' }, limit = 2) => ({ ...filters, limit, cursor });

  it('round-trip the sort key of the last item', () => {
    const c = encodeCursor([1711000000000000, 'x:1'], q());
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(q(c), ['number', 'string'])).toEqual([1711000000000000, 'x:1']);
    expect(decodeCursor(q(undefined), ['number'])).toBeNull();
  });

  const refusal = (query: ReturnType<typeof q>, kinds: Array<'number' | 'string' | 'date'>): string => {
    try {
      decodeCursor(query, kinds);
    } catch (e) {
      expect(e, query.cursor).toBeInstanceOf(ApiError);
      expect((e as ApiError).statusCode).toBe(400);
      return (e as ApiError).message;
    }
    throw new Error(`cursor ${query.cursor} was accepted`);
  };

  it('refuse anything this API did not give out, with a 400', () => {
    const scope = (values: unknown[]) => JSON.parse(Buffer.from(encodeCursor(values as number[], q()), 'base64url').toString()).at(-1);
    for (const [cursor, kinds] of [
      ['AAAA', ['number']],
      [encodeCursor(['x'], q()), ['number']],
      [encodeCursor([1.5], q()), ['number']],
      [encodeCursor([1, 2], q()), ['number']],
      [encodeCursor(['not a date'], q()), ['date']],
      [Buffer.from('{"a":1}').toString('base64url'), ['string']],
      // the unbound cursors of before: no filter scope
      [Buffer.from('[1]').toString('base64url'), ['number']],
      [Buffer.from(JSON.stringify([1, 7])).toString('base64url'), ['number']],
      [Buffer.from(JSON.stringify([1, scope([1])])).toString('base64url'), ['number', 'number']],
    ] as Array<[string, Array<'number' | 'string' | 'date'>]>) {
      expect(refusal(q(cursor), kinds)).toBe('cursor is not one this endpoint gave out: pass the nextCursor of the previous page unchanged');
    }
  });

  it('are bound to the filters of the query that gave them out, not to its page size', () => {
    const c = encodeCursor([5, 'x:5'], q(undefined, { from: '2026-11-28', to: '2026-11-28', platform: 'x' }, 30));
    const otherFilters =
      'cursor was given out for other filters: send the same parameters as the first page (limit may change), or leave cursor out to start again';
    for (const filters of [
      { from: '2026-11-27', to: '2026-11-28', platform: 'x' }, // another value
      { from: '2026-11-28', platform: 'x' }, // a filter left out
      { from: '2026-11-28', to: '2026-11-28', platform: 'x', q: 'rain' }, // a filter added
      {},
    ])
      expect(refusal(q(c, filters), ['number', 'string']), JSON.stringify(filters)).toBe(otherFilters);
    // the same filters in another order, another limit, or an absent one sent as undefined: the same query
    expect(decodeCursor(q(c, { platform: 'x', to: '2026-11-28', from: '2026-11-28', q: undefined }, 50), ['number', 'string'])).toEqual([5, 'x:5']);
  });

  it('a page has a next cursor exactly when there were more rows than the limit', () => {
    const rows = [{ id: 3 }, { id: 2 }, { id: 1 }];
    const full = page(
      rows,
      q(),
      (r) => [r.id],
      (r) => r.id,
    );
    expect(full.items).toEqual([3, 2]);
    expect(decodeCursor(q(full.nextCursor!), ['number'])).toEqual([2]);
    expect(
      page(
        rows.slice(0, 2),
        q(),
        (r) => [r.id],
        (r) => r.id,
      ).nextCursor,
    ).toBeNull();
  });
});

describe('OIDC settings', () => {
  const base = { SOCIALSENSE_OIDC_ISSUER: 'https://idp', SOCIALSENSE_OIDC_AUDIENCE: 'api', SOCIALSENSE_OIDC_JWKS_URL: 'https://idp/certs' };
  it('none set: keys only; all set: the claim defaults to roles', () => {
    expect(oidcConfigFromEnv({})).toBeNull();
    expect(oidcConfigFromEnv(base)).toEqual({ issuer: 'https://idp', audience: 'api', jwksUrl: 'https://idp/certs', rolesClaim: 'roles' });
    expect(oidcConfigFromEnv({ ...base, SOCIALSENSE_OIDC_ROLES_CLAIM: 'realm_access.roles' })?.rolesClaim).toBe('realm_access.roles');
  });
  it('half a configuration or a JWKS URL that is no URL is an error naming the variables', () => {
    expect(() => oidcConfigFromEnv({ SOCIALSENSE_OIDC_ISSUER: 'https://idp' })).toThrow(/SOCIALSENSE_OIDC_AUDIENCE, SOCIALSENSE_OIDC_JWKS_URL missing/);
    expect(() => oidcConfigFromEnv({ ...base, SOCIALSENSE_OIDC_JWKS_URL: 'idp/certs' })).toThrow(ConfigError);
  });
});

describe('schema error messages', () => {
  it('say what to send for the keywords the integration tests do not reach', () => {
    expect(describeSchemaError([{ keyword: 'required', instancePath: '/file', params: { missingProperty: 'path' } }])).toBe(
      'body/file must have the field "path"',
    );
    expect(describeSchemaError([{ keyword: 'format', instancePath: '/since', params: { format: 'date-time' }, data: 'noon' }], 'querystring')).toBe(
      'querystring/since must be a time in ISO 8601 with its offset, e.g. 2026-11-24T09:30:00Z, got "noon"',
    );
    expect(describeSchemaError([{ keyword: 'format', instancePath: '/id', params: { format: 'uuid' }, data: 'x' }], 'params')).toBe(
      'params/id must be in the format "uuid", got "x"',
    );
    expect(describeSchemaError([{ keyword: 'type', instancePath: '/posts', params: { type: 'integer' }, data: '10' }])).toBe(
      'body/posts must be of type integer, got "10"',
    );
    expect(
      describeSchemaError([
        { keyword: 'maxLength', instancePath: '/query', params: { limit: 200 }, message: 'must NOT have more than 200 characters', data: 'q'.repeat(300) },
      ]),
    ).toBe(`body/query must NOT have more than 200 characters, got "${'q'.repeat(56)}...`);
    expect(describeSchemaError([], 'headers')).toBe('headers is not valid');
  });
});

describe('backfill outcome', () => {
  const progress = (p: Partial<BackfillProgress>): BackfillProgress => ({
    daysTotal: 2,
    daysDone: 2,
    daysSkipped: 0,
    daysFailed: 0,
    daysRunning: 0,
    posts: 10,
    failed: [],
    paused: false,
    cancelled: false,
    ...p,
  });
  it('tells a cancelled or failed backfill from a completed one, though Temporal calls all three COMPLETED', () => {
    expect(backfillOutcome('COMPLETED', progress({ cancelled: true, daysDone: 1 }))).toBe('cancelled');
    expect(backfillOutcome('COMPLETED', progress({ paused: true }))).toBe('completed'); // paused while its last day ran
    expect(backfillOutcome('COMPLETED', progress({}))).toBe('completed');
    // a day that failed all its attempts fails the backfill, as `socialsense runs` and /v1/runs/{id} say (it said completed)
    const failed = [{ date: '2026-11-28', error: 'X_BEARER_TOKEN is not set' }];
    expect(backfillOutcome('COMPLETED', progress({ daysDone: 0, daysFailed: 2, failed: [...failed, { ...failed[0], date: '2026-11-29' }] }))).toBe('failed');
    expect(backfillOutcome('COMPLETED', progress({ daysDone: 1, daysFailed: 1, failed }))).toBe('failed');
    expect(backfillOutcome('COMPLETED', progress({ daysDone: 0, daysFailed: 1, failed, cancelled: true }))).toBe('failed');
    expect(backfillOutcome('COMPLETED', null)).toBe('completed'); // no worker answered the query
    expect(backfillOutcome('RUNNING', progress({ paused: true, daysDone: 0 }))).toBe('paused');
    expect(backfillOutcome('RUNNING', progress({ daysFailed: 1, failed }))).toBe('running');
    expect(backfillOutcome('RUNNING', null)).toBe('running'); // no worker answered the query
    expect(backfillOutcome('CANCELLED', null)).toBe('cancelled');
    for (const s of ['FAILED', 'TERMINATED', 'TIMED_OUT']) expect(backfillOutcome(s, null), s).toBe('failed');
  });
});
