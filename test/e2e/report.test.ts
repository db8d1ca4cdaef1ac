import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import type { Stack } from '../../lib/stack';
import { buildReport, type Report } from '../../cli/report/build';
import { insertReportFixture, type ReportFixture } from '../helpers/reportFixture';
import { requireStack } from '../helpers/stack';

/**
 * The report as a person sees it: opened from disk in a real headless Chromium with every request
 * but the page itself refused. Each chart must have drawn (an SVG with area and marks in it) and the
 * page must not have asked for anything. The screenshot stays in test-artifacts/report.png.
 */

const artifacts = path.resolve(import.meta.dirname, '../../test-artifacts');

let stack: Stack;
let fx: ReportFixture;
let report: Report;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await requireStack();
  fx = await insertReportFixture(stack.db);
  report = await buildReport(stack.db, { runKey: fx.runKey });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fx?.cleanup();
  await stack?.close();
});

interface ChartCheck {
  id: string;
  svgs: number;
  width: number;
  height: number;
  marks: number;
  /** data marks drawn with a visible size (bars, lines, points, cells) */
  visibleMarks: number;
}

describe('HTML report in Chromium', () => {
  it('draws every chart, requests nothing, and looks right', async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, 'report.html');
    fs.writeFileSync(file, report.html);
    const url = pathToFileURL(file).href;

    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      requests.push(u);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('request', (r) => {
      if (r.url() !== url && !requests.includes(r.url())) requests.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    try {
      await page.goto(url, { waitUntil: 'load' });
      const expected = report.sections.flatMap((s) => s.charts);
      expect(expected).toHaveLength(7);

      const charts: ChartCheck[] = await page.$$eval('[data-chart]', (figures) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const marks = svg ? [...svg.querySelectorAll('.role-mark > *')] : [];
          const visible = marks.filter((m) => {
            const b = (m as SVGGraphicsElement).getBBox?.();
            return b && (b.width > 0 || b.height > 0);
          });
          return {
            id: f.getAttribute('data-chart') ?? '',
            svgs: f.querySelectorAll('svg').length,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: marks.length,
            visibleMarks: visible.length,
          };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(expected);
      for (const c of charts) {
        expect(c.svgs, c.id).toBe(1);
        expect(c.width, `${c.id} width`).toBeGreaterThan(200);
        expect(c.height, `${c.id} height`).toBeGreaterThan(80);
        expect(c.visibleMarks, `${c.id} marks`).toBeGreaterThan(0);
      }
      // a few specific marks a reader relies on: one line per topic, a bar per top term, a cell per segment × trait
      const count = (selector: string) => page.locator(selector).count();
      expect(await count('[data-chart="sentiment-trend"] .mark-line.role-mark path')).toBe(3);
      expect(await count('[data-chart="top-terms"] .mark-rect.role-mark path')).toBe(report.data.trends.top.length);
      expect(await count('[data-chart="segment-traits"] .mark-rect.role-mark path')).toBe(3 * 9);

      // everything a marketer reads first is on the page
      for (const heading of ['How people feel', 'What’s trending', 'What topics are about', 'Who is posting', 'Example recommendations', 'About this run']) {
        await expect(page.getByRole('heading', { name: heading, level: 2 }).isVisible()).resolves.toBe(true);
      }
      expect(await page.locator('.kpi').count()).toBe(6);

      expect(requests, 'the page must be self-contained').toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
      await context.close();
    }
  });
});
