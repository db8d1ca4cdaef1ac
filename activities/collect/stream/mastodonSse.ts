import { configError } from '../../../lib/failures';
import { logger } from '../../../lib/logger';
import { baseUrl as configuredBaseUrl, DEFAULT_BASE } from '../platforms/mastodon';
import { backoffMs, PushStreamSource } from './source';

/**
 * Mastodon's streaming API: server-sent events from `/api/v1/streaming/public` or
 * `/api/v1/streaming/hashtag?tag=…` (`event: update` + `data: <Status JSON>`; `delete`, `status.update` and
 * notifications are counted as skipped; lines starting with `:` are heartbeats). Since Mastodon 4.2 streaming
 * needs an access token (MASTODON_ACCESS_TOKEN, read:statuses). The position is the status id (a snowflake,
 * increasing): SSE has no replay, so after a disconnect the gap is filled from the REST timeline with
 * `min_id=<last id>` before streaming resumes; a restarted consumer does the same from the stored id.
 */

export interface MastodonStreamOptions {
  /** instance base URL; default MASTODON_BASE_URL or platforms/mastodon.ts DEFAULT_BASE */
  baseUrl?: string;
  /** a hashtag (without #) for the hashtag timeline; default: the public timeline */
  hashtag?: string | null;
  token?: string | null;
}

/**
 * The instance a Mastodon stream reads: `baseUrl`, else the one the REST connector reads (MASTODON_BASE_URL unless
 * empty, else DEFAULT_BASE); no trailing slash.
 */
export function mastodonStreamBase(baseUrl?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  return (baseUrl?.trim() || configuredBaseUrl(env)).replace(/\/+$/, '');
}

const isDigits = (s: unknown): s is string => typeof s === 'string' && /^\d{1,30}$/.test(s);
const newer = (a: string, b: string) => BigInt(a) > BigInt(b);

/** Parses SSE text into events; returns the events and the unfinished tail to keep for the next chunk. */
export function parseSse(text: string): { events: Array<{ event: string; data: string }>; rest: string } {
  const blocks = text.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  const events: Array<{ event: string; data: string }> = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue; // heartbeat / comment
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

export class MastodonStreamSource extends PushStreamSource {
  private abort: AbortController | null = null;
  private cursor: string | null = null;
  private readonly base: string;
  private readonly token: string | null;

  constructor(private readonly opts: MastodonStreamOptions = {}) {
    super();
    this.base = mastodonStreamBase(opts.baseUrl);
    this.token = opts.token ?? process.env.MASTODON_ACCESS_TOKEN ?? null;
    try {
      new URL(this.base);
    } catch {
      throw configError(`not a Mastodon instance URL: "${this.base}" (e.g. ${DEFAULT_BASE})`);
    }
  }

  private headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' } : { accept: 'text/event-stream' };
  }

  async start(stored: ReadonlyMap<string, string>): Promise<void> {
    const last = stored.get('0');
    if (last) {
      this.buffer.setStored('0', last);
      this.cursor = last;
    }
    void this.loop();
  }

  private accept(status: unknown, raw: string): void {
    const id = (status as { id?: unknown })?.id;
    if (!isDigits(id)) {
      this.rejected.push({ reason: 'mastodon: update without a numeric status id', record: raw.slice(0, 10_000) });
      return;
    }
    if (this.cursor === null || newer(id, this.cursor)) this.cursor = id;
    this.buffer.push([{ partition: '0', offset: id, value: raw, receivedAt: Date.now() }]);
  }

  /** Statuses newer than the cursor from the REST timeline, oldest first (the gap a disconnect left). */
  private async fillGap(signal: AbortSignal): Promise<void> {
    if (!this.cursor) return;
    const path = this.opts.hashtag ? `/api/v1/timelines/tag/${encodeURIComponent(this.opts.hashtag)}` : '/api/v1/timelines/public';
    for (let page = 0; page < 25; page++) {
      const url = `${this.base}${path}?limit=40&min_id=${this.cursor}`;
      const res = await fetch(url, { headers: { ...this.headers(), accept: 'application/json' }, signal });
      if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
      const list = (await res.json()) as unknown;
      if (!Array.isArray(list) || list.length === 0) return;
      const sorted = list.filter((s) => isDigits((s as { id?: unknown })?.id)).sort((a, b) => (newer(a.id, b.id) ? 1 : -1));
      for (const s of sorted) this.accept(s, JSON.stringify(s));
      if (list.length < 40) return;
    }
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      this.abort = new AbortController();
      try {
        await this.fillGap(this.abort.signal);
        const url = this.opts.hashtag
          ? `${this.base}/api/v1/streaming/hashtag?tag=${encodeURIComponent(this.opts.hashtag)}`
          : `${this.base}/api/v1/streaming/public`;
        const res = await fetch(url, { headers: this.headers(), signal: this.abort.signal });
        if (res.status === 401 || res.status === 403) {
          this.buffer.fail(
            configError(`Mastodon streaming refused (HTTP ${res.status}): set MASTODON_ACCESS_TOKEN to a token with read:statuses (needed since Mastodon 4.2)`),
          );
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const decoder = new TextDecoder();
        let pending = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          attempt = 0;
          const { events, rest } = parseSse(pending + decoder.decode(chunk, { stream: true }));
          pending = rest;
          for (const e of events) {
            if (e.event !== 'update') {
              this.skipped[e.event] = (this.skipped[e.event] ?? 0) + 1;
              continue;
            }
            try {
              this.accept(JSON.parse(e.data), e.data);
            } catch (err) {
              this.rejected.push({ reason: `mastodon: update with invalid JSON: ${(err as Error).message}`, record: e.data.slice(0, 10_000) });
            }
          }
        }
      } catch (err) {
        if (this.closed) return;
        logger.warn({ err: (err as Error).message }, 'mastodon stream: connection error');
      }
      if (this.closed) return;
      this.reconnects++;
      const delay = backoffMs(attempt++);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
  }
}
