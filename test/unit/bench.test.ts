import { describe, expect, it } from 'vitest';
import { simulateNetwork } from '../../activities/collect/simulated/generator';
import { flatRecord, SIMULATED_COLUMNS } from '../../bench/corpus';
import { LINE_SHAPES, measureJsonLineParse } from '../../bench/jsonLineParse';
import { mayHoldUnsafeInteger, parseJsonKeepingBigInts } from '../../activities/collect/file';
import { analyseOrchestration, spansFromHistory, type ActivitySpan } from '../../bench/orchestration';
import { renderMarkdown, type BenchResults } from '../../bench/results';
import { STAGES } from '../../bench/stages';
import { measureThroughput, type ThroughputDataset } from '../../bench/throughput';

function tinyDataset(): ThroughputDataset {
  const records = simulateNetwork({ seed: 3, users: 60, days: 1, postsPerDay: 240 }).days.flatMap((d) => d.posts.map(flatRecord));
  return {
    name: 'tiny',
    columns: SIMULATED_COLUMNS,
    platform: 'bench',
    posts: records.length,
    async *chunks(size) {
      for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
    },
    sampleTexts: async (n) => records.slice(0, n).map((r) => String(r.text)),
  };
}

describe('per-stage throughput (quick, tiny input)', () => {
  it('reports a positive finite posts/s for every stage on one core and on all cores', async () => {
    const dataset = tinyDataset();
    const result = await measureThroughput(dataset, { threads: 2, shardSize: 80 });
    expect(result.threads).toBe(2);
    expect(Object.keys(result.stages)).toEqual([...STAGES]);
    for (const stage of STAGES) {
      const s = result.stages[stage];
      for (const figure of [s.oneCore.postsPerSecond, s.allCores.postsPerSecond, s.oneCore.seconds, s.allCores.seconds, s.speedup]) {
        expect(Number.isFinite(figure) && figure > 0, `${stage}: ${figure}`).toBe(true);
      }
      // both modes did the same work
      expect(s.oneCore.posts).toBe(s.allCores.posts);
      expect(s.oneCore.posts).toBeGreaterThan(0);
    }
    // the generator's malformed records are what the importer would quarantine, not posts
    expect(result.stages.tokenize.oneCore.posts + result.rejected).toBe(dataset.posts);
    // the lexicon is reported against the vader-sentiment npm port measured on the same posts in the same run
    expect(result.stages.vaderNpm.oneCore.posts).toBe(result.stages.tokenize.oneCore.posts);
    const ratio = result.stages.sentiment.oneCore.postsPerSecond / result.stages.vaderNpm.oneCore.postsPerSecond;
    expect(result.stages.sentiment.ratioToVaderNpm).toBe(Number(ratio.toFixed(1)));
    expect(result.stages.tokenize.ratioToVaderNpm).toBeUndefined();

    const doc: BenchResults = {
      startedAt: '2026-11-25T00:00:00Z',
      seconds: 1,
      machine: { cpus: 2, memoryGiB: 24, node: 'v20', loadAverage: [0, 0, 0] },
      options: {},
      throughput: { realTweets: { skipped: 'no data' }, simulated: result },
      endToEnd: { error: 'stack down' },
      quality: { skipped: 'not selected' },
    };
    const md = renderMarkdown(doc);
    for (const stage of STAGES) expect(md).toMatch(new RegExp(`^\\| ${stage} \\|`, 'm'));
    expect(md).toContain(`simulated: lexicon sentiment ran ${result.stages.sentiment.ratioToVaderNpm}x as fast as the vader-sentiment npm port`);
    expect(md).toContain('real tweets: skipped: no data');
    expect(md).toContain('failed: stack down');
  }, 20_000);
});

const span = (activityType: string, startedMs: number, completedMs: number): ActivitySpan => ({
  workflowId: 'wf',
  activityType,
  scheduledMs: startedMs,
  startedMs,
  completedMs,
  attempt: 1,
});

describe('orchestration share', () => {
  it('follows the critical path backwards from the end of the run', () => {
    // A, then B and C in parallel (C finishes last), then D; the run spans 0..100
    const a = analyseOrchestration([span('A', 1, 40), span('B', 41, 70), span('C', 42, 71.5), span('D', 72, 98)], 0, 100);
    expect(a.path.map((p) => p.activityType)).toEqual(['A', 'C', 'D']);
    expect(a.activityMsOnPath).toBeCloseTo(39 + 29.5 + 26);
    expect(a.orchestrationShare).toBeCloseTo(0.055);
    expect(a.path.map((p) => p.gapBeforeMs)).toEqual([1, 2, 0.5]);
    // no activity at all ran in 0..1, 40..41, 71.5..72 and 98..100: less than the path's gaps
    expect(a.idleShare).toBeCloseTo(0.045);
    expect(a.byType.B).toEqual({ count: 1, totalMs: 29, onPathMs: 0, maxAttempt: 1 });
    expect(a.retryShare).toBe(0);
  });

  it('attributes the gap before a retried activity to the retry', () => {
    const retried = { ...span('B', 60, 90), attempt: 2, lastFailure: 'deadlock detected' };
    const a = analyseOrchestration([span('A', 0, 30), retried], 0, 90);
    expect(a.orchestrationShare).toBeCloseTo(30 / 90);
    expect(a.retryShare).toBeCloseTo(30 / 90);
    expect(a.idleShare).toBeCloseTo(30 / 90);
  });

  it('reads activity spans, retries and child workflows from a history', () => {
    const t = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
    const history = {
      events: [
        { eventId: 1, eventTime: t(1000), workflowExecutionStartedEventAttributes: {} },
        { eventId: 5, eventTime: t(1010), activityTaskScheduledEventAttributes: { activityType: { name: 'preprocess' } } },
        {
          eventId: 6,
          eventTime: t(1020),
          activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 2, lastFailure: { message: 'connect ECONNREFUSED' } },
        },
        {
          eventId: 7,
          eventTime: t(1500),
          activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: { payloads: [{ data: Buffer.from('{"scored":3}') }] } },
        },
        { eventId: 8, eventTime: t(1510), startChildWorkflowExecutionInitiatedEventAttributes: { workflowId: 'wf-collect' } },
        { eventId: 9, eventTime: t(1600), workflowExecutionCompletedEventAttributes: {} },
      ],
    };
    const spans = spansFromHistory('wf', history as never);
    expect(spans.startMs).toBe(1000);
    expect(spans.endMs).toBe(1600);
    expect(spans.children).toEqual(['wf-collect']);
    expect(spans.activities).toEqual([
      {
        workflowId: 'wf',
        activityType: 'preprocess',
        scheduledMs: 1010,
        startedMs: 1020,
        completedMs: 1500,
        attempt: 2,
        lastFailure: 'connect ECONNREFUSED',
        result: { scored: 3 },
      },
    ]);
  });
});

describe('bench/jsonLineParse.ts', () => {
  it('has the line shapes it names: string ids take the fast path, X v1.1 numeric ids need (and get) the exact one', () => {
    expect(mayHoldUnsafeInteger(LINE_SHAPES.xV2(3))).toBe(false);
    expect(mayHoldUnsafeInteger(LINE_SHAPES.mastodon(3))).toBe(false);
    expect(mayHoldUnsafeInteger(LINE_SHAPES.simulated(3))).toBe(false);
    expect(mayHoldUnsafeInteger(LINE_SHAPES.xV1(3))).toBe(true);
    expect(parseJsonKeepingBigInts(LINE_SHAPES.xV1(3))).toMatchObject({ id: '1790000000000000003', id_str: '1790000000000000003' });
    expect(parseJsonKeepingBigInts(LINE_SHAPES.xV2(3))).toMatchObject({ id: '1790000000000000003', author_id: '1200000000000000003' });
    const rows = measureJsonLineParse({ lines: 200, rounds: 1 });
    expect(rows.map((r) => r.shape)).toEqual(['xV2', 'mastodon', 'xV1', 'simulated']);
    for (const r of rows) expect(r.keepingMicrosPerLine > 0 && r.jsonParseMicrosPerLine > 0 && r.ratio > 0).toBe(true);
  });
});
