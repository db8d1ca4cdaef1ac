import { describe, expect, it } from 'vitest';
import { normalizePlatformName, platformNameProblem, PLATFORM_NAME, POST_ID } from '../../lib/platformName';
import { postSchema } from '../../lib/schema';
import { checkQuarantineShare } from '../../workflows/pipeline';
import { canonicalJson, fnv1a64, normalizeLanguages, pipelineRunKey, runDigest, runIdentity } from '../../workflows/runIdentity';
import { createPlatformCollectActivities, instanceInput } from '../../activities/collect/platformActivities';
import type { ApplicationFailure } from '@temporalio/common';

const base = { source: 'simulated', date: '2026-11-24', days: 1 };

describe('run identity: every input that changes the data gives another run', () => {
  const variants: Array<[string, Parameters<typeof pipelineRunKey>[0]]> = [
    ['days', { ...base, days: 3 }],
    ['date', { ...base, date: '2026-11-23' }],
    ['posts', { ...base, posts: 100 }],
    ['seed', { ...base, seed: 7 }],
    ['users', { ...base, users: 50 }],
    ['languages', { ...base, languages: ['en'] }],
    ['source', { ...base, source: 'mastodon', query: 'climate' }],
  ];
  it.each(variants)('%s differs → a different id', (_name, input) => {
    expect(pipelineRunKey(input)).not.toBe(pipelineRunKey(base));
  });

  it('the ids of all the variants are pairwise distinct', () => {
    const ids = [base, ...variants.map(([, v]) => v)].map((v) => pipelineRunKey(v));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('platform sources: query, window and maximum posts each make another run', () => {
    const p = { source: 'mastodon', query: 'climate', date: '2026-11-24', days: 1 };
    const ids = [p, { ...p, query: 'weather' }, { ...p, days: 2 }, { ...p, posts: 50 }, { ...p, since: '2026-11-20' }, { ...p, until: '2026-11-24' }].map((v) =>
      pipelineRunKey(v),
    );
    expect(new Set(ids).size).toBe(ids.length);
    // a window given by days or by the same explicit bounds is the same window
    expect(pipelineRunKey({ ...p, days: 2 })).toBe(pipelineRunKey({ ...p, since: '2026-11-23', until: '2026-11-25', days: 2 }));
  });

  it("a federated platform's instance: another instance is another run; the default instance keeps the keys it had", async () => {
    const p = { source: 'mastodon', query: 'climate', date: '2026-11-24', days: 1 };
    const key = pipelineRunKey(p);
    expect(key).toBe('pipeline-mastodon-2026-11-24-' + runDigest(p)); // no instance: the key of every run before instances
    const a = pipelineRunKey({ ...p, instance: 'fosstodon.org' });
    const b = pipelineRunKey({ ...p, instance: 'mastodon.example:8443' });
    expect(new Set([key, a, b]).size).toBe(3);
    // what the starting side puts in a run's input, from its environment
    expect(instanceInput('mastodon', {})).toEqual({});
    expect(instanceInput('mastodon', { MASTODON_BASE_URL: 'https://mastodon.social' })).toEqual({}); // the default, named
    expect(instanceInput('mastodon', { MASTODON_BASE_URL: 'https://fosstodon.org/' })).toEqual({ instance: 'fosstodon.org' });
    expect(instanceInput('mastodon', { MASTODON_BASE_URL: 'http://127.0.0.1:18555/mastodon' })).toEqual({ instance: '127.0.0.1:18555' });
    expect(instanceInput('x', { X_API_BASE_URL: 'http://127.0.0.1:9' })).toEqual({}); // one service: no instances
    expect(instanceInput('simulated', {})).toEqual({});
  });

  it('a worker configured for another instance refuses the run, naming both and the setting, before any request', async () => {
    const input = { source: 'mastodon', query: 'climate', since: '2026-11-24', until: '2026-11-25' };
    const worker = (env: Record<string, string>) => createPlatformCollectActivities({ store: null as never, env });
    /** what a collection attempt was refused with; a collection that went ahead fails the test */
    const refusal = (run: Promise<unknown>) =>
      run.then(
        () => ({ type: null, nonRetryable: null, message: 'collected: not refused' }),
        (e: ApplicationFailure) => ({ type: e.type, nonRetryable: e.nonRetryable, message: e.message }),
      );
    const started = await refusal(worker({ MASTODON_BASE_URL: 'https://fosstodon.org' }).collectPlatform({ ...input, instance: 'hachyderm.io' }));
    expect(started).toEqual({
      type: 'ConfigError',
      nonRetryable: true,
      message:
        'this mastodon run was started for hachyderm.io, but this worker collects from fosstodon.org: set MASTODON_BASE_URL the same where runs are started (the CLI, the API) and on the workers',
    });
    // a run that names no instance (started where MASTODON_BASE_URL is not set) is not refused: it gets as far as
    // collecting, which needs the activity context this test does not give
    const unset = await refusal(worker({ MASTODON_BASE_URL: 'https://fosstodon.org' }).collectPlatform(input));
    expect(unset.message).not.toMatch(/was started for/);
    const backwards = await refusal(worker({}).collectPlatform({ ...input, instance: 'fosstodon.org' }));
    expect(backwards.message).toMatch(/started for fosstodon\.org, but this worker collects from mastodon\.social \(the default\)/);
  });

  it('the same input written differently is the same run (defaults, language order and case)', () => {
    expect(pipelineRunKey({ ...base, posts: 500, seed: 42, users: 300 })).toBe(pipelineRunKey(base));
    expect(pipelineRunKey({ source: 'simulated', date: '2026-11-24' })).toBe(pipelineRunKey(base)); // days defaults to 1
    expect(pipelineRunKey({ ...base, languages: ['es', 'EN', ' en'] })).toBe(pipelineRunKey({ ...base, languages: ['en', 'es'] }));
    expect(pipelineRunKey({ ...base, languages: [] })).toBe(pipelineRunKey(base)); // no filter either way
  });

  it('reads well: source, day and a 12-digit digest', () => {
    expect(pipelineRunKey(base)).toMatch(/^pipeline-simulated-2026-11-24-[0-9a-f]{12}$/);
  });

  it('files: identified by content, mapping, platform and languages; not by the day they were imported', () => {
    const f = (over: object = {}, digest = 'a'.repeat(64)) =>
      pipelineRunKey({ source: 'file', date: '2026-11-24', file: { path: '/data/campaign_a.csv', ...over } }, { fileDigest: digest });
    expect(f()).toMatch(/^pipeline-file-campaign_a\.csv-[0-9a-f]{12}$/);
    expect(f({}, 'b'.repeat(64))).not.toBe(f()); // other content
    expect(f({ mapping: { text: 'body' } })).not.toBe(f());
    expect(f({ platform: 'p2' })).not.toBe(f());
    expect(f({ format: 'tsv' })).not.toBe(f());
    // the same content under another day, another name or another folder is the same import
    expect(pipelineRunKey({ source: 'file', date: '2024-06-03', file: { path: '/data/campaign_a.csv' } }, { fileDigest: 'a'.repeat(64) })).toBe(f());
    expect(runIdentity({ source: 'file', file: { path: '/x/other.csv' } }, { fileDigest: 'a'.repeat(64) })).toEqual(
      runIdentity({ source: 'file', file: { path: '/data/campaign_a.csv' } }, { fileDigest: 'a'.repeat(64) }),
    );
    // the default platform and an explicit "file" are one run; an unset mapping entry is no mapping
    expect(f({ platform: 'file' })).toBe(f());
    expect(f({ mapping: { text: undefined } })).toBe(f());
    // without a readable file, the path identifies it
    expect(pipelineRunKey({ source: 'file', file: { path: 'a.csv' } })).not.toBe(pipelineRunKey({ source: 'file', file: { path: 'b.csv' } }));
  });

  it('a file name with spaces or slashes becomes a safe part of the id', () => {
    expect(pipelineRunKey({ source: 'file', file: { path: 'C:\\exports\\my posts (1).csv' } })).toMatch(/^pipeline-file-my_posts_1_\.csv-[0-9a-f]{12}$/);
  });
});

describe('digest helpers', () => {
  it('fnv1a64 matches the published FNV-1a 64-bit test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('canonicalJson sorts keys at every depth and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('normalizeLanguages: a sorted set of lower-case codes, or null for none', () => {
    expect(normalizeLanguages(['es', ' EN', 'en', ''])).toEqual(['en', 'es']);
    expect(normalizeLanguages([])).toBeNull();
    expect(normalizeLanguages(null)).toBeNull();
  });
});

describe('platform names: one pattern for the CLI, the collect workflow and the post schema', () => {
  const valid = ['p2', 'x', 'file', 'my-platform', 'forum_2024', 'a'.repeat(32)];
  const invalid = ['P2', 'My Platform', '2p', '', '-x', 'x:y', 'a'.repeat(33), 'plat form', 'é'];

  it.each(valid)('accepts %j, and the schema accepts posts under it', (name) => {
    expect(platformNameProblem(name)).toBeNull();
    const parsed = postSchema.safeParse({ id: `${name}:q1`, platform: name, author: { id: 'a', handle: 'a' }, text: 'hi', created_at: '2026-10-01T07:00:00Z' });
    expect(parsed.success).toBe(true);
  });

  it.each(invalid)('refuses %j with the allowed pattern', (name) => {
    expect(PLATFORM_NAME.test(name)).toBe(false);
    expect(platformNameProblem(name)).toMatch(/\^\[a-z\]\[a-z0-9_-\]\{0,31\}\$/);
  });

  it('the id pattern is the platform pattern plus ":native_id"', () => {
    expect(POST_ID.test('p2:q1')).toBe(true);
    expect(POST_ID.test('p2:')).toBe(false);
    expect(POST_ID.test('My Platform:q1')).toBe(false);
  });

  it('the CLI lowers upper case and trims, and refuses what is still invalid', () => {
    expect(normalizePlatformName('X')).toBe('x');
    expect(normalizePlatformName(' P2 ')).toBe('p2');
    expect(() => normalizePlatformName('My Platform')).toThrow(/platform name "My Platform" is not allowed: use a lower-case letter/);
  });
});

describe('the quarantine share check', () => {
  it('flags a run when strictly more than the allowed share is quarantined', () => {
    expect(checkQuarantineShare(4, 3, 0.5)).toMatchObject({ quarantineShare: 0.75, tooManyQuarantined: true });
    expect(checkQuarantineShare(4, 2, 0.5)).toMatchObject({ quarantineShare: 0.5, tooManyQuarantined: false, warning: null });
    expect(checkQuarantineShare(4, 3, 0.8).tooManyQuarantined).toBe(false);
    expect(checkQuarantineShare(10, 1, 0).tooManyQuarantined).toBe(true); // 0 = no quarantine tolerated
    expect(checkQuarantineShare(0, 0, 0)).toMatchObject({ quarantineShare: 0, tooManyQuarantined: false });
  });

  it('says how many, what share and what was allowed', () => {
    expect(checkQuarantineShare(4, 3, 0.5).warning).toBe(
      '3 of 4 posts (75%) were quarantined, more than the allowed 50%: see the reasons in the quarantine zone (datasets.quarantine)',
    );
  });
});
