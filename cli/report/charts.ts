import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { fmtNum, fmtPct, termLabel } from './format';
import { addDays } from '../../lib/dates';
import { SEGMENT_TRAITS, type Segment } from './queries/segments';
import type { SentimentDay } from './queries/sentiment';
import type { TopicSummary } from './queries/topics';
import type { TermDay, TermSummary } from './queries/trends';

/**
 * Vega-Lite specs for the report, rendered to SVG strings in this process: no browser, no canvas,
 * no network (data is inlined and the loader refuses every URL), so the page that embeds them
 * opens anywhere, offline.
 */

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const PALETTE = ['#2563eb', '#f97316', '#10b981', '#e11d48', '#8b5cf6', '#0891b2', '#ca8a04', '#db2777', '#64748b'];
export const SENTIMENT_COLORS = { negative: '#dc2626', neutral: '#cbd5e1', positive: '#16a34a' } as const;
const INK = '#334155';
const MUTED = '#64748b';
const GRID = '#e2e8f0';
/** full-width charts; the page scales SVGs down to its column with CSS */
export const FULL_WIDTH = 1000;
export const HALF_WIDTH = 480;

const CONFIG = {
  font: FONT,
  background: '#ffffff',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelColor: MUTED,
    titleColor: INK,
    gridColor: GRID,
    domainColor: '#cbd5e1',
    tickColor: '#cbd5e1',
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 600,
    titlePadding: 8,
  },
  legend: {
    labelColor: INK,
    titleColor: INK,
    labelFontSize: 11,
    titleFontSize: 11,
    orient: 'bottom',
    symbolStrokeWidth: 3,
    columns: 4,
    labelLimit: 360,
    titleLimit: 400,
  },
  header: { labelColor: INK, labelFontSize: 12, labelFontWeight: 600, titleFontSize: 0 },
  range: { category: PALETTE },
  line: { strokeWidth: 2.5 },
  point: { size: 45, filled: true },
  bar: { cornerRadiusEnd: 3 },
} as const;

/** utcFormat of a YYYY-MM-DD label; days stay ordinal so no time zone can shift them */
const DAY_LABEL = "utcFormat(toDate(datum.value), '%b %d')";

const FIT = { type: 'fit', contains: 'padding' } as const;
/** fixed width, height from the number of bars */
const FIT_X = { type: 'fit-x', contains: 'padding' } as const;

function withConfig(spec: Record<string, unknown>): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec } as unknown as TopLevelSpec;
}

const noNetwork = (): vega.Loader => {
  const loader = vega.loader();
  const refuse = async (uri: string) => {
    throw new Error(`report charts are self-contained; refusing to load ${uri}`);
  };
  loader.load = refuse;
  loader.sanitize = refuse as unknown as vega.Loader['sanitize'];
  return loader;
};

/**
 * Compiles a Vega-Lite spec and renders it headless to an SVG string. Vega-Lite's warnings (which it
 * would print to the console, i.e. into `--json` output) go to `warnings` instead.
 */
export async function renderSvg(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  const errors: string[] = [];
  const collect =
    (into: string[]) =>
    (...args: unknown[]) =>
      void into.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  const warn = collect(warnings);
  const logger = {
    level: () => logger,
    error: collect(errors),
    // Vega-Lite says this for every "fit-x" chart with a step height, though fit-x never fits y: noise.
    warn: (...args: unknown[]) => (String(args[0]).startsWith('Dropping "fit-y"') ? undefined : warn(...args)),
    info: () => logger,
    debug: () => logger,
  };
  const runtime = vega.parse(compile(spec, { logger: logger as never }).spec);
  // Vega reports dataflow errors through its logger and renders an empty chart: make them fail instead.
  const view = new vega.View(runtime, { renderer: 'none', loader: noNetwork(), logger: logger as never, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    if (errors.length) throw new Error(`chart failed to render: ${errors.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}

/**
 * Prefixes the ids an SVG defines (clip paths, gradients) and its references to them, so several
 * charts inlined in one page cannot pick up each other's definitions.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id) => ` id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}-${id})`)
    .replace(/(\s(?:xlink:)?href)="#([^"]+)"/g, (_, attr, id) => `${attr}="#${prefix}-${id}"`);
}

// ---------------------------------------------------------------------------------------------
// Sentiment

/** At most `keep` topic lines: the biggest topics, the rest merged into "other topics". */
export function limitTopics(days: readonly SentimentDay[], keep = 7): SentimentDay[] {
  const postsByTopic = new Map<string, number>();
  for (const d of days) postsByTopic.set(d.topicName, (postsByTopic.get(d.topicName) ?? 0) + d.posts);
  if (postsByTopic.size <= keep + 1) return [...days];
  const kept = new Set(
    [...postsByTopic]
      .sort((a, b) => b[1] - a[1])
      .slice(0, keep)
      .map(([name]) => name),
  );
  const other = new Map<string, SentimentDay>();
  const out: SentimentDay[] = [];
  for (const d of days) {
    if (kept.has(d.topicName)) {
      out.push(d);
      continue;
    }
    const o = other.get(d.day) ?? {
      day: d.day,
      topic: null,
      topicName: 'other topics',
      posts: 0,
      meanSentiment: null,
      positive: 0,
      neutral: 0,
      negative: 0,
      notScored: 0,
    };
    // means weigh the posts that have sentiment; "not scored" posts have none
    const [ow, dw] = [o.posts - o.notScored, d.posts - d.notScored];
    o.meanSentiment = ow + dw > 0 ? ((o.meanSentiment ?? 0) * ow + (d.meanSentiment ?? 0) * dw) / (ow + dw) : null;
    o.notScored += d.notScored;
    o.posts += d.posts;
    o.positive += d.positive;
    o.neutral += d.neutral;
    o.negative += d.negative;
    other.set(d.day, o);
  }
  return [...out, ...other.values()];
}

export function sentimentTrendSpec(days: readonly SentimentDay[]): TopLevelSpec {
  const values = limitTopics(days).map((d) => ({ day: d.day, topic: d.topicName, mean: d.meanSentiment, posts: d.posts }));
  const series = new Set(values.map((v) => v.topic)).size;
  return withConfig({
    width: FULL_WIDTH,
    height: 280,
    autosize: FIT,
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: '#94a3b8' }, encoding: { y: { datum: 0, type: 'quantitative' } } },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'day', type: 'ordinal', title: null, axis: { labelExpr: DAY_LABEL, labelAngle: 0, labelOverlap: 'parity' } },
          y: { field: 'mean', type: 'quantitative', title: 'Average sentiment', scale: { zero: false, nice: true }, axis: { format: '+.2f' } },
          color:
            series > 1 ? { field: 'topic', type: 'nominal', title: 'Topic', sort: { field: 'posts', op: 'sum', order: 'descending' } } : { value: PALETTE[0] },
        },
      },
    ],
  });
}

export function sentimentMixSpec(totals: readonly SentimentDay[]): TopLevelSpec {
  const values = totals.flatMap((d) =>
    (['negative', 'neutral', 'positive'] as const).map((label, order) => ({
      day: d.day,
      label,
      order,
      posts: d[label],
      share: d.posts ? d[label] / d.posts : 0,
    })),
  );
  return withConfig({
    width: HALF_WIDTH,
    height: 240,
    autosize: FIT,
    data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 0 },
    encoding: {
      x: { field: 'day', type: 'ordinal', title: null, axis: { labelExpr: DAY_LABEL, labelAngle: 0, labelOverlap: 'parity' } },
      y: { field: 'posts', type: 'quantitative', stack: 'normalize', title: 'Share of posts', axis: { format: '.0%' } },
      color: {
        field: 'label',
        type: 'nominal',
        title: null,
        scale: { domain: ['negative', 'neutral', 'positive'], range: [SENTIMENT_COLORS.negative, SENTIMENT_COLORS.neutral, SENTIMENT_COLORS.positive] },
        legend: { orient: 'bottom', columns: 3 },
      },
      order: { field: 'order', type: 'quantitative' },
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Topics

export function topicSizeSpec(topics: readonly TopicSummary[], limit = 12): TopLevelSpec {
  const values = [...topics]
    .sort((a, b) => b.posts - a.posts)
    .slice(0, limit)
    .map((t) => ({ name: t.name, posts: t.posts, mean: t.meanSentiment, share: fmtPct(t.share) }));
  return labelledBarSpec({
    values,
    y: 'name',
    x: { field: 'posts', title: 'Posts' },
    color: {
      field: 'mean',
      type: 'quantitative',
      title: 'Average sentiment',
      scale: { domain: [-0.5, 0, 0.5], range: [SENTIMENT_COLORS.negative, '#e2e8f0', SENTIMENT_COLORS.positive], interpolate: 'rgb', clamp: true },
      legend: { orient: 'bottom', direction: 'horizontal', gradientLength: 160, format: '+.1f' },
    },
    label: { field: 'share' },
  });
}

/** One horizontal bar per row, in the given order, with a label written just past the bar's end. */
function labelledBarSpec(o: {
  values: object[];
  y: string;
  x: { field: string; title: string };
  color: Record<string, unknown>;
  label: Record<string, unknown>;
}): TopLevelSpec {
  return withConfig({
    width: HALF_WIDTH,
    height: { step: 26 },
    autosize: FIT_X,
    data: { values: o.values },
    encoding: {
      y: { field: o.y, type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
      x: { field: o.x.field, type: 'quantitative', title: o.x.title, axis: { format: '~s' } },
    },
    layer: [
      { mark: { type: 'bar' }, encoding: { color: o.color } },
      { mark: { type: 'text', align: 'left', dx: 4, color: MUTED, fontSize: 11 }, encoding: { text: o.label } },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Trends

/** `flags`: whether trend flags exist at all (without them there is no steady/trending legend to show). */
export function topTermsSpec(top: readonly TermSummary[], flags = true): TopLevelSpec {
  const values = [...top]
    .sort((a, b) => b.total - a.total)
    .map((t) => ({ term: termLabel(t.term, t.kind), total: t.total, status: t.trending ? 'trending' : 'steady' }));
  return labelledBarSpec({
    values,
    y: 'term',
    x: { field: 'total', title: 'Posts in the period' },
    color: flags
      ? {
          field: 'status',
          type: 'nominal',
          title: null,
          scale: { domain: ['steady', 'trending'], range: [PALETTE[0], PALETTE[1]] },
          legend: { orient: 'bottom', columns: 2 },
        }
      : { value: PALETTE[0] },
    label: { field: 'total', type: 'quantitative', format: ',' },
  });
}

/**
 * One row per term and day: the actual volume, and the band forecast the day before for that day
 * (one row past the last day holds tomorrow's forecast). Volume and forecast share a row because a
 * missing value breaks a Vega-Lite line.
 */
export function forecastRows(series: readonly TermDay[], terms: readonly TermSummary[]) {
  const wanted = new Map(terms.map((t, i) => [`${t.kind}\u0000${t.term}`, { label: termLabel(t.term, t.kind), order: i }]));
  type Row = {
    term: string;
    order: number;
    day: string;
    volume: number | null;
    flag: boolean;
    forecast: number | null;
    low: number | null;
    high: number | null;
  };
  const rows = new Map<string, Row>();
  const row = (term: string, order: number, day: string) => {
    const k = `${term}\u0000${day}`;
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { term, order, day, volume: null, flag: false, forecast: null, low: null, high: null }));
    return r;
  };
  for (const d of series) {
    const w = wanted.get(`${d.kind}\u0000${d.term}`);
    if (!w) continue;
    const today = row(w.label, w.order, d.day);
    today.volume = d.volume;
    today.flag = d.trendFlag;
    if (d.forecast !== null) {
      const next = row(w.label, w.order, addDays(d.day, 1));
      next.forecast = d.forecast;
      next.low = d.forecastLow ?? d.forecast;
      next.high = d.forecastHigh ?? d.forecast;
    }
  }
  return [...rows.values()].sort((a, b) => a.order - b.order || a.day.localeCompare(b.day));
}

/** Small multiples: each term's daily volume, its forecast band and the days it was flagged as trending. */
export function termForecastSpec(series: readonly TermDay[], terms: readonly TermSummary[]): TopLevelSpec {
  const values = forecastRows(series, terms);
  // 4 terms read better as 2 × 2 than as 3 + 1
  const columns = terms.length === 4 ? 2 : Math.min(3, terms.length);
  const days = new Set(values.map((v) => v.day)).size;
  // whole days only (a two-day window would otherwise get ticks every 12 hours); weeks for longer
  // series, since every-n-days ticks restart at each month
  const tickCount = days > 10 ? { interval: 'week', step: 1 } : { interval: 'day', step: Math.max(1, Math.ceil(days / 4)) };
  const x = { field: 'day', type: 'temporal', title: null, axis: { format: '%b %d', labelAngle: 0, tickCount, grid: false, labelOverlap: true } };
  return withConfig({
    data: { values },
    // days as UTC dates: a YYYY-MM-DD string parses as UTC midnight, and the scale stays in UTC
    transform: [{ calculate: 'toDate(datum.day)', as: 'day' }],
    facet: { field: 'term', type: 'nominal', title: null, sort: { field: 'order', op: 'min' } },
    columns,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: columns === 1 ? 600 : columns === 2 ? 440 : 290,
      height: 130,
      encoding: { x: { ...x, scale: { type: 'utc' } } },
      layer: [
        {
          mark: { type: 'area', color: PALETTE[0], opacity: 0.14 },
          encoding: { y: { field: 'low', type: 'quantitative', title: null }, y2: { field: 'high' } },
        },
        { mark: { type: 'line', color: PALETTE[0], strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'forecast', type: 'quantitative' } } },
        {
          mark: { type: 'line', color: INK, strokeWidth: 2 },
          encoding: { y: { field: 'volume', type: 'quantitative', title: 'posts / day', axis: { format: '~s', tickCount: 4 } } },
        },
        // every day gets a point, visible on flagged days only: a filtered layer would be empty (and warn) for steady terms
        {
          mark: { type: 'point', filled: true, size: 60, color: PALETTE[1] },
          encoding: { y: { field: 'volume', type: 'quantitative' }, opacity: { condition: { test: 'datum.flag', value: 1 }, value: 0 } },
        },
      ],
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Segments

export function segmentSizeSpec(segments: readonly Segment[]): TopLevelSpec {
  const values = [...segments].sort((a, b) => b.users - a.users).map((s) => ({ name: s.name, users: s.users, share: fmtPct(s.share) }));
  return withConfig({
    width: HALF_WIDTH,
    height: { step: 30 },
    autosize: FIT_X,
    data: { values },
    encoding: {
      y: { field: 'name', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
      x: { field: 'users', type: 'quantitative', title: 'Users', axis: { format: '~s' } },
    },
    layer: [
      { mark: { type: 'bar', color: PALETTE[4] } },
      { mark: { type: 'text', align: 'left', dx: 4, color: MUTED, fontSize: 11 }, encoding: { text: { field: 'share' } } },
    ],
  });
}

/** The traits a segment chart and table show: the curated ones the data has. */
export function traitsPresent(segments: readonly Segment[]) {
  return SEGMENT_TRAITS.filter((t) => segments.some((s) => Number.isFinite(s.traits[t.key])));
}

export function fmtTrait(value: number | undefined, trait: (typeof SEGMENT_TRAITS)[number]): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return trait.percent ? fmtPct(value, trait.digits) : fmtNum(value, trait.digits);
}

/** Heatmap: how far each segment's average sits from the average user (in standard deviations), labelled with the average itself. */
export function segmentTraitsSpec(segments: readonly Segment[]): TopLevelSpec {
  const traits = traitsPresent(segments);
  const values = segments.flatMap((s) =>
    traits.map((t) => ({
      segment: s.name,
      trait: t.short,
      z: Math.max(-2, Math.min(2, s.traitZ[t.key] ?? 0)),
      label: fmtTrait(s.traits[t.key], t),
    })),
  );
  return withConfig({
    width: FULL_WIDTH,
    height: { step: 34 },
    autosize: FIT_X,
    data: { values },
    encoding: {
      x: {
        field: 'trait',
        type: 'nominal',
        title: null,
        sort: traits.map((t) => t.short),
        axis: { orient: 'top', labelAngle: 0, labelFontWeight: 600, labelColor: INK, domain: false, ticks: false, labelPadding: 6 },
      },
      y: {
        field: 'segment',
        type: 'nominal',
        title: null,
        sort: segments.map((s) => s.name),
        axis: { domain: false, ticks: false, labelLimit: 200, labelFontWeight: 600, labelColor: INK, labelFontSize: 12 },
      },
    },
    layer: [
      {
        mark: { type: 'rect', cornerRadius: 4, stroke: '#ffffff', strokeWidth: 3 },
        encoding: {
          color: {
            field: 'z',
            type: 'quantitative',
            title: 'vs. the average user (std. dev.)',
            scale: { domain: [-2, 0, 2], range: ['#2563eb', '#f1f5f9', '#f97316'], interpolate: 'rgb' },
            legend: { orient: 'bottom', direction: 'horizontal', gradientLength: 220, format: '+.0f', titleLimit: 400 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 12 },
        encoding: { text: { field: 'label' }, color: { condition: { test: 'abs(datum.z) > 1.3', value: '#ffffff' }, value: INK } },
      },
    ],
  });
}
