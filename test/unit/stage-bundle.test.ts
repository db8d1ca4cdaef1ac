import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_DIR, bundle, bundlingDisabled } from '../../bin/bundle.mjs';
import { parseConfig, storageConfigSchema } from '../../lib/config';
import { FailureType } from '../../lib/failures';
import { projectRoot } from '../../lib/paths';
import { createStagePool, stageThreadBundle } from '../../workers/threadPool';
import { runCli } from '../helpers/cli';

// A local object folder that is never touched: the task below fails before any I/O.
const storage = parseConfig(storageConfigSchema, { S3_ENDPOINT: 'file:///nonexistent/socialsense-unit', S3_BUCKET: 'unused' });

/** The CLI and the stage threads run their TypeScript bundled as JavaScript (bin/bundle.mjs), not through tsx. */
describe('bundled entry points', () => {
  it('are written under <project>/.build, named by a hash of their content, with source maps and a manifest beside', () => {
    const url = stageThreadBundle();
    expect(url).not.toBeNull();
    const file = fileURLToPath(url!);
    expect(path.dirname(file)).toBe(BUNDLE_DIR);
    // one level below the root: lib/paths.ts, bundled into it or a chunk, then still finds the project root
    expect(path.dirname(BUNDLE_DIR)).toBe(projectRoot);
    expect(path.basename(file)).toMatch(/^stage-thread-[A-Z0-9]{8}\.mjs$/);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.trimEnd().endsWith(`//# sourceMappingURL=${path.basename(file)}.map`)).toBe(true);
    // the entry and the chunks it imports, all beside it, with their maps; the stages' sources are among theirs
    const chunks = [...text.matchAll(/from "\.\/(chunk-[A-Z0-9]+\.mjs)"/g)].map((m) => m[1]);
    const sources = [file, ...chunks.map((c) => path.join(BUNDLE_DIR, c))].flatMap(
      (f) => (JSON.parse(fs.readFileSync(`${f}.map`, 'utf8')) as { sources: string[] }).sources,
    );
    expect(sources.some((s) => s.endsWith('activities/preprocess.ts'))).toBe(true);
    // npm packages stay external (resolved from node_modules), and the threads need no TypeScript loader
    const code = [text, ...chunks.map((c) => fs.readFileSync(path.join(BUNDLE_DIR, c), 'utf8'))].join('\n');
    expect(code).toMatch(/from "@temporalio\/common"/);
    expect(code).not.toMatch(/tsx\/esm/);
    const manifest = JSON.parse(fs.readFileSync(path.join(BUNDLE_DIR, 'stage-thread.json'), 'utf8')) as { bundle: string; inputs: Record<string, string> };
    expect(manifest.bundle).toBe(path.basename(file));
    expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(['workers/stageThread.ts', 'activities/preprocess.ts', 'lib/paths.ts']));
    expect(stageThreadBundle()).toBe(url); // unchanged sources: the same bundle
    expect(stageThreadBundle({ SOCIALSENSE_NO_BUNDLE: '1' })).toBeNull(); // the threads then load through tsx
  });

  /** The folders scratchProject made, removed after each test. */
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  /**
   * Sources under the project's scratch/ (git-ignored) and a bundle folder of their own, so these tests never touch the
   * project's .build, which a worker running meanwhile may be loading.
   */
  function scratchProject() {
    fs.mkdirSync(path.join(projectRoot, 'scratch'), { recursive: true });
    const src = fs.mkdtempSync(path.join(projectRoot, 'scratch', 'bundle-'));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-bundle-'));
    // Saved 10 s ago: a source saved within the second before a build gets no manifest (the test below).
    const write = (f: string, text: string) => {
      fs.writeFileSync(path.join(src, f), text);
      const saved = new Date(Date.now() - 10_000);
      fs.utimesSync(path.join(src, f), saved, saved);
    };
    const build = (entry: string, name: string) => bundle({ entry: path.relative(projectRoot, path.join(src, entry)), name, dir: out });
    const age = (days: number) => {
      const then = new Date(Date.now() - days * 24 * 3600 * 1000);
      for (const f of fs.readdirSync(out)) fs.utimesSync(path.join(out, f), then, then);
    };
    /** A file in the bundle folder, last modified `ageMs` ago. */
    const place = (f: string, text: string, ageMs: number) => {
      fs.writeFileSync(path.join(out, f), text);
      const then = new Date(Date.now() - ageMs);
      fs.utimesSync(path.join(out, f), then, then);
    };
    made.push(src, out);
    return { src, out, write, build, age, place };
  }

  it('is rebuilt when a source file in it changes, and not otherwise', () => {
    const p = scratchProject();
    p.write('dep.ts', 'export const greeting: string = "hello";\n');
    p.write('entry.ts', 'import { greeting } from "./dep";\nexport const out = greeting.toUpperCase();\n');
    const first = p.build('entry.ts', 'test');
    expect(fs.readFileSync(fileURLToPath(first!), 'utf8')).toContain('"hello"');
    expect(p.build('entry.ts', 'test')).toBe(first);
    // an imported file, not the entry, changes: its size and mtime are in the manifest
    p.write('dep.ts', 'export const greeting: string = "bonjour";\n');
    const second = p.build('entry.ts', 'test');
    expect(second).not.toBe(first);
    expect(fs.readFileSync(fileURLToPath(second!), 'utf8')).toContain('"bonjour"');
    // the earlier bundle stays for a process that may still load it
    expect(fs.existsSync(fileURLToPath(first!))).toBe(true);
    // a file of the current build gone (removed by hand, say): built again, not reported current
    fs.rmSync(fileURLToPath(second!));
    expect(p.build('entry.ts', 'test')).toBe(second);
    expect(fs.existsSync(fileURLToPath(second!))).toBe(true);
  });

  it('keeps every file a manifest names, however old, and removes only what none names and nobody used for a day', () => {
    const p = scratchProject();
    // two entries sharing a module: esbuild puts it in a chunk both import
    p.write('shared.ts', 'export const shared = () => "shared";\n');
    p.write('a.ts', 'export const a = async () => (await import("./shared")).shared() + "a";\n');
    p.write('b.ts', 'export const b = async () => (await import("./shared")).shared() + "b";\n');
    p.build('a.ts', 'a');
    const b = p.build('b.ts', 'b');
    const bFiles = (JSON.parse(fs.readFileSync(path.join(p.out, 'b.json'), 'utf8')) as { files: string[] }).files;
    expect(bFiles.some((f) => f.startsWith('chunk-'))).toBe(true);
    // a week later, a only is edited and rebuilt: b's files are b's manifest's, so they stay
    p.age(8);
    p.place('orphan-ABCDEFGH.mjs', '// a build nobody names any more\n', 2 * 24 * 3600 * 1000);
    p.place('fresh-ABCDEFGH.mjs', '// another process may have just built it\n', 0);
    p.place('x.mjs.123.deadbeef.tmp', 'half', 2 * 3600 * 1000);
    p.write('a.ts', 'export const a = async () => (await import("./shared")).shared() + "A";\n');
    p.build('a.ts', 'a');
    for (const f of bFiles) expect(fs.existsSync(path.join(p.out, f)), f).toBe(true);
    expect(p.build('b.ts', 'b')).toBe(b); // still current: nothing to rebuild
    expect(fs.existsSync(path.join(p.out, 'orphan-ABCDEFGH.mjs'))).toBe(false);
    expect(fs.existsSync(path.join(p.out, 'fresh-ABCDEFGH.mjs'))).toBe(true);
    expect(fs.existsSync(path.join(p.out, 'x.mjs.123.deadbeef.tmp'))).toBe(false); // left by a killed write
    // a build that is used is marked so: its files' mtimes are now, not their first build's
    for (const f of bFiles) expect(Date.now() - fs.statSync(path.join(p.out, f)).mtimeMs).toBeLessThan(60_000);
  });

  it('writes no manifest when a source was saved while esbuild read it, so the next start builds again', () => {
    const p = scratchProject();
    p.write('entry.ts', 'export const x = 1;\n');
    // a save during the build looks like this afterwards: an mtime at or after the build's start
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(p.src, 'entry.ts'), later, later);
    expect(p.build('entry.ts', 'race')).not.toBeNull();
    expect(fs.existsSync(path.join(p.out, 'race.json'))).toBe(false);
    const earlier = new Date(Date.now() - 5000);
    fs.utimesSync(path.join(p.src, 'entry.ts'), earlier, earlier);
    p.build('entry.ts', 'race');
    expect(fs.existsSync(path.join(p.out, 'race.json'))).toBe(true);
  });

  it('a compile error names the file and line', () => {
    const p = scratchProject();
    p.write('broken.ts', 'export const x = ;\n');
    expect(() => p.build('broken.ts', 'broken')).toThrow(/broken\.ts:1/);
  });

  it('SOCIALSENSE_NO_BUNDLE is 1 or 0 (or true/false, yes/no); anything else is refused by name', () => {
    for (const on of ['1', 'true', 'YES', ' yes ']) expect(bundlingDisabled({ SOCIALSENSE_NO_BUNDLE: on }), on).toBe(true);
    for (const off of [undefined, '', '0', 'false', 'no']) expect(bundlingDisabled({ SOCIALSENSE_NO_BUNDLE: off }), String(off)).toBe(false);
    for (const bad of ['2', 'maybe', 'tsx']) expect(() => bundlingDisabled({ SOCIALSENSE_NO_BUNDLE: bad })).toThrow(`SOCIALSENSE_NO_BUNDLE must be 1`);
    expect(() => stageThreadBundle({ SOCIALSENSE_NO_BUNDLE: 'maybe' })).toThrow(/"maybe"/);
  });

  it.each([
    ['the bundle', undefined, /\.build\/(stage-thread|chunk)-[A-Z0-9]{8}\.mjs:\d+:\d+/],
    ['tsx, where no bundle could be written', null, /activities\/preprocess\.ts:\d+:\d+/],
  ])("a thread loaded from %s runs the stage, and its error's stack names where it failed", async (_, bundleUrl, where) => {
    const pool = createStagePool({ threads: 1, deps: { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', storage }, bundle: bundleUrl });
    try {
      // a preprocess input without its fields: the stage's first line that reads them throws
      const err = await pool.run({ stage: 'preprocess', input: { runKey: 'r', source: 's', date: '2026-01-01' } as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Cannot read properties of undefined/);
      expect((err as Error).stack).toMatch(where);
    } finally {
      await pool.close();
    }
  });

  it('a thread whose bundle is gone fails the task once, with a ConfigError that says to restart the worker', async () => {
    const missing = pathToFileURL(path.join(BUNDLE_DIR, 'stage-thread-GONE0000.mjs')).href;
    const pool = createStagePool({ threads: 1, deps: { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', storage }, bundle: missing });
    try {
      const err = await pool.run({ stage: 'preprocess', input: { runKey: 'r', source: 's', date: '2026-01-01' } as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(FailureType.ConfigError);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as Error).message).toMatch(
        /^the stage threads' bundle cannot be loaded \(Cannot find module .*stage-thread-GONE0000\.mjs.*\): restart the worker/,
      );
    } finally {
      await pool.close();
    }
  });

  it('the socialsense command runs the same from its bundle and, with SOCIALSENSE_NO_BUNDLE=1, through tsx', async () => {
    const args = ['eval', 'sentiment', '--help'];
    const [bundled, tsx] = await Promise.all([runCli(args), runCli(args, { env: { ...process.env, SOCIALSENSE_NO_BUNDLE: '1' } })]);
    expect(bundled.code, bundled.stderr).toBe(0);
    expect(tsx.code, tsx.stderr).toBe(0);
    expect(bundled.stdout).toContain('macro recall');
    expect(bundled.stdout).toBe(tsx.stdout);
    // a bad setting is one line naming it, exit status 2, like the command's other errors
    const bad = await runCli(args, { env: { ...process.env, SOCIALSENSE_NO_BUNDLE: 'maybe' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: SOCIALSENSE_NO_BUNDLE must be 1 (run through tsx) or 0 (run the bundle), got "maybe"\n');
  });
});
