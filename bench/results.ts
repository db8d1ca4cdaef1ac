/**
 * The document `npm run bench` writes: bench/results/latest.json (every figure) and latest.md (the
 * tables people read). Figures are named as the eval commands name them (macroRecall, nmi, f1,
 * ndcg10) plus postsPerSecond, orchestrationShare and speedup.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EndToEndResult } from './endToEnd';
import type { QualityResults } from './quality';
import { spamMarkdown, type SpamBench } from './spamFalsePositives';
import { STAGES } from './stages';
import type { ThroughputResult } from './throughput';

type Part<T> = T | { skipped: string } | { error: string };

export interface EndToEndSection {
  posts: number;
  runs: Array<EndToEndResult | { workers: number; error: string }>;
  /** postsPerSecond with the most worker processes / with one */
  speedup: number | null;
}

export interface BenchResults {
  startedAt: string;
  seconds: number;
  machine: { cpus: number; memoryGiB: number; node: string; loadAverage: number[] };
  options: Record<string, unknown>;
  throughput: { realTweets: Part<ThroughputResult>; simulated: Part<ThroughputResult> };
  endToEnd: Part<EndToEndSection>;
  quality: Part<QualityResults>;
  /** bench/spamFalsePositives.ts: what the near-duplicate spam filter removes from real tweets */
  spam?: Part<SpamBench>;
}

const isResult = <T extends object>(x: T | { skipped: string } | { error: string }): x is T => !('skipped' in x) && !('error' in x);
const why = (x: { skipped: string } | { error: string }) => ('skipped' in x ? `skipped: ${x.skipped}` : `failed: ${x.error.split('\n')[0]}`);
const num = (x: number | null | undefined, digits?: number) => (x === null || x === undefined ? '' : digits === undefined ? x.toLocaleString('en-US') : x.toFixed(digits));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function throughputTable(r: BenchResults['throughput']): string[] {
  const sets = [
    ['real tweets', r.realTweets],
    ['simulated', r.simulated],
  ] as const;
  const present = sets.filter(([, s]) => isResult(s)) as Array<readonly [string, ThroughputResult]>;
  const lines = sets.filter(([, s]) => !isResult(s)).map(([name, s]) => `- ${name}: ${why(s as { skipped: string })}`);
  if (present.length === 0) return lines;
  const header = present.map(([name, s]) => `${name}: 1 core | ${name}: ${s.threads} cores | speedup | posts measured`).join(' | ');
  lines.push(`| stage | ${header} |`, `|---|${present.map(() => '---|---|---|---|').join('')}`);
  for (const stage of STAGES) {
    const cells = present.map(([, s]) => {
      const st = s.stages[stage];
      return `${num(st.oneCore.postsPerSecond)} | ${num(st.allCores.postsPerSecond)} | ${num(st.speedup, 2)} | ${num(st.oneCore.posts)}`;
    });
    lines.push(`| ${stage} | ${cells.join(' | ')} |`);
  }
  lines.push('', 'posts/s; "posts measured" counts repetitions on the real tweets and stops early on slow stages (see bench/README.md).');
  for (const [name, s] of present) {
    lines.push(`- ${name}: ${num(s.posts)} posts, shards of ${num(s.shardSize)}, topic model fitted on ${s.topicModel.posts} posts; other processes used ${num(s.otherCores, 2)} cores meanwhile`);
  }
  return lines;
}

function endToEndTable(e: BenchResults['endToEnd']): string[] {
  if (!isResult(e)) return [`- ${why(e)}`];
  const lines = [
    '| worker processes | posts | partitions | wall s | postsPerSecond | orchestrationShare | of which before retries | idle share | retries | worker CPU s | Postgres CPU s | Temporal CPU s | MinIO CPU s | worker peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of e.runs) {
    if ('error' in run) {
      lines.push(`| ${run.workers} | failed: ${run.error.split('\n')[0]} |`);
      continue;
    }
    const workerCpu = run.cpuSeconds.workers.reduce<number>((s, c) => s + (c ?? 0), 0);
    lines.push(
      `| ${run.workers} | ${num(run.posts)} | ${run.partitions} | ${num(run.wallSeconds, 1)} | ${num(run.postsPerSecond)} | ${pct(run.orchestrationShare)} | ${pct(run.retryShare)} | ${pct(run.idleShare)} | ${run.retries.length} | ${num(workerCpu, 1)} | ${num(run.cpuSeconds.services.postgres, 1)} | ${num(run.cpuSeconds.services.temporal, 1)} | ${num(run.cpuSeconds.services.minio, 1)} | ${run.peakRssMb.join(', ')} |`,
    );
  }
  lines.push('', `speedup (most worker processes / one): ${e.speedup ?? 'n/a'}`);
  for (const run of e.runs) {
    if ('error' in run || run.retries.length === 0) continue;
    const reasons = new Map<string, number>();
    for (const r of run.retries) reasons.set(`${r.activityType}: ${r.lastFailure}`, (reasons.get(`${r.activityType}: ${r.lastFailure}`) ?? 0) + 1);
    lines.push(`- retries with ${run.workers} worker process(es): ${[...reasons].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  }
  const first = e.runs.find((r): r is EndToEndResult => !('error' in r));
  if (first) {
    lines.push('', '| activity | runs | seconds (1 worker process, summed) | on the critical path |', '|---|---|---|---|');
    for (const [name, a] of Object.entries(first.activities)) lines.push(`| ${name} | ${a.count} | ${num(a.seconds, 1)} | ${num(a.onPathSeconds, 1)} |`);
    lines.push('', `features used: ${JSON.stringify(first.featureModels)}`);
  }
  return lines;
}

function qualityTable(q: BenchResults['quality']): string[] {
  if (!isResult(q)) return [`- ${why(q)}`];
  if (q.skipped) return [`- ${q.skipped}`];
  const lines = ['| area | model | metric | value |', '|---|---|---|---|'];
  const row = (area: string, model: string, metric: string, value: number | null | undefined) => lines.push(`| ${area} | ${model} | ${metric} | ${num(value, 4)} |`);
  const notes: string[] = [];
  const each = <T extends object>(area: string, x: Part<T> | undefined, fn: (r: T) => void) => {
    if (!x) return;
    if (isResult(x)) fn(x);
    else notes.push(`- ${area}: ${why(x)}`);
  };
  each('sentiment', q.sentiment, (s) => s.rows.forEach((r) => row('sentiment', r.name, 'macroRecall', r.macroRecall)));
  each('topics', q.topics, (t) => {
    row('topics', `clusters, k chosen (${t.auto.k})`, 'nmi', t.auto.nmi);
    row('topics', `baseline: tf-idf + k-means, k ${t.auto.baseline.k}`, 'nmi', t.auto.baseline.nmi);
    row('topics', `clusters, k ${t.given.k} given`, 'nmi', t.given.nmi);
    row('topics', `baseline: tf-idf + k-means, k ${t.given.baseline.k}`, 'nmi', t.given.baseline.nmi);
    row('topics', `clusters, k chosen: seed agreement`, 'nmi', t.auto.seedAgreement.nmi);
    row('topics', `GSDMM (previous default), k ${t.dmm.k}`, 'nmi', t.dmm.nmi);
    row('topics', `baseline: most frequent of top-${t.k} terms`, 'nmi', t.baselines.topTermNmi);
    row('topics', 'baseline: random', 'nmi', t.baselines.randomNmi);
  });
  each('trends', q.trends, (t) => {
    const loso = 'count NB surprise (leave-one-series-out)';
    row('trends', loso, 'f1', t.detector.f1);
    row('trends', loso, 'falseAlarmsPerDay', t.detector.falseAlarmsPerDay);
    row('trends', loso, 'meanDelayMinutes', t.detector.meanDelayMinutes);
    row('trends', loso, 'meanDelayAfterLabelMinutes', t.detector.meanDelayAfterLabelMinutes);
    row('trends', 'baseline: fixed mean + 3 sd', 'f1', t.detector.baselines.fixedThreshold.f1);
    row('trends', 'baseline: fixed mean + 3 sd', 'falseAlarmsPerDay', t.detector.baselines.fixedThreshold.falseAlarmsPerDay);
    row('trends', 'earlier: seasonal EWMA z (settings from AAPL)', 'f1', t.ewma.f1);
    row('trends', 'Holt-Winters forecast', 'mase', t.detector.mase);
    row('trends', 'baseline: seasonal naive forecast', 'mase', t.detector.baselines.seasonalNaive.mase);
  });
  each('recommend', q.recommend, (r) => r.rows.forEach((x) => row('recommend', x.model, 'ndcg10', x.ndcg10)));
  return [...lines, ...(notes.length ? ['', ...notes] : [])];
}

export function renderMarkdown(r: BenchResults): string {
  return [
    `# SocialSense benchmark`,
    '',
    `${r.startedAt}, ${r.seconds} s; ${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, load average at start ${r.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}. Options: \`${JSON.stringify(r.options)}\``,
    '',
    '## Throughput per stage (posts/s)',
    '',
    ...throughputTable(r.throughput),
    '',
    '## End to end on the local stack: collect(file) → preprocess → features → score',
    '',
    ...endToEndTable(r.endToEnd),
    '',
    '## Quality on the shared data sets',
    '',
    ...qualityTable(r.quality),
    '',
    ...(r.spam ? ['## Spam filter on real tweets', '', isResult(r.spam) ? spamMarkdown(r.spam) : `- ${why(r.spam)}`, ''] : []),
  ].join('\n');
}

export function writeResults(dir: string, results: BenchResults): { json: string; markdown: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'latest.json');
  const markdown = path.join(dir, 'latest.md');
  fs.writeFileSync(json, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(markdown, renderMarkdown(results));
  return { json, markdown };
}
