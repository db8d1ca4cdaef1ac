/**
 * Micro-batching shared by every stream source (Kafka, Jetstream, Mastodon SSE). A source pushes messages
 * with their position into a MessageBuffer as they arrive; the stream activity takes one micro-batch at a
 * time: every window, or every N posts, whichever comes first.
 *
 * Positions are decimal strings compared as integers: a Kafka offset, Jetstream's `time_us` cursor, a
 * Mastodon status id (snowflake). `last` positions come from Postgres (stream_offsets): a message at or
 * before its partition's stored position was already stored and is dropped, which is what makes a
 * re-delivery after a crash harmless.
 */

export interface StreamMessage {
  /** Kafka partition number as a string; `0` for single-partition sources */
  partition: string;
  /** the position, a non-negative integer as a decimal string */
  offset: string;
  /** the message body (JSON expected) */
  value: Buffer | string | null;
  /** when this process received it, epoch ms (latency measurements) */
  receivedAt: number;
  /** the source's own timestamp of the message, epoch ms, when it has one (Kafka's produce time) */
  timestamp?: number;
}

/** An inclusive range of positions of one partition that a micro-batch covers. */
export interface PositionRange {
  partition: string;
  from: string;
  to: string;
}

export interface TakeOptions {
  /** the most messages in one batch */
  max: number;
  /** close the batch this long after taking started (ms), if it has any message */
  windowMs: number;
  /** give up with an empty batch when nothing arrives for this long (ms); Infinity waits for ever */
  idleMs: number;
  /** re-cut a planned batch: exactly the messages in these ranges (after a crash between plan and commit) */
  plan?: PositionRange[] | null;
  /** aborts the wait (activity cancelled): what was gathered is returned */
  signal?: AbortSignal;
  /** called about every second while waiting (activity heartbeats) */
  onWait?: () => void;
}

const big = (s: string): bigint => BigInt(s);

/** The inclusive position ranges of a batch's messages, one per partition, sorted by partition. */
export function rangesOf(messages: readonly StreamMessage[]): PositionRange[] {
  const by = new Map<string, { from: bigint; to: bigint }>();
  for (const m of messages) {
    const o = big(m.offset);
    const r = by.get(m.partition);
    if (!r) by.set(m.partition, { from: o, to: o });
    else {
      if (o < r.from) r.from = o;
      if (o > r.to) r.to = o;
    }
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([partition, r]) => ({ partition, from: r.from.toString(), to: r.to.toString() }));
}

/** Ranges in the canonical form `rangesOf` gives (key order, partition order), e.g. after a jsonb round trip. */
export function canonicalRanges(ranges: readonly PositionRange[]): PositionRange[] {
  return [...ranges]
    .map((r) => ({ partition: String(r.partition), from: String(r.from), to: String(r.to) }))
    .sort((a, b) => a.partition.localeCompare(b.partition, 'en', { numeric: true }));
}

/** Whether a position lies inside one of the ranges. */
export function inRanges(m: Pick<StreamMessage, 'partition' | 'offset'>, ranges: readonly PositionRange[]): boolean {
  const o = big(m.offset);
  return ranges.some((r) => r.partition === m.partition && o >= big(r.from) && o <= big(r.to));
}

/** Buffer between a source's delivery callbacks and the activity that cuts batches. Not thread-shared: one event loop. */
export class MessageBuffer {
  private items: StreamMessage[] = [];
  private readonly last = new Map<string, bigint>();
  private wake: (() => void) | null = null;
  /** set by the source when it can no longer deliver (e.g. a configuration error): take() rethrows it */
  failure: Error | null = null;

  /** messages waiting */
  get size(): number {
    return this.items.length;
  }

  /** The last stored position per partition (from Postgres): messages at or before it are dropped. */
  setStored(partition: string, lastOffset: string): void {
    this.last.set(partition, big(lastOffset));
    this.items = this.items.filter((m) => !this.isStored(m));
  }

  /** The position after which this partition is new, if known. */
  stored(partition: string): string | null {
    return this.last.get(partition)?.toString() ?? null;
  }

  private isStored(m: StreamMessage): boolean {
    const l = this.last.get(m.partition);
    return l !== undefined && big(m.offset) <= l;
  }

  push(messages: readonly StreamMessage[]): void {
    for (const m of messages) if (!this.isStored(m)) this.items.push(m);
    this.wake?.();
  }

  /** Keeps only what is buffered for these partitions: a rebalance gave the others to another consumer. */
  retainPartitions(owned: ReadonlySet<string>): void {
    this.items = this.items.filter((m) => owned.has(m.partition));
  }

  fail(err: Error): void {
    this.failure = err;
    this.wake?.();
  }

  private ready(opts: TakeOptions): StreamMessage[] | null {
    if (opts.plan) {
      const wanted = this.items.filter((m) => inRanges(m, opts.plan!));
      const complete = opts.plan.every((r) => wanted.some((m) => m.partition === r.partition && m.offset === r.to));
      return complete ? wanted : null;
    }
    return this.items.length >= opts.max ? this.items.slice(0, opts.max) : null;
  }

  /**
   * Waits for the next micro-batch and removes it from the buffer (duplicates of one position are kept once).
   * Returns `idle: true` with what it has when nothing arrived for `idleMs`. Rethrows a source failure.
   */
  async take(opts: TakeOptions): Promise<{ messages: StreamMessage[]; idle: boolean }> {
    const start = Date.now();
    let lastSize = this.items.length;
    let lastArrival = Date.now();
    let lastBeat = Date.now();
    for (;;) {
      if (this.failure) throw this.failure;
      const full = this.ready(opts);
      const now = Date.now();
      if (this.items.length !== lastSize) {
        lastSize = this.items.length;
        lastArrival = now;
      }
      const windowClosed = now - start >= opts.windowMs && this.items.length > 0 && !opts.plan;
      // idle = nothing buffered and nothing new for idleMs (a partial batch waits for its window instead)
      const idle = now - lastArrival >= opts.idleMs && (this.items.length === 0 || !!opts.plan);
      if (full || windowClosed || idle || opts.signal?.aborted) {
        const chosen = full ?? (opts.plan ? this.items.filter((m) => inRanges(m, opts.plan!)) : this.items.slice(0, opts.max));
        const taken = new Set(chosen);
        this.items = this.items.filter((m) => !taken.has(m));
        const seen = new Set<string>();
        const messages = chosen.filter((m) => {
          const k = `${m.partition}/${m.offset}`;
          return seen.has(k) ? false : (seen.add(k), true);
        });
        return { messages, idle: !full && !windowClosed && idle };
      }
      if (now - lastBeat >= 1000) {
        opts.onWait?.();
        lastBeat = now;
      }
      const waitMs = Math.max(5, Math.min(250, opts.windowMs - (now - start), opts.idleMs - (now - lastArrival)));
      await new Promise<void>((resolve) => {
        const signal = opts.signal;
        const t = setTimeout(done, waitMs);
        function done() {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        this.wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
      this.wake = null;
    }
  }
}
