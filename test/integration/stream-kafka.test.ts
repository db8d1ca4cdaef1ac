import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { kafkaClient } from '../../activities/collect/stream/kafka';
import { createStreamActivities, type ReadBatchInput, type ReadBatchResult } from '../../activities/stream';
import { inputDigest } from '../../lib/datasets';
import { readNdjson } from '../../lib/datasets';
import { projectRoot } from '../../lib/paths';
import type { Stack } from '../../lib/stack';
import { stream, type StreamInput } from '../../workflows/stream';
import { runCli } from '../helpers/cli';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';
import { postV1, produce, scoredCount, testBrokers, variedText, waitFor } from '../helpers/streamFixtures';

let stack: Stack;
beforeAll(async () => {
  stack = await requireStack();
});
afterAll(async () => {
  await stack?.close();
});

/** A worker in its own process (the consumer that gets killed), polling `queue`. */
function spawnWorker(queue: string): ChildProcess {
  const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'socialsense.mjs'), 'worker'], {
    cwd: projectRoot,
    env: { ...process.env, TEMPORAL_TASK_QUEUE: queue, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', () => undefined);
  return child;
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

describe('streaming from Kafka into the store', () => {
  it('stores every message exactly once when the consumer is killed in the middle of a batch, and reads nothing new on a re-run', async () => {
    const topic = uniqueId('eo');
    const platform = topic.replace(/-/g, '');
    const queue = uniqueId('test-stream-eo');
    const total = 3000;
    const t0 = Date.now() - 2 * 3600_000;
    await produce(
      topic,
      Array.from({ length: total }, (_, i) => postV1(platform, i, { at: t0 + i * 1000 })),
    );
    let worker = spawnWorker(queue);
    const workflowId = `stream-${topic}`;
    // Small batches and a short window, so the kill lands while a batch is being cut or written.
    const input: StreamInput = { source: 'kafka', topic, brokers: testBrokers(), windowSeconds: 1, batchMessages: 400, idleExitSeconds: 8, bucketMinutes: 0 };
    const handle = await stack.client.workflow.start(stream, { workflowId, taskQueue: queue, args: [input] });
    try {
      // Kill when a batch is planned but not yet written (its positions fixed, its posts maybe half stored).
      const phase = await waitFor(
        'a planned batch after the first written one',
        async () => {
          const { rows } = await stack.db.query(`SELECT status, count(*)::int AS n FROM stream_batches WHERE stream_id = $1 GROUP BY status`, [workflowId]);
          const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
          return (by.written ?? 0) + (by.scored ?? 0) >= 1 && by.planned ? 'planned' : null;
        },
        120_000,
        5,
      );
      expect(phase).toBe('planned');
      worker.kill('SIGKILL');
      await exited(worker);
      const { rows: plannedAtKill } = await stack.db.query(`SELECT seq, ranges FROM stream_batches WHERE stream_id = $1 AND status = 'planned'`, [workflowId]);
      const { rows: atKill } = await stack.db.query(`SELECT count(*)::int AS n FROM stream_batches WHERE stream_id = $1 AND status <> 'planned'`, [workflowId]);
      worker = spawnWorker(queue);
      const status = await handle.result();
      expect(status.reason).toBe('idle-exit');
      expect(status.messages).toBe(total);
      // Every message once in post_scores: as many rows as messages, no id twice.
      expect(await scoredCount(stack.db, platform)).toEqual({ rows: total, distinct: total });
      const { rows: batches } = await stack.db.query(`SELECT seq, status, ranges FROM stream_batches WHERE stream_id = $1 ORDER BY seq`, [workflowId]);
      expect(batches.length).toBeGreaterThan(atKill[0].n);
      expect(batches.every((b) => b.status === 'scored')).toBe(true);
      // The batches' ranges tile each partition's offsets without a gap or an overlap.
      const byPartition = new Map<string, Array<[number, number]>>();
      for (const b of batches)
        for (const r of b.ranges) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), [Number(r.from), Number(r.to)]]);
      let covered = 0;
      for (const ranges of byPartition.values()) {
        ranges.sort((a, b) => a[0] - b[0]);
        expect(ranges[0][0]).toBe(0);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1] + 1);
        covered += ranges.at(-1)![1] + 1;
      }
      expect(covered).toBe(total);
      // The batch cut when the consumer died was re-cut with the same positions after the restart (same object keys)…
      for (const p of plannedAtKill) expect(batches.find((b) => b.seq === p.seq)?.ranges).toEqual(p.ranges);
      // …so the store holds each message in exactly one posts object: no orphan copy of a half-written batch.
      const { rows: objects } = await stack.db.query(
        `SELECT sum(records)::int AS records, count(*)::int AS n FROM datasets WHERE stage = 'posts' AND meta->>'stream' = $1`,
        [workflowId],
      );
      expect(objects[0].records).toBe(total);

      // Run again under the same id: the stored positions say everything was read.
      const again = await stack.client.workflow.execute(stream, { workflowId, taskQueue: queue, args: [{ ...input, idleExitSeconds: 4 }] });
      expect(again).toMatchObject({ reason: 'idle-exit', messages: 0, batches: 0 });
      expect(await scoredCount(stack.db, platform)).toEqual({ rows: total, distinct: total });
    } finally {
      worker.kill('SIGKILL');
      await handle.terminate('test cleanup').catch(() => undefined);
    }
  }, 300_000);

  it('maps post.v1, flat records and raw platform JSON; quarantines what is not a post; publishes scores and alerts to a sink topic; POSTs alerts to the webhook', async () => {
    const topic = uniqueId('mixed');
    const sinkTopic = `${topic}-out`;
    const platform = topic.replace(/-/g, '');
    const now = Date.now();
    const bucket = 5 * 60_000;
    const start = Math.floor(now / bucket) * bucket - 20 * bucket;
    const values: unknown[] = [];
    let n = 0;
    // 18 buckets of ordinary traffic (3 posts each on rotating hashtags), then a planted burst in the 19th.
    for (let b = 0; b < 18; b++)
      for (let k = 0; k < 3; k++) values.push(postV1(platform, n++, { at: start + b * bucket + k * 60_000, hashtags: [['harbour', 'market', 'bread'][k]] }));
    const burstAuthors = ['ana', 'ana', 'ana', 'ana', 'ana', 'ana', 'ben', 'ben', 'ben', 'cy', 'cy', 'dee'];
    burstAuthors.forEach((a, i) =>
      values.push(
        postV1(platform, n++, {
          at: start + 18 * bucket + i * 10_000,
          author: a,
          hashtags: ['floodwarning'],
          text: `river levels ${variedText(1000 + i, 8)} #floodwarning`,
        }),
      ),
    );
    const v1Posts = n;
    // A flat export record (no id: its id is its position), a raw Mastodon status, a raw Bluesky repo record.
    values.push({ text: 'flat record from a CSV export', created_at: new Date(now - 60_000).toISOString(), username: 'flatuser' });
    values.push({
      id: '109876543210',
      content: '<p>hello from <a href="#">mastodon</a></p>',
      created_at: new Date(now - 50_000).toISOString(),
      uri: 'https://example.social/users/al/statuses/109876543210',
      account: { id: '42', acct: 'al', username: 'al' },
    });
    values.push({
      uri: 'at://did:plc:abc123/app.bsky.feed.post/3kabc',
      cid: 'bafy',
      value: { $type: 'app.bsky.feed.post', text: 'skeet from the firehose', createdAt: new Date(now - 40_000).toISOString() },
    });
    // Not posts: invalid post.v1 (bad created_at), a JSON array, a record without text, malformed JSON.
    values.push({ ...postV1(platform, 99_999, { at: now }), created_at: 'yesterday-ish' });
    values.push('[1,2,3]');
    values.push({ foo: 'bar', n: 1 });
    values.push('{"id": "broken');
    // Published with `socialsense produce` from a JSONL file, one message per line, as a user would.
    const file = path.join(os.tmpdir(), `${topic}.jsonl`);
    fs.writeFileSync(file, values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n') + '\n');
    const produced = await runCli(['produce', '--topic', topic, '--file', file, '--json']);
    expect(produced.code, produced.stderr).toBe(0);
    expect(JSON.parse(produced.stdout)).toMatchObject({ topic, messages: values.length });

    // `socialsense alerts --follow --json` running meanwhile prints the alert when it is detected.
    const follower = spawn(
      process.execPath,
      [path.join(projectRoot, 'bin', 'socialsense.mjs'), 'alerts', '--follow', '--json', '--interval', '0.3', '--stream', `stream-${topic}`],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let followed = '';
    follower.stdout!.on('data', (d) => (followed += d));

    const received: unknown[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const before = process.env.ALERT_WEBHOOK_URL;
    process.env.ALERT_WEBHOOK_URL = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const workers = await startTestWorkers(stack, 'stream-mixed');
    try {
      const workflowId = `stream-${topic}`;
      const status = await stack.client.workflow.execute(stream, {
        workflowId,
        taskQueue: workers.taskQueue,
        args: [
          {
            source: 'kafka',
            topic,
            brokers: testBrokers(),
            platform: 'kafka',
            windowSeconds: 2,
            idleExitSeconds: 4,
            sinkTopic,
            bucketMinutes: 5,
            alertWarmup: 6,
          },
        ],
      });
      expect(status).toMatchObject({ messages: values.length, posts: v1Posts + 3, scored: v1Posts + 3, quarantined: 4, reason: 'idle-exit' });
      expect(await scoredCount(stack.db, platform)).toEqual({ rows: v1Posts, distinct: v1Posts });
      const { rows: others } = await stack.db.query(`SELECT post_id, text FROM post_scores WHERE post_id = ANY($1) ORDER BY post_id`, [
        [`kafka:${topic}-0-0`, 'kafka:example.social/109876543210', 'kafka:3kabc'],
      ]);
      const flatId = (
        await stack.db.query(`SELECT post_id FROM post_scores WHERE text = 'flat record from a CSV export' AND post_id LIKE $1`, [`kafka:${topic}-%`])
      ).rows;
      expect(flatId).toHaveLength(1);
      expect(others.map((r) => r.text)).toContain('hello from mastodon');
      // Quarantined with reasons, in the quarantine zone.
      const { rows: q } = await stack.db.query(`SELECT uri FROM datasets WHERE stage = 'quarantine' AND meta->>'stream' = $1`, [workflowId]);
      const reasons = (await Promise.all(q.map((r) => readNdjson<{ reason: string }>(stack.store, r)))).flat().map((r) => r.reason);
      expect(reasons).toHaveLength(4);
      expect(reasons.some((r) => /not a valid post\.v1: created_at/.test(r))).toBe(true);
      expect(reasons.some((r) => /not a JSON object/.test(r))).toBe(true);
      expect(reasons.some((r) => /no text column/.test(r))).toBe(true);
      expect(reasons.some((r) => /invalid JSON/.test(r))).toBe(true);

      // The planted burst is the one alert, and it explains itself.
      const { rows: alerts } = await stack.db.query(
        `SELECT kind, key, posts, baseline, score, explanation FROM stream_alerts WHERE stream_id = $1 ORDER BY id`,
        [workflowId],
      );
      const flood = alerts.find((a) => a.kind === 'hashtag' && a.key === 'floodwarning');
      expect(flood, JSON.stringify(alerts)).toBeDefined();
      expect(alerts.filter((a) => a.kind === 'hashtag').map((a) => a.key)).toEqual(['floodwarning']);
      expect(flood.posts).toBe(12);
      expect(flood.baseline).toBe(0);
      expect(flood.explanation.beat.excess).toBe(12);
      // authors are keyed by platform (lib/platformName.ts authorKey)
      expect(flood.explanation.drivers.authors[0]).toMatchObject({ key: `${platform}:ana`, posts: 6, share: 0.5 });
      expect(flood.explanation.drivers.terms.map((t: { key: string }) => t.key)).toEqual(expect.arrayContaining(['river', 'levels']));
      // The webhook got it as JSON.
      await waitFor('the webhook', async () => received.length > 0, 10_000);
      const hooked = received.map((r) => (r as { alert: { key: string } }).alert.key);
      expect(hooked).toContain('floodwarning');
      expect(hooked.length).toBe(alerts.length);

      // The sink topic holds one score per scored post and the alerts.
      const consumer = kafkaClient(testBrokers(), 'test-sink').consumer({ groupId: uniqueId('sink') });
      await consumer.connect();
      await consumer.subscribe({ topic: sinkTopic, fromBeginning: true });
      const sink: Array<{ type: string; post_id?: string; key?: string }> = [];
      await consumer.run({ eachMessage: async ({ message }) => void sink.push(JSON.parse(message.value!.toString())) });
      await waitFor('the sink topic', async () => sink.length >= status.scored + alerts.length, 30_000, 200);
      await consumer.disconnect();
      expect(new Set(sink.filter((m) => m.type === 'score').map((m) => m.post_id)).size).toBe(status.scored);
      expect(sink.filter((m) => m.type === 'alert').map((m) => m.key)).toContain('floodwarning');

      // `socialsense alerts --json` shows the same alerts, one object per line, with their explanations.
      const cli = await runCli(['alerts', '--stream', workflowId, '--json']);
      expect(cli.code, cli.stderr).toBe(0);
      const shown = cli.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(shown.map((a) => a.key).sort()).toEqual(alerts.map((a) => a.key).sort());
      expect(shown.find((a) => a.key === 'floodwarning').explanation.summary).toMatch(/^#floodwarning: 12 posts in 5 min against a usual 0 /);
      await waitFor('alerts --follow to print the alert', async () => followed.includes('"key":"floodwarning"'), 20_000, 200);
      expect(
        followed
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).key),
      ).toContain('floodwarning');
    } finally {
      if (before === undefined) delete process.env.ALERT_WEBHOOK_URL;
      else process.env.ALERT_WEBHOOK_URL = before;
      follower.kill('SIGKILL');
      fs.rmSync(file, { force: true });
      await workers.stop();
      receiver.close();
    }
  }, 180_000);

  it('answers `stream status` and stops on `stream stop` from the CLI, with what it read so far', async () => {
    const topic = uniqueId('ctl');
    const platform = topic.replace(/-/g, '');
    await produce(
      topic,
      Array.from({ length: 50 }, (_, i) => postV1(platform, i, { at: Date.now() - 3600_000 + i * 1000 })),
    );
    const workers = await startTestWorkers(stack, 'stream-control');
    const workflowId = `stream-${topic}`;
    try {
      const handle = await stack.client.workflow.start(stream, {
        workflowId,
        taskQueue: workers.taskQueue,
        args: [{ source: 'kafka', topic, brokers: testBrokers(), windowSeconds: 1, bucketMinutes: 0 }],
      });
      await waitFor('the first batch scored', async () => (await scoredCount(stack.db, platform)).rows === 50, 60_000, 200);
      const status = await runCli(['stream', 'status', '--id', workflowId, '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ workflowStatus: 'RUNNING', state: 'running', streamId: workflowId, messages: 50, posts: 50 });
      const stop = await runCli(['stream', 'stop', '--id', workflowId]);
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).toMatch(/stop requested/);
      const final = await handle.result();
      expect(final).toMatchObject({ state: 'stopped', reason: 'stopped', messages: 50, scored: 50 });
      // stopping it again: an answer, not Temporal's "workflow execution already completed"
      const again = await runCli(['stream', 'stop', '--id', workflowId, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ workflowStatus: 'COMPLETED', state: 'stopped', reason: 'stopped', stopRequested: false });
      expect((await runCli(['stream', 'stop', '--id', workflowId])).stdout).toMatch(/workflow COMPLETED · already ended: nothing to stop$/m);

      // a topic that does not exist (a typo) looks like an empty one: the stream says so, and still runs
      const missing = `${topic}-typo`;
      const typo = await runCli(['stream', '--from', 'kafka', '--topic', missing, '--idle-exit', '2s', '--window', '1s', '--no-worker', '--json'], {
        env: { ...process.env, TEMPORAL_TASK_QUEUE: workers.taskQueue, KAFKA_BROKERS: testBrokers().join(',') },
        timeoutMs: 60_000,
      });
      expect(typo.code, typo.stderr).toBe(0);
      expect(typo.stderr).toContain(
        `warning: topic ${missing} does not exist on ${testBrokers().join(',')} yet: the stream waits for it (\`socialsense produce --topic ${missing}\` creates it)`,
      );
      expect(JSON.parse(typo.stdout)).toMatchObject({ messages: 0, reason: 'idle-exit' });

      // --max-posts: stops by itself after exactly that many messages (the last batch is cut short to fit).
      const capped = await stack.client.workflow.execute(stream, {
        workflowId: `${workflowId}-max`,
        taskQueue: workers.taskQueue,
        args: [{ source: 'kafka', topic, brokers: testBrokers(), group: 'capped', windowSeconds: 1, batchMessages: 20, maxPosts: 45, bucketMinutes: 0 }],
      });
      expect(capped).toMatchObject({ reason: 'max-posts', messages: 45, batches: 3 });
    } finally {
      await workers.stop();
    }
  }, 120_000);

  it('re-cuts a batch a killed consumer had planned with exactly its positions, so it maps to the same object keys', async () => {
    const topic = uniqueId('recut');
    const platform = topic.replace(/-/g, '');
    // One partition, so the positions are easy to name.
    await produce(
      topic,
      Array.from({ length: 30 }, (_, i) => postV1(platform, i, { at: Date.now() - 3600_000 + i * 1000 })),
      1,
    );
    const acts = createStreamActivities({ store: stack.store, db: stack.db });
    const streamId = `stream-${topic}`;
    const input: ReadBatchInput = { streamId, source: 'kafka', topic, brokers: testBrokers(), afterSeq: 0, windowMs: 1500, maxMessages: 10, idleMs: 5000 };
    const env = new MockActivityEnvironment();
    const read = async (i: ReadBatchInput) => (await env.run(acts.readStreamBatch, i)) as ReadBatchResult;
    try {
      const first = await read(input);
      expect(first.batch).toMatchObject({ seq: 1, ranges: [{ partition: '0', from: '0', to: '9' }], resumed: false, counts: { messages: 10, posts: 10 } });
      // What a consumer killed after planning batch 2 leaves behind: the plan (jsonb, keys in its own order).
      await stack.db.query(
        `INSERT INTO stream_batches (stream_id, seq, status, ranges) VALUES ($1, 2, 'planned', '[{"to": "14", "from": "10", "partition": "0"}]')`,
        [streamId],
      );
      const recut = await read({ ...input, afterSeq: 1 });
      expect(recut.batch).toMatchObject({ seq: 2, ranges: [{ partition: '0', from: '10', to: '14' }], resumed: true, counts: { messages: 5, posts: 5 } });
      const digest = inputDigest({ stream: streamId, ranges: [{ partition: '0', from: '10', to: '14' }], mapper: 'stream.v1' });
      expect(recut.batch!.partitions[0].posts.uri).toContain(`/${digest}.ndjson.gz`);
      const ids = (await readNdjson<{ id: string }>(stack.store, recut.batch!.partitions[0].posts)).map((p) => p.id);
      expect(ids).toEqual([10, 11, 12, 13, 14].map((i) => `${platform}:${i}`));
      // A written batch the workflow has not had yet is handed out again, before anything new.
      const again = await read({ ...input, afterSeq: 1 });
      expect(again.batch).toMatchObject({ seq: 2, resumed: true });
      const next = await read({ ...input, afterSeq: 2 });
      expect(next.batch).toMatchObject({ seq: 3, ranges: [{ partition: '0', from: '15', to: '24' }] });
      const { rows } = await stack.db.query(`SELECT last_offset::text AS last FROM stream_offsets WHERE stream_id = $1`, [streamId]);
      expect(rows).toEqual([{ last: '24' }]);
    } finally {
      await env.run(acts.closeStreamSource, { streamId });
    }
  }, 120_000);
});
