import { fmtTrait } from './charts';
import { RETRAIN_HINT_HTML } from './nextSteps';
import { SEGMENT_TRAITS } from './queries/segments';
import { fmtBytes, fmtDay, fmtInt, fmtMetric, fmtNum, fmtPct, fmtSigned, fmtTime, fmtWindow, scalarMetrics, sentimentWord, termLabel } from './format';
import type { LineageDataset } from './queries/lineage';
import type { ReportModelVersion } from './queries/models';
import type { UserRecommendations } from './queries/recommendations';
import type { RunInfo } from './queries/runs';
import type { Segments } from './queries/segments';
import type { SentimentDay } from './queries/sentiment';
import type { TopicModelRef, TopicSummary } from './queries/topics';
import type { TermSummary, Trends } from './queries/trends';

/**
 * The report page: one HTML string with inline CSS and inline SVG charts, and nothing it would have
 * to fetch (a Content-Security-Policy forbids it anyway), so it can be mailed, archived and opened
 * offline. Written for a marketer: short headings, one line on how to read each chart, numbers in
 * tables; the technical trail sits at the end under "About this run".
 */

export interface ReportData {
  run: RunInfo;
  generatedAt: string;
  topicModel: TopicModelRef;
  sentiment: SentimentDay[];
  sentimentTotals: SentimentDay[];
  topics: TopicSummary[];
  trends: Trends;
  segments: Segments;
  examples: UserRecommendations[];
  lineage: LineageDataset[];
  models: ReportModelVersion[];
  sentimentModels: Array<{ model: string; posts: number }>;
}

export type ChartId = 'sentiment-trend' | 'sentiment-mix' | 'top-terms' | 'term-forecasts' | 'topic-sizes' | 'segment-sizes' | 'segment-traits';

export interface ReportSection {
  id: string;
  title: string;
  /** true when the section had nothing to show and says "No data yet" */
  empty: boolean;
  /** charts rendered in the section */
  charts: ChartId[];
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

type Svgs = Partial<Record<ChartId, string>>;

class Page {
  readonly sections: ReportSection[] = [];
  private current: ReportSection | null = null;
  constructor(private readonly svgs: Svgs) {}

  section(id: string, title: string, lede: string, body: (p: Page) => string): string {
    this.current = { id, title, empty: false, charts: [] };
    this.sections.push(this.current);
    const inner = body(this);
    return `<section id="${esc(id)}" class="card"><h2>${esc(title)}</h2><p class="lede">${lede}</p>${inner}</section>`;
  }

  /** The section's whole body when it has no data: says so, and what would fill it. */
  empty(why: string): string {
    if (this.current) this.current.empty = true;
    return this.noData(why);
  }

  /** A part of a section without data (the section keeps its other parts). */
  noData(why: string): string {
    return `<p class="empty"><strong>No data yet.</strong> ${why}</p>`;
  }

  chart(id: ChartId, caption: string, opts: { wide?: boolean } = {}): string {
    const svg = this.svgs[id];
    if (!svg) return '';
    this.current?.charts.push(id);
    return `<figure class="chart${opts.wide ? ' wide' : ''}" id="chart-${id}" data-chart="${id}">${svg}<figcaption>${caption}</figcaption></figure>`;
  }
}

type Column = string | { label: string; num?: boolean; nowrap?: boolean };

function table(head: Column[], rows: string[][], opts: { caption?: string; className?: string } = {}): string {
  const cols = head.map((h) => (typeof h === 'string' ? { label: h } : h));
  const cls = (c: (typeof cols)[number] | undefined) => (c && 'num' in c && c.num ? ' class="num"' : c && 'nowrap' in c && c.nowrap ? ' class="nowrap"' : '');
  const th = cols.map((c) => `<th${cls(c)}>${esc(c.label)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((cell, i) => `<td${cls(cols[i])}>${cell}</td>`).join('')}</tr>`).join('');
  return `<div class="table-wrap${opts.className ? ` ${opts.className}` : ''}">${opts.caption ? `<h3>${esc(opts.caption)}</h3>` : ''}<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const moodClass = (mean: number | null | undefined) => (mean === null || mean === undefined ? '' : mean >= 0.05 ? 'pos' : mean <= -0.05 ? 'neg' : 'neu');
const mood = (mean: number | null | undefined) => `<span class="mood ${moodClass(mean)}">${esc(fmtSigned(mean))}</span>`;

// ---------------------------------------------------------------------------------------------

function header(d: ReportData): string {
  const r = d.run;
  const source = (r.summary?.source ?? r.input.source ?? null) as string | null;
  return `<header class="hero"><div class="wrap">
    <div class="brand">SocialSense <span>· insights report</span></div>
    <h1>What people said, ${esc(fmtWindow(r.from, r.to))}</h1>
    <p class="meta">Run <code>${esc(r.runKey)}</code>${source ? ` · source <strong>${esc(source)}</strong>` : ''} · ${esc(r.status)}${r.error ? ` (${esc(r.error)})` : ''} · generated ${esc(fmtTime(d.generatedAt))}</p>
  </div></header>`;
}

function keyFigures(d: ReportData): string {
  // the mean weighs only posts with sentiment; "not scored" posts (no model for their language) have none
  const all = d.sentimentTotals.reduce(
    (a, t) => ({
      posts: a.posts + t.posts,
      sum: a.sum + (t.meanSentiment ?? 0) * (t.posts - t.notScored),
      pos: a.pos + t.positive,
      neg: a.neg + t.negative,
      notScored: a.notScored + t.notScored,
    }),
    { posts: 0, sum: 0, pos: 0, neg: 0, notScored: 0 },
  );
  const mean = all.posts > all.notScored ? all.sum / (all.posts - all.notScored) : null;
  const topTerm = d.trends.top[0];
  const lead = d.trends.emerging[0];
  // `value` arrives escaped; its length (for the smaller font) and tooltip are of the plain text
  const figure = (label: string, value: string, note = '', cls = '') => {
    const plain = value.replace(/&[a-z#0-9]+;/gi, '_');
    return `<div class="kpi ${cls}"><div class="kpi-label">${esc(label)}</div><div class="kpi-value${plain.length > 11 ? ' long' : ''}" title="${value}">${value}</div><div class="kpi-note">${note}</div></div>`;
  };
  return `<div class="kpis">
    ${figure('Posts analysed', esc(fmtInt(d.run.posts)), esc(fmtWindow(d.run.from, d.run.to)))}
    ${figure('Overall mood', esc(mean === null ? '–' : sentimentWord(mean)), mean === null ? 'no scored posts' : `average ${esc(fmtSigned(mean))} on −1…+1`, moodClass(mean))}
    ${figure('Positive posts', esc(all.posts ? fmtPct(all.pos / all.posts) : '–'), all.posts ? `negative ${esc(fmtPct(all.neg / all.posts))}${all.notScored ? `, not scored ${esc(fmtPct(all.notScored / all.posts))}` : ''}` : '', 'pos')}
    ${figure(!topTerm || topTerm.kind === 'hashtag' ? 'Top hashtag' : 'Top term', topTerm ? esc(termLabel(topTerm.term, topTerm.kind)) : '–', topTerm ? `${esc(fmtInt(topTerm.total))} posts` : 'no data yet')}
    ${figure('Trending now', esc(String(d.trends.emerging.length)), lead ? `led by ${esc(termLabel(lead.term, lead.kind))}` : d.trends.source === 'term_trends' ? 'nothing flagged' : 'no trend data yet', d.trends.emerging.length ? 'hot' : '')}
    ${figure('People profiled', esc(fmtInt(d.segments.users)), d.segments.segments.length ? `in ${d.segments.segments.length} segments` : 'no data yet')}
  </div>`;
}

function nav(): string {
  const links: Array<[string, string]> = [
    ['sentiment', 'Mood'],
    ['trends', 'Trends'],
    ['topics', 'Topics'],
    ['segments', 'Audience'],
    ['recommendations', 'Recommendations'],
    ['about', 'About this run'],
  ];
  return `<nav class="toc">${links.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`;
}

function sentimentSection(p: Page, d: ReportData): string {
  return p.section(
    'sentiment',
    'How people feel',
    'The average mood of posts each day, from −1 (negative) to +1 (positive), for each topic. Above the dashed line people were positive on balance.',
    (p) => {
      if (d.sentiment.length === 0) return p.empty('Sentiment appears once this run has scored posts.');
      // posts in a language without a sentiment model get none: their own column, only when there are any
      const notScored = d.sentimentTotals.some((t) => t.notScored > 0);
      const rows = d.sentimentTotals.map((t) => [
        esc(fmtDay(t.day)),
        esc(fmtInt(t.posts)),
        mood(t.meanSentiment),
        esc(fmtPct(t.posts ? t.positive / t.posts : null)),
        esc(fmtPct(t.posts ? t.neutral / t.posts : null)),
        esc(fmtPct(t.posts ? t.negative / t.posts : null)),
        ...(notScored ? [esc(fmtPct(t.posts ? t.notScored / t.posts : null))] : []),
      ]);
      const merged = new Set(d.sentiment.map((x) => x.topicName)).size > 8;
      return `${p.chart('sentiment-trend', `Average sentiment per day and topic${merged ? ' (the largest topics; the rest are merged into “other topics”)' : ''}.`, { wide: true })}
      <div class="grid2">
        ${p.chart('sentiment-mix', 'Share of positive, neutral and negative posts each day.')}
        ${table([{ label: 'Day', nowrap: true }, { label: 'Posts', num: true }, { label: 'Avg mood', num: true }, { label: 'Positive', num: true }, { label: 'Neutral', num: true }, { label: 'Negative', num: true }, ...(notScored ? [{ label: 'Not scored', num: true }] : [])], rows, { caption: notScored ? 'Per day, all topics (not scored: no sentiment model for the post’s language)' : 'Per day, all topics' })}
      </div>`;
    },
  );
}

function forecastCell(t: TermSummary): string {
  if (t.forecast === null) return '–';
  const band =
    t.forecastLow !== null && t.forecastHigh !== null ? ` <span class="band">(${esc(fmtInt(t.forecastLow))}–${esc(fmtInt(t.forecastHigh))})</span>` : '';
  return `${esc(fmtInt(t.forecast))}${band}`;
}

function trendsSection(p: Page, d: ReportData): string {
  const t = d.trends;
  return p.section(
    'trends',
    'What’s trending',
    'The hashtags and terms people used most, and the ones growing faster than their recent normal. The shaded band is the range we expected for each day; points above it are surprises.',
    (p) => {
      if (t.top.length === 0)
        return p.empty(
          `Hashtag volumes appear once this run has scored posts with hashtags, and forecasts once the trend model has run: ${RETRAIN_HINT_HTML}.`,
        );
      const fromPosts = t.source === 'post_scores';
      // term_trends counts every post of the window's days (every run and file of the source), the topic and sentiment
      // sections this run's own: say so where the two could be compared
      const note = fromPosts
        ? `<p class="note">Counted from this run’s posts. Trend flags and forecast bands appear once the trend model has run.</p>`
        : `<p class="note">Counted over every post of these days from this source (all its runs and files), not only this run’s: the topic and sentiment sections count the run’s own posts.</p>`;
      const status = (x: TermSummary) =>
        x.trending
          ? `<span class="tag hot">trending${x.flaggedDays > 1 ? ` · ${x.flaggedDays} days` : ''}</span>`
          : fromPosts
            ? '–'
            : '<span class="tag">steady</span>';
      const topRows = t.top.map((x) => [esc(termLabel(x.term, x.kind)), esc(fmtInt(x.total)), esc(fmtInt(x.lastVolume)), forecastCell(x), status(x)]);
      const emerging = t.emerging.length
        ? table(
            ['Term', { label: 'Last day', num: true }, { label: 'Score', num: true }, { label: 'Tomorrow (range)', num: true }],
            t.emerging.map((x) => [esc(termLabel(x.term, x.kind)), esc(fmtInt(x.lastVolume)), esc(fmtNum(x.score, 1)), forecastCell(x)]),
            { caption: 'Emerging: flagged as trending' },
          )
        : `<div class="table-wrap"><h3>Emerging: flagged as trending</h3>${fromPosts ? p.noData(`Emerging terms appear once the trend model has flagged some: ${RETRAIN_HINT_HTML}.`) : '<p class="note">Nothing grew unusually fast in this period.</p>'}</div>`;
      return `${note}<div class="grid2">
        ${p.chart('top-terms', `Posts per hashtag or term, ${esc(fmtWindow(t.from, t.to))}${fromPosts ? '' : '; orange = flagged as trending'}.`)}
        ${emerging}
      </div>
      ${p.chart('term-forecasts', fromPosts ? 'Posts per day for the top hashtags.' : 'Posts per day (dark line) against the expected range (shaded band, dashed = forecast); orange points mark days flagged as trending. The last band is tomorrow’s forecast.', { wide: true })}
      ${table(['Term', { label: 'Posts in period', num: true }, { label: 'Last day', num: true }, { label: 'Tomorrow (range)', num: true }, 'Status'], topRows, { caption: 'Top hashtags and terms' })}`;
    },
  );
}

const TOPIC_BASIS: Record<TopicModelRef['basis'], string> = {
  posts: "the one that scored this run's posts",
  run: 'recorded by this run',
  'at-run': 'serving when this run finished',
  serving: 'serving now',
  latest: 'the latest with terms',
  none: 'none',
};

function topicsSection(p: Page, d: ReportData): string {
  const described = d.topics.filter((t) => t.topic !== null);
  return p.section(
    'topics',
    'What topics are about',
    'Topics are groups of posts that use the same words. Each topic is named by its most telling terms; bigger chips weigh more.',
    (p) => {
      if (described.length === 0) return p.empty(`Topics appear once a topic model has assigned this run’s posts to topics: ${RETRAIN_HINT_HTML}.`);
      const maxWeight = (t: TopicSummary) => Math.max(1e-9, ...(t.weights ?? [0]));
      const chips = (t: TopicSummary) =>
        t.terms?.length
          ? t.terms
              .slice(0, 10)
              .map((term, i) => `<span class="chip" style="opacity:${(0.45 + 0.55 * ((t.weights?.[i] ?? 0) / maxWeight(t))).toFixed(2)}">${esc(term)}</span>`)
              .join('')
          : '<span class="muted">terms not recorded for this model version</span>';
      const rows = described.map((t) => [
        esc(String(t.topic)),
        `<div class="chips">${chips(t)}</div>`,
        esc(fmtInt(t.posts)),
        esc(fmtPct(t.share)),
        mood(t.meanSentiment),
      ]);
      const model =
        d.topicModel.version === null ? '' : `<p class="note">Topic model version ${d.topicModel.version} (${TOPIC_BASIS[d.topicModel.basis]}).</p>`;
      return `${model}<div class="grid2 topics">
      ${p.chart('topic-sizes', 'Posts per topic, coloured by the topic’s average mood.')}
      ${table(['#', 'Top terms', { label: 'Posts', num: true }, { label: 'Share', num: true }, { label: 'Mood', num: true }], rows)}
    </div>`;
    },
  );
}

function segmentsSection(p: Page, d: ReportData): string {
  const s = d.segments;
  return p.section(
    'segments',
    'Who is posting',
    'People grouped by how they behave: how often they post, the reactions they get, when they are active and how they sound. Orange cells are well above the average user, blue cells well below.',
    (p) => {
      if (s.segments.length === 0) return p.empty(`Audience segments appear once user profiles have been segmented: ${RETRAIN_HINT_HTML}.`);
      const scope =
        s.scope === 'run'
          ? `${fmtInt(s.users)} people active in this run, profiles as of ${fmtTime(s.updatedAt)}.`
          : `The latest profiles of ${fmtInt(s.users)} of this run’s authors (as of ${fmtTime(s.updatedAt)}).`;
      const rows = s.segments.map((g) => [
        `<strong>${esc(g.name)}</strong>`,
        esc(fmtInt(g.users)),
        esc(fmtTrait(g.traits.engagementProbability, ENGAGE)),
        g.topTopics.length
          ? `<div class="chips">${g.topTopics.map((t) => `<span class="chip" title="${esc(t.name)} · ${esc(fmtPct(t.share))} of their posts">${esc(t.label ?? t.name)}</span>`).join('')}</div>`
          : '–',
      ]);
      return `<p class="note">${esc(scope)}</p><div class="grid2">
        ${p.chart('segment-sizes', 'People per segment.')}
        ${table(['Segment', { label: 'People', num: true }, { label: 'Will engage', num: true }, 'Talks about'], rows)}
      </div>
      ${p.chart('segment-traits', 'Average of each trait per segment. Posts/day, reactions per post and interactions given per day; follower ratio = followers ÷ following; hour spread: 0 = always the same hour, 4.6 = around the clock; “will engage” = predicted engagement probability.', { wide: true })}`;
    },
  );
}

const ENGAGE = SEGMENT_TRAITS.find((t) => t.key === 'engagementProbability')!;

function recommendationsSection(p: Page, d: ReportData): string {
  return p.section(
    'recommendations',
    'Example recommendations',
    'What we would put in front of a few people, from the likeliest to engage in each segment: the items most similar to what they and people like them engaged with.',
    (p) => {
      if (d.examples.length === 0) return p.empty(`Recommendations appear once the recommender has scored users: ${RETRAIN_HINT_HTML}.`);
      const rows = d.examples.map((u) => [
        `<strong>${esc(u.handle ? `@${u.handle.replace(/^@/, '')}` : u.userId)}</strong>${u.handle ? `<div class="muted small">${esc(u.userId)}</div>` : ''}`,
        esc(u.segmentName ?? '–'),
        esc(fmtPct(u.engagementProbability)),
        `<ol class="recs">${u.recommendations.map((r) => `<li><span>${esc(r.item)}</span> <span class="muted small">${esc(r.kind)}${r.score === null ? '' : ` · ${esc(fmtNum(r.score, 2))}`}</span></li>`).join('')}</ol>`,
      ]);
      return `${table(['Person', 'Segment', { label: 'Likely to engage', num: true }, 'Recommended (best first)'], rows)}
      <p class="note">Any person’s list: <code>socialsense insights recommend --user ID</code></p>`;
    },
  );
}

const shortUri = (uri: string) => {
  const parts = uri.replace(/^[a-z0-9]+:\/\/[^/]+\//i, '').split('/');
  const file = parts.pop() ?? uri;
  return `${parts.join('/')}/${file.length > 22 ? `${file.slice(0, 8)}…${file.slice(file.indexOf('.'))}` : file}`;
};

/** Lineage per stage: how many datasets, which days, how much data, and which stages fed it. */
export function stageSummary(lineage: readonly LineageDataset[]) {
  const stageOf = new Map(lineage.map((x) => [x.uri, x.stage]));
  const groups = new Map<
    string,
    { stage: string; datasets: number; records: number; bytes: number; firstDay: string | null; lastDay: string | null; from: string[] }
  >();
  for (const x of lineage) {
    const g = groups.get(x.stage) ?? { stage: x.stage, datasets: 0, records: 0, bytes: 0, firstDay: null, lastDay: null, from: [] };
    g.datasets++;
    g.records += x.records;
    g.bytes += x.bytes;
    if (x.partitionDate) {
      if (!g.firstDay || x.partitionDate < g.firstDay) g.firstDay = x.partitionDate;
      if (!g.lastDay || x.partitionDate > g.lastDay) g.lastDay = x.partitionDate;
    }
    for (const u of x.inputs) {
      const from = stageOf.get(u) ?? 'earlier data';
      if (!g.from.includes(from)) g.from.push(from);
    }
    groups.set(x.stage, g);
  }
  return [...groups.values()];
}

function aboutSection(p: Page, d: ReportData): string {
  const r = d.run;
  return p.section(
    'about',
    'About this run',
    'Where these numbers come from: the run, the datasets it wrote (and what each was derived from), and the model versions behind the scores.',
    (p) => {
      const facts: Array<[string, string]> = [
        ['Run', `<code>${esc(r.runKey)}</code>`],
        ['Kind · status', `${esc(r.kind)} · ${esc(r.status)}`],
        ...(r.error ? ([['Why it ended', `<code class="small">${esc(r.error)}</code>`]] as Array<[string, string]>) : []),
        ['Started', esc(fmtTime(r.startedAt))],
        ['Finished', esc(fmtTime(r.finishedAt))],
        ['Posts scored', esc(fmtInt(r.posts))],
        ['Days covered', esc(fmtWindow(r.from, r.to))],
        ['Input', `<code class="small">${esc(JSON.stringify(r.input))}</code>`],
      ];
      const factTable = `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;

      const byUri = new Map(d.lineage.map((x) => [x.uri, x]));
      const lineage = d.lineage.length
        ? `${table(
            [
              'Stage',
              { label: 'Datasets', num: true },
              { label: 'Days', nowrap: true },
              { label: 'Records', num: true },
              { label: 'Size', num: true },
              'Derived from',
            ],
            stageSummary(d.lineage).map((g) => [
              `<span class="tag stage">${esc(g.stage)}</span>`,
              esc(fmtInt(g.datasets)),
              esc(g.firstDay === g.lastDay ? (g.firstDay ?? '–') : `${g.firstDay} … ${g.lastDay}`),
              esc(fmtInt(g.records)),
              esc(fmtBytes(g.bytes)),
              g.from.length ? g.from.map((x) => `<span class="tag stage">${esc(x)}</span>`).join(' ') : '<span class="muted">–</span>',
            ]),
            { caption: 'Lineage: the datasets behind this run', className: 'scroll' },
          )}
        <details class="datasets"><summary>All ${d.lineage.length} datasets, with their locations</summary>${table(
          [
            'Stage',
            'Dataset',
            { label: 'Day', nowrap: true },
            { label: 'Records', num: true },
            { label: 'Size', num: true },
            { label: 'Derived from', nowrap: true },
          ],
          d.lineage.map((x) => [
            `<span class="tag stage">${esc(x.stage)}</span>`,
            `<code class="small" title="${esc(x.uri)}">${esc(shortUri(x.uri))}</code><div class="muted small">${esc(x.schema)} · ${esc(x.format)}${
              x.runKey && x.runKey !== r.runKey ? ` · reused from <code>${esc(x.runKey)}</code>` : ''
            }</div>`,
            esc(x.partitionDate ?? '–'),
            esc(fmtInt(x.records)),
            esc(fmtBytes(x.bytes)),
            x.inputs.length
              ? x.inputs
                  .map((u) => {
                    const src = byUri.get(u);
                    return `<code class="small" title="${esc(u)}">${esc(src ? `${src.stage}${src.partitionDate ? ` ${src.partitionDate}` : ''}` : shortUri(u))}</code>`;
                  })
                  .join('<br>')
              : '<span class="muted">–</span>',
          ]),
          { className: 'scroll' },
        )}</details>`
        : `<div class="table-wrap"><h3>Lineage: the datasets behind this run</h3>${p.noData('This run has not catalogued any dataset.')}</div>`;

      const metricsCell = (m: ReportModelVersion) => {
        const base = new Map(scalarMetrics(m.baseline));
        const list = scalarMetrics(m.metrics);
        if (list.length === 0) return '–';
        return list
          .slice(0, 6)
          .map(
            ([k, v]) =>
              `<span class="metric"><span class="muted">${esc(k)}</span> ${esc(fmtMetric(v))}${base.has(k) ? ` <span class="muted small">(was ${esc(fmtMetric(base.get(k)))})</span>` : ''}</span>`,
          )
          .join('');
      };
      const models = d.models.length
        ? table(
            ['Model', { label: 'Version', num: true }, 'Status', 'Held-out metrics', 'Trained', 'Promoted'],
            d.models.map((m) => [
              `<strong>${esc(m.name)}</strong>`,
              esc(`v${m.version}`),
              `<span class="tag ${m.status === 'serving' ? 'ok' : m.status === 'rejected' ? 'bad' : ''}">${esc(m.status)}</span>${m.trainedByRun ? ' <span class="muted small">trained by this run</span>' : ''}`,
              `<div class="metrics">${metricsCell(m)}</div>`,
              esc(fmtTime(m.createdAt)),
              esc(fmtTime(m.promotedAt)),
            ]),
            { caption: 'Model versions: serving now, and any trained by this run', className: 'scroll' },
          )
        : `<div class="table-wrap"><h3>Model versions</h3>${p.noData('No model is registered yet; scores come from the built-in defaults.')}</div>`;
      const used = d.sentimentModels.length
        ? `<p class="note">Sentiment scores of this run’s posts came from ${d.sentimentModels.map((m) => `<code>${esc(m.model)}</code> (${esc(fmtInt(m.posts))} posts)`).join(', ')}.</p>`
        : '';
      return `${factTable}${lineage}${models}${used}`;
    },
  );
}

const CSS = `
:root{--ink:#0f172a;--text:#334155;--muted:#64748b;--line:#e2e8f0;--bg:#f1f5f9;--card:#fff;--accent:#2563eb;--pos:#16a34a;--neg:#dc2626;--hot:#f97316}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 ${"system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"};-webkit-font-smoothing:antialiased}
.wrap{max-width:1120px;margin:0 auto;padding:0 24px}
.hero{background:linear-gradient(135deg,#0f172a 0%,#1e3a8a 100%);color:#fff;padding:28px 0 64px}
.brand{font-weight:700;letter-spacing:.02em;font-size:13px;text-transform:uppercase;color:#93c5fd}.brand span{color:#cbd5e1;font-weight:500;text-transform:none}
.hero h1{margin:6px 0 6px;font-size:30px;line-height:1.2;color:#fff;font-weight:700}
.hero .meta{margin:0;color:#cbd5e1;font-size:13px}.hero code{background:rgba(255,255,255,.12);color:#fff}
main.wrap{margin-top:-44px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:14px}
.kpi{background:var(--card);border-radius:12px;padding:14px 16px;box-shadow:0 1px 2px rgba(15,23,42,.06),0 4px 14px rgba(15,23,42,.06);border-top:3px solid var(--accent)}
.kpi.pos{border-top-color:var(--pos)}.kpi.neg{border-top-color:var(--neg)}.kpi.neu{border-top-color:#94a3b8}.kpi.hot{border-top-color:var(--hot)}
.kpi-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.kpi-value{font-size:22px;font-weight:700;color:var(--ink);margin:2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.kpi-value.long{font-size:17px;line-height:33px}
.kpi-note{font-size:12px;color:var(--muted)}
.toc{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 14px}
.toc a{color:var(--accent);text-decoration:none;background:var(--card);border:1px solid var(--line);border-radius:999px;padding:4px 12px;font-size:13px}
.toc a:hover{background:#eff6ff}
.card{background:var(--card);border-radius:14px;padding:22px 24px 18px;margin:0 0 16px;box-shadow:0 1px 2px rgba(15,23,42,.06),0 4px 14px rgba(15,23,42,.05)}
h2{margin:0 0 2px;font-size:20px;color:var(--ink)}
h3{margin:4px 0 8px;font-size:14px;color:var(--ink)}
.lede{margin:0 0 14px;color:var(--muted);max-width:820px}
.note{margin:0 0 12px;color:var(--muted);font-size:13px}
.empty{margin:6px 0 10px;padding:14px 16px;border:1px dashed #cbd5e1;border-radius:10px;color:var(--muted);background:#f8fafc}
.empty strong{color:var(--text)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:22px;align-items:start;margin-bottom:8px}
.grid2.topics{grid-template-columns:minmax(0,5fr) minmax(0,6fr)}
@media (max-width:900px){.grid2,.grid2.topics{grid-template-columns:1fr}}
figure.chart{margin:0 0 14px;min-width:0}
figure.chart svg{display:block;width:100%;height:auto}
figcaption{font-size:12px;color:var(--muted);margin-top:4px}
.table-wrap{min-width:0;margin:0 0 14px}.table-wrap.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em;border-bottom:2px solid var(--line);padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:7px 8px;vertical-align:top}
tbody tr:nth-child(even) td{background:#f8fafc}
.nowrap{white-space:nowrap}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mood.pos{color:var(--pos);font-weight:600}.mood.neg{color:var(--neg);font-weight:600}.mood.neu{color:var(--muted)}
.band{color:var(--muted);font-size:12px}
.tag{display:inline-block;font-size:11px;padding:1px 8px;border-radius:999px;background:#e2e8f0;color:#334155;white-space:nowrap}
.tag.hot{background:#ffedd5;color:#9a3412}.tag.ok{background:#dcfce7;color:#166534}.tag.bad{background:#fee2e2;color:#991b1b}.tag.stage{background:#dbeafe;color:#1e40af}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{background:#eff6ff;color:#1e40af;border-radius:6px;padding:1px 7px;font-size:12px}
.muted{color:var(--muted)}.small{font-size:11.5px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#f1f5f9;padding:1px 5px;border-radius:4px;word-break:break-all}
ol.recs{margin:0;padding-left:18px}ol.recs li{margin:1px 0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0 0 18px;font-size:13px}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.metrics{display:flex;flex-wrap:wrap;gap:2px 12px}.metric{white-space:nowrap}
details.datasets{margin:-4px 0 16px}details.datasets summary{cursor:pointer;color:var(--accent);font-size:13px;margin-bottom:8px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 0 28px}
@media print{body{background:#fff}.hero{padding-bottom:24px}main.wrap{margin-top:0}.card,.kpi{box-shadow:none;border:1px solid var(--line)}.toc{display:none}section{break-inside:avoid-page}}
`;

/** The whole page for the report's data and its rendered charts; also says which sections had data. */
export function renderReportHtml(d: ReportData, svgs: Svgs): { html: string; sections: ReportSection[] } {
  const p = new Page(svgs);
  const body = [sentimentSection(p, d), trendsSection(p, d), topicsSection(p, d), segmentsSection(p, d), recommendationsSection(p, d), aboutSection(p, d)].join(
    '\n',
  );
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="socialsense report">
<meta name="socialsense-run" content="${esc(d.run.runKey)}">
<title>SocialSense report · ${esc(fmtWindow(d.run.from, d.run.to))} · ${esc(d.run.runKey)}</title>
<style>${CSS}</style>
</head>
<body>
${header(d)}
<main class="wrap">
${keyFigures(d)}
${nav()}
${body}
</main>
<footer>Generated by <code>socialsense report --run ${esc(d.run.runKey)}</code> · ${esc(fmtTime(d.generatedAt))} · charts rendered with Vega-Lite; this page needs no network.</footer>
</body>
</html>
`;
  return { html, sections: p.sections };
}
