import WebSocket from 'ws';
import { logger } from '../../../lib/logger';
import { backoffMs, PushStreamSource } from './source';

/**
 * Bluesky Jetstream: a WebSocket of JSON events (`/subscribe?wantedCollections=app.bsky.feed.post&cursor=…`).
 * A commit event: `{ did, time_us, kind: "commit", commit: { rev, operation: "create", collection, rkey, record, cid } }`.
 * New posts become the repo-record shape the file importer knows (`{ uri: at://did/app.bsky.feed.post/rkey,
 * cid, value: record }`, fileShapes.ts) with `time_us` as the position. Identity/account events, deletes and
 * updates are counted as skipped; a frame that is not JSON or a post commit without its fields is quarantined.
 * The cursor is `time_us`: on reconnect (with backoff) it resumes from the last event received; after a crash,
 * from the last stored one (Postgres), and events at or before it are dropped.
 */

export const DEFAULT_JETSTREAM_URL = 'wss://jetstream2.us-east.bsky.network/subscribe';
const POST_COLLECTION = 'app.bsky.feed.post';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** What one Jetstream frame is: a post to keep (with its cursor), something to skip, or a reason to quarantine. */
export function readJetstreamFrame(text: string): { post: { offset: string; value: string } } | { skip: string; offset?: string } | { reason: string } {
  let e: unknown;
  try {
    e = JSON.parse(text);
  } catch (err) {
    return { reason: `invalid JSON frame: ${(err as Error).message}` };
  }
  if (!isObj(e)) return { reason: 'frame is not a JSON object' };
  const t = e.time_us;
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t <= 0) return { reason: 'event without a numeric time_us' };
  const offset = String(t);
  if (e.kind !== 'commit') return { skip: String(e.kind ?? 'unknown'), offset };
  const c = e.commit;
  if (!isObj(c)) return { reason: 'commit event without its commit object' };
  if (c.collection !== POST_COLLECTION) return { skip: `commit:${String(c.collection)}`, offset };
  if (c.operation !== 'create') return { skip: `${String(c.operation)}`, offset };
  if (typeof e.did !== 'string' || typeof c.rkey !== 'string' || !isObj(c.record)) return { reason: 'post commit without did, rkey or record' };
  return { post: { offset, value: JSON.stringify({ uri: `at://${e.did}/${POST_COLLECTION}/${c.rkey}`, cid: c.cid ?? null, value: c.record }) } };
}

export class JetstreamSource extends PushStreamSource {
  private ws: WebSocket | null = null;
  private cursor: string | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly url: string = DEFAULT_JETSTREAM_URL) {
    super();
  }

  async start(stored: ReadonlyMap<string, string>): Promise<void> {
    const last = stored.get('0');
    if (last) {
      this.buffer.setStored('0', last);
      this.cursor = last;
    }
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const u = new URL(this.url);
    if (!u.searchParams.has('wantedCollections')) u.searchParams.append('wantedCollections', POST_COLLECTION);
    if (this.cursor) u.searchParams.set('cursor', this.cursor);
    const ws = new WebSocket(u);
    this.ws = ws;
    ws.on('message', (data) => {
      this.attempt = 0;
      const text = data.toString();
      const r = readJetstreamFrame(text);
      if ('reason' in r) {
        this.rejected.push({ reason: `jetstream: ${r.reason}`, record: text.slice(0, 10_000) });
        return;
      }
      if ('skip' in r) {
        this.skipped[r.skip] = (this.skipped[r.skip] ?? 0) + 1;
        if (r.offset) this.cursor = r.offset;
        return;
      }
      this.cursor = r.post.offset;
      this.buffer.push([{ partition: '0', offset: r.post.offset, value: r.post.value, receivedAt: Date.now() }]);
    });
    ws.on('error', (err) => logger.warn({ err: err.message, url: u.origin }, 'jetstream: connection error'));
    ws.on('close', () => {
      this.ws = null;
      if (this.closed) return;
      this.reconnects++;
      const delay = backoffMs(this.attempt++);
      logger.info({ delay, cursor: this.cursor }, 'jetstream: disconnected; reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.terminate();
  }
}
