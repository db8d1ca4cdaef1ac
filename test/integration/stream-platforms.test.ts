import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { readNdjson } from '../../lib/datasets';
import type { Stack } from '../../lib/stack';
import { stream } from '../../workflows/stream';
import { requireStack, startTestWorkers, uniqueId } from '../helpers/stack';
import { variedText } from '../helpers/streamFixtures';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStreamActivities, type ReadBatchInput, type ReadBatchResult } from '../../activities/stream';

let stack: Stack;
let workers: Awaited<ReturnType<typeof startTestWorkers>>;
beforeAll(async () => {
  stack = await requireStack();
  workers = await startTestWorkers(stack, 'stream-platforms');
});
afterAll(async () => {
  await workers?.stop();
  await stack?.close();
});

async function quarantineReasons(streamId: string): Promise<string[]> {
  const { rows } = await stack.db.query(`SELECT uri FROM datasets WHERE stage = 'quarantine' AND meta->>'stream' = $1`, [streamId]);
  return (await Promise.all(rows.map((r) => readNdjson<{ reason: string }>(stack.store, r)))).flat().map((r) => r.reason);
}

async function storedIds(streamId: string): Promise<string[]> {
  const { rows } = await stack.db.query(
    `SELECT r.post_id FROM stream_batches b JOIN post_score_runs r ON r.run_key = b.stream_id || '-b' || lpad(b.seq::text, 6, '0') WHERE b.stream_id = $1`,
    [streamId],
  );
  return rows.map((r) => r.post_id as string);
}

describe('Bluesky Jetstream (WebSocket)', () => {
  it('stores each post once across a disconnect, resumes from the time_us cursor, skips non-posts and quarantines malformed frames', async () => {
    const did = `did:plc:${uniqueId('t').replace(/-/g, '')}`;
    const base = 1_790_000_000_000_000 + Math.floor(Math.random() * 1e9);
    // The documented event shapes: commit (create/delete, posts and likes), identity, account.
    type Frame = { t: number; text: string };
    const frames: Frame[] = [];
    let t = base;
    const post = (i: number) => {
      t += 1000;
      frames.push({
        t,
        text: JSON.stringify({
          did,
          time_us: t,
          kind: 'commit',
          commit: {
            rev: `r${i}`,
            operation: 'create',
            collection: 'app.bsky.feed.post',
            rkey: `3k${i}`,
            cid: `bafy${i}`,
            record: {
              $type: 'app.bsky.feed.post',
              text: `${variedText(i)} #jetstreamtest`,
              createdAt: new Date(Date.now() - 60_000 + i).toISOString(),
              langs: ['en'],
            },
          },
        }),
      });
    };
    const other = (event: object) => {
      t += 1000;
      frames.push({ t, text: JSON.stringify({ did, time_us: t, ...event }) });
    };
    for (let i = 0; i < 6; i++) post(i);
    other({ kind: 'identity', identity: { did, handle: 'alice.test', seq: 1, time: new Date().toISOString() } });
    other({ kind: 'account', account: { active: true, did, seq: 2, time: new Date().toISOString() } });
    other({ kind: 'commit', commit: { rev: 'rd', operation: 'delete', collection: 'app.bsky.feed.post', rkey: '3k0' } });
    other({ kind: 'commit', commit: { rev: 'rl', operation: 'create', collection: 'app.bsky.feed.like', rkey: 'l1', record: { subject: {} } } });
    frames.push({ t: t + 1, text: '{"did": "broken' });
    frames.push({ t: t + 2, text: JSON.stringify({ did, kind: 'commit', commit: {} }) }); // no time_us
    t += 10;
    other({ kind: 'commit', commit: { rev: 'rx', operation: 'create', collection: 'app.bsky.feed.post', rkey: 'norecord' } }); // a post commit without its record
    for (let i = 6; i < 9; i++) post(i);
    const firstSegment = frames.length;
    for (let i = 9; i < 20; i++) post(i);

    const cursors: Array<string | null> = [];
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/subscribe' });
    wss.on('connection', (ws, req) => {
      const url = new URL(req.url!, 'http://x');
      expect(url.searchParams.get('wantedCollections')).toBe('app.bsky.feed.post');
      const cursor = url.searchParams.get('cursor');
      cursors.push(cursor);
      // Replays from the cursor, inclusive (as Jetstream does); the first connection drops after a segment.
      const list = cursor ? frames.filter((f) => f.t >= Number(cursor)) : frames.slice(0, firstSegment);
      for (const f of list) ws.send(f.text);
      if (cursors.length === 1) setTimeout(() => ws.terminate(), 50);
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/subscribe`;
    const workflowId = uniqueId('stream-jetstream');
    try {
      const status = await stack.client.workflow.execute(stream, {
        workflowId,
        taskQueue: workers.taskQueue,
        args: [{ source: 'jetstream', url, windowSeconds: 1, idleExitSeconds: 4, bucketMinutes: 0 }],
      });
      expect(status).toMatchObject({ posts: 20, scored: 20, quarantined: 3, reason: 'idle-exit' });
      expect(status.reconnects).toBeGreaterThanOrEqual(1);
      expect(status.skipped).toEqual({ identity: 1, account: 1, delete: 1, 'commit:app.bsky.feed.like': 1 });
      // The reconnect resumed from the last event it had received.
      const lastOfFirst = frames.slice(0, firstSegment).at(-1)!.t;
      expect(cursors.slice(0, 2)).toEqual([null, String(lastOfFirst)]);
      const ids = await storedIds(workflowId);
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
      // Post ids name the author's DID and the record key, under the bluesky prefix.
      for (let i = 0; i < 20; i++) expect(ids.filter((id) => id.startsWith('bluesky:') && id.includes(did) && id.endsWith(`/3k${i}`))).toHaveLength(1);
      const reasons = (await quarantineReasons(workflowId)).sort();
      expect(reasons).toHaveLength(3);
      expect(reasons[0]).toBe('jetstream: event without a numeric time_us');
      expect(reasons[1]).toMatch(/^jetstream: invalid JSON frame: /);
      expect(reasons[2]).toBe('jetstream: post commit without did, rkey or record');

      // Restarted, it resumes from the stored cursor (the last post's time_us) and stores nothing twice.
      const again = await stack.client.workflow.execute(stream, {
        workflowId,
        taskQueue: workers.taskQueue,
        args: [{ source: 'jetstream', url, windowSeconds: 1, idleExitSeconds: 3, bucketMinutes: 0 }],
      });
      expect(cursors.at(-1)).toBe(String(frames.at(-1)!.t));
      expect(again).toMatchObject({ posts: 0, batches: 0 });
      expect(await storedIds(workflowId)).toHaveLength(20);
    } finally {
      wss.close();
    }
  }, 120_000);
});

describe('Mastodon streaming API (server-sent events)', () => {
  it('reads updates, fills the gap of a disconnect from the REST timeline with min_id, and quarantines malformed events', async () => {
    const host = `${uniqueId('m').replace(/-/g, '')}.example`;
    const base = 113_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)) * 1000n;
    const status = (i: number) => {
      const id = (base + BigInt(i)).toString();
      return {
        id,
        created_at: new Date(Date.now() - 60_000 + i * 100).toISOString(),
        content: `<p>${variedText(500 + i)} <a href="https://${host}/tags/ssetest">#ssetest</a></p>`,
        uri: `https://${host}/users/u${i % 3}/statuses/${id}`,
        url: `https://${host}/@u${i % 3}/${id}`,
        language: 'en',
        visibility: 'public',
        account: { id: String(i % 3), acct: `u${i % 3}`, username: `u${i % 3}`, url: `https://${host}/@u${i % 3}`, followers_count: 10 },
        tags: [{ name: 'ssetest' }],
        replies_count: 0,
        reblogs_count: 0,
        favourites_count: 0,
      };
    };
    const all = Array.from({ length: 12 }, (_, i) => status(i));
    const sse = (event: string, data: string) => `event: ${event}\ndata: ${data}\n\n`;
    const requests: string[] = [];
    let streams = 0;
    const open: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/api/v1/timelines/public') {
        // Newest first, after min_id: what the stream missed while it was away (statuses 5..7).
        const min = BigInt(url.searchParams.get('min_id')!);
        const missed = all
          .slice(5, 8)
          .filter((s) => BigInt(s.id) > min)
          .reverse();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(missed));
        return;
      }
      if (url.pathname !== '/api/v1/streaming/public') return void res.writeHead(404).end();
      streams++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (streams === 1) {
        res.write(':)\n\n');
        for (const s of all.slice(0, 5)) res.write(sse('update', JSON.stringify(s)));
        res.write(sse('delete', all[0].id));
        res.write(sse('status.update', JSON.stringify({ ...all[1], content: '<p>edited</p>' })));
        res.write(sse('update', '{"id": "1130000, broken'));
        res.write(sse('update', JSON.stringify({ content: '<p>no id</p>', account: { acct: 'x' } })));
        res.end(); // the server drops the connection
        return;
      }
      res.write(':thump\n\n');
      for (const s of all.slice(8)) res.write(sse('update', JSON.stringify(s)));
      open.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const before = process.env.MASTODON_ACCESS_TOKEN;
    process.env.MASTODON_ACCESS_TOKEN = 'stream-test-token';
    const workflowId = uniqueId('stream-mastodon');
    try {
      const result = await stack.client.workflow.execute(stream, {
        workflowId,
        taskQueue: workers.taskQueue,
        args: [{ source: 'mastodon', url: baseUrl, windowSeconds: 1, idleExitSeconds: 4, bucketMinutes: 0 }],
      });
      expect(result).toMatchObject({ posts: 12, scored: 12, quarantined: 2, reason: 'idle-exit' });
      expect(result.skipped).toEqual({ delete: 1, 'status.update': 1 });
      expect(result.reconnects).toBeGreaterThanOrEqual(1);
      // The gap fill asked for what came after the last status it had, with the token.
      expect(requests).toContain(`GET /api/v1/timelines/public?limit=40&min_id=${all[4].id} Bearer stream-test-token`);
      const ids = await storedIds(workflowId);
      expect(ids.sort()).toEqual(all.map((s) => `mastodon:${host}/${s.id}`).sort());
      const reasons = await quarantineReasons(workflowId);
      expect(reasons).toHaveLength(2);
      expect(reasons.some((r) => r.startsWith('mastodon: update with invalid JSON'))).toBe(true);
      expect(reasons).toContain('mastodon: update without a numeric status id');
    } finally {
      if (before === undefined) delete process.env.MASTODON_ACCESS_TOKEN;
      else process.env.MASTODON_ACCESS_TOKEN = before;
      for (const r of open) r.end();
      server.close();
      server.closeAllConnections();
    }
  }, 120_000);
});

describe('a push source shared by workers (every connection gets every event)', () => {
  it('never cuts a batch of positions another worker has stored, nor of a status the server sends again on reconnect', async () => {
    const base = 114_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)) * 1000n;
    const ids = Array.from({ length: 6 }, (_, i) => (base + BigInt(i)).toString());
    const status = (i: number) => ({
      id: ids[i],
      created_at: new Date(Date.now() - 60_000 + i * 100).toISOString(),
      content: `<p>${variedText(900 + i)}</p>`,
      language: 'en',
      account: { id: String(i), acct: `u${i}`, username: `u${i}` },
      tags: [],
    });
    const open: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname !== '/api/v1/streaming/public') return void res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 6; i++) res.write(`event: update\ndata: ${JSON.stringify(status(i))}\n\n`);
      open.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const streamId = uniqueId('stream-shared');
    const acts = createStreamActivities({ store: stack.store, db: stack.db });
    const env = new MockActivityEnvironment();
    const input: ReadBatchInput = { streamId, source: 'mastodon', url, afterSeq: 0, windowMs: 1000, maxMessages: 2, idleMs: 5000 };
    const read = async (i: ReadBatchInput) => (await env.run(acts.readStreamBatch, i)) as ReadBatchResult;
    try {
      const first = await read(input);
      expect(first.batch!.ranges).toEqual([{ partition: '0', from: ids[0], to: ids[1] }]);
      // another worker's connection got the same events and stored up to the 4th status meanwhile
      await stack.db.query(`UPDATE stream_offsets SET last_offset = $2 WHERE stream_id = $1`, [streamId, ids[3]]);
      const second = await read({ ...input, afterSeq: 1 });
      expect(second.batch!.ranges).toEqual([{ partition: '0', from: ids[4], to: ids[5] }]);
      expect(second.batch!.counts).toMatchObject({ messages: 2, posts: 2 });
    } finally {
      await env.run(acts.closeStreamSource, { streamId });
      for (const r of open) r.end();
      server.close();
      server.closeAllConnections();
    }
  }, 60_000);
});
