import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import type { socialSensePipeline } from '../../workflows/pipeline';
import type { Stack } from '../../lib/stack';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';

/**
 * A person starting a pipeline run from the Temporal Web UI's "Start Workflow" form, in a real
 * headless Chromium against the UI served by `temporal server start-dev`. Written against UI 2.54
 * (the form is a page of its own, reached by a "Start Workflow" link on the workflows list).
 */

const artifacts = path.resolve(import.meta.dirname, '../../test-artifacts');
const WORKFLOW_DEADLINE_MS = 90_000;

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
let browser: Browser | undefined;
/** requests the page tried to send off the machine (aborted); kept for the failure message */
const blocked: string[] = [];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'ui');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await workers?.stop();
  await stack?.close();
});

async function openPage(): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 }, serviceWorkers: 'block' });
  // There is no internet here (nor in CI): the UI's news feed and the like must fail fast, not hang.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK.has(url.hostname)) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  return context.newPage();
}

/** The workflow's description once it has left RUNNING, asked of the server (not the UI) every half second. */
async function waitUntilClosed(workflowId: string) {
  const handle = stack.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + WORKFLOW_DEADLINE_MS;
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return description;
    if (Date.now() > deadline) throw new Error(`workflow ${workflowId} still running after ${WORKFLOW_DEADLINE_MS / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('Temporal Web UI', () => {
  it('starts socialSensePipeline from the Start Workflow form; it completes with its scores in Postgres', async () => {
    const uiUrl = stack.uiUrl;
    if (!uiUrl) throw new Error('the stack has no Temporal Web UI (TEMPORAL_UI_URL is unset)');
    fs.mkdirSync(artifacts, { recursive: true });
    const workflowId = uniqueId('ui-pipeline');
    const input = { source: 'simulated', posts: 60, days: 1, date: '2026-11-10', seed: 11 };
    const page = await openPage();
    // Generous: the UI's first load is CPU-bound and this 2-core box is shared (10 s seen under load).
    page.setDefaultTimeout(30_000);

    try {
      await page.goto(`${uiUrl}/namespaces/${stack.namespace}/workflows`);
      // A link in UI 2.x; exact, because each row also has a "Start Workflow Like This One" button.
      await page
        .getByRole('link', { name: 'Start Workflow', exact: true })
        .or(page.getByRole('button', { name: 'Start Workflow', exact: true }))
        .click();
      await page.getByRole('heading', { name: 'Start Workflow' }).waitFor();

      // Input first: the JSON editor (CodeMirror) reformats itself when it loses focus, and the
      // form grows under the pointer; filling it before the plain fields lets that settle early.
      const data = page.getByRole('textbox', { name: 'Data' });
      await data.fill(JSON.stringify(input));
      await page.getByRole('textbox', { name: 'Workflow ID' }).fill(workflowId);
      await page.getByRole('textbox', { name: 'Task Queue' }).fill(workers.taskQueue);
      await page.getByRole('textbox', { name: 'Workflow Type' }).fill('socialSensePipeline');
      await page.getByRole('radiogroup', { name: 'Encoding' }).getByRole('radio', { name: 'json/plain' }).check();
      // The editor holds exactly our object (no auto-closed brackets or lost characters).
      expect(JSON.parse((await data.textContent()) ?? '')).toEqual(input);
      // The UI looks the task queue up and shows a banner once it sees our workers polling; it is
      // also the last thing to move the layout before the submit button can be clicked reliably.
      await page.getByRole('status').filter({ hasText: 'Task Queue is Active' }).waitFor();

      const submit = page.getByRole('button', { name: 'Start Workflow', exact: true });
      expect(await submit.isEnabled()).toBe(true);
      await submit.click();

      // On success the form stays put and a toast links to the new run.
      const started = page.getByRole('link', { name: 'Workflow started successfully' });
      await started.waitFor();
      expect(await started.getAttribute('href')).toContain(`/workflows/${workflowId}/`);
      await started.click();
      await page.waitForURL((url) => url.pathname.includes(`/workflows/${workflowId}/`));

      const description = await waitUntilClosed(workflowId);
      expect(description.status.name).toBe('COMPLETED');
      expect(description.type).toBe('socialSensePipeline');
      expect(description.taskQueue).toBe(workers.taskQueue);
      const summary = await stack.client.workflow.getHandle<typeof socialSensePipeline>(workflowId).result();
      expect(summary.runKey).toBe(workflowId);
      expect(summary.date).toBe(input.date);
      expect(summary.scored).toBeGreaterThan(0);

      // The run's outputs, under the workflow id as run key.
      const scores = await stack.db.query('SELECT count(*)::int AS n, count(DISTINCT post_id)::int AS d FROM post_scores WHERE run_key = $1', [workflowId]);
      expect(scores.rows[0]).toEqual({ n: summary.scored, d: summary.scored });
      const run = await stack.db.query('SELECT status FROM runs WHERE run_key = $1', [workflowId]);
      expect(run.rows).toEqual([{ status: 'completed' }]);

      // What the person at the UI sees after a reload: the run Completed, with its result.
      await page.reload();
      const main = page.getByRole('main');
      await main
        .getByRole('status')
        .filter({ hasText: /^\s*Completed\s*$/ })
        .waitFor();
      await main.getByRole('heading', { name: workflowId }).waitFor();
      const result = main.getByRole('textbox', { name: 'Result' });
      await result.filter({ hasText: new RegExp(`"scored":\\s*${summary.scored}\\b`) }).waitFor();
      await page.screenshot({ path: path.join(artifacts, 'temporal-ui-run.png'), fullPage: true });
    } catch (err) {
      const shot = path.join(artifacts, 'temporal-ui-failure.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      const note = blocked.length ? `\nrequests blocked as off-machine: ${[...new Set(blocked)].join(', ')}` : '';
      throw new Error(`${(err as Error).message}\nscreenshot of the page: ${path.relative(process.cwd(), shot)}${note}`, { cause: err });
    } finally {
      await page.context().close();
    }
  }, 150_000);
});
