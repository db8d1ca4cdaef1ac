import type { Quarantined } from '../../../lib/schema';
import { MessageBuffer, type PositionRange } from './microBatch';

/**
 * A live source the stream activity cuts micro-batches from. Implementations: Kafka (kafka.ts), Bluesky
 * Jetstream (jetstream.ts), Mastodon streaming (mastodonSse.ts). A source lives in the worker process across
 * windows (activities/stream.ts keeps it by stream id), reconnecting by itself.
 */
export interface StreamSource {
  /** messages waiting to be cut into batches */
  readonly buffer: MessageBuffer;
  /** Connects and starts delivering into `buffer`, resuming after the stored positions (partition → last position). */
  start(stored: ReadonlyMap<string, string>): Promise<void>;
  /** After a batch is durably stored: acknowledge its positions to the source (Kafka's committed offsets). */
  commit(ranges: readonly PositionRange[]): Promise<void>;
  /** Events that could not be read at all (malformed frames, bad JSON in an event): taken once, to be quarantined. */
  drainRejected(): Quarantined[];
  /** what the source has seen that is not a post (deletes, edits, identity events…), by kind; for status */
  readonly skipped: Record<string, number>;
  /** reconnections so far (for status and tests) */
  readonly reconnects: number;
  close(): Promise<void>;
}

/**
 * A source that pushes events and keeps no consumer state (Jetstream, Mastodon streaming): the position stored
 * in Postgres is the commit, so `commit` has nothing to do. Subclasses push what they cannot read to
 * `rejected` and set `closed` when closed.
 */
export abstract class PushStreamSource implements StreamSource {
  readonly buffer = new MessageBuffer();
  readonly skipped: Record<string, number> = {};
  reconnects = 0;
  protected rejected: Quarantined[] = [];
  protected closed = false;

  abstract start(stored: ReadonlyMap<string, string>): Promise<void>;
  abstract close(): Promise<void>;

  async commit(_ranges: readonly PositionRange[]): Promise<void> {
    // the server keeps no consumer state: the stored position (Postgres) is the commit
  }

  drainRejected(): Quarantined[] {
    const r = this.rejected;
    this.rejected = [];
    return r;
  }
}

/** Reconnect delay: exponential from 250 ms, capped, with ±20% jitter so many clients do not return together. */
export function backoffMs(attempt: number, capMs = 30_000): number {
  const base = Math.min(capMs, 250 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}
