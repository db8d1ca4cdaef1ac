import { knownCount, scoreAsLikes } from '../../activities/collect/platforms/mapping';
import { afterAll, describe, expect, it } from 'vitest';
import { fileFormatNamed } from '../../lib/fileFormat';
import { fileFormatOption } from '../../cli/options';
import fs from 'node:fs';
import { uniqueColumnNames } from '../../lib/tabular';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { parse as csvParseSync } from 'csv-parse/sync';
import {
  createFileCollectActivities,
  detectFormat,
  parseJsonKeepingBigInts,
  mayHoldUnsafeInteger,
  exactIntegerDigits,
  nonFiniteAsNull,
  recordToPost,
  resolveMapping,
  rowNumberIds,
  idsLostDigits,
  SAMPLE_RECORDS,
  snowflakeTime,
  type FileImportInput,
} from '../../activities/collect/file';
import { idString, recogniseRecord } from '../../activities/collect/fileShapes';
import { readNdjson } from '../../lib/datasets';
import type { Db } from '../../lib/db';
import { LocalObjectStore } from '../../lib/objectStore';
import type { Post, Quarantined } from '../../lib/schema';
import { csvRecords, parseCsvRecord, readTableAll, sniffDelimiterOf, sniffFile } from '../../lib/tabular';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-file-import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cases = path.join(__dirname, '..', 'fixtures', 'cases');
const exportsDir = path.join(__dirname, '..', 'fixtures', 'exports');

const store = new LocalObjectStore(path.join(tmp, 'objects'));
// the catalog is not what these tests are about: a Db that accepts the dataset rows
const db = { query: async () => ({ rows: [] }) } as unknown as Db;
const importer = createFileCollectActivities({ store, db });

async function importAll(file: string, opts: Partial<FileImportInput> = {}) {
  const result = await importer.importFile({ path: file, runKey: 'unit-file-import', ...opts });
  const posts = (await Promise.all(result.partitions.map((p) => readNdjson<Post>(store, p.posts)))).flat();
  const raw = (await Promise.all(result.partitions.map((p) => readNdjson<unknown>(store, p.raw!)))).flat();
  const quarantine = result.quarantine ? await readNdjson<Quarantined>(store, result.quarantine) : [];
  // the accounting every import keeps: every post read is stored or quarantined, once
  expect(result.counts.in).toBe(posts.length + quarantine.length);
  expect(result.counts.quarantined).toBe(quarantine.length);
  expect(raw).toHaveLength(posts.length);
  return { result, posts, quarantine };
}

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

/** The failure importFile rejects with, and how long it took. */
async function failureOf(file: string, opts: Partial<FileImportInput> = {}) {
  const t0 = Date.now();
  const err = await importer.importFile({ path: file, runKey: 'unit-file-import', ...opts }).then(
    () => null,
    (e: unknown) => e,
  );
  return { err: err as ApplicationFailure, ms: Date.now() - t0 };
}

describe('file import mapping', () => {
  it('derives creation time from Snowflake ids (as in the SemEval files)', () => {
    // 619950566786113536 is a tweet from 2015-07-11
    expect(snowflakeTime('619950566786113536')).toMatch(/^2015-07-11T/);
    expect(snowflakeTime('12345')).toBeNull();
  });

  it('guesses columns, and names the columns present when a mapping is wrong', () => {
    expect(resolveMapping(['id', 'label', 'source', 'text'])).toEqual({ id: 'id', text: 'text' });
    expect(() => resolveMapping(['id', 'words'])).toThrow(/no text column found .* its columns are: id, words/);
    expect(() => resolveMapping(['id', 'text'], { text: 'message' })).toThrow(/names a column the file does not have/);
    expect(() => resolveMapping(['id', 'text'], { colour: 'x' } as never)).toThrow(/unknown field "colour"/);
    // a dotted path must resolve in some sampled record
    expect(() => resolveMapping(['id', 'text', 'user'], { author_id: 'user.uid' }, 'f.jsonl', [{ id: '1', text: 't', user: { id: 2 } }])).toThrow(
      /author_id=user\.uid/,
    );
  });

  it('maps a row to post.v1 and keeps the row verbatim as raw', () => {
    const row = { id: '619950566786113536', label: 'neutral', text: 'hello' };
    const result = recordToPost(row, resolveMapping(Object.keys(row)), 'x', 'fallback');
    expect(result).toMatchObject({ post: { id: 'x:619950566786113536', platform: 'x', text: 'hello', raw: row } });
    expect(recordToPost({ text: 'hi' }, { text: 'text' }, 'file', 'f-2')).toEqual({
      reason: 'no created_at column and the id is not a Snowflake id: map a timestamp column (created_at=COLUMN)',
    });
    expect(recordToPost({ text: ' ', created_at: '2024-05-01' }, { text: 'text', created_at: 'created_at' }, 'file', 'f-3')).toEqual({
      reason: 'no text (column "text" is empty or missing)',
    });
  });

  it('maps nested author objects by their id and handle, never "[object Object]"', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ user: { id: 40001, id_str: '40001', screen_name: 'rail_rider' } }, '40001', 'rail_rider'],
      [{ account: { id: '900001', acct: 'gardener@social.example', username: 'gardener' } }, '900001', 'gardener'],
      [{ author: { did: 'did:plc:abc', handle: 'a.bsky.social' } }, 'did:plc:abc', 'a.bsky.social'],
      [{ from: { id: '100000000000001', name: 'Demo Bakery' } }, '100000000000001', 'Demo Bakery'],
      [{ author: { id: 7 } }, '7', '7'],
    ];
    for (const [extra, id, handle] of cases) {
      const rec = { id: 'p1', text: 'hello there', created_at: '2024-05-01T10:00:00Z', ...extra };
      const r = recordToPost(rec, resolveMapping(Object.keys(rec), { text: 'text' }), 'file', 'f');
      expect(r).toMatchObject({ post: { author: { id, handle } } });
    }
    // an object where a value belongs is quarantined with the reason, not stringified
    const bad = { id: { $oid: 'x' }, text: 'hello', created_at: '2024-05-01T10:00:00Z' };
    expect(recordToPost(bad, resolveMapping(Object.keys(bad)), 'file', 'f')).toEqual({ reason: expect.stringMatching(/column "id" holds an object/) });
  });

  it('tells the format from the file name, gzip included', () => {
    expect(detectFormat('a.tsv')).toBe('tsv');
    expect(detectFormat('a.csv.gz')).toBe('csv');
    expect(detectFormat('Export.TXT')).toBe('csv'); // Excel's "Unicode Text": the delimiter is sniffed
    expect(() => detectFormat('notes.md')).toThrow(/name it \.csv, \.tsv, \.txt \(a delimited table\), \.jsonl/);
    expect(detectFormat('a.ndjson.gz')).toBe('jsonl');
    expect(detectFormat('a.json')).toBe('jsonl');
    expect(() => detectFormat('a.xlsx')).toThrow(/cannot tell the format .*save it as "CSV UTF-8"/);
  });
});

describe('a format given instead of the one the name says (run --format, the API file.format)', () => {
  it('names json and ndjson as the JSON reader, whatever the case, and refuses what it cannot read', () => {
    expect(['csv', 'TSV', ' jsonl ', 'json', 'NDJSON'].map(fileFormatNamed)).toEqual(['csv', 'tsv', 'jsonl', 'jsonl', 'jsonl']);
    expect(fileFormatNamed('xlsx')).toBeNull();
    expect(fileFormatOption('Json')).toBe('jsonl');
    expect(() => fileFormatOption('parquet')).toThrow(/expected one of csv, tsv, jsonl, json, ndjson, got "parquet"/);
  });

  it("reads a file whose name tells nothing (an archive's .txt, a download without an extension) as the format given", async () => {
    const json = write('tweets-backup', JSON.stringify([{ id: 'g1', text: 'saved without a name', created_at: '2026-11-28T09:00:00Z' }]));
    const { err } = await failureOf(json);
    expect(err.message).toMatch(/or give its format: `run --format csv\|tsv\|jsonl\|json` \(the API: file\.format\)/);
    expect((await importAll(json, { format: 'jsonl' })).posts.map((p) => [p.id, p.text])).toEqual([['file:g1', 'saved without a name']]);
    // a JSON export saved as .txt would be read as a table: the format says otherwise
    const txt = write('comments.txt', '{"id": "g2", "text": "one per line", "created_at": "2026-11-28T10:00:00Z"}\n');
    expect((await importAll(txt, { format: 'jsonl' })).posts.map((p) => p.text)).toEqual(['one per line']);
    const tsv = write('table.dat', 'id\ttext\tcreated_at\ng3\ttab separated\t2026-11-28T11:00:00Z\n');
    expect((await importAll(tsv, { format: 'tsv' })).posts.map((p) => p.text)).toEqual(['tab separated']);
  });
});

describe('64-bit ids', () => {
  it('keeps integers beyond 2^53 exact as digit strings, and small numbers as numbers', () => {
    expect(JSON.parse('{"id":1790000000000000001}').id).toBe(1790000000000000000); // what JSON.parse does
    expect(parseJsonKeepingBigInts('{"id":1790000000000000001,"n":12,"f":1.5,"s":"1790000000000000001x"}')).toEqual({
      id: '1790000000000000001',
      n: 12,
      f: 1.5,
      s: '1790000000000000001x',
    });
    expect(parseJsonKeepingBigInts('{"id":9007199254740993}')).toEqual({ id: '9007199254740993' });
    // wherever JSON can put a number: array elements, after blanks and line breaks, negative, the whole text
    expect(parseJsonKeepingBigInts('{"ids":[1790000000000000001, -1790000000000000002],"x" : \n 9007199254740995}')).toEqual({
      ids: ['1790000000000000001', '-1790000000000000002'],
      x: '9007199254740995',
    });
    expect(parseJsonKeepingBigInts('[1790000000000000003]')).toEqual(['1790000000000000003']);
    expect(parseJsonKeepingBigInts(' 1790000000000000004')).toBe('1790000000000000004');
    // ids in strings (every line of an X, Mastodon or Reddit export) take the fast path, and come back as they were
    const tweet = '{"id_str":"1790000000000000001","user":{"id_str":"12345678901234567"},"text":"order 1234567890123456789 now"}';
    expect(mayHoldUnsafeInteger(tweet)).toBe(false);
    expect(parseJsonKeepingBigInts(tweet)).toEqual(JSON.parse(tweet));
    for (const numeric of ['{"id":1790000000000000001}', '[1,1790000000000000001]', '{"a":[ -1234567890123456]}', '1234567890123456'])
      expect(mayHoldUnsafeInteger(numeric)).toBe(true);
    // an id written with an exponent is an integer too, kept exact (it was rounded, and two posts merged)
    expect(
      parseJsonKeepingBigInts('{"a":1790000000000000403e0,"b":1.790000000000000404e18,"c":-17.90000000000000405E17,"d":1e20,"f":0.30000000000000004}'),
    ).toEqual({
      a: '1790000000000000403',
      b: '1790000000000000404',
      c: '-1790000000000000405',
      d: '100000000000000000000',
      f: 0.30000000000000004,
    });
    expect(exactIntegerDigits('0.5e1')).toBe('5');
    expect(exactIntegerDigits('100e-2')).toBe('1');
    expect(exactIntegerDigits('5e-1')).toBeNull();
    expect(exactIntegerDigits('12.5')).toBeNull();
    expect(exactIntegerDigits('1e41')).toBeNull(); // past 40 digits: a number, not an id
    // a string that looks like a number after a comma only costs the slow path; its value stays a string
    const lookalike = '{"text":"a,1790000000000000001"}';
    expect(mayHoldUnsafeInteger(lookalike)).toBe(true);
    expect(parseJsonKeepingBigInts(lookalike)).toEqual({ text: 'a,1790000000000000001' });
    expect(idString('1790000000000000191')).toBe('1790000000000000191');
    expect(idString(40001)).toBe('40001');
    expect(() => idString(1790000000000000000)).toThrow(/lost precision/);
  });

  it('keeps the last value of a key written twice on both paths, as JSON.parse does (a 64-bit number on the line threw)', () => {
    const cases = [
      '{"text":"first","text":"second","id":1790000000000000001}', // the slow path: lossless-json would throw
      '{"text":"first","id":1790000000000000001,"text":"second"}',
      '{"id":1790000000000000001,"id":1790000000000000002}', // the id itself twice: the last, exact
      '{"user":{"name":"a","name":"b"},"n":[1234567890123456789]}', // nested
      '{"text":"same","text":"same","id":1790000000000000001}', // equal values: accepted before too
    ];
    const expected = [
      { text: 'second', id: '1790000000000000001' },
      { text: 'second', id: '1790000000000000001' },
      { id: '1790000000000000002' },
      { user: { name: 'b' }, n: ['1234567890123456789'] },
      { text: 'same', id: '1790000000000000001' },
    ];
    cases.forEach((text, i) => {
      expect(mayHoldUnsafeInteger(text)).toBe(true);
      expect(parseJsonKeepingBigInts(text)).toEqual(expected[i]);
    });
    // the fast path (no 64-bit number) gives the same answer for the same keys
    expect(parseJsonKeepingBigInts('{"text":"first","text":"second","id":"1790000000000000001"}')).toEqual({ text: 'second', id: '1790000000000000001' });
  });

  it('imports ids written as numbers with an exponent as distinct exact ids, beside string ids', async () => {
    const line = (id: string, text: string) => `{"id":${id},"text":"${text}","created_at":"2026-11-20T10:00:00Z","username":"u${text.length}"}`;
    const file = write(
      'exponent-ids.jsonl',
      [
        line('1790000000000000403e0', 'quince id with exponent about nebulae'),
        line('1790000000000000404e0', 'raisin id with exponent about comets'),
        line('1.790000000000000405e18', 'mango id with a decimal mantissa'),
        line('"1790000000000000406"', 'plum id as a string'),
      ].join('\n') + '\n',
    );
    const { posts, quarantine } = await importAll(file);
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => p.id).sort()).toEqual(['403', '404', '405', '406'].map((n) => `file:1790000000000000${n}`));
  });

  it('reads epoch seconds, ms, µs and ns (numbers, digit strings) in records the X recogniser takes (an author_id column)', async () => {
    const at = Date.UTC(2026, 10, 20, 19, 0, 0); // 2026-11-20T19:00:00Z
    const times = [`${at / 1000}`, `${at}`, `${at}000`, `${at}000000`, `"${at}000000"`, `"${at / 1000}"`];
    const file = write(
      'epoch-author-id.jsonl',
      times.map((t, i) => `{"id":"e${i}","text":"epoch form ${i} about tides and moons","created_at":${t},"author_id":"a${i}"}`).join('\n') + '\n',
    );
    const { posts, quarantine } = await importAll(file);
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => [p.id, p.created_at]).sort()).toEqual(times.map((_, i) => [`file:e${i}`, '2026-11-20T19:00:00.000Z']));
  });

  it("reads Python's NaN and Infinity (json.dumps' default for a missing float) as null, outside strings only", async () => {
    expect(nonFiniteAsNull('{"a": NaN, "b": [Infinity, -Infinity], "t": "said: NaN, \\" NaN"}')).toBe(
      '{"a": null, "b": [null, null], "t": "said: NaN, \\" NaN"}',
    );
    expect(nonFiniteAsNull('{"a": 1}')).toBe('{"a": 1}');
    const file = write(
      'pandas-nan.jsonl',
      [
        '{"id": 1790000000000000001, "text": "first about tides", "created_at": "2026-11-20T10:00:00Z", "likes": NaN}',
        '{"id": "b", "text": "second says NaN, in its text", "created_at": "2026-11-20T10:01:00Z", "likes": Infinity, "reposts": 2}',
        '{"id": "c", "text": "third", "created_at": "2026-11-20T10:02:00Z", "likes": NaNa}',
      ].join('\n') + '\n',
    );
    const { posts, quarantine } = await importAll(file);
    expect(posts.map((p) => [p.id, p.text, p.metrics.likes, p.metrics.reposts])).toEqual([
      // a missing float is no count (null, not 0), as a column the line does not have
      ['file:1790000000000000001', 'first about tides', null, null],
      ['file:b', 'second says NaN, in its text', null, 2],
    ]);
    // not a number at all: quarantined with the line's own error
    expect(quarantine.map((q) => q.reason)).toEqual([`line 3: invalid JSON: Unexpected token 'N', ..." "likes": NaNa}" is not valid JSON`]);
  });

  it('case 07: Twitter v1.1 JSON gives 3 posts with the exact id_str values and 3 distinct authors', async () => {
    const { posts, quarantine } = await importAll(path.join(cases, '07-tweet-v1-numeric-id', 'tweets.jsonl'));
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => p.id).sort()).toEqual(['file:1790000000000000001', 'file:1790000000000000002', 'file:1790000000000000191']);
    expect(posts.map((p) => p.author.id).sort()).toEqual(['40001', '40002', '40003']);
    expect(posts.map((p) => p.author.handle).sort()).toEqual(['book_worm_demo', 'pedal_pal_demo', 'rail_rider_demo']);
    expect(posts.every((p) => p.created_at === '2024-05-13T12:43:51.000Z')).toBe(true);
    expect(posts.find((p) => p.id.endsWith('0002'))).toMatchObject({
      text: 'Loving the new bike lanes downtown, so much safer',
      metrics: { likes: 7, reposts: 2 },
      author: { followers: 85 },
    });
  });

  it('recovers the digits of a numeric-only 64-bit id (no id_str), in ids, authors and replies', async () => {
    const file = write(
      'v1-numeric-only.jsonl',
      [
        '{"created_at":"Mon May 13 12:43:51 +0000 2024","id":1790000000000000001,"text":"first","user":{"id":1234567890123456789,"screen_name":"big_user"},"in_reply_to_status_id":1790000000000000191}',
        '{"created_at":"Mon May 13 12:44:51 +0000 2024","id":1790000000000000002,"text":"second","user":{"id":1234567890123456790,"screen_name":"big_user2"}}',
      ].join('\n'),
    );
    const { posts } = await importAll(file);
    expect(posts.map((p) => [p.id, p.author.id, p.reply_to])).toEqual([
      ['file:1790000000000000001', '1234567890123456789', 'file:1790000000000000191'],
      ['file:1790000000000000002', '1234567890123456790', null],
    ]);
  });

  it('a generic JSONL file with numeric 64-bit ids under a mapping keeps them exact too', async () => {
    const file = write(
      'generic-bigint.jsonl',
      '{"id":1790000000000000001,"body":"a","ts":"2024-05-01T10:00:00Z"}\n{"id":1790000000000000002,"body":"b","ts":"2024-05-01T11:00:00Z"}\n',
    );
    const { posts } = await importAll(file, { mapping: { text: 'body', created_at: 'ts' } });
    expect(posts.map((p) => p.id)).toEqual(['file:1790000000000000001', 'file:1790000000000000002']);
  });
});

describe('the mapping is decided from a sample, not the first record', () => {
  for (const mapping of [undefined, { text: 'message' }]) {
    for (const name of ['page_posts.jsonl', 'control_same_posts_reordered.jsonl']) {
      it(`case 08 ${name} ${mapping ? 'with --map text=message' : 'without a mapping'}: 3 in, 2 posts, 1 quarantined as "no text"`, async () => {
        const { result, posts, quarantine } = await importAll(path.join(cases, '08-facebook-first-post-no-message', name), { mapping });
        expect(result.counts).toEqual({ in: 3, quarantined: 1 });
        expect(posts.map((p) => p.id).sort()).toEqual(['file:100000000000001_200000000000002', 'file:100000000000001_200000000000003']);
        expect(posts.every((p) => p.author.id === '100000000000001')).toBe(true);
        expect(posts.map((p) => p.created_at).sort()).toEqual(['2024-05-02T11:40:00.000Z', '2024-05-02T16:05:00.000Z']);
        expect(quarantine).toHaveLength(1);
        expect(quarantine[0].reason).toMatch(/no text/);
        expect(quarantine[0].record).toMatchObject({ story: 'Demo Bakery updated their cover photo.' });
      });
    }
  }

  it('a mapping to a column no sampled record has is an error listing the columns seen', async () => {
    const { err } = await failureOf(path.join(cases, '08-facebook-first-post-no-message', 'page_posts.jsonl'), { mapping: { text: 'body' } });
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(
      /mapping text=body names a column the file does not have; its columns are: id, created_time, story, message, from \(in its first 3 records\)$/,
    );
  });

  it('a CSV whose first rows leave a column empty still maps it', async () => {
    const file = write('sparse.csv', 'id,text,created_at,lang\n1,hello,2024-05-01T10:00:00Z,\n2,hola,2024-05-01T11:00:00Z,es\n');
    const { posts } = await importAll(file);
    expect(posts.map((p) => p.lang)).toEqual([null, 'es']);
  });
});

describe('timestamps in files', () => {
  it('case 14: Excel serials beside an ISO time, in a CSV with a BOM and CRLF', async () => {
    const { posts, quarantine } = await importAll(path.join(cases, '14-excel-serial-date', 'export.csv'));
    expect(quarantine).toEqual([]);
    expect(Object.fromEntries(posts.map((p) => [p.id, p.created_at]))).toEqual({
      'file:x001': '2024-05-01T09:00:00.000Z',
      'file:x002': '2024-05-01T12:00:00.000Z',
      'file:x003': '2024-05-02T12:00:00.000Z',
    });
    expect(posts.map((p) => p.author.id)).toEqual(['demo_shop', 'demo_shop', 'demo_shop']);
  });

  it('every form in one file; implausible times are quarantined with their reason and never partitioned', async () => {
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const file = write(
      'forms.csv',
      [
        'id,text,created_at',
        'a,iso zone,2024-05-01T10:00:00+02:00',
        'b,twitter,Mon May 13 12:43:51 +0000 2024',
        'c,rfc 2822,"Tue, 14 May 2024 08:00:00 GMT"',
        'd,epoch s,1714557600',
        'e,epoch ms,1714557600000',
        'f,epoch float,1714557600.5',
        'g,zero,0',
        `h,future,${future}`,
        'i,old,1999-12-31T23:59:59Z',
        'j,words,yesterday-ish',
      ].join('\n'),
    );
    const { posts, quarantine } = await importAll(file);
    expect(Object.fromEntries(posts.map((p) => [p.id, p.created_at]))).toEqual({
      'file:a': '2024-05-01T08:00:00.000Z',
      'file:b': '2024-05-13T12:43:51.000Z',
      'file:c': '2024-05-14T08:00:00.000Z',
      'file:d': '2024-05-01T10:00:00.000Z',
      'file:e': '2024-05-01T10:00:00.000Z',
      'file:f': '2024-05-01T10:00:00.500Z',
    });
    expect(quarantine.map((q) => q.reason)).toEqual([
      'line 8: implausible time 1970-01-01T00:00:00.000Z: before 2004-01-01 (from "0" in column "created_at")',
      expect.stringMatching(/^line 9: implausible time .*: more than a day in the future/),
      expect.stringMatching(/^line 10: implausible time 1999-12-31T23:59:59\.000Z: before 2004-01-01/),
      'line 11: unparseable timestamp "yesterday-ish" in column "created_at": not ISO 8601, RFC 2822, Twitter or epoch seconds/ms',
    ]);
  });
});

describe('recognised export shapes, without a mapping', () => {
  it('twarc2: one API response per line, many posts per line, authors from includes.users', async () => {
    const { result, posts } = await importAll(path.join(exportsDir, 'twarc2-search.jsonl'));
    expect(result.counts).toEqual({ in: 3, quarantined: 0 }); // posts, not lines (2 lines)
    const byId = Object.fromEntries(posts.map((p) => [p.id, p]));
    expect(Object.keys(byId).sort()).toEqual(['file:1790000000000001001', 'file:1790000000000001002', 'file:1790000000000001003']);
    expect(byId['file:1790000000000001001']).toMatchObject({
      author: { id: '50001', handle: 'runner_one_demo', followers: 310 },
      created_at: '2024-05-13T08:00:00.000Z',
      hashtags: ['marathon'],
      metrics: { likes: 9, reposts: 2, replies: 1 },
    });
    expect(byId['file:1790000000000001002'].author.handle).toBe('cheer_squad_demo');
    expect(byId['file:1790000000000001003'].created_at).toBe('2024-05-14T07:15:00.000Z');
  });

  it('X API v1.1 search/tweets: a whole response saved as one document gives its statuses, ids exact', async () => {
    const { result, posts, quarantine } = await importAll(path.join(exportsDir, 'x-v1.1-search.json'));
    expect(quarantine).toEqual([]);
    expect(result.counts).toEqual({ in: 2, quarantined: 0 });
    expect(posts.map((p) => [p.id, p.author.handle, p.created_at, p.metrics.likes])).toEqual([
      ['file:967824267948773377', 'NASA', '2018-02-25T18:11:01.000Z', 3875],
      ['file:967844426709716992', 'NASA', '2018-02-25T19:31:07.000Z', 640],
    ]);
    expect(posts[0].hashtags).toEqual(['BlackHistoryMonth']);
  });

  it('X API v2: a response cut down to its data (no includes, no meta) is still its tweets', async () => {
    const data = [1, 2].map((i) => ({
      id: `179000000000000500${i}`,
      text: `post ${i} about the launch window`,
      author_id: `4400${i}`,
      created_at: `2026-11-20T1${i}:00:00.000Z`,
    }));
    const { posts, quarantine } = await importAll(write('x-v2-data-only.json', JSON.stringify({ data }, null, 2)));
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => [p.id, p.author.id, p.created_at])).toEqual([
      ['file:1790000000000005001', '44001', '2026-11-20T11:00:00.000Z'],
      ['file:1790000000000005002', '44002', '2026-11-20T12:00:00.000Z'],
    ]);
  });

  it('X API v2: t.co links read as the links they stand for, in the text and once in urls (a long post: its note_tweet links)', async () => {
    const response = {
      data: [
        {
          id: '1790000000000002001',
          author_id: '50002',
          created_at: '2024-05-15T09:00:00.000Z',
          text: 'Read the plan https://t.co/AbC123xyz and the map https://t.co/MaP456qrs #climate',
          entities: {
            urls: [
              { start: 14, end: 37, url: 'https://t.co/AbC123xyz', expanded_url: 'https://example.org/climate-plan', display_url: 'example.org/climate-plan' },
              {
                start: 50,
                end: 73,
                url: 'https://t.co/MaP456qrs',
                expanded_url: 'https://maps.example.org/route?id=7',
                display_url: 'maps.example.org/route?i…',
              },
            ],
            hashtags: [{ start: 74, end: 82, tag: 'climate' }],
          },
        },
        {
          id: '1790000000000002002',
          author_id: '50002',
          created_at: '2024-05-15T10:00:00.000Z',
          text: 'A long thread starts here https://t.co/cut0000001 …',
          note_tweet: {
            text: 'A long thread starts here, all of it: https://t.co/LoNg789abc and more',
            entities: { urls: [{ start: 38, end: 61, url: 'https://t.co/LoNg789abc', expanded_url: 'https://example.org/long-read' }] },
          },
        },
      ],
      includes: { users: [{ id: '50002', username: 'planner_demo', name: 'Planner' }] },
    };
    const { posts } = await importAll(write('x-v2-links.json', JSON.stringify(response)));
    expect(posts.map((p) => [p.text, p.urls])).toEqual([
      [
        'Read the plan https://example.org/climate-plan and the map https://maps.example.org/route?id=7 #climate',
        ['https://example.org/climate-plan', 'https://maps.example.org/route?id=7'],
      ],
      ['A long thread starts here, all of it: https://example.org/long-read and more', ['https://example.org/long-read']],
    ]);
  });

  it('X account archive (data/tweets.js): the window.YTD assignment dropped, tweets read as v1.1, the owner one author', async () => {
    const { posts, quarantine, result } = await importAll(path.join(exportsDir, 'x-archive-tweets.js'));
    const owner = { id: 'unknown:file:archive-owner', handle: '', followers: null, created_at: null };
    expect(posts.map((p) => [p.id, p.created_at, p.lang, p.reply_to])).toEqual([
      ['file:1050118621198921728', '2018-10-10T20:19:24.000Z', 'en', null],
      ['file:1050118621198921999', '2018-10-11T08:00:00.000Z', 'en', 'file:1050118621198921000'],
      ['file:1050118621198922000', '2018-10-11T09:30:00.000Z', 'es', null],
    ]);
    for (const p of posts) expect(p.author).toEqual(owner);
    expect(posts[0]).toMatchObject({ hashtags: ['climate'], metrics: { likes: 3, reposts: 1 } }); // counts stored as strings
    expect(posts[1]).toMatchObject({ mentions: ['bob'], urls: ['https://example.org/plan'] });
    expect(posts[2].text).toBe('¡Qué calor hace hoy en Madrid!');
    expect(quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/^item 4: .*"not a date"/)]);
    expect(result.read).toMatchObject({ format: 'jsonl' });
  });

  it('a .js file that is not an X archive data file is refused with what it is read as', async () => {
    const { err } = await failureOf(write('app.js', 'console.log("hello");\n'));
    expect(err.message).toMatch(/app\.js is a \.js file that is not an X \(Twitter\) archive data file \(those start with window\.YTD\.tweets\.part0 = \[\)/);
  });

  it("Facebook's Download Your Information posts: Meta's byte-per-character text repaired, ids from the item, a share without words quarantined", async () => {
    const first = await importAll(path.join(exportsDir, 'facebook-your_posts_1.json'));
    expect(first.posts.map((p) => [p.text, p.created_at, p.urls])).toEqual([
      ['Lovely evening at the café with friends, best crème brûlée ever 😍', '2025-11-28T09:20:00.000Z', []],
      ['Привет всем! Как дела?', '2025-11-28T10:20:00.000Z', []],
      ['Walk by the river https://example.org/river #weekend', '2025-11-28T12:20:00.000Z', ['https://example.org/river']],
    ]);
    expect(first.posts[2].hashtags).toEqual(['weekend']);
    for (const p of first.posts) {
      expect(p.id).toMatch(/^file:a[0-9a-f]{16}$/);
      expect(p.author.id).toBe('unknown:file:archive-owner');
    }
    expect(first.quarantine.map((q) => q.reason)).toEqual(['item 3: no text (a post without words: "Zoë Demo shared a link.")']);
    // the same export downloaded again, under another name: the same ids
    const again = await importAll(write('your_posts_1 (1).json', fs.readFileSync(path.join(exportsDir, 'facebook-your_posts_1.json'))));
    expect(again.posts.map((p) => p.id)).toEqual(first.posts.map((p) => p.id));
  });

  it("Facebook's Download Your Information comments (comments_v2): each comment a post of the owner, a sticker comment quarantined", async () => {
    const { posts, quarantine } = await importAll(path.join(exportsDir, 'facebook-comments.json'));
    expect(posts.map((p) => [p.text, p.created_at, p.urls, p.hashtags])).toEqual([
      ['Félicitations à vous deux ! 🎉', '2025-11-28T09:20:00.000Z', [], []],
      ['Try this one #baking', '2025-11-28T11:20:00.000Z', ['https://example.org/recipe'], ['baking']],
      ["no outer timestamp, the comment's is used", '2025-11-28T12:20:00.000Z', [], []],
    ]);
    for (const p of posts) {
      expect(p.id).toMatch(/^file:a[0-9a-f]{16}$/);
      expect(p.author.id).toBe('unknown:file:archive-owner');
    }
    expect(quarantine.map((q) => q.reason)).toEqual([
      `item 1 (post 2 of 4): no text (a comment without words: a sticker, GIF or photo: "Zoë Demo replied to Sam Lee's comment.")`,
    ]);
    expect(posts.length + quarantine.length).toBe(4); // one JSON object, four comments in it, every one accounted for
  });

  it("Instagram's Download Your Information comments: post_comments_1.json items and the reels_comments wrapper", async () => {
    const comments = await importAll(path.join(exportsDir, 'instagram-post_comments_1.json'));
    expect(comments.posts.map((p) => [p.text, p.created_at, p.hashtags])).toEqual([
      ['So beautiful 😍', '2025-11-28T09:20:00.000Z', []],
      ['Schön! #zürich', '2025-11-28T10:20:00.000Z', ['zürich']],
    ]);
    expect(comments.quarantine.map((q) => q.reason)).toEqual(['item 3: no text (a comment without words)']);
    const reels = await importAll(path.join(exportsDir, 'instagram-reels_comments.json'));
    expect(reels.posts.map((p) => [p.text, p.created_at, p.author.id])).toEqual([
      ['Haha this reel 😂', '2025-11-28T13:20:00.000Z', 'unknown:file:archive-owner'],
    ]);
  });

  it("Instagram's Download Your Information posts: a photo's caption on its media item, a carousel's on the post", async () => {
    const { posts, quarantine } = await importAll(path.join(exportsDir, 'instagram-posts_1.json'));
    expect(posts.map((p) => [p.text, p.created_at, p.hashtags])).toEqual([
      ['Sunset at the beach 🌅 #travel #sunset', '2025-11-28T14:26:40.000Z', ['travel', 'sunset']],
      ['Weekend in Zürich ❄️ #travel', '2025-11-28T17:13:20.000Z', ['travel']],
    ]);
    expect(quarantine.map((q) => q.reason)).toEqual(['item 3: no text (a post without a caption)']);
  });

  it('a file whose extension lies is refused with the name it needs, not advice for the wrong format', async () => {
    const jsonl = await failureOf(write('really_jsonl.csv', '{"id": "j0", "text": "hello", "created_at": "2026-11-28T09:00:00Z"}\n'));
    expect(jsonl.err.message).toMatch(
      /^really_jsonl\.csv looks like JSON, not a table \(it starts with \{\): name it \.jsonl \(one object per line\) or \.json/,
    );
    const array = await failureOf(write('really_array.csv', '[{"id": "j0", "text": "hello"}]\n'));
    expect(array.err.message).toMatch(/^really_array\.csv looks like JSON, not a table \(it starts with \[\)/);
    const csv = await failureOf(write('really_csv.json', 'id,text,created_at\nc1,hello,2026-11-28T09:00:00Z\n'));
    expect(csv.err.message).toMatch(
      /^really_csv\.json is not JSON: it looks like a delimited table \(its first line is "id,text,created_at"\): name it \.csv \(or \.tsv\)/,
    );
    const broken = await failureOf(write('broken.json', '{"id": "x", "text": tru'));
    expect(broken.err.message).toMatch(/^broken\.json is not valid JSON \(.*\); if it holds one record per line, name it \.jsonl/);
  });

  it('a Bluesky repository (.car) is refused with how to export the posts instead', async () => {
    const { err } = await failureOf(write('repo-did_plc_abc123.car', Buffer.from([0x3a, 0xa2, 0x65, 0x72, 0x6f, 0x6f, 0x74, 0x73])));
    expect(err.message).toMatch(
      /is a Bluesky repository export \(CAR, binary\), which is not read: save the posts as JSON instead, e\.g\. the response of com\.atproto\.repo\.listRecords/,
    );
  });

  it('X v2 tweet lookups: the author is the included user whose id is author_id, wherever it stands in includes.users', async () => {
    // GET /2/tweets/:id with expansions=author_id,entities.mentions.username,in_reply_to_user_id: includes.users holds the
    // mentioned and replied-to users too, in no promised order
    const lookup = (id: string, authorId: string, users: Array<[string, string]>) =>
      JSON.stringify({
        data: { id, author_id: authorId, in_reply_to_user_id: '111', created_at: '2024-05-15T09:00:00.000Z', text: `@alice reply ${id}` },
        includes: { users: users.map(([uid, username]) => ({ id: uid, username, name: username })) },
      });
    const lines = [
      lookup('1790000000000003001', '222', [
        ['111', 'alice'],
        ['222', 'bob'],
      ]), // the author second
      lookup('1790000000000003002', '222', [
        ['222', 'bob'],
        ['111', 'alice'],
      ]), // the author first
      lookup('1790000000000003003', '333', [['111', 'alice']]), // the author not included: no handle, not alice's
    ];
    const { posts } = await importAll(write('x-v2-lookups.jsonl', lines.join('\n')));
    expect(posts.map((p) => [p.id.split(':').pop(), p.author.id, p.author.handle])).toEqual([
      ['1790000000000003001', '222', 'bob'],
      ['1790000000000003002', '222', 'bob'],
      ['1790000000000003003', '333', ''],
    ]);
  });

  it('Pushshift comments: body, created_utc as number, string or float; deleted ones quarantined', async () => {
    const { posts, quarantine } = await importAll(path.join(exportsDir, 'pushshift-comments.ndjson'));
    expect(posts.map((p) => [p.id, p.author.id, p.author.handle, p.created_at, p.reply_to])).toEqual([
      ['file:t1_l0abc01', 't2_aaa111', 'soup_fan_demo', '2024-05-01T10:00:00.000Z', 'file:t3_1cabc00'],
      // no author_fullname in older dumps: the username is the id (unique on Reddit), not one unknown author per comment
      ['file:t1_l0abc02', 'u/broth_lover_demo', 'broth_lover_demo', '2024-05-01T11:00:00.000Z', 'file:t1_l0abc01'],
      ['file:t1_l0abc04', 'u/late_cook_demo', 'late_cook_demo', '2024-05-01T13:00:00.000Z', 'file:t3_1cabc00'],
    ]);
    expect(posts[1].metrics.likes).toBe(3);
    expect(quarantine.map((q) => q.reason)).toEqual(['line 3: no text (the comment was deleted)']);
  });

  it('Pushshift submissions: title and selftext, created_utc as a string', async () => {
    const { posts } = await importAll(path.join(exportsDir, 'pushshift-submissions.jsonl'));
    expect(posts.map((p) => [p.id, p.text, p.created_at])).toEqual([
      ['file:t3_1cabc00', 'Best winter soup?\n\nLooking for something warm and cheap to cook this week.', '2024-05-01T08:00:00.000Z'],
      ['file:t3_1cabc05', 'A guide to stock from scraps', '2024-05-02T08:00:00.000Z'],
    ]);
    expect(posts[0].author).toMatchObject({ id: 't2_aaa111', handle: 'soup_fan_demo' });
    expect(posts[1].author).toMatchObject({ id: 'u/link_poster_demo', handle: 'link_poster_demo' }); // no author_fullname
    expect(posts[1].urls).toEqual(['https://example.org/stock-guide']);
  });

  it('Mastodon statuses: ids with their instance, account id and acct, language, counts, url', async () => {
    const { posts } = await importAll(path.join(exportsDir, 'mastodon-statuses.jsonl'));
    expect(posts.map((p) => [p.id, p.author.id, p.author.handle, p.lang, p.created_at])).toEqual([
      ['file:social.example/112400000000000101', 'social.example/900001', 'demo_gardener', 'en', '2024-05-07T10:00:00.000Z'],
      ['file:social.example/112400000000000102', 'social.example/900002', 'demo_birder@other.example', 'de', '2024-05-08T18:30:00.000Z'],
    ]);
    expect(posts[0]).toMatchObject({
      metrics: { likes: 11, reposts: 5, replies: 2 },
      url: 'https://social.example/@demo_gardener/112400000000000101',
      hashtags: ['gardening'],
    });
    expect(posts[0].text).not.toMatch(/<p>|<a /);
    expect(posts[1].reply_to).toBe('file:social.example/112400000000000101');
  });

  it('case 13 shape: statuses that do not say which instance issued their ids keep bare ids', async () => {
    const { posts } = await importAll(path.join(exportsDir, 'mastodon-no-uri.jsonl'));
    expect(posts.map((p) => [p.id, p.author.id, p.author.handle, p.reply_to])).toEqual([
      ['file:112400000000000001', '900001', 'demo_gardener@social.example', null],
      ['file:112400000000000003', '900003', 'demo_reader@social.example', 'file:112400000000000001'],
    ]);
  });

  it("Mastodon's archive outbox.json (ActivityPub): notes become posts, boosts are quarantined with the reason", async () => {
    const { result, posts, quarantine } = await importAll(path.join(exportsDir, 'mastodon-outbox.json'));
    expect(result.counts).toEqual({ in: 3, quarantined: 1 });
    expect(posts.map((p) => [p.id, p.author.id, p.author.handle, p.created_at, p.lang, p.reply_to])).toEqual([
      [
        'file:social.example/112400000000000201',
        'https://social.example/users/demo_gardener',
        'demo_gardener@social.example',
        '2024-05-20T07:30:00.000Z',
        'en',
        null,
      ],
      [
        'file:social.example/112400000000000203',
        'https://social.example/users/demo_gardener',
        'demo_gardener@social.example',
        '2024-05-21T18:00:00.000Z',
        'en',
        'file:social.example/112400000000000201',
      ],
    ]);
    expect(posts[0]).toMatchObject({ text: 'Planted the beans today #gardening', hashtags: ['gardening'] });
    expect(posts[1].text).toBe('garden rant\n\nSlugs ate half of them @demo_birder');
    expect(posts[1].mentions).toContain('demo_birder@other.example');
    expect(quarantine.map((q) => q.reason)).toEqual([
      'item 1 (post 2 of 3): a boost (Announce) of https://other.example/users/demo_birder/statuses/998877: the export holds no text of it',
    ]);
  });

  it('Bluesky: a whole getAuthorFeed response saved as .json, post views, feed items and repo records', async () => {
    const feed = await importAll(path.join(exportsDir, 'bluesky-author-feed.json'));
    expect(feed.posts.map((p) => [p.id, p.author.id, p.author.handle, p.created_at, p.lang])).toEqual([
      ['file:at://did:plc:demoauthor111/app.bsky.feed.post/3kabc111', 'did:plc:demoauthor111', 'harbour-watch.bsky.social', '2024-05-09T06:45:00.000Z', 'en'],
      ['file:at://did:plc:demoauthor111/app.bsky.feed.post/3kabc112', 'did:plc:demoauthor111', 'harbour-watch.bsky.social', '2024-05-10T12:00:00.000Z', 'en'],
    ]);
    expect(feed.posts[0].metrics).toMatchObject({ likes: 17, reposts: 3 });
    const lines = await importAll(path.join(exportsDir, 'bluesky-posts.jsonl'));
    expect(lines.posts.map((p) => [p.text, p.author.id])).toEqual([
      ['New tram line opens on Monday', 'did:plc:demoauthor222'],
      ['Cycled past the new tram stop, looks great', 'did:plc:demoauthor333'],
      ['Tram tickets are cheaper this month', 'did:plc:demoauthor444'], // a repo record: the author from its at:// uri
    ]);
    // a post view without record.createdAt (a client that wrote none) is dated by indexedAt, which every view has;
    // with neither it is quarantined naming both
    const view = (rkey: string, record: Record<string, unknown>, indexedAt?: string) => ({
      post: {
        uri: `at://did:plc:demoauthor555/app.bsky.feed.post/${rkey}`,
        cid: `bafy${rkey}`,
        author: { did: 'did:plc:demoauthor555', handle: 'late-clock.bsky.social' },
        record: { $type: 'app.bsky.feed.post', text: `post ${rkey} about the harbour`, ...record },
        ...(indexedAt ? { indexedAt } : {}),
      },
    });
    const odd = await importAll(
      write(
        'bsky-indexed-only.json',
        JSON.stringify({
          feed: [
            view('3kx1', { createdAt: '2024-05-11T08:00:00.000Z' }, '2024-05-11T08:00:02.000Z'),
            view('3kx2', {}, '2024-05-11T09:30:00.000Z'),
            view('3kx3', {}),
          ],
        }),
      ),
    );
    expect(odd.posts.map((p) => [p.text, p.created_at])).toEqual([
      ['post 3kx1 about the harbour', '2024-05-11T08:00:00.000Z'],
      ['post 3kx2 about the harbour', '2024-05-11T09:30:00.000Z'],
    ]);
    expect(odd.quarantine.map((q) => q.reason)).toEqual(['line 1 (post 3 of 3): no time (indexedAt, as record.createdAt, is missing)']);
  });

  it('Facebook Graph: a page of posts saved as .json; the story-only post is quarantined as "no text"', async () => {
    const { posts, quarantine } = await importAll(path.join(exportsDir, 'facebook-graph-page.json'));
    expect(posts.map((p) => [p.id, p.author.id, p.created_at])).toEqual([
      ['file:100000000000009_200000000000091', '100000000000009', '2024-05-03T08:00:00.000Z'],
      ['file:100000000000009_200000000000093', '100000000000009', '2024-05-05T10:00:00.000Z'],
    ]);
    expect(quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/^item 1 \(post 2 of 3\): no text/)]);
  });

  it('Instagram Graph: a saved page of media ({data, paging}); an account named only by username is one author', async () => {
    const { posts, quarantine } = await importAll(path.join(exportsDir, 'instagram-graph-media-page.json'), { platform: 'ig' });
    expect(posts.map((p) => [p.id, p.author.id, p.author.handle, p.created_at, p.metrics.likes])).toEqual([
      ['ig:17895695668004550', '@travelgram', 'travelgram', '2026-11-20T17:00:00.000Z', 150],
      // media saved without like_count have no count (null), not 0
      ['ig:17895695668004551', '@travelgram', 'travelgram', '2026-11-20T18:30:00.000Z', null],
      ['ig:17895695668004553', '17841400000000001', 'travelgram', '2026-11-21T10:15:00.000Z', null],
    ]);
    expect(posts[0].hashtags).toEqual(['sunset', 'travel']);
    // a reel without a caption has no text to analyse
    expect(quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/^item 1 \(post 3 of 4\): no text/)]);
    // the same media as a bare array, and a hashtag page whose media name no account (each its own unknown author)
    const page = JSON.parse(fs.readFileSync(path.join(exportsDir, 'instagram-graph-media-page.json'), 'utf8'));
    const bare = await importAll(write('ig-array.json', JSON.stringify(page.data)));
    expect(bare.posts.map((p) => p.author.id)).toEqual(['@travelgram', '@travelgram', '17841400000000001']);
    // a comment as the connector stores it, named only by username (no `from`)
    const comment = {
      kind: 'comment',
      media_id: '17895695668004550',
      comment: { id: '17999000000000001', text: 'Love this view', timestamp: '2026-11-20T19:00:00+0000', username: 'fan_1' },
    };
    const commented = await importAll(write('ig-comment.jsonl', JSON.stringify(comment) + '\n'));
    expect(commented.posts.map((p) => [p.author.id, p.author.handle, p.reply_to])).toEqual([['@fan_1', 'fan_1', 'file:17895695668004550']]);
    const tagPage = { data: page.data.map(({ username, owner, ...m }: Record<string, unknown>) => m), paging: { cursors: { after: 'x' } } };
    const anonymous = await importAll(write('ig-hashtag-page.json', JSON.stringify(tagPage)));
    expect(anonymous.posts.map((p) => p.author.id)).toEqual([
      'unknown:instagram:17895695668004550',
      'unknown:instagram:17895695668004551',
      'unknown:instagram:17895695668004553',
    ]);
  });

  it('engagement counts the input does not have are null, not 0: no column, an empty cell, a tweet without public_metrics', async () => {
    const csv = await importAll(
      write('counts.csv', 'id,created_at,text,likes\n1,2026-11-20T10:00:00Z,has likes,7\n2,2026-11-20T11:00:00Z,empty cell,\n3,2026-11-20T12:00:00Z,zero,0\n'),
    );
    expect(csv.posts.map((p) => [p.text, p.metrics])).toEqual([
      ['has likes', { likes: 7, reposts: null, replies: null, views: null }],
      ['empty cell', { likes: null, reposts: null, replies: null, views: null }],
      ['zero', { likes: 0, reposts: null, replies: null, views: null }],
    ]);
    // X API v2: public_metrics is a field one asks for; without it nothing was counted
    const tweet = (id: string, extra: object) =>
      JSON.stringify({ data: { id, text: `tweet ${id}`, author_id: '42', created_at: '2026-11-20T10:00:00.000Z', ...extra } });
    const x = await importAll(
      write(
        'x-metrics.jsonl',
        [
          tweet('1862531234567800001', {}),
          tweet('1862531234567800002', { public_metrics: { like_count: 3, retweet_count: 1, quote_count: 2, reply_count: 0, impression_count: 90 } }),
        ].join('\n') + '\n',
      ),
    );
    expect(x.posts.map((p) => p.metrics)).toEqual([
      { likes: null, reposts: null, replies: null, views: null },
      { likes: 3, reposts: 3, replies: 0, views: 90 },
    ]);
    // the helpers every connector maps counts with
    expect([knownCount(5), knownCount('12'), knownCount(undefined), knownCount(null), knownCount(-1), knownCount('x')]).toEqual([
      5,
      12,
      null,
      null,
      null,
      null,
    ]);
    expect([knownCount(2, 3), knownCount(2, undefined), knownCount(undefined, undefined)]).toEqual([5, 2, null]);
    // a Reddit score is net votes: below 0 it is 0 likes, not an unknown count
    expect([scoreAsLikes(-4), scoreAsLikes('-4'), scoreAsLikes(17), scoreAsLikes('17'), scoreAsLikes(undefined), scoreAsLikes('n/a')]).toEqual([
      0,
      0,
      17,
      17,
      null,
      null,
    ]);
  });

  it("Reddit's data request (posts.csv, comments.csv): one account's archive, so one author, the archive's owner", async () => {
    // the columns reddit.com/settings/data-request writes; the files never name the account
    const posts = write(
      'posts.csv',
      'id,permalink,date,ip,subreddit,gildings,title,url,body\n' +
        '1gy0001,https://www.reddit.com/r/aurora/comments/1gy0001/lights/,2024-11-20 21:04:11 UTC,203.0.113.7,aurora,0,Lights over Tromsø tonight,https://i.redd.it/x.jpg,\n' +
        '1gy0002,https://www.reddit.com/r/aurora/comments/1gy0002/kp/,2024-11-21 07:30:00 UTC,203.0.113.7,aurora,1,What Kp do I need in Oslo?,,"Asking for a trip, thanks!"\n',
    );
    const p = await importAll(posts, { platform: 'rexp' });
    expect(p.quarantine).toEqual([]);
    expect(p.posts.map((x) => [x.id, x.author.id, x.created_at, x.text])).toEqual([
      ['rexp:1gy0001', 'unknown:rexp:archive-owner', '2024-11-20T21:04:11.000Z', 'Lights over Tromsø tonight'],
      ['rexp:1gy0002', 'unknown:rexp:archive-owner', '2024-11-21T07:30:00.000Z', 'What Kp do I need in Oslo?\n\nAsking for a trip, thanks!'],
    ]);
    const comments = write(
      'comments.csv',
      'id,permalink,date,ip,subreddit,gildings,link,parent,body,media\n' +
        'lq0001,https://www.reddit.com/r/aurora/comments/1gy0001/lights/lq0001/,2024-11-20 22:00:00 UTC,203.0.113.7,aurora,0,https://www.reddit.com/r/aurora/comments/1gy0001/lights/,,Thanks all for the tips,\n',
    );
    const c = await importAll(comments);
    expect(c.posts.map((x) => [x.id, x.author.id, x.text])).toEqual([['file:lq0001', 'unknown:file:archive-owner', 'Thanks all for the tips']]);
    // an ordinary CSV without an author column keeps an unknown author per post (nothing says whose they are)
    const plain = await importAll(write('plain-no-author.csv', 'id,date,body\nz1,2024-11-20 10:00:00,hello there\nz2,2024-11-20 11:00:00,hi again\n'));
    expect(plain.posts.map((x) => x.author.id)).toEqual(['unknown:file:z1', 'unknown:file:z2']);
  });

  it("the connectors' own raw JSON: X, Reddit, Facebook and Instagram records in one file", async () => {
    const { posts } = await importAll(path.join(exportsDir, 'connector-raw.jsonl'), { platform: 'mixed' });
    expect(posts.map((p) => [p.id, p.author.id, p.created_at])).toEqual([
      ['mixed:1790000000000002001', '60001', '2024-05-15T10:00:00.000Z'],
      ['mixed:t3_1cdef01', 't2_bbb222', '2024-05-15T10:00:00.000Z'],
      ['mixed:100000000000010_200000000000101', '100000000000010', '2024-05-15T12:00:00.000Z'],
      ['mixed:17900000000000001', '17800000000000001', '2024-05-15T13:00:00.000Z'],
    ]);
    expect(posts.every((p) => p.platform === 'mixed')).toBe(true);
    expect(posts[3].hashtags).toEqual(['demo']);
  });

  it('recognises each shape by the first matching recogniser', () => {
    const names = (line: string) => recogniseRecord(JSON.parse(line))?.name ?? null;
    const first = (f: string) => fs.readFileSync(path.join(exportsDir, f), 'utf8').split('\n')[0];
    expect(names(first('twarc2-search.jsonl'))).toBe('twarc2');
    expect(names(first('pushshift-comments.ndjson'))).toBe('reddit');
    expect(names(first('mastodon-statuses.jsonl'))).toBe('mastodon');
    expect(names(first('bluesky-posts.jsonl'))).toBe('bluesky');
    expect(names(fs.readFileSync(path.join(cases, '07-tweet-v1-numeric-id', 'tweets.jsonl'), 'utf8').split('\n')[0])).toBe('twitter-v1.1');
    expect(names('{"id":"1","text":"plain","created_at":"2024-05-01"}')).toBeNull();
  });
});

describe('files that are not what their name says', () => {
  const expectInvalid = async (file: string, message: RegExp) => {
    const { err, ms } = await failureOf(file);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('InvalidInput');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(message);
    expect(ms).toBeLessThan(5000);
  };

  it('case 16: random bytes named .csv.gz fail at once, naming the file and what it is', async () => {
    await expectInvalid(
      path.join(cases, '16-not-gzip', 'notgzip.csv.gz'),
      /^notgzip\.csv\.gz is not gzip \(it starts with 61 35 b6 3a .*\): it looks like binary data, not text/,
    );
  });

  it('plain CSV named .csv.gz: says to rename it', async () => {
    await expectInvalid(
      write('plain.csv.gz', 'id,text\n1,hi\n'),
      /^plain\.csv\.gz is not gzip \(it starts with 69 64 2c .*\): it looks like text; if it is plain CSV, rename it to plain\.csv/,
    );
  });

  it('a truncated gzip fails as one clear error, not a crash', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i},post number ${i} with some words to compress,2024-05-01T10:00:00Z`);
    const gz = zlib.gzipSync('id,text,created_at\n' + lines.join('\n'));
    await expectInvalid(
      write('cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2))),
      /^cut\.csv\.gz is truncated or damaged gzip \(unexpected end of file\)/,
    );
  });

  it('an .xlsx workbook named .csv', async () => {
    const zipHeader = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.from('[Content_Types].xml'), Buffer.alloc(200, 1)]);
    await expectInvalid(
      write('sheet.csv', zipHeader),
      /^sheet\.csv is not a text file \(it starts with 50 4b 03 04 .*\): it looks like a zip archive \(an \.xlsx\/\.ods workbook is one\); open it and save the sheet as "CSV UTF-8"/,
    );
  });

  it('binary data named .jsonl, and a PNG named .csv', async () => {
    const bytes = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256));
    await expectInvalid(write('data.jsonl', bytes), /^data\.jsonl is not a text file .*binary data, not text/);
    await expectInvalid(write('chart.csv', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)])), /a PNG image/);
  });

  it('a gzip that holds a zip is named for what is inside', async () => {
    await expectInvalid(
      write('inner.csv.gz', zlib.gzipSync(Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(300, 2)]))),
      /^inner\.csv\.gz is not a text file \(after gunzip it starts with 50 4b 03 04/,
    );
  });

  it('UTF-16 CSV (as Excel writes "Unicode text"), with and without a BOM, is decoded', async () => {
    const csv = 'id,text,created_at\n1,Grüße aus Köln,2024-05-01T10:00:00Z\n2,日本語の投稿,2024-05-01T11:00:00Z\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]);
    const be = Buffer.from(Buffer.from(csv, 'utf16le')).swap16();
    for (const [name, bytes] of [
      ['le.csv', le],
      ['be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
      ['nobom.csv', Buffer.from(csv, 'utf16le')],
    ] as const) {
      const { posts } = await importAll(write(name, bytes));
      expect(posts.map((p) => p.text)).toEqual(['Grüße aus Köln', '日本語の投稿']);
    }
    // what Excel saves as "Unicode Text": UTF-16LE with a BOM, tab-delimited, CRLF, named .txt
    const txt = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv.replace(/,/g, '\t').replace(/\n/g, '\r\n'), 'utf16le')]);
    const excel = await importAll(write('unicode-text.txt', txt));
    expect(excel.posts.map((p) => p.text)).toEqual(['Grüße aus Köln', '日本語の投稿']);
  });

  it('a gzip file without .gz in its name, and a Windows-1252 CSV, are read as what they are', async () => {
    const { posts } = await importAll(write('actually-gzip.csv', zlib.gzipSync('id,text,created_at\n1,compressed,2024-05-01T10:00:00Z\n')));
    expect(posts.map((p) => p.text)).toEqual(['compressed']);
    const latin = Buffer.concat([
      Buffer.from('id,text,created_at\n1,caf'),
      Buffer.from([0xe9]),
      Buffer.from(' cr'),
      Buffer.from([0xe8]),
      Buffer.from('me,2024-05-01T10:00:00Z\n'),
    ]);
    const cp = await importAll(write('latin.csv', latin));
    expect(cp.posts.map((p) => p.text)).toEqual(['café crème']);
  });

  it('a stray NUL byte in a text export is one bad record, not a binary file', async () => {
    const { posts } = await importAll(
      write('nul.csv', Buffer.from('id,text,created_at\n11,broke\u0000n paste,2024-05-01T10:00:00Z\n12,fine,2024-05-01T11:00:00Z\n')),
    );
    expect(posts.map((p) => p.id)).toEqual(['file:11', 'file:12']);
  });

  it('a cut-off JSON document, and a folder given as the file, fail with one clear message', async () => {
    await expectInvalid(
      write('cut.json', '{\n  "feed": [\n    { "post": { "uri": "at://x'),
      /^cut\.json is not valid JSON \(.*\); if it holds one record per line, name it \.jsonl/,
    );
    fs.mkdirSync(path.join(tmp, 'folder.csv'), { recursive: true });
    await expectInvalid(path.join(tmp, 'folder.csv'), /^not a file: .*folder\.csv/);
  });

  it('sniffFile reports gzip and encoding', async () => {
    expect(await sniffFile(write('s.csv', 'a,b\n'))).toEqual({ gzip: false, encoding: 'utf-8' });
    expect(await sniffFile(write('s.csv.gz', zlib.gzipSync('a,b\n')))).toEqual({ gzip: true, encoding: 'utf-8' });
  });
});

describe('malformed CSV rows are quarantined, and the parser resynchronises', () => {
  it('parseCsvRecord: quoted fields, doubled quotes, open quotes and stray quotes', () => {
    expect(parseCsvRecord('1,"a, ""b""",c')).toEqual({ fields: ['1', 'a, "b"', 'c'] });
    expect(parseCsvRecord('1,,')).toEqual({ fields: ['1', '', ''] });
    expect(parseCsvRecord('1,"open')).toEqual({ incomplete: true });
    expect(parseCsvRecord('2,he said "hi,2026')).toEqual({ error: expect.stringMatching(/stray quote in unquoted field 2/) });
    expect(parseCsvRecord('2,"x"y,3')).toEqual({
      error: expect.stringMatching(/text after a closing quote in field 2 \("y,3"\); a quote inside a quoted field is written twice \(""\)$/),
    });
    expect(parseCsvRecord('a\t"b\tc', '\t', false)).toEqual({ fields: ['a', '"b', 'c'] });
  });

  it('csvRecords resynchronises after an unclosed quote instead of swallowing the rest', async () => {
    async function* lines(text: string) {
      let n = 0;
      for (const t of text.split('\n')) yield { line: ++n, text: t };
    }
    const items = [];
    for await (const it of csvRecords(lines('h1,h2\n1,"never closed\n2,ok\n3,"multi\nline"\n4,"late ""quote"" here"\n5,"unclosed at end'), {
      expected: () => 2,
    }))
      items.push(it);
    expect(items.map((i) => ('error' in i ? [i.line, 'ERR', i.raw] : [i.line, ...i.fields]))).toEqual([
      [1, 'h1', 'h2'],
      [2, 'ERR', '1,"never closed'],
      [3, '2', 'ok'],
      [4, '3', 'multi\nline'],
      [6, '4', 'late "quote" here'],
      [7, 'ERR', '5,"unclosed at end'],
    ]);
  });

  it('case 17: the stray-quote row is quarantined with its line and raw text; the 2 good rows import', async () => {
    const { posts, quarantine } = await importAll(path.join(cases, '17-csv-stray-quote', 'posts.csv'));
    expect(posts.map((p) => [p.id, p.text])).toEqual([
      ['file:1', 'hello world'],
      ['file:3', 'bye now'],
    ]);
    expect(quarantine).toEqual([
      {
        line: 3,
        reason: expect.stringMatching(/^line 3: unreadable CSV row: a stray quote in unquoted field 2/),
        record: '2,he said "hi,2026-10-01T11:00:00Z',
      },
    ]);
  });

  it('too many columns, an unclosed quote on the last line, and one in the middle', async () => {
    const file = write(
      'bad-rows.csv',
      [
        'id,text,created_at',
        '1,fine,2024-05-01T10:00:00Z',
        '2,not quoted, has a comma,2024-05-01T11:00:00Z',
        '3,"opened and never closed,2024-05-01T12:00:00Z',
        '4,"quoted, properly",2024-05-01T13:00:00Z',
        '5,"spans',
        'two lines",2024-05-01T14:00:00Z',
        '6,trailing commas are fine,2024-05-01T15:00:00Z,,',
        '7,"last line never closed,2024-05-01T16:00:00Z',
      ].join('\n'),
    );
    const { posts, quarantine } = await importAll(file);
    expect(posts.map((p) => [p.id, p.text])).toEqual([
      ['file:1', 'fine'],
      ['file:4', 'quoted, properly'],
      ['file:5', 'spans\ntwo lines'],
      ['file:6', 'trailing commas are fine'],
    ]);
    expect(quarantine.map((q) => [q.line, q.reason, q.record])).toEqual([
      [
        3,
        'line 3: unreadable CSV row: 4 fields, the header has 3; a field that holds the delimiter (comma) needs quotes around it',
        '2,not quoted, has a comma,2024-05-01T11:00:00Z',
      ],
      [4, expect.stringMatching(/^line 4: unreadable CSV row: text after a closing quote/), '3,"opened and never closed,2024-05-01T12:00:00Z'],
      [9, 'line 9: unreadable CSV row: a quote opened here is never closed', '7,"last line never closed,2024-05-01T16:00:00Z'],
    ]);
  });

  it('a 100,000-row file with one bad line: every other row imports', async () => {
    const rows = ['id,text,created_at'];
    for (let i = 1; i <= 100_000; i++) {
      rows.push(
        i === 50_000
          ? `${i},"unbalanced quote swallows nothing,2024-05-01T10:00:00Z`
          : `${i},post ${i} about item ${i % 97},2024-05-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
      );
    }
    const t0 = Date.now();
    const { result, posts, quarantine } = await importAll(write('big.csv', rows.join('\n') + '\n'));
    expect(result.counts).toEqual({ in: 100_000, quarantined: 1 });
    expect(posts).toHaveLength(99_999);
    expect(quarantine[0]).toMatchObject({ line: 50_001, record: '50000,"unbalanced quote swallows nothing,2024-05-01T10:00:00Z' });
    expect(new Set(posts.map((p) => p.id)).size).toBe(99_999);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 120_000);

  it('reads well-formed CSV exactly as csv-parse does (quotes, doubled quotes, commas, line breaks, CRLF, BOM)', async () => {
    // deterministic pseudo-random fields built from the characters that make CSV hard
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ['a', 'b c', ',', '"', '\n', 'ü', '😀', ' ', 'x,y', '""', "'"];
    const field = () => Array.from({ length: Math.floor(rand() * 6) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
    const quote = (f: string) => (/[",\n]/.test(f) || rand() < 0.2 ? `"${f.replace(/"/g, '""')}"` : f);
    const lines = ['id,text,extra'];
    for (let i = 0; i < 500; i++) lines.push([String(i), quote(field()), quote(field())].join(','));
    const file = write('oracle.csv', '\ufeff' + lines.join('\r\n') + '\r\n');
    const theirs = csvParseSync(fs.readFileSync(file), { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as Record<
      string,
      string
    >[];
    const mine = await readTableAll(file);
    // csv-parse keeps "\r\n" inside quoted fields where this reader joins the lines with "\n"
    expect(mine).toEqual(theirs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.replace(/\r\n/g, '\n')]))));
    expect(mine).toHaveLength(500);
  });

  it('readTable (the analysis inputs) still refuses a malformed row, naming file and line', async () => {
    await expect(readTableAll(path.join(cases, '17-csv-stray-quote', 'posts.csv'))).rejects.toThrow(/posts\.csv line 3: a stray quote/);
  });
});

describe('spreadsheet exports: column names in any case, any delimiter, day/month dates', () => {
  it('finds default columns whatever their case and surrounding spaces; an exact name wins', () => {
    // Google Sheets / Forms
    expect(resolveMapping(['Timestamp', 'Username', 'Tweet', 'Likes', 'Retweets'])).toEqual({
      text: 'Tweet',
      created_at: 'Timestamp',
      author_handle: 'Username',
      likes: 'Likes',
      reposts: 'Retweets',
    });
    // Excel (US)
    expect(resolveMapping(['ID', 'Created', 'Author', 'Message'])).toEqual({ id: 'ID', text: 'Message', created_at: 'Created', author_id: 'Author' });
    expect(resolveMapping([' Date ', 'TEXT', 'Created At'])).toEqual({ text: 'TEXT', created_at: 'Created At' });
    // an exact name of any field is taken before a loose one: `message` (exact) beats `Text`
    expect(resolveMapping(['Text', 'message'])).toEqual({ text: 'message' });
    expect(resolveMapping(['text', 'Text'])).toEqual({ text: 'text' });
    // two columns equal but for case and no exact one: that name is passed over, the error lists the real names
    expect(() => resolveMapping(['TEXT', 'Text', 'Words'])).toThrow(/no text column found .* its columns are: TEXT, Text, Words/);
  });

  it('--map takes a column whatever the case, when exactly one column matches; errors list the real names', () => {
    expect(resolveMapping(['Timestamp', 'Username', 'Tweet'], { text: 'tweet', author_handle: 'USERNAME' })).toEqual({
      text: 'Tweet',
      created_at: 'Timestamp',
      author_handle: 'Username',
    });
    // an exact match wins over a loose one
    expect(resolveMapping(['tweet', 'Tweet'], { text: 'Tweet' })).toEqual({ text: 'Tweet' });
    expect(() => resolveMapping(['TWEET', 'Tweet', 'id'], { text: 'tweet' })).toThrow(
      /text=tweet matches several columns but for case \(TWEET, Tweet\): give the exact name; its columns are: TWEET, Tweet, id/,
    );
    expect(() => resolveMapping(['Tweet', 'Date'], { text: 'body' })).toThrow(/text=body names a column the file does not have; its columns are: Tweet, Date/);
    // a column mapped explicitly is not taken again by a default
    expect(resolveMapping(['Message', 'Text'], { text: 'message' })).toEqual({ text: 'Message' });
  });

  it('Google Sheets and Excel headers import without --map (Tweet/Timestamp/Username, Date as Excel serials)', async () => {
    const sheets = write(
      'gsheets.csv',
      'Timestamp,Username,Tweet,Likes,Retweets\r\n2024-05-01 09:00:00,@ann,"Hello\r\nworld",3,1\r\n2024-05-02 10:30:00,@bob,Bye,0,2\r\n',
    );
    const { result, posts, quarantine } = await importAll(sheets);
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => [p.text, p.created_at, p.author.handle, p.metrics.likes, p.metrics.reposts])).toEqual([
      ['Hello\nworld', '2024-05-01T09:00:00.000Z', '@ann', 3, 1],
      ['Bye', '2024-05-02T10:30:00.000Z', '@bob', 0, 2],
    ]);
    expect(result.read).toMatchObject({ format: 'csv', delimiter: 'comma', columns: { text: 'Tweet', created_at: 'Timestamp', author_handle: 'Username' } });
    const serial = write('serial-Date.csv', 'id,Date,author,text\n1,45413.375,a,one\n2,45414.5,b,two\n');
    const s2 = await importAll(serial);
    expect(s2.quarantine).toEqual([]);
    expect(s2.posts.map((p) => p.created_at)).toEqual(['2024-05-01T09:00:00.000Z', '2024-05-02T12:00:00.000Z']);
    const mapped = await importAll(sheets, { mapping: { text: 'TWEET' } });
    expect(mapped.posts.map((p) => p.text)).toEqual(['Hello\nworld', 'Bye']);
  });

  it('sniffs the delimiter from the header and first lines: comma first, then semicolon, tab, pipe', async () => {
    const lines = (text: string) => text.split('\n').map((t, i) => ({ line: i + 1, text: t }));
    expect(await sniffDelimiterOf(lines('id,text\n1,"a; b"\n2,c'))).toBe(',');
    expect(await sniffDelimiterOf(lines('id;text\n1;"a, b; c"\n2;d,e'))).toBe(';');
    expect(await sniffDelimiterOf(lines('id\ttext\n1\ta, b; c'))).toBe('\t');
    expect(await sniffDelimiterOf(lines('id|text|date\n1|a, b|2024-05-01'))).toBe('|');
    // a header that splits on commas but whose rows do not: the delimiter that fits the rows
    expect(await sniffDelimiterOf(lines('id;note, extra;text\n1;x;y\n2;p;q'))).toBe(';');
    // one column: no delimiter to tell (the caller reads it with commas)
    expect(await sniffDelimiterOf(lines('text\nhello\nworld'))).toBeNull();
    // a quoted field left open at the end of the sample does not count against a delimiter
    expect(await sniffDelimiterOf(lines('id,text\n1,"multi\nline'))).toBe(',');
  });

  it('European Excel: semicolons, BOM, CRLF, quoted text holding ; and commas, decimal commas, day-first dates', async () => {
    const file = write(
      'excel-eu.csv',
      '\ufeffID;Date;Auteur;Texte;Score\r\n11;13/05/2024 09:00;ann;"Super; vraiment, super";0,5\r\n12;01/05/2024 17:45;bob;Bof, bof;1,0\r\n13;02.06.2024 08:00:30;cy;"Il a dit ""non""";2,0\r\n',
    );
    const { result, posts, quarantine } = await importAll(file, { mapping: { text: 'texte', author_id: 'auteur' } });
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => [p.id, p.text, p.created_at, p.author.id])).toEqual([
      ['file:12', 'Bof, bof', '2024-05-01T17:45:00.000Z', 'bob'],
      ['file:11', 'Super; vraiment, super', '2024-05-13T09:00:00.000Z', 'ann'],
      ['file:13', 'Il a dit "non"', '2024-06-02T08:00:30.000Z', 'cy'],
    ]);
    expect(result.read).toMatchObject({
      delimiter: 'semicolon',
      dateOrder: 'day-first (DD/MM/YYYY)',
      columns: { text: 'Texte', created_at: 'Date', id: 'ID' },
    });
    // Excel serial days as a German or French Excel writes them: a decimal comma (they were all quarantined)
    const serials = write(
      'excel-eu-serials.csv',
      '\ufeffid;Date;Text;Author\r\n1861234567890125001;46346,5;Bonjour tout le monde, great #Monday;anna\r\n1861234567890125002;46346,75;"Semicolon; inside quotes, awful service";ben\r\n1861234567890125003;46347;Whole day, no time;cy\r\n',
    );
    const eu = await importAll(serials);
    expect(eu.quarantine).toEqual([]);
    expect(eu.posts.map((p) => [p.id, p.created_at])).toEqual([
      ['file:1861234567890125001', '2026-11-20T12:00:00.000Z'],
      ['file:1861234567890125002', '2026-11-20T18:00:00.000Z'],
      ['file:1861234567890125003', '2026-11-21T00:00:00.000Z'],
    ]);
    // a bad row in a semicolon file is quarantined as such, and the rest imports
    const bad = write('eu-bad.csv', 'id;created_at;text\n1;2024-05-01;ok\n2;2024-05-01;a"b\n3;2024-05-02;fine\n');
    const b = await importAll(bad);
    expect(b.posts.map((p) => p.text)).toEqual(['ok', 'fine']);
    expect(b.quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/^line 3: unreadable CSV \(semicolon-delimited\) row: a stray quote/)]);
  });

  it('a tab- or pipe-delimited .csv is read as such; a .tsv stays tab; comma files are read as before', async () => {
    const tab = await importAll(write('tabbed.csv', 'id\ttext\tcreated_at\n1\thi, there\t2024-05-01T10:00:00Z\n'));
    expect(tab.result.read).toMatchObject({ delimiter: 'tab' });
    expect(tab.posts.map((p) => p.text)).toEqual(['hi, there']);
    const pipe = await importAll(write('piped.csv', 'id|text|created_at\n11|a; b, c|2024-05-01T10:00:00Z\n12|d|2024-05-02T10:00:00Z\n'));
    expect(pipe.result.read).toMatchObject({ delimiter: 'pipe' });
    expect(pipe.posts.map((p) => [p.id, p.text])).toEqual([
      ['file:11', 'a; b, c'],
      ['file:12', 'd'],
    ]);
    // a .tsv whose text holds semicolons and commas stays tab-delimited
    const tsv = await importAll(write('semi.tsv', 'id\ttext\tcreated_at\n1\ta;b;c,d\t2024-05-01T10:00:00Z\n'));
    expect(tsv.result.read).toMatchObject({ delimiter: 'tab' });
    expect(tsv.posts.map((p) => p.text)).toEqual(['a;b;c,d']);
    // a comma file whose text holds semicolons stays comma-delimited
    const comma = await importAll(write('comma-semis.csv', 'id,text,created_at\n1,"x; y; z",2024-05-01T10:00:00Z\n2,plain;text,2024-05-01T11:00:00Z\n'));
    expect(comma.result.read).toMatchObject({ delimiter: 'comma' });
    expect(comma.posts.map((p) => p.text)).toEqual(['x; y; z', 'plain;text']);
  });

  it('day/month dates: the column decides the order; inconsistent and ambiguous columns are quarantined with the reason', async () => {
    const us = await importAll(write('us-dates.csv', 'id,Created,Message\n11,5/1/2024 9:00 AM,a\n12,5/13/2024 9:30 PM,b\n13,12/31/23 23:59,c\n'));
    expect(us.quarantine).toEqual([]);
    expect(Object.fromEntries(us.posts.map((p) => [p.id, p.created_at]))).toEqual({
      'file:11': '2024-05-01T09:00:00.000Z',
      'file:12': '2024-05-13T21:30:00.000Z',
      'file:13': '2023-12-31T23:59:00.000Z',
    });
    expect(us.result.read).toMatchObject({ dateOrder: 'month-first (MM/DD/YYYY)' });

    const eu = await importAll(write('eu-dates.csv', 'id,date,text\n11,13-05-2024,a\n12,01-05-2024 08:15,b\n13,2024-05-03T10:00:00Z,c\n'));
    expect(Object.fromEntries(eu.posts.map((p) => [p.id, p.created_at]))).toEqual({
      'file:11': '2024-05-13T00:00:00.000Z',
      'file:12': '2024-05-01T08:15:00.000Z',
      'file:13': '2024-05-03T10:00:00.000Z',
    });

    const mixed = await importAll(write('mixed-dates.csv', 'id,date,text\n11,13/05/2024,a\n12,05/14/2024,b\n13,01/05/2024,c\n14,2024-05-03,d\n'));
    expect(mixed.posts.map((p) => p.id)).toEqual(['file:14']);
    expect(mixed.quarantine.map((q) => q.line)).toEqual([2, 3, 4]);
    for (const q of mixed.quarantine) expect(q.reason).toMatch(/in column "date": the column holds both day-first dates .* export the column as ISO 8601/);
    expect(mixed.result.read).toMatchObject({ dateOrder: expect.stringMatching(/^mixed/) });

    const ambiguous = await importAll(write('ambiguous-dates.csv', 'id,date,text\n1,01/05/2024 09:00,a\n2,02/05/2024 10:00,b\n'));
    expect(ambiguous.posts).toEqual([]);
    expect(ambiguous.quarantine.map((q) => q.reason)).toEqual([
      expect.stringMatching(
        /^line 2: unparseable timestamp "01\/05\/2024 09:00" in column "date": day\/month order is ambiguous: no sampled value .*export the column as ISO 8601/,
      ),
      expect.stringMatching(/^line 3: .*ambiguous/),
    ]);
  });

  it('an unknown file type names the real ways out: a name to give it, or the format option of the CLI and the API', () => {
    expect(() => detectFormat('export.dat')).toThrow(
      /name it \.csv, \.tsv, .* or give its format: `run --format csv\|tsv\|jsonl\|json` \(the API: file\.format\)$/,
    );
  });
});

describe('the platform prefix of imported ids', () => {
  it('is refused before any row is read when the post schema would refuse it (not every row quarantined)', async () => {
    const file = write('platform-check.csv', 'id,text,created_at\n1,hello,2024-05-01T10:00:00Z\n');
    for (const platform of ['My Platform', 'P2', '2p']) {
      const { err } = await failureOf(file, { platform });
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err.nonRetryable).toBe(true);
      expect(err.type).toBe('InvalidInput');
      expect(err.message).toMatch(new RegExp(`^file\\.platform: platform name "${platform}" is not allowed`));
    }
    const { posts } = await importAll(file, { platform: 'p2' });
    expect(posts.map((p) => p.id)).toEqual(['p2:1']);
  });
});

describe('a record that fails the file’s shape or mapping is quarantined with what is wrong with it', () => {
  const tweet = (i: number) => ({
    id: `${1790000000000001000n + BigInt(i)}`,
    text: `post ${i}`,
    created_at: `2024-05-13T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
    author_id: `42${i}`,
    public_metrics: { like_count: i },
  });

  it('X API v2 array: past the sample, no text, an implausible time, no created_at, a numeric id: each with its own reason', async () => {
    // the shape is decided from the first SAMPLE_RECORDS records, all well-formed (as in the 200k-record file of the trial)
    const good = Array.from({ length: SAMPLE_RECORDS }, (_, i) => tweet(i));
    const odd = [
      { id: '1790000000000000099', created_at: '2024-05-13T11:00:00.000Z', author_id: '7', public_metrics: {} },
      { id: '1790000000000000098', text: 'old', created_at: '1999-01-01' },
      { id: '1790000000000000097', text: 'no time', author_id: '7', public_metrics: {} },
      { id: 12345, text: 'numeric id', created_at: '2024-05-13T12:00:00.000Z', author_id: '7', public_metrics: {} },
      tweet(SAMPLE_RECORDS),
    ];
    const { posts, quarantine } = await importAll(write('x-v2-odd.json', JSON.stringify([...good, ...odd], null, 1)));
    expect(posts.map((p) => p.id)).toEqual([...good, tweet(SAMPLE_RECORDS)].map((t) => `file:${t.id}`));
    const n = SAMPLE_RECORDS;
    expect(quarantine.map((q) => q.reason)).toEqual([
      `item ${n + 1}: no text (text is missing or empty)`,
      `item ${n + 2}: implausible time 1999-01-01T00:00:00.000Z: before 2004-01-01 (from "1999-01-01" in created_at)`,
      `item ${n + 3}: no time (created_at is missing)`,
      `item ${n + 4}: id 12345 is a number, not a string (X API v2 ids are strings)`,
    ]);
  });

  it('Mastodon JSONL: a status without content is quarantined as "no text"', async () => {
    const status = (id: string, content?: string) => ({
      id,
      created_at: '2024-05-13T10:00:00.000Z',
      ...(content === undefined ? {} : { content }),
      uri: `https://mastodon.example/users/ann/statuses/${id}`,
      account: { id: '9', acct: 'ann', username: 'ann', url: 'https://mastodon.example/@ann' },
    });
    const lines = [status('111', '<p>hello</p>'), status('112'), status('113', '<p>again</p>')].map((s) => JSON.stringify(s));
    const { posts, quarantine } = await importAll(write('masto-odd.jsonl', lines.join('\n') + '\n'));
    expect(posts.map((p) => p.text)).toEqual(['hello', 'again']);
    expect(quarantine.map((q) => q.reason)).toEqual(['line 2: no text (content is missing)']);
  });

  it('CSV: a row with an empty text cell is quarantined as "no text" with its column', async () => {
    const { posts, quarantine } = await importAll(write('empty-cell.csv', 'id,text,created_at\n17,a,2024-05-01\n25,,2024-05-01\n31,c,2024-05-02\n'));
    expect(posts.map((p) => p.id)).toEqual(['file:17', 'file:31']);
    expect(quarantine.map((q) => q.reason)).toEqual(['line 3: no text (column "text" is empty or missing)']);
  });
});

describe('an id column whose digits a spreadsheet cut is not an identity', () => {
  it('idsLostDigits: any value in scientific notation, as a spreadsheet saves a 19-digit id', () => {
    expect(idsLostDigits(['1.86253E+18', '1.86253E+18'])).toBe(true);
    expect(idsLostDigits(['1862530000000000123', '1.8e19'])).toBe(true); // one is enough: the column is not to be trusted
    expect(idsLostDigits([' 2E+18 '])).toBe(true);
    expect(idsLostDigits(['1862530000000000123', '1862530000000000124'])).toBe(false);
    expect(idsLostDigits(['e5', 'E+18', '1.5', 'abc1E+18', 'id-1E+2x'])).toBe(false);
    expect(idsLostDigits([1.86253e18])).toBe(false); // a JSON number: read digit for digit by the importer, not this check's kind
  });

  it('three different tweets of an Excel-saved export that share 1.86253E+18 stay three posts, with ids from the file', async () => {
    const csv = [
      'id,author_id,created_at,text',
      '1.86253E+18,ann,2024-11-28T09:00:00Z,first tweet about the trains',
      '1.86253E+18,bob,2024-11-28T10:00:00Z,second one is about the weather',
      '1.86253E+18,cat,2024-11-28T11:00:00Z,third talks about lunch plans',
    ].join('\n');
    const { posts, result } = await importAll(write('excel-mangled-ids.csv', csv + '\n'));
    expect(posts.map((p) => p.text)).toEqual(['first tweet about the trains', 'second one is about the weather', 'third talks about lunch plans']);
    expect(new Set(posts.map((p) => p.id)).size).toBe(3);
    expect(posts.some((p) => p.id.includes('E+18'))).toBe(false);
    expect(result.read).toMatchObject({ idsLostDigits: 'id' });
    // the same export saved with the id column as text keeps the platform's ids
    const whole = await importAll(
      write(
        'whole-ids.csv',
        csv.replace('1.86253E+18', '1862530000000000123').replace('1.86253E+18', '1862530000000000456').replace('1.86253E+18', '1862530000000000789') + '\n',
      ),
    );
    expect(whole.posts.map((p) => p.id)).toEqual(['file:1862530000000000123', 'file:1862530000000000456', 'file:1862530000000000789']);
    expect(whole.result.read).not.toHaveProperty('idsLostDigits');
  });
});

describe('an id column of row numbers is not an identity', () => {
  it('rows without an id keep their ids when the same rows come again: a copy, a later download with a row more, a touched file', async () => {
    const header = 'Timestamp,Username,Post,Likes\r\n';
    const rows = [
      '11/28/2026 9:00:00,alice,Loving the new coffee place,3',
      '11/28/2026 9:05:00,bob,Rain again today,0',
      '11/28/2026 9:05:00,bob,Rain again today,0', // the same row twice: two posts
      '11/13/2026 10:00:00,carol,"Quoted, with a comma",1',
    ];
    // ids in file order (the posts come back by day)
    const idsOf = async (file: string) => {
      const { posts } = await importAll(file, { mapping: { text: 'Post' } });
      const rank = (text: string) => ['Loving', 'Rain', 'Quoted', 'New'].findIndex((w) => text.startsWith(w));
      return [...posts].sort((a, b) => rank(a.text) - rank(b.text) || a.id.length - b.id.length).map((p) => p.id);
    };
    const first = await idsOf(write('sheet.csv', header + rows.join('\r\n') + '\r\n'));
    expect(first).toHaveLength(4);
    expect(new Set(first).size).toBe(4);
    expect(first[2]).toBe(`${first[1]}-2`); // the identical row's second occurrence
    for (const id of first) expect(id).toMatch(/^file:r[0-9a-f]{16}(-\d+)?$/);
    // the browser's "sheet (1).csv": the same bytes under another name
    expect(await idsOf(write('sheet (1).csv', header + rows.join('\r\n') + '\r\n'))).toEqual(first);
    // downloaded a day later with one row more, and LF line ends
    const later = await idsOf(write('sheet-v2.csv', header.replace('\r\n', '\n') + [...rows, '11/29/2026 8:00:00,dave,New row,0'].join('\n')));
    expect(later.slice(0, 4)).toEqual(first);
    expect(first).not.toContain(later[4]);
    // the same path touched: a new modification time, the same ids
    const touched = path.join(tmp, 'sheet.csv');
    fs.utimesSync(touched, new Date(), new Date(Date.now() + 60_000));
    expect(await idsOf(touched)).toEqual(first);
    // an edited row is another post; the others keep theirs
    const edited = await idsOf(write('sheet-edited.csv', header + [rows[0], rows[1], rows[2], rows[3].replace('comma', 'comma!')].join('\r\n')));
    expect(edited.slice(0, 3)).toEqual(first.slice(0, 3));
    expect(edited[3]).not.toBe(first[3]);
  });

  it("Reddit's data request export: posts.csv reads title + body, a link post its title; a [deleted] comment is no text", async () => {
    const posts = await importAll(
      write(
        'posts.csv',
        [
          'id,permalink,date,ip,subreddit,gildings,title,url,body',
          '10abc,https://www.reddit.com/r/learnpython/comments/10abc/how_to_parse_dates/,2023-01-05 14:22:01 UTC,,learnpython,0,How to parse dates in Python?,https://www.reddit.com/r/learnpython/comments/10abc/,"I keep getting errors with strptime, any help appreciated"',
          '10abf,https://www.reddit.com/r/pics/comments/10abf/my_favourite_sunset/,2023-01-06 09:00:00 UTC,,pics,0,My favourite sunset photo,https://i.redd.it/xyz.jpg,',
          // a removed post keeps its title (as the Reddit connector keeps it); a deleted one without a title is no text
          '10abg,https://www.reddit.com/r/x/comments/10abg/t/,2023-01-06 10:00:00 UTC,,x,0,Heat pumps in old houses?,https://www.reddit.com/r/x/comments/10abg/,[removed]',
          '10abh,https://www.reddit.com/r/x/comments/10abh/t/,2023-01-06 11:00:00 UTC,,x,0,,https://www.reddit.com/r/x/comments/10abh/,[deleted]',
        ].join('\n'),
      ),
    );
    expect(posts.posts.map((p) => [p.id, p.text])).toEqual([
      ['file:10abc', 'How to parse dates in Python?\n\nI keep getting errors with strptime, any help appreciated'],
      ['file:10abf', 'My favourite sunset photo'],
      ['file:10abg', 'Heat pumps in old houses?'],
    ]);
    expect(posts.quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/no text \(column "body" holds \[deleted\]\)/)]);
    expect(posts.result.read?.columns).toMatchObject({ text: 'body', title: 'title', created_at: 'date' });
    const comments = await importAll(
      write(
        'comments.csv',
        [
          'id,permalink,date,ip,subreddit,gildings,link,parent,body,media',
          'jb3k2x1,/r/x/comments/1/a/jb3k2x1/,2023-01-05 14:22:01 UTC,,x,0,https://www.reddit.com/r/x/comments/1/,t3_1,Nice one,',
          'jb3k2x3,/r/x/comments/1/a/jb3k2x3/,2023-01-05 15:00:00 UTC,,x,0,https://www.reddit.com/r/x/comments/1/,t3_1,[deleted],',
          'jb3k2x4,/r/x/comments/1/a/jb3k2x4/,2023-01-05 15:10:00 UTC,,x,0,https://www.reddit.com/r/x/comments/1/,t3_1,[removed],',
        ].join('\n'),
      ),
    );
    expect(comments.posts.map((p) => p.text)).toEqual(['Nice one']);
    expect(comments.quarantine.map((q) => q.reason)).toEqual([
      'line 3: no text (column "body" holds [deleted])',
      'line 4: no text (column "body" holds [removed])',
    ]);
  });

  it('a CSV mixing CRLF, LF, a lone CR (classic Mac), a quoted CRLF and no final newline: every record once', async () => {
    const { posts, quarantine } = await importAll(
      write(
        'mixed_eol.csv',
        'id,created_at,text\r\nm1,2026-11-28T09:00:00Z,first CRLF\r\nm2,2026-11-28T09:01:00Z,second line LF\nm3,2026-11-28T09:02:00Z,third after a lone CR\rm4,2026-11-28T09:03:00Z,"quoted\r\nacross lines"\r\nm5,2026-11-28T09:04:00Z,no final newline',
      ),
    );
    expect(quarantine).toEqual([]);
    expect(posts.map((p) => [p.id, p.text])).toEqual([
      ['file:m1', 'first CRLF'],
      ['file:m2', 'second line LF'],
      ['file:m3', 'third after a lone CR'],
      ['file:m4', 'quoted\nacross lines'],
      ['file:m5', 'no final newline'],
    ]);
  });

  it('a header naming a column twice, or not at all: each column keeps its values, the leftmost of a name is read', async () => {
    const { posts, result } = await importAll(write('dup_header.csv', 'id,text,text,,created_at\nd1,first text col,second text col,x,2026-11-28T09:00:00Z\n'));
    expect(posts.map((p) => [p.id, p.text])).toEqual([['file:d1', 'first text col']]);
    expect(result.read?.columns).toMatchObject({ text: 'text', created_at: 'created_at' });
    expect(uniqueColumnNames(['id', 'text', 'text', '', 'text', ''])).toEqual(['id', 'text', 'text (2)', 'column 4', 'text (3)', 'column 6']);
  });

  it('a Google Sheets download: its Post column is the text, and its formatted blank rows are skipped and counted, not posts', async () => {
    const { posts, quarantine, result } = await importAll(
      write(
        'gsheets.csv',
        'Timestamp,Username,Post,Likes\r\n11/28/2026 9:00:00,alice,Loving the new coffee place,3\r\n11/13/2026 10:00:00,bob,Rain again,0\r\n,,,\r\n,,,\r\n',
      ),
    );
    expect(posts.map((p) => [p.text, p.created_at])).toEqual([
      ['Rain again', '2026-11-13T10:00:00.000Z'],
      ['Loving the new coffee place', '2026-11-28T09:00:00.000Z'],
    ]);
    expect(quarantine).toEqual([]);
    expect(result.read).toMatchObject({ emptyRows: 2, columns: { text: 'Post' } });
    expect(result.counts.in).toBe(2);
  });

  it('a row-number id column is left out of the row ids: the same rows numbered otherwise keep their ids', async () => {
    const make = (name: string, order: number[]) =>
      write(name, ['id,text,created_at', ...order.map((k, i) => `${i + 1},post number ${k},2026-11-28T0${k}:00:00Z`)].join('\n'));
    const a = await importAll(make('numbered-a.csv', [1, 2, 3]));
    const b = await importAll(make('numbered-b.csv', [3, 1, 2])); // rows sorted otherwise: other row numbers
    expect(a.result.read).toMatchObject({ idsAreRowNumbers: 'id' });
    const byText = (r: typeof a) => Object.fromEntries(r.posts.map((p) => [p.text, p.id]));
    expect(byText(b)).toEqual(byText(a));
  });

  it('rowNumberIds: 0.. or 1.. in file order, as numbers or digit strings; anything else is a real id', () => {
    expect(rowNumberIds(['1', '2', '3'])).toBe(true);
    expect(rowNumberIds([0, 1, 2])).toBe(true);
    expect(rowNumberIds([' 1', '2 '])).toBe(true);
    expect(rowNumberIds(['1'])).toBe(false); // one row proves nothing
    expect(rowNumberIds(['2', '3', '4'])).toBe(false);
    expect(rowNumberIds(['1', '2', '4'])).toBe(false);
    expect(rowNumberIds(['2', '1', '3'])).toBe(false);
    expect(rowNumberIds(['1', '2', '2'])).toBe(false);
    expect(rowNumberIds(['1', 'x2'])).toBe(false);
    expect(rowNumberIds(['1790000000000000001', '1790000000000000002'])).toBe(false);
  });

  it('two unrelated sheets numbered 1..N get disjoint post ids; the same sheet imported again gets the same ones', async () => {
    const a = write('sheet-a.csv', 'id,text,created_at\n1,hello world nice day,2024-01-05\n2,second of a,2024-01-06\n3,third of a,2024-01-07\n');
    const b = write('sheet-b.csv', 'id,text,created_at\n1,Café naïve,2024-05-19\n2,other,2024-05-19\n3,more,2024-05-19\n4,yet more,2024-05-19\n');
    const ra = await importAll(a);
    const rb = await importAll(b);
    expect(ra.posts).toHaveLength(3);
    expect(rb.posts).toHaveLength(4);
    const idsA = ra.posts.map((p) => p.id);
    const idsB = rb.posts.map((p) => p.id);
    expect(idsB.filter((id) => idsA.includes(id))).toEqual([]);
    expect([...idsA, ...idsB].some((id) => /^file:[0-9]+$/.test(id))).toBe(false);
    expect(new Set(idsB).size).toBe(4);
    expect(ra.result.read).toMatchObject({ idsAreRowNumbers: 'id' });
    expect(rb.result.read).toMatchObject({ idsAreRowNumbers: 'id' });
    const again = await importAll(a);
    expect(again.posts.map((p) => p.id)).toEqual(idsA);
    expect(again.posts.map((p) => p.text)).toEqual(ra.posts.map((p) => p.text));
  });

  it('real ids keep file:<id>: 64-bit tweet ids, numbers with gaps, numbers out of order', async () => {
    const tweets = await importAll(write('tweet-ids.csv', 'id,text,created_at\n1790000000000000001,a,2024-05-01\n1790000000000000002,b,2024-05-01\n'));
    expect(tweets.posts.map((p) => p.id)).toEqual(['file:1790000000000000001', 'file:1790000000000000002']);
    expect(tweets.result.read).not.toHaveProperty('idsAreRowNumbers');
    const gaps = await importAll(write('gap-ids.csv', 'id,text,created_at\n1,a,2024-05-01\n2,b,2024-05-01\n5,c,2024-05-01\n'));
    expect(gaps.posts.map((p) => p.id)).toEqual(['file:1', 'file:2', 'file:5']);
    const order = await importAll(write('order-ids.csv', 'id,text,created_at\n2,a,2024-05-01\n1,b,2024-05-01\n3,c,2024-05-01\n'));
    expect(order.posts.map((p) => p.id)).toEqual(['file:2', 'file:1', 'file:3']);
    expect(order.result.read).not.toHaveProperty('idsAreRowNumbers');
  });
});
