import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE_DIR, bundle } from '../../bin/bundle.mjs';
import { parseConfig, storageConfigSchema } from '../../lib/config';
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

  it('is rebuilt when a source file in it changes, and not otherwise', () => {
    const dir = fs.mkdtempSync(path.join(projectRoot, 'scratch-bundle-'));
    const rel = (f: string) => path.relative(projectRoot, path.join(dir, f));
    try {
      fs.writeFileSync(path.join(dir, 'dep.ts'), 'export const greeting: string = "hello";\n');
      fs.writeFileSync(path.join(dir, 'entry.ts'), 'import { greeting } from "./dep";\nexport const out = greeting.toUpperCase();\n');
      const name = `test-${path.basename(dir)}`;
      const first = bundle({ entry: rel('entry.ts'), name });
      expect(fs.readFileSync(fileURLToPath(first!), 'utf8')).toContain('"hello"');
      expect(bundle({ entry: rel('entry.ts'), name })).toBe(first);
      // an imported file, not the entry, changes: its size and mtime are in the manifest
      fs.writeFileSync(path.join(dir, 'dep.ts'), 'export const greeting: string = "bonjour";\n');
      const second = bundle({ entry: rel('entry.ts'), name });
      expect(second).not.toBe(first);
      expect(fs.readFileSync(fileURLToPath(second!), 'utf8')).toContain('"bonjour"');
      // the earlier bundle stays for a process that may still load it
      expect(fs.existsSync(fileURLToPath(first!))).toBe(true);
      for (const f of [first!, second!]) for (const ext of ['', '.map']) fs.rmSync(`${fileURLToPath(f)}${ext}`);
      fs.rmSync(path.join(BUNDLE_DIR, `${name}.json`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a compile error names the file and line', () => {
    const dir = fs.mkdtempSync(path.join(projectRoot, 'scratch-bundle-'));
    try {
      fs.writeFileSync(path.join(dir, 'broken.ts'), 'export const x = ;\n');
      expect(() => bundle({ entry: path.relative(projectRoot, path.join(dir, 'broken.ts')), name: `test-${path.basename(dir)}` })).toThrow(/broken\.ts:1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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

  it('the socialsense command runs the same from its bundle and, with SOCIALSENSE_NO_BUNDLE=1, through tsx', async () => {
    const args = ['eval', 'sentiment', '--help'];
    const [bundled, tsx] = await Promise.all([runCli(args), runCli(args, { env: { ...process.env, SOCIALSENSE_NO_BUNDLE: '1' } })]);
    expect(bundled.code, bundled.stderr).toBe(0);
    expect(tsx.code, tsx.stderr).toBe(0);
    expect(bundled.stdout).toContain('macro recall');
    expect(bundled.stdout).toBe(tsx.stdout);
  });
});
