import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LocalObjectStore } from '../../lib/objectStore';
import { createLogger } from '../../lib/logger';
import type { Stack } from '../../lib/stack';
import { createPlatformCollectActivities, type PlatformCollectInput } from '../../activities/collect/platformActivities';
import { collect } from '../../workflows/collect';
import { runCli } from '../helpers/cli';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * A platform that echoes the credential it was sent, in every way an API can: in a 401 body, in a
 * 500 body quoting the request headers, in a non-JSON gateway page, in the headers of a 429, and in a
 * platform-specific error the connector builds itself. The token must appear in none of: the thrown
 * error, the log lines, the CLI's stderr, the Temporal workflow history; the mask must say what it hid.
 */

const RANDOM = crypto.randomBytes(16).toString('hex');
/** shaped like the issue's case (sk-…), with characters that change under URL- and JSON-encoding */
const TOKEN = `sk-live-${RANDOM}%2Fq+z/w=`;
const MASK = '[masked X_BEARER_TOKEN]';
/** the token, and pieces of its random part, so that half a token (cut by a snippet) is caught too */
const NEEDLES = [TOKEN, RANDOM, RANDOM.slice(0, 10), RANDOM.slice(-10), encodeURIComponent(TOKEN)];

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const SINCE = day(-2);
const UNTIL = day(0);

type Mode = '401' | '500' | 'malformed' | '429' | 'usage-cap';

/** Serialises anything (errors with their causes and details, histories with binary payloads) for searching. */
function dump(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if (v instanceof Error) {
      const e = v as Error & { type?: unknown; details?: unknown; cause?: unknown };
      return { name: e.name, message: e.message, stack: e.stack, type: e.type, details: e.details, cause: e.cause };
    }
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

function expectNoToken(what: string, text: string): void {
  for (const needle of NEEDLES)
    expect(text.includes(needle), `${what} contains ${needle === TOKEN ? 'the token' : `a piece of it (${needle})`}: ${text.slice(0, 600)}`).toBe(false);
}

/** The echoing platform: answers `mode` for the first `times` requests, then 401 (so a retried failure ends). */
class EchoApi {
  server!: http.Server;
  base = '';
  mode: Mode = '401';
  times = Infinity;
  requests = 0;
  /** Authorization headers received: proves the token really went out (and so really came back) */
  received: string[] = [];

  async start() {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.requests++;
        const auth = String(req.headers.authorization ?? '');
        this.received.push(auth);
        this.answer(this.requests <= this.times ? this.mode : '401', auth, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  set(mode: Mode, times = Infinity) {
    this.mode = mode;
    this.times = this.requests + times;
  }

  private answer(mode: Mode, auth: string, res: http.ServerResponse) {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    switch (mode) {
      case '401': // X's problem shape, echoing what it was sent
        return json(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: `invalid token ${auth}` });
      case '500': // a failing backend quoting the request headers
        return json(
          500,
          { errors: [{ message: `internal error while handling {"authorization":"${auth}","accept":"application/json"}` }] },
          { 'retry-after': '1' },
        );
      case 'malformed': // a proxy page that is not JSON, on a 200
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(`<html><body><h1>Gateway</h1><p>forwarded Authorization: ${auth}</p></body></html>`);
      case '429': // the token in the headers (and the body) of a rate-limit answer
        return json(
          429,
          { title: 'Too Many Requests', detail: `quota used up for ${auth}` },
          {
            'retry-after': '1',
            'x-rate-limit-reset': TOKEN,
            'x-echo-authorization': auth,
            'www-authenticate': `Bearer realm="api", error="rate_limited", token="${TOKEN}"`,
          },
        );
      case 'usage-cap': // a failure the X connector builds itself from the body
        return json(429, { title: 'UsageCapExceeded', type: 'https://api.twitter.com/2/problems/usage-capped', detail: `Usage cap exceeded for ${auth}` });
    }
  }
}

const input = (query: string): PlatformCollectInput => ({ source: 'x', query, since: SINCE, until: UNTIL });

/** What each mode's failure must say (with the token masked), so the test also proves the failure was the echo. */
const expected: Record<Mode, { type: string; nonRetryable: boolean; message: RegExp }> = {
  '401': {
    type: 'BadCredentials',
    nonRetryable: true,
    message: /^X rejected the credentials \(HTTP 401: Unauthorized; invalid token Bearer \[masked X_BEARER_TOKEN\]\): check X_BEARER_TOKEN/,
  },
  '500': {
    type: 'PlatformUnavailable',
    nonRetryable: false,
    message:
      /^X is failing \(HTTP 500 from 127\.0\.0\.1:\d+\/2\/tweets\/search\/recent: internal error while handling \{"authorization":"Bearer \[masked X_BEARER_TOKEN\]"/,
  },
  malformed: {
    type: 'MalformedResponse',
    nonRetryable: false,
    message: /body is not JSON \(text\/html, \d+ bytes: ".*forwarded Authorization: Bearer \[masked X_BEARER_TOKEN\]/,
  },
  '429': { type: 'RateLimited', nonRetryable: false, message: /^X rate limit reached \(HTTP 429\): retrying in 2s/ },
  'usage-cap': {
    type: 'QuotaExhausted',
    nonRetryable: true,
    message: /^X monthly post cap reached .*\(Usage cap exceeded for Bearer \[masked X_BEARER_TOKEN\]\)/,
  },
};
const MODES = Object.keys(expected) as Mode[];

/** This file sets X_BEARER_TOKEN / X_API_BASE_URL in process.env where a worker must read them; whatever was there comes back after. */
const saved = { X_BEARER_TOKEN: process.env.X_BEARER_TOKEN, X_API_BASE_URL: process.env.X_API_BASE_URL };
function restoreEnv(): void {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

let api: EchoApi;
beforeAll(async () => {
  api = new EchoApi();
  await api.start();
  delete process.env.X_BEARER_TOKEN;
  delete process.env.X_API_BASE_URL;
});
afterAll(async () => {
  await api.stop();
  restoreEnv();
});

describe('credentials echoed by a platform: the thrown failure', () => {
  const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'secrets-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it.each(MODES)('%s: masked in message, stack and details, with the variable named', async (mode) => {
    // The activity reads the credentials from its own env, not process.env (cleared above): masking must use that env.
    expect(process.env.X_BEARER_TOKEN).toBeUndefined();
    const acts = createPlatformCollectActivities({
      store: new LocalObjectStore(dir),
      env: { X_BEARER_TOKEN: TOKEN, X_API_BASE_URL: api.base },
      httpTimeoutMs: 5_000,
    });
    api.set(mode);
    const sent = api.received.length;
    const error = await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.collectPlatform, input('climate')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(api.received.slice(sent)).toEqual([`Bearer ${TOKEN}`]); // the platform was sent the token, so its echo held it
    expect(error).toBeInstanceOf(ApplicationFailure);
    const f = error as ApplicationFailure;
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: expected[mode].type, nonRetryable: expected[mode].nonRetryable });
    expect(f.message).toMatch(expected[mode].message);
    expectNoToken(`the ${mode} failure`, dump(f));
  });
});

describe('credentials in log lines', () => {
  it('every line is masked whatever carries the token: message, error, nested field, bare value', async () => {
    process.env.X_BEARER_TOKEN = TOKEN; // the logger masks the configured values of its process
    try {
      const lines: string[] = [];
      const log = createLogger({ write: (line: string) => lines.push(line) }, 'debug');
      const echoed = `{"title":"Unauthorized","detail":"invalid token Bearer ${TOKEN}"}`;
      log.warn(`platform answered ${echoed}`);
      log.error({ err: new Error(`X rejected the credentials (invalid token Bearer ${TOKEN})`) }, 'collect failed');
      log.info({ reply: { headers: { 'x-echo': TOKEN }, body: echoed } }, 'reply');
      log.debug(`the bare value ${TOKEN} and url-encoded ${encodeURIComponent(TOKEN)}`);
      expect(lines).toHaveLength(4);
      for (const line of lines) {
        expectNoToken('a log line', line);
        expect(() => JSON.parse(line), line).not.toThrow(); // masking keeps every line valid JSON
        expect(line).toContain(MASK);
      }
      expect(JSON.parse(lines[3]).msg).toBe(`the bare value ${MASK} and url-encoded ${MASK}`);
    } finally {
      delete process.env.X_BEARER_TOKEN;
    }
  });
});

describe('credentials through the CLI and the Temporal history (real stack)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await requireStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('socialsense collect against a 401 that echoes the token: stderr, log lines and history are masked', async () => {
    const query = uniqueId('secrets');
    const env = { ...process.env, X_BEARER_TOKEN: TOKEN, X_API_BASE_URL: api.base, TEMPORAL_TASK_QUEUE: uniqueId('test-secrets-cli'), LOG_LEVEL: 'info' };
    api.set('401');
    const sent = api.received.length;
    const result = await runCli(['collect', '--source', 'x', '--query', query, '--since', SINCE, '--until', UNTIL], { env });
    expect(api.received.slice(sent)).toEqual([`Bearer ${TOKEN}`]);
    expect(result.code, result.stderr).toBe(2);
    expectNoToken('stdout', result.stdout);
    expectNoToken('stderr', result.stderr);
    // the one-line error names the variable and shows where the token was
    expect(result.stderr).toContain(`error: X rejected the credentials (HTTP 401: Unauthorized; invalid token Bearer ${MASK}): check X_BEARER_TOKEN`);
    // the JSON log lines on stderr (the worker's activity-failure log among them) are masked too
    const logLines = result.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(
      logLines.some((l) => l.includes(MASK)),
      result.stderr,
    ).toBe(true);

    const workflowId = `collect-x-${encodeURIComponent(query)}-${SINCE}-${UNTIL}`;
    const history = dump(await stack.client.workflow.getHandle(workflowId).fetchHistory());
    expect(history).toContain('activityTaskFailedEventAttributes'); // the failure is in the history…
    expect(history).toContain(`invalid token Bearer ${MASK}`); // …masked
    expectNoToken('the workflow history', history);
  });

  describe("in-process workers: a retried failure (kept as the next attempt's last failure) and the final one", () => {
    let workers: Awaited<ReturnType<typeof startTestWorkers>>;
    beforeAll(async () => {
      // The worker reads credentials from process.env, as in production.
      process.env.X_BEARER_TOKEN = TOKEN;
      process.env.X_API_BASE_URL = api.base;
      workers = await startTestWorkers(stack, 'secrets');
    });
    afterAll(async () => {
      await workers?.stop();
      delete process.env.X_BEARER_TOKEN;
      delete process.env.X_API_BASE_URL;
    });

    it.each(MODES.filter((m) => m !== '401'))('%s, then 401: neither failure leaks the token into the history', async (mode) => {
      const workflowId = uniqueId(`secrets-${mode}`);
      api.set(mode, 1); // this mode once, then 401 (non-retryable) ends the activity
      const sent = api.received.length;
      const handle = await stack.client.workflow.start(collect, {
        workflowId,
        taskQueue: workers.taskQueue,
        args: [{ source: 'x', query: 'climate', since: SINCE, until: UNTIL, runKey: workflowId }],
        workflowExecutionTimeout: '2 minutes',
      });
      const outcome = await handle.result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(outcome, 'the workflow must fail').not.toBeNull();
      expect(api.received.slice(sent).every((a) => a === `Bearer ${TOKEN}`)).toBe(true);
      const history = dump(await handle.fetchHistory());
      expectNoToken(`the ${mode} workflow history`, history);
      expectNoToken(`the ${mode} workflow failure`, dump(outcome));
      const final = expected[mode].nonRetryable ? expected[mode] : expected['401'];
      expect(history).toMatch(new RegExp(final.message.source.replace(/^\^/, '')));
      if (!expected[mode].nonRetryable) {
        // the first attempt's failure is stored as the last attempt's lastFailure
        expect(api.received.length - sent).toBe(2);
        expect(history).toMatch(new RegExp(expected[mode].message.source.replace(/^\^/, '').replace(/"/g, '\\\\?"')));
      }
    });
  });
});
