import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../lib/stack';
import { buildTestApi, createTestKeys, type TestKeys } from '../helpers/apiApp';
import { launchChromium } from '../helpers/browser';
import { insertReportFixture, type ReportFixture } from '../helpers/reportFixture';
import { requireStack } from '../helpers/stack';

/**
 * The report page as served by the API, opened in headless Chromium with a viewer key (sent as the
 * Authorization header on every request, as a gateway or a browser extension would): every chart
 * draws under the API's Content-Security-Policy, the page asks for nothing else, and the home page
 * links lead to reports. Without the key the same URL is a 401. The docs page works under its CSP too.
 */

const artifacts = path.resolve(import.meta.dirname, '../../test-artifacts');

let stack: Stack;
let app: FastifyInstance;
let keys: TestKeys;
let fx: ReportFixture;
let browser: Browser;
let base: string;

beforeAll(async () => {
  stack = await requireStack();
  fx = await insertReportFixture(stack.db);
  keys = await createTestKeys(stack, `e2e-${crypto.randomUUID().slice(0, 8)}`);
  app = await buildTestApi(stack, 'test-api-e2e-unused');
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await keys?.cleanup();
  await fx?.cleanup();
  await stack?.close();
});

/** A page that records console errors (CSP violations show up there) and every request it makes. */
async function open(context: BrowserContext): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  return { page, errors, requests };
}

describe('the report served by the API, in Chromium', () => {
  it('opens with a viewer key and draws every chart; without a key it is a 401', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      extraHTTPHeaders: { authorization: `Bearer ${keys.byRole.viewer.key}` },
    });
    const { page, errors, requests } = await open(context);
    try {
      const url = `${base}/v1/runs/${fx.runKey}/report`;
      const res = await page.goto(url, { waitUntil: 'load' });
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-type']).toContain('text/html');
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
      const charts = await page.$$eval('[data-chart]', (figures) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { id: f.getAttribute('data-chart'), width: box?.width ?? 0, marks: svg ? svg.querySelectorAll('.role-mark > *').length : 0 };
        }),
      );
      expect(charts).toHaveLength(7);
      for (const c of charts) {
        expect(c.width, `${c.id}`).toBeGreaterThan(200);
        expect(c.marks, `${c.id}`).toBeGreaterThan(0);
      }
      await expect(page.getByRole('heading', { name: 'How people feel', level: 2 }).isVisible()).resolves.toBe(true);
      expect(requests).toEqual([url]);
      expect(errors).toEqual([]);
      fs.mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, 'api-report.png'), fullPage: true });

      // the home page lists the latest runs, each linking to its report, and the link opens it
      const home = await page.goto(`${base}/`);
      expect(home?.status()).toBe(200);
      const links = await page.$$eval('a[href^="/v1/runs/"]', (as) => as.map((a) => a.getAttribute('href')!));
      expect(links.length).toBeGreaterThan(0);
      for (const l of links) expect(l).toMatch(/^\/v1\/runs\/[^/]+\/report$/);
      const [nav] = await Promise.all([page.waitForNavigation(), page.click(`a[href="${links[0]}"]`)]);
      expect(nav?.status()).toBe(200);
      expect(page.url()).toBe(`${base}${links[0]}`);
      await expect(page.locator('h1').first().isVisible()).resolves.toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }

    const anonymous = await browser.newContext();
    try {
      const page = await anonymous.newPage();
      const res = await page.goto(`${base}/v1/runs/${fx.runKey}/report`);
      expect(res?.status()).toBe(401);
      expect(JSON.parse(await page.locator('body').innerText()).error.code).toBe('unauthorized');
    } finally {
      await anonymous.close();
    }
  });

  it('the interactive docs load under their CSP', async () => {
    const context = await browser.newContext();
    const { page, errors } = await open(context);
    try {
      const res = await page.goto(`${base}/docs/`, { waitUntil: 'networkidle' });
      expect(res?.status()).toBe(200);
      await page.locator('.opblock-summary-path', { hasText: '/v1/posts' }).first().waitFor({ timeout: 15_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(20);
      expect(errors.filter((e) => !/favicon/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
