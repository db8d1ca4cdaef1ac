import type { Db } from '../../lib/db';
import type { ObjectStore } from '../../lib/objectStore';
import {
  renderSvg,
  scopeSvgIds,
  segmentSizeSpec,
  segmentTraitsSpec,
  sentimentMixSpec,
  sentimentTrendSpec,
  termForecastSpec,
  topicSizeSpec,
  topTermsSpec,
} from './charts';
import { renderReportHtml, type ChartId, type ReportData, type ReportSection } from './html';
import { runLineage } from './queries/lineage';
import { modelVersions, sentimentModelsUsed } from './queries/models';
import { exampleRecommendations } from './queries/recommendations';
import { findRun } from './queries/runs';
import { userSegments } from './queries/segments';
import { sentimentByDay, sentimentTotals } from './queries/sentiment';
import { topicModelFor, topicSummary } from './queries/topics';
import { trends } from './queries/trends';
import type { TopLevelSpec } from 'vega-lite';

export interface BuildReportOptions {
  /** the run to report on; default: the latest completed run that scored posts */
  runKey?: string | null;
  /** fixed "generated at" (tests, reproducible output); default: now */
  now?: Date;
}

export interface Report {
  html: string;
  runKey: string;
  sections: ReportSection[];
  /** the data behind the page, as the `insights --json` commands print it */
  data: ReportData;
}

/** Every query the report needs for one run (also what `insights` prints). */
export async function loadReportData(db: Db, opts: BuildReportOptions = {}): Promise<ReportData> {
  const run = await findRun(db, opts.runKey);
  const topicModel = await topicModelFor(db, run);
  const [sentiment, topics, trendData, segments, examples, lineage, models, sentimentModels] = await Promise.all([
    sentimentByDay(db, run.runKey, topicModel),
    topicSummary(db, run.runKey, topicModel),
    trends(db, run),
    userSegments(db, run.runKey, topicModel),
    exampleRecommendations(db, run.runKey),
    runLineage(db, run.runKey, run.summary),
    modelVersions(db, run.runKey),
    sentimentModelsUsed(db, run.runKey),
  ]);
  return {
    run,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    topicModel,
    sentiment,
    sentimentTotals: sentimentTotals(sentiment),
    topics,
    trends: trendData,
    segments,
    examples,
    lineage,
    models,
    sentimentModels,
  };
}

/** The charts the data can fill; a chart without data is left out and its section says "No data yet". */
export function reportChartSpecs(d: ReportData): Partial<Record<ChartId, TopLevelSpec>> {
  const specs: Partial<Record<ChartId, TopLevelSpec>> = {};
  if (d.sentiment.length) {
    specs['sentiment-trend'] = sentimentTrendSpec(d.sentiment);
    specs['sentiment-mix'] = sentimentMixSpec(d.sentimentTotals);
  }
  if (d.trends.top.length) {
    specs['top-terms'] = topTermsSpec(d.trends.top, d.trends.source === 'term_trends');
    // emerging first: they are the news; then the biggest, up to six small multiples
    const seen = new Set<string>();
    const shown = [...d.trends.emerging, ...d.trends.top].filter((t) => {
      const k = `${t.kind}\u0000${t.term}`;
      return seen.has(k) ? false : (seen.add(k), true);
    });
    specs['term-forecasts'] = termForecastSpec(d.trends.series, shown.slice(0, 6));
  }
  const described = d.topics.filter((t) => t.topic !== null);
  if (described.length) specs['topic-sizes'] = topicSizeSpec(described);
  if (d.segments.segments.length) {
    specs['segment-sizes'] = segmentSizeSpec(d.segments.segments);
    specs['segment-traits'] = segmentTraitsSpec(d.segments.segments);
  }
  return specs;
}

/** The report of one run (default: the latest completed one) as a self-contained HTML page. */
export async function buildReport(db: Db, opts: BuildReportOptions = {}): Promise<Report> {
  const data = await loadReportData(db, opts);
  const svgs: Partial<Record<ChartId, string>> = {};
  // One at a time: rendering is CPU-bound and this keeps the event loop responsive between charts.
  for (const [id, spec] of Object.entries(reportChartSpecs(data)) as Array<[ChartId, TopLevelSpec]>) svgs[id] = scopeSvgIds(await renderSvg(spec), id);
  const { html, sections } = renderReportHtml(data, svgs);
  return { html, runKey: data.run.runKey, sections, data };
}

/** Where a run's report lives in the object store: beside the run's other outputs. */
export const reportKey = (runKey: string) => `reports/${runKey}/report.html`;

/** Stores the page in the object store and returns its URI. */
export async function storeReport(store: ObjectStore, report: Pick<Report, 'html' | 'runKey'>): Promise<string> {
  const key = reportKey(report.runKey);
  await store.put(key, Buffer.from(report.html, 'utf8'), 'text/html; charset=utf-8');
  return store.uri(key);
}
