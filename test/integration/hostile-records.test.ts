import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNdjson } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import { findUnsafeChar } from '../../models/text/sanitize';
import { socialSensePipeline, type PipelineInput } from '../../workflows/pipeline';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * Issue 11 §2, the whole kind: records that Postgres or JSON cannot hold as they are (NUL, unpaired surrogates,
 * control characters and terminal escapes, noncharacters), and records that are merely hostile (a 100 KB text,
 * markup, `<script>`, SQL, bidi overrides, emoji sequences), imported from a file and run through every stage
 * (import → preprocess → features → score → profiles) on the real local stack. Each one is either scored with
 * exactly the expected text, or quarantined with its reason; the run completes and its accounting balances.
 */

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-hostile-'));
const caseDir = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cases', name);
const firstJsonLine = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]) as Record<string, string>;

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'hostile');
});

afterAll(async () => {
  await workers?.stop();
  await stack?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const runPipeline = (input: PipelineInput) =>
  stack.client.workflow.execute(socialSensePipeline, { taskQueue: workers.taskQueue, workflowId: uniqueId('hostile-it'), args: [input] });

// Control characters, DEL, C1, noncharacters and bidi overrides/isolates, as a Postgres regular expression.
const UNSAFE_PG_RE = '[\\x01-\\x08\\x0B-\\x1F\\x7F-\\x9F\\uFFFE\\uFFFF\\uFDD0-\\uFDEF\\u202A-\\u202E\\u2066-\\u2069]';

/** Every string (and key) inside a parsed JSON value that still holds a character sanitising removes. */
function unsafeStrings(value: unknown): string[] {
  if (typeof value === 'string') return findUnsafeChar(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(unsafeStrings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [...unsafeStrings(k), ...unsafeStrings(v)]);
  return [];
}

interface Hostile {
  /** native id suffix */
  key: string;
  text: string;
  author?: string;
  handle?: string;
  /** the exact text stored in post_scores, or the quarantine reason it must match */
  expect: { text: string; hashtags?: string[]; authorId?: string } | { quarantined: RegExp };
}

describe('hostile records through every stage of a file-import run', () => {
  it('scores each sanitised record with exactly the expected text, quarantines the empty one with its reason, and balances', async () => {
    const tag = uniqueId('h').replace(/-/g, '');
    const nul = firstJsonLine(path.join(caseDir('09-nul-char-in-text'), 'comments.ndjson')).body;
    const truncated = firstJsonLine(path.join(caseDir('10-lone-surrogate-truncated'), 'tweets.jsonl')).text;
    const mastodon = firstJsonLine(path.join(caseDir('13-mastodon-html-content'), 'statuses.jsonl')).content;
    const sentence = 'The weather is lovely today and everyone at the park seems happy. ';
    const long = sentence.repeat(Math.ceil(100_000 / sentence.length)).trim();
    expect(long.length).toBeGreaterThan(100_000);
    const records: Hostile[] = [
      { key: 'nul', text: nul, expect: { text: 'Pasted from my notes app and the formatting broke anyway the new update fixed my battery drain' } },
      { key: 'lonehigh', text: truncated, expect: { text: 'RT @demo_surfer: Best waves of the season today, the whole crew showed up \ufffd' } },
      { key: 'lonelow', text: '\udc00 starts with half an emoji, still a good day', expect: { text: '\ufffd starts with half an emoji, still a good day' } },
      {
        key: 'controls',
        text: 'alert \u001b[31mRED\u001b[0m text\u0007 with a bell,\u0085next line and DEL\u007f',
        expect: { text: 'alert RED text with a bell, next line and DEL' },
      },
      { key: 'osc', text: '\u001b]0;owned terminal\u0007window title trick for the report', expect: { text: 'window title trick for the report' } },
      { key: 'nonchar', text: 'odd \ufffe chars \uffff here \ud83f\udffe too', expect: { text: 'odd chars here too' } },
      {
        key: 'escaped',
        text: 'a literal \\u0000 escape and \\ud83c half, decoded then cleaned',
        expect: { text: 'a literal escape and \ufffd half, decoded then cleaned' },
      },
      {
        key: 'handle',
        text: 'my handle is hostile but my words are fine',
        author: `u\u0000${tag}\u202e`,
        handle: '\u202eevil\u202c_\u0000admin\u001b[2J',
        expect: { text: 'my handle is hostile but my words are fine', authorId: `file:u${tag}` },
      },
      { key: 'long', text: long, expect: { text: long } },
      { key: 'empty', text: '\u0000\u0001\u001b[2J\u007f', expect: { quarantined: /empty/ } },
      { key: 'script', text: 'nice post <script>alert("xss")</script> really', expect: { text: 'nice post <script>alert("xss")</script> really' } },
      { key: 'sql', text: "Robert'); DROP TABLE post_scores;-- what a great day", expect: { text: "Robert'); DROP TABLE post_scores;-- what a great day" } },
      { key: 'rtl', text: 'invoice \u202egpj.exe\u202c attached, looks fine to me', expect: { text: 'invoice gpj.exe attached, looks fine to me' } },
      { key: 'isolate', text: 'quote \u2067مرحبا بالعالم\u2069 from a friend\u200f today', expect: { text: 'quote مرحبا بالعالم from a friend\u200f today' } },
      { key: 'emoji', text: 'family day 👨‍👩‍👧 👍🏽 ❤️ 🏳️‍🌈 🧑🏿‍💻 so happy', expect: { text: 'family day 👨‍👩‍👧 👍🏽 ❤️ 🏳️‍🌈 🧑🏿‍💻 so happy' } },
      { key: 'html', text: mastodon, expect: { text: 'Heat record broken again in our town #climate', hashtags: ['climate'] } },
      {
        key: 'htmlscript',
        text: '<p>Hello there <a href="https://e.example/tags/Birds" class="mention hashtag" rel="tag">#<span>Birds</span></a></p><script>steal(document.cookie)</script><style>p{}</style>',
        expect: { text: 'Hello there #Birds', hashtags: ['birds'] },
      },
    ];
    const file = path.join(tmp, 'hostile.jsonl');
    // JSON.stringify writes NUL and unpaired surrogates as \u escapes, as real exports carry them.
    fs.writeFileSync(
      file,
      records
        .map((r, i) =>
          JSON.stringify({
            id: `${tag}-${r.key}`,
            text: r.text,
            created_at: `2024-05-13T${String(8 + (i % 12)).padStart(2, '0')}:00:00Z`,
            author_id: r.author ?? `${tag}-a${i}`,
            author_handle: r.handle ?? `user${i}`,
            lang: 'en',
          }),
        )
        .join('\n') + '\n',
    );

    const summary = await runPipeline({ source: 'file', file: { path: file } });

    const quarantinedKeys = records.filter((r) => 'quarantined' in r.expect).map((r) => r.key);
    expect(summary.postsIn).toBe(records.length);
    expect(summary.postsIn).toBe(summary.scored + summary.filtered + summary.quarantined);
    expect(summary).toMatchObject({ scored: records.length - quarantinedKeys.length, filtered: 0, quarantined: quarantinedKeys.length });
    expect(summary.counts.quarantinedAtScore ?? 0).toBe(0); // sanitised in preprocess: nothing left for Postgres to refuse
    // Posts the sanitiser changed and that were scored: those with unsafe code points in a field (NUL, C0/C1
    // controls, lone surrogates, noncharacters, bidi overrides and isolates). Not `escaped` (its text is plain ASCII: the
    // \\u escapes are decoded and cleaned by normalizeText afterwards), not `empty` (quarantined), nor the clean ones.
    const sanitizedKeys = ['nul', 'lonehigh', 'lonelow', 'controls', 'osc', 'nonchar', 'handle', 'rtl', 'isolate'];
    expect(summary.counts.sanitized).toBe(sanitizedKeys.length);
    expect(summary.read).toEqual({ format: 'jsonl' });

    // What each quarantined record became: its reason names it.
    const reasons = (await Promise.all(summary.datasets.quarantine.map((ref) => readNdjson<{ reason: string; record: unknown }>(stack.store, ref)))).flat();
    expect(reasons).toHaveLength(quarantinedKeys.length);
    for (const r of records) {
      if (!('quarantined' in r.expect)) continue;
      const q = reasons.find((x) => JSON.stringify(x).includes(`${tag}-${r.key}`));
      expect(q, r.key).toBeDefined();
      expect(q!.reason).toMatch(r.expect.quarantined);
      expect(findUnsafeChar(JSON.stringify(q))).toBeNull();
    }

    // What each scored record became: exactly the expected text, in Postgres.
    const ids = records.map((r) => `file:${tag}-${r.key}`);
    const { rows } = await stack.db.query<{ post_id: string; text: string; author_id: string; hashtags: string[]; lang: string | null }>(
      'SELECT post_id, text, author_id, hashtags, lang FROM post_scores WHERE post_id = ANY($1)',
      [ids],
    );
    const byId = new Map(rows.map((row) => [row.post_id, row]));
    for (const r of records) {
      const row = byId.get(`file:${tag}-${r.key}`);
      if ('quarantined' in r.expect) {
        expect(row, r.key).toBeUndefined();
        continue;
      }
      expect(row, r.key).toBeDefined();
      expect(row!.text, r.key).toBe(r.expect.text);
      if (r.expect.hashtags) expect(row!.hashtags, r.key).toEqual(r.expect.hashtags);
      if (r.expect.authorId) expect(row!.author_id, r.key).toBe(r.expect.authorId);
      for (const value of [row!.post_id, row!.text, row!.author_id, row!.lang ?? '', ...row!.hashtags])
        expect(findUnsafeChar(value), `${r.key}: ${value.slice(0, 60)}`).toBeNull();
    }

    // And Postgres itself finds no control character, noncharacter or bidi override in any stored text column.
    const unsafe = await stack.db.query(
      `SELECT post_id FROM post_scores WHERE post_id = ANY($1)
         AND (text ~ $2 OR author_id ~ $2 OR post_id ~ $2 OR coalesce(lang, '') ~ $2 OR array_to_string(hashtags, ' ') ~ $2)`,
      [ids, UNSAFE_PG_RE],
    );
    expect(unsafe.rows).toEqual([]);
    // The pattern does find what it looks for (so the check above can fail).
    const probe = await stack.db.query('SELECT $1::text ~ $2 AS esc, $3::text ~ $2 AS bidi, $4::text ~ $2 AS clean', [
      'a\u001bb',
      UNSAFE_PG_RE,
      'x\u202ey',
      'plain 👍🏽',
    ]);
    expect(probe.rows[0]).toEqual({ esc: true, bidi: true, clean: false });

    // The profiles stage stored each author (the hostile handle's author under its cleaned id), in jsonb with no
    // unsafe string anywhere inside.
    const profiles = await stack.db.query<{ user_id: string; state: unknown; profile: unknown }>(
      "SELECT user_id, state, profile FROM user_profile_state WHERE user_id LIKE '%' || $1 || '%'",
      [tag],
    );
    expect(profiles.rows.map((r) => r.user_id)).toContain(`file:u${tag}`);
    expect(profiles.rows).toHaveLength(records.length - quarantinedKeys.length);
    for (const row of profiles.rows) expect(unsafeStrings(row), row.user_id).toEqual([]);

    const run = await stack.db.query('SELECT status FROM runs WHERE run_key = $1', [summary.runKey]);
    expect(run.rows[0].status).toBe('completed');
  }, 180_000);

  it('reads raw control bytes in a CSV (not JSON escapes) the same way: cleaned, scored, nothing lost', async () => {
    const tag = uniqueId('c').replace(/-/g, '');
    const file = path.join(tmp, 'hostile.csv');
    // Raw ESC, BEL, DEL and (UTF-8 encoded) C1 bytes in cells. A raw NUL byte is left out: the importer's sniffer
    // takes any NUL byte for a binary file (lib/tabular.ts), and that is its call, not this test's.
    const ordinary = 'An ordinary review of the new cafe on the corner, good coffee and friendly staff. '.repeat(8).trim();
    const csv = [
      'id,text,created_at,author_id,lang',
      `${tag}-1,"escape \u001b[1mbold\u001b[0m and a bell\u0007 here",2024-05-13T10:00:00Z,a1,en`,
      `${tag}-2,"next\u0085line and del\u007f and C1\u0090 gone",2024-05-13T11:00:00Z,a\u001b[31m2,en`,
      `${tag}-3,"${ordinary}",2024-05-13T12:00:00Z,a3,en`,
    ].join('\n');
    fs.writeFileSync(file, csv + '\n', 'utf8');
    expect(fs.readFileSync(file).includes(0x1b)).toBe(true); // the bytes really are raw in the file
    const summary = await runPipeline({ source: 'file', file: { path: file } });
    expect(summary).toMatchObject({ postsIn: 3, scored: 3, filtered: 0, quarantined: 0 });
    const stored = await stack.db.query<{ post_id: string; text: string; author_id: string }>(
      'SELECT post_id, text, author_id FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id',
      [[1, 2, 3].map((i) => `file:${tag}-${i}`)],
    );
    expect(stored.rows.map((r) => r.text)).toEqual(['escape bold and a bell here', 'next line and del and C1 gone', ordinary]);
    expect(stored.rows.map((r) => r.author_id)).toEqual(['file:a1', 'file:a2', 'file:a3']);
  }, 120_000);
});
