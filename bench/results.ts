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
import type { LanguageIdBenchResult } from './languageId';
import { STAGES } from './stages';
import type { ThroughputResult } from './throughput';

type Part<T> = T | { skipped: string } | { error: string };

export interface EndToEndSection {
  posts: number;
  runs: Array<EndToEndResult | { workers: number; threads: number; error: string }>;
  /**
   * Scale-out over single-threaded processes: postsPerSecond of the run with the most worker processes
   * of 1 thread each / of the run with 1 process of 1 thread (the 2 × 1 and 1 × 1 configurations by default)
   */
  speedup: number | null;
  /** postsPerSecond of 1 process with the most threads / of 1 process with 1 thread */
  threadSpeedup?: number | null;
}

/** One size of the cost curve: the pipeline on `posts` posts, 1 worker process with `threads` threads. */
export interface CostPoint {
  posts: number;
  partitions: number;
  threads: number;
  wallSeconds: number;
  postsPerSecond: number;
  /** CPU of the worker process (all its threads) per post collected */
  cpuMsPerPost: number | null;
  /** CPU of the whole machine (worker, Temporal, Postgres, MinIO, and anything else running) per post */
  machineCpuMsPerPost: number | null;
  peakRssMb: number | null;
  /** peak RSS / posts: falls with size while memory is bounded, stays flat when it grows with the input */
  peakRssKiBPerPost: number | null;
  orchestrationShare: number;
  retries: number;
}

export interface CostSection {
  threads: number;
  points: Array<CostPoint | { posts: number; error: string }>;
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
  /** the cost curve: the end-to-end pipeline at growing sizes (bench/README.md "Cost curve") */
  cost?: Part<CostSection>;
  /** bench/languageId.ts: the language detector against tinyld, accuracy and speed in the same run */
  language?: Part<LanguageIdBenchResult>;
}

/** The language-identification comparison as a markdown table. */
export function languageMarkdown(r: LanguageIdBenchResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const speed = (s: LanguageIdBenchResult['speed']['realTweets']) =>
    'ratio' in s ? [`${s.ours.postsPerSecond}`, `${s.tinyld.postsPerSecond}`, `${s.ratio.toFixed(1)}x`] : [s.skipped, '', ''];
  const english = r.englishTweets;
  return [
    '| | ours | tinyld (before) | ratio |',
    '|---|---|---|---|',
    `| posts/s, real tweets (one core) | ${speed(r.speed.realTweets).join(' | ')} |`,
    `| posts/s, labelled sample | ${speed(r.speed.sample).join(' | ')} |`,
    `| sample accuracy, micro (${r.sample.posts} posts, ${r.sample.languages} languages) | ${pct(r.sample.ours.micro)} | ${pct(r.sample.tinyld.micro)} | |`,
    `| sample accuracy, macro | ${pct(r.sample.ours.macro)} | ${pct(r.sample.tinyld.macro)} | |`,
    `| sample left undetected | ${pct(r.sample.ours.undetected)} | ${pct(r.sample.tinyld.undetected)} | |`,
    ...('ours' in english ? [`| English dev tweets called English | ${pct(english.ours.english)} | ${pct(english.tinyld.english)} | |`] : []),
    '',
    `Load average ${r.loadAverage.before.toFixed(2)} → ${r.loadAverage.after.toFixed(2)} on ${r.loadAverage.cores} cores.`,
  ].join('\n');
}

/** A cost-curve point from one end-to-end run. */
export function costPoint(run: EndToEndResult): CostPoint {
  const workerCpu = run.cpuSeconds.workers.every((c) => c === null) ? null : run.cpuSeconds.workers.reduce<number>((a, c) => a + (c ?? 0), 0);
  const perPost = (x: number | null, scale: number) => (x === null || run.posts === 0 ? null : Number(((x * scale) / run.posts).toFixed(3)));
  return {
    posts: run.posts,
    partitions: run.partitions,
    threads: run.threads,
    wallSeconds: run.wallSeconds,
    postsPerSecond: run.postsPerSecond,
    cpuMsPerPost: perPost(workerCpu, 1000),
    machineCpuMsPerPost: perPost(run.cpuSeconds.machine, 1000),
    peakRssMb: run.peakRssMb,
    peakRssKiBPerPost: perPost(run.peakRssMb, 1024),
    orchestrationShare: run.orchestrationShare,
    retries: run.retries.length,
  };
}

/**
 * endToEnd.speedup and threadSpeedup from the runs that succeeded (see EndToEndSection); null when the
 * runs needed for a ratio are missing.
 */
export function endToEndSpeedups(runs: EndToEndSection['runs']): Pick<EndToEndSection, 'speedup' | 'threadSpeedup'> {
  const ok = runs.filter((r): r is EndToEndResult => !('error' in r));
  const base = ok.find((r) => r.workers === 1 && r.threads === 1);
  const ratio = (r: EndToEndResult | undefined) => (base && r && r !== base ? Number((r.postsPerSecond / base.postsPerSecond).toFixed(2)) : null);
  const byWorkers = ok.filter((r) => r.threads === 1).sort((a, b) => b.workers - a.workers)[0];
  const byThreads = ok.filter((r) => r.workers === 1).sort((a, b) => b.threads - a.threads)[0];
  return { speedup: ratio(byWorkers), threadSpeedup: ratio(byThreads) };
}

const isResult = <T extends object>(x: T | { skipped: string } | { error: string }): x is T => !('skipped' in x) && !('error' in x);
const why = (x: { skipped: string } | { error: string }) => ('skipped' in x ? `skipped: ${x.skipped}` : `failed: ${x.error.split('\n')[0]}`);
const num = (x: number | null | undefined, digits?: number) =>
  x === null || x === undefined ? '' : digits === undefined ? x.toLocaleString('en-US') : x.toFixed(digits);
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
    lines.push(
      `- ${name}: ${num(s.posts)} posts, shards of ${num(s.shardSize)}, topic model fitted on ${s.topicModel.posts} posts; other processes used ${num(s.otherCores, 2)} cores meanwhile`,
    );
    const ratio = s.stages.sentiment?.ratioToVaderNpm;
    if (ratio !== undefined)
      lines.push(`- ${name}: lexicon sentiment ran ${ratio}x as fast as the vader-sentiment npm port (\`vaderNpm\`: same posts, same run, one core)`);
  }
  return lines;
}

function endToEndTable(e: BenchResults['endToEnd']): string[] {
  if (!isResult(e)) return [`- ${why(e)}`];
  const lines = [
    '| worker processes × threads | posts | partitions | wall s | postsPerSecond | orchestrationShare | of which before retries | idle share | retries | worker CPU s | Postgres CPU s | Temporal CPU s | MinIO CPU s | worker peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  // Runs written before threads were recorded ran their stages on the main thread: 1 thread.
  const threadsOf = (run: { threads?: number }) => run.threads ?? 1;
  for (const run of e.runs) {
    if ('error' in run) {
      lines.push(`| ${run.workers} × ${threadsOf(run)} | failed: ${run.error.split('\n')[0]} |`);
      continue;
    }
    const rss = run.peakRssMbByWorker ?? (run.peakRssMb as unknown as Array<number | null>);
    const workerCpu = run.cpuSeconds.workers.reduce<number>((s, c) => s + (c ?? 0), 0);
    lines.push(
      `| ${run.workers} × ${threadsOf(run)} | ${num(run.posts)} | ${run.partitions} | ${num(run.wallSeconds, 1)} | ${num(run.postsPerSecond)} | ${pct(run.orchestrationShare)} | ${pct(run.retryShare)} | ${pct(run.idleShare)} | ${run.retries.length} | ${num(workerCpu, 1)} | ${num(run.cpuSeconds.services.postgres, 1)} | ${num(run.cpuSeconds.services.temporal, 1)} | ${num(run.cpuSeconds.services.minio, 1)} | ${rss.join(', ')} |`,
    );
  }
  lines.push(
    '',
    `speedup (most single-threaded worker processes / 1 × 1): ${e.speedup ?? 'n/a'}; threadSpeedup (1 process, most threads / 1 × 1): ${e.threadSpeedup ?? 'n/a'}`,
  );
  for (const run of e.runs) {
    if ('error' in run || run.retries.length === 0) continue;
    const reasons = new Map<string, number>();
    for (const r of run.retries) reasons.set(`${r.activityType}: ${r.lastFailure}`, (reasons.get(`${r.activityType}: ${r.lastFailure}`) ?? 0) + 1);
    lines.push(`- retries with ${run.workers} worker process(es) × ${threadsOf(run)} thread(s): ${[...reasons].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  }
  const first = e.runs.find((r): r is EndToEndResult => !('error' in r));
  if (first) {
    lines.push('', `| activity | runs | seconds (${first.workers} × ${threadsOf(first)}, summed) | on the critical path |`, '|---|---|---|---|');
    for (const [name, a] of Object.entries(first.activities)) lines.push(`| ${name} | ${a.count} | ${num(a.seconds, 1)} | ${num(a.onPathSeconds, 1)} |`);
    lines.push('', `features used: ${JSON.stringify(first.featureModels)}`);
  }
  return lines;
}

function costTable(c: NonNullable<BenchResults['cost']>): string[] {
  if (!isResult(c)) return [`- ${why(c)}`];
  const lines = [
    `1 worker process × ${c.threads} threads, same pipeline as end to end; each size on a fresh database.`,
    '',
    '| posts | partitions | wall s | posts/s | worker CPU ms/post | machine CPU ms/post | peak RSS MiB | peak RSS KiB/post | orchestrationShare | retries |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of c.points) {
    if ('error' in p) {
      lines.push(`| ${num(p.posts)} | failed: ${p.error.split('\n')[0]} |`);
      continue;
    }
    lines.push(
      `| ${num(p.posts)} | ${p.partitions} | ${num(p.wallSeconds, 1)} | ${num(p.postsPerSecond)} | ${num(p.cpuMsPerPost, 3)} | ${num(p.machineCpuMsPerPost, 3)} | ${num(p.peakRssMb)} | ${num(p.peakRssKiBPerPost, 2)} | ${pct(p.orchestrationShare)} | ${p.retries} |`,
    );
  }
  return lines;
}

function qualityTable(q: BenchResults['quality']): string[] {
  if (!isResult(q)) return [`- ${why(q)}`];
  if (q.skipped) return [`- ${q.skipped}`];
  const lines = ['| area | model | metric | value |', '|---|---|---|---|'];
  const row = (area: string, model: string, metric: string, value: number | null | undefined) =>
    lines.push(`| ${area} | ${model} | ${metric} | ${num(value, 4)} |`);
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
    ...(r.cost ? ['## Cost curve: the end-to-end pipeline at growing sizes', '', ...costTable(r.cost), ''] : []),
    '## Quality on the shared data sets',
    '',
    ...qualityTable(r.quality),
    '',
    ...(r.language ? ['## Language identification', '', isResult(r.language) ? languageMarkdown(r.language) : `- ${why(r.language)}`, ''] : []),
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
