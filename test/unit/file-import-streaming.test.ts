import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createFileCollectActivities, defaultMaxPartitionPosts, DEFAULT_MAX_PARTITION_POSTS, type FileImportInput } from '../../activities/collect/file';
import { jsonArrayItems, partOf, PartitionSpill, spilledLines, SPILL_CHUNK_CHARS, SPILL_TOTAL_CHARS } from '../../activities/collect/fileStream';
import type { CollectResult } from '../../activities/collect/types';
import { createFileCollectActivitiesV1 } from '../../bench/baselines/importFileV1';
import { readNdjson } from '../../lib/datasets';
import type { Db } from '../../lib/db';
import { LocalObjectStore } from '../../lib/objectStore';
import type { Post, Quarantined } from '../../lib/schema';
import { InputFileError } from '../../lib/tabular';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-file-import-streaming-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fixtures = path.join(__dirname, '..', 'fixtures');
const store = new LocalObjectStore(path.join(tmp, 'objects'));
/** the catalog rows each import writes, to check the parts are recorded */
const catalog: unknown[][] = [];
const db = { query: async (_sql: string, params: unknown[]) => (catalog.push(params), { rows: [] }) } as unknown as Db;
const spillDir = path.join(tmp, 'spill');
const importer = createFileCollectActivities({ store, db, tmpDir: spillDir });
const before = createFileCollectActivitiesV1({ store, db });

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

async function contents(result: CollectResult) {
  const posts = await Promise.all(result.partitions.map((p) => readNdjson<Post>(store, p.posts)));
  const raw = await Promise.all(result.partitions.map((p) => readNdjson<unknown>(store, p.raw!)));
  const quarantine = result.quarantine ? await readNdjson<Quarantined>(store, result.quarantine) : [];
  return { posts, raw, quarantine };
}

async function run(file: string, opts: Partial<FileImportInput> = {}, impl = importer) {
  const result = await impl.importFile({ path: file, runKey: 'unit-file-import-streaming', ...opts });
  return { result, ...(await contents(result)) };
}

/** Every file the import tests read: recognised exports, the cases' CSV/TSV/JSONL (gzip and delimiters included). */
function fixtureFiles(): string[] {
  const out: string[] = [];
  for (const dir of [path.join(fixtures, 'exports'), ...fs.readdirSync(path.join(fixtures, 'cases')).map((d) => path.join(fixtures, 'cases', d))]) {
    for (const f of fs.readdirSync(dir)) if (/\.(csv|tsv|jsonl|ndjson|json)(\.gz)?$/.test(f)) out.push(path.join(dir, f));
  }
  return out;
}

describe('the streaming importer reads every fixture as the buffering importer did', () => {
  const files = fixtureFiles();
  it('has fixtures of every kind to compare', () => {
    const kinds = new Set(files.map((f) => path.extname(f.replace(/\.gz$/, ''))));
    expect([...kinds].sort()).toEqual(['.csv', '.json', '.jsonl', '.ndjson', '.tsv']);
  });

  for (const file of files) {
    it(`${path.relative(fixtures, file)}: same partitions, posts, raw records, quarantine and counts`, async () => {
      const old = await run(file, {}, before).catch((e: Error) => e);
      const now = await run(file).catch((e: Error) => e);
      if (old instanceof Error) {
        // a fixture the importer refuses is refused with the same message
        expect(now).toBeInstanceOf(Error);
        expect((now as Error).message).toBe(old.message);
        return;
      }
      if (now instanceof Error) throw now;
      expect(now.result.counts).toEqual(old.result.counts);
      expect(now.result.read).toEqual(old.result.read);
      expect(now.result.partitions.map((p) => [p.date, p.posts.uri, p.raw!.uri, p.posts.records])).toEqual(
        old.result.partitions.map((p) => [p.date, p.posts.uri, p.raw!.uri, p.posts.records]),
      );
      expect(now.posts).toEqual(old.posts);
      expect(now.raw).toEqual(old.raw);
      expect(now.quarantine).toEqual(old.quarantine);
      expect(now.result.quarantine?.uri).toBe(old.result.quarantine?.uri);
    });
  }

  it('a JSONL fixture written as one top-level JSON array (pretty, minified, gzipped) gives the records of the JSONL file', async () => {
    const jsonl = path.join(fixtures, 'exports', 'mastodon-statuses.jsonl');
    const lines = fs
      .readFileSync(jsonl, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    const fromLines = await run(jsonl);
    const variants = [
      write('statuses-pretty.json', `[\n${lines.map((l) => JSON.stringify(JSON.parse(l), null, 2)).join(',\n')}\n]\n`),
      write('statuses-min.json', `[${lines.join(',')}]`),
      write('statuses-array.json.gz', zlib.gzipSync(`  [ ${lines.join(' ,\n ')} ]  \n`)),
    ];
    for (const file of variants) {
      const fromArray = await run(file);
      expect(fromArray.result.counts).toEqual(fromLines.result.counts);
      expect(fromArray.posts).toEqual(fromLines.posts);
      expect(fromArray.raw).toEqual(fromLines.raw);
      // and the same as the buffering importer read the array
      const old = await run(file, {}, before);
      expect(fromArray.posts).toEqual(old.posts);
      expect(fromArray.quarantine).toEqual(old.quarantine);
    }
  });

  it('non-object array elements are quarantined by item number; an invalid element fails the file as before', async () => {
    const { posts, quarantine } = await run(write('mixed.json', '[{"id":"1","text":"hi","created_at":"2024-05-01T10:00:00Z"}, 42, "x,y]", [1,{"a":"]"}]]'));
    expect(posts.flat().map((p) => p.id)).toEqual(['file:1']);
    expect(quarantine.map((q) => [q.reason, q.record])).toEqual([
      ['item 2: not a JSON object', '42'],
      ['item 3: not a JSON object', '"x,y]"'],
      ['item 4: not a JSON object', '[1,{"a":"]"}]'],
    ]);
    const bad = write('bad-element.json', '[{"id":"1","text":"hi","created_at":"2024-05-01T10:00:00Z"}, {"id": tru}]');
    await expect(importer.importFile({ path: bad, runKey: 'x' })).rejects.toThrow(
      /^bad-element\.json is not valid JSON \(element 2: .*\); if it holds one record per line, name it \.jsonl/,
    );
  });
});

describe('jsonArrayItems', () => {
  async function* chunked(text: string, size: number) {
    for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
  }
  const collect = async (text: string, size = 1 << 20) => {
    const out: string[] = [];
    for await (const e of jsonArrayItems(chunked(text, size), 'f.json')) out.push(e.text);
    return out;
  };

  it('gives the same elements whatever the chunk boundaries (strings with brackets, commas, escaped quotes)', async () => {
    const elements = [{ a: 'x,]}"[{\\' }, [1, [2, { b: '\\"' }]], 'str,"', 12.5e3, null, true, { nested: { deep: [[], {}] } }];
    const text = ` \n[ ${elements.map((e) => JSON.stringify(e)).join(' ,\n\t')} ]\n`;
    const whole = await collect(text);
    expect(whole.map((t) => JSON.parse(t))).toEqual(elements);
    for (let size = 1; size <= 9; size++) expect(await collect(text, size)).toEqual(whole);
    expect(await collect('[]')).toEqual([]);
    expect(await collect(' [ \n ] ')).toEqual([]);
  });

  it('refuses what is not one well-formed array, saying where', async () => {
    const cases: [string, RegExp][] = [
      ['{"a":1}', /does not start with \[/],
      ['[{"a":1},{"b":2}', /element 2 is never closed: the file is cut off/],
      ['[{"a":1},{"b":2},', /the array is never closed after element 2: the file is cut off/],
      ['[{"a":"open', /a string is never closed in element 1/],
      ['[1,2,]', /a comma before the closing \] after element 2/],
      ['[1,,2]', /an empty element after element 1/],
      ['[1] [2]', /text after the closing \]/],
      ['[{"a":1}}]', /an unmatched \} in element 1/],
      ['   ', /it is empty/],
    ];
    for (const [text, why] of cases) {
      const err = await collect(text, 3).catch((e: unknown) => e);
      expect(err, text).toBeInstanceOf(InputFileError);
      expect((err as Error).message, text).toMatch(why);
      expect((err as Error).message).toMatch(/^f\.json is not valid JSON/);
    }
  });
});

describe('PartitionSpill', () => {
  it('writes each partition as valid gzip NDJSON in order, over many flushes and many open partitions', async () => {
    const spill = new PartitionSpill(spillDir);
    const long = 'x'.repeat(5000);
    const expected = new Map<string, string[]>();
    // enough text that every partition flushes several gzip members
    for (let i = 0; i < 3 * (SPILL_CHUNK_CHARS / 5000) * 3; i++) {
      const key = `k${i % 3}`;
      const line = JSON.stringify({ i, long });
      spill.add(key, line);
      (expected.get(key) ?? expected.set(key, []).get(key)!).push(line);
      if (i % 100 === 0) await spill.pressure();
    }
    for (const [key, lines] of expected) {
      const f = await spill.finish(key);
      expect(f.records).toBe(lines.length);
      expect(f.bytes).toBe(fs.statSync(f.file).size);
      const all: string[] = [];
      for await (const l of spilledLines(f.file)) all.push(l);
      expect(all).toEqual(lines);
      // one gunzip of the concatenated members gives the whole text (what readNdjson and pandas do)
      expect(zlib.gunzipSync(fs.readFileSync(f.file)).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    }
    await spill.dispose();
    expect(fs.existsSync(spill.dir)).toBe(false);
  });

  it('keeps the buffered text under SPILL_TOTAL_CHARS with a thousand partitions open (a file spanning years of days)', async () => {
    const spill = new PartitionSpill(spillDir);
    const line = JSON.stringify({ text: 'y'.repeat(2000) });
    const keys = 1000;
    let peak = 0;
    // three times the limit in all, spread evenly so no single partition reaches SPILL_CHUNK_CHARS on its own
    const perKey = Math.ceil((3 * SPILL_TOTAL_CHARS) / keys / (line.length + 1));
    expect(perKey * (line.length + 1)).toBeLessThan(SPILL_CHUNK_CHARS);
    for (let i = 0; i < perKey; i++) {
      for (let k = 0; k < keys; k++) {
        spill.add(`day-${k}`, line);
        peak = Math.max(peak, spill.bufferedChars());
      }
      await spill.pressure();
    }
    expect(peak).toBeLessThanOrEqual(SPILL_TOTAL_CHARS + line.length + 1);
    for (const k of [0, 499, 999]) {
      const f = await spill.finish(`day-${k}`);
      expect(f.records).toBe(perKey);
      expect(zlib.gunzipSync(fs.readFileSync(f.file)).toString('utf8')).toBe(`${line}\n`.repeat(perKey));
    }
    await spill.dispose();
  });

  it('a failed write (here: the folder removed under it) fails the import with where and why, not silently', async () => {
    const spill = new PartitionSpill(spillDir);
    spill.add('k', 'first');
    fs.rmSync(spill.dir, { recursive: true, force: true });
    const err = await spill.finish('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^cannot write the import's spill file under .*import-.*: ENOENT.*; it needs free space/);
    await spill.dispose();
  });

  it("removes what a killed worker's import left behind, not a live process's import folder", async () => {
    const parent = path.join(tmp, 'orphan-parent');
    // a pid that was a process a moment ago and is gone now
    const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
    const names = [`import-${deadPid}-dead01`, `import-${process.ppid}-live01`, `import-${process.pid}-mine01`, 'import-old6Xq', 'not-ours'];
    for (const n of names) {
      fs.mkdirSync(path.join(parent, n), { recursive: true });
      fs.writeFileSync(path.join(parent, n, '0.ndjson.gz'), 'x');
    }
    const spill = new PartitionSpill(parent);
    expect(path.basename(spill.dir)).toMatch(new RegExp(`^import-${process.pid}-`));
    // gone: the dead process's folder and this pid's folder no import of this process uses (a restarted container);
    // kept: the live process's, and names without a pid (another tool's, or an older version's)
    expect(fs.readdirSync(parent).sort()).toEqual([`import-${process.ppid}-live01`, 'import-old6Xq', 'not-ours', path.basename(spill.dir)].sort());
    // a second import meanwhile leaves the first one's folder alone
    const second = new PartitionSpill(parent);
    expect(fs.existsSync(spill.dir)).toBe(true);
    await second.dispose();
    await spill.dispose();
    expect(fs.existsSync(spill.dir)).toBe(false);
  });
});

describe('large days are stored in parts', () => {
  /** `n` posts on 2024-05-01, one on 2024-05-02, with ids 1..n and the post with id 7 delivered twice. */
  function bigDay(name: string, n: number): string {
    const rows = ['id,text,created_at'];
    // real ids, not row numbers (1, 2, 3, … would be taken for row numbers and replaced: file.ts rowNumberIds)
    for (let i = 1; i <= n; i++) rows.push(`p${i},post number ${i},2024-05-01T${String(i % 24).padStart(2, '0')}:00:00Z`);
    rows.push('p7,post number 7,2024-05-01T07:00:00Z');
    rows.push('999999,the other day,2024-05-02T10:00:00Z');
    return write(name, rows.join('\n') + '\n');
  }

  it('splits a day over maxPartitionPosts into ceil(n / max) parts by id: every post in exactly one part, a duplicate id beside its twin', async () => {
    const file = bigDay('big-day.csv', 1000);
    catalog.length = 0;
    const { result, posts, raw } = await run(file, { maxPartitionPosts: 300 });
    // 1001 posts on the first day (1000 + the re-delivery) → 4 parts; the second day stays one object
    const first = result.partitions.filter((p) => p.date === '2024-05-01');
    expect(first.map((p) => [p.part, p.parts])).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
    const second = result.partitions.filter((p) => p.date === '2024-05-02');
    expect(second).toHaveLength(1);
    expect(second[0]).not.toHaveProperty('part');
    expect(second[0]).not.toHaveProperty('parts');
    expect(result.counts).toEqual({ in: 1002, quarantined: 0 });

    const firstPosts = posts.slice(0, 4);
    const ids = firstPosts.flat().map((p) => p.id);
    expect(ids).toHaveLength(1001);
    expect(new Set(ids).size).toBe(1000);
    const fileOrder = [...Array.from({ length: 1000 }, (_, i) => `file:p${i + 1}`), 'file:p7'];
    firstPosts.forEach((part, k) => {
      expect(part.length).toBe(first[k].posts.records);
      // each part holds exactly the ids the hash assigns to it, in file order
      expect(part.map((p) => p.id)).toEqual(fileOrder.filter((id) => partOf(id, 4) === k));
      // and the hash spreads them evenly (1001 / 4 = 250 expected; the bound is ~6 standard deviations)
      expect(Math.abs(part.length - 1001 / 4)).toBeLessThan(80);
    });
    // the re-delivered post is twice in one part
    expect(firstPosts.filter((part) => part.some((p) => p.id === 'file:p7')).map((part) => part.filter((p) => p.id === 'file:p7').length)).toEqual([2]);
    // raw records stay aligned with their posts within each part
    raw.forEach((part, k) => expect((part as { id: string }[]).map((r) => `file:${r.id}`)).toEqual(posts[k].map((p) => p.id)));
    // each part is its own catalog row with the day as partition date, and the part in meta
    const partRows = catalog.filter((params) => String(params[0]).includes('.part-'));
    expect(partRows).toHaveLength(8); // raw + posts, 4 parts
    expect(partRows.every((params) => params[3] === '2024-05-01')).toBe(true);
    expect(partRows.map((params) => params[11])).toContainEqual({ file: path.resolve(file), part: 2, parts: 4 });
  });

  it('re-importing the same file gives the same keys and contents; the default threshold keeps the day whole', async () => {
    const file = bigDay('big-day-again.csv', 500);
    const a = await run(file, { maxPartitionPosts: 100 });
    const b = await run(file, { maxPartitionPosts: 100 });
    expect(a.result.partitions.map((p) => p.posts.uri)).toEqual(b.result.partitions.map((p) => p.posts.uri));
    expect(a.result.partitions.map((p) => p.posts.sha256)).toEqual(b.result.partitions.map((p) => p.posts.sha256));
    expect(a.result.partitions[0].posts.uri).toMatch(/\/date=2024-05-01\/[0-9a-f]{16}\.part-0000-of-0006\.ndjson\.gz$/);
    expect(a.posts).toEqual(b.posts);
    const whole = await run(file);
    expect(whole.result.partitions.map((p) => [p.date, p.posts.records, p.part])).toEqual([
      ['2024-05-01', 501, undefined],
      ['2024-05-02', 1, undefined],
    ]);
    // the parts hold exactly the whole day's posts
    expect(
      a.posts
        .slice(0, -1)
        .flat()
        .map((p) => p.id)
        .sort(),
    ).toEqual(whole.posts[0].map((p) => p.id).sort());
  });

  it('takes the threshold from SOCIALSENSE_MAX_PARTITION_POSTS, and refuses a bad one', async () => {
    expect(defaultMaxPartitionPosts({})).toBe(DEFAULT_MAX_PARTITION_POSTS);
    expect(defaultMaxPartitionPosts({ SOCIALSENSE_MAX_PARTITION_POSTS: '2500' })).toBe(2500);
    expect(() => defaultMaxPartitionPosts({ SOCIALSENSE_MAX_PARTITION_POSTS: '0' })).toThrow(/positive integer, got "0"/);
    await expect(importer.importFile({ path: bigDay('bad-threshold.csv', 3), runKey: 'x', maxPartitionPosts: 0 })).rejects.toThrow(
      /maxPartitionPosts must be a positive integer, got 0/,
    );
  });

  it('leaves no spill files behind, after a good import and after a failed one', async () => {
    await run(bigDay('clean-up.csv', 50), { maxPartitionPosts: 10 });
    await expect(
      importer.importFile({ path: write('cut-array.json', '[{"id":"1","text":"a","created_at":"2024-05-01T10:00:00Z"},'), runKey: 'x' }),
    ).rejects.toThrow(/cut off/);
    expect(fs.readdirSync(spillDir)).toEqual([]);
  });
});
