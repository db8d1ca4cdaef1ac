import { configError } from '../../../lib/failures';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { logger } from '../../../lib/logger';
import type { Quarantined } from '../../../lib/schema';
import { MessageBuffer, type PositionRange } from './microBatch';
import type { StreamSource } from './source';

/**
 * Kafka through kafkajs (pure JavaScript: installs without a native build; measured against Kafka 4.1 in
 * KRaft mode on this machine, see bench/stream.ts). Consumption is in a consumer group with auto-commit off:
 * offsets are committed only after a micro-batch is durably stored (activities/stream.ts), and Postgres
 * holds the authoritative positions, so a consumer killed between the two re-reads and drops what it stored.
 */

/** `host:port,host:port` from the option, else KAFKA_BROKERS (written to .env by `services up kafka`). */
export function resolveBrokers(option?: string | string[] | null, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = Array.isArray(option) ? option.join(',') : (option ?? env.KAFKA_BROKERS ?? '');
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    throw configError(
      'no Kafka brokers: pass --brokers host:port, or set KAFKA_BROKERS (`socialsense services up kafka` starts a local broker and writes it to .env)',
    );
  }
  const bad = brokers.filter((b) => !/^[^\s:/]+:\d{1,5}$/.test(b));
  if (bad.length > 0) throw configError(`not a broker address (host:port): ${bad.join(', ')}`);
  return brokers;
}

const logLevelFromEnv = (): logLevel =>
  process.env.KAFKAJS_LOG_LEVEL === 'debug' ? logLevel.DEBUG : process.env.KAFKAJS_LOG_LEVEL === 'info' ? logLevel.INFO : logLevel.ERROR;

/** A kafkajs client whose log lines go to the project's logger. */
export function kafkaClient(brokers: string[], clientId = 'socialsense'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevelFromEnv(),
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...rest } = log;
        if (level <= logLevel.ERROR) logger.warn({ kafka: rest }, `kafka: ${message}`);
        else logger.debug({ kafka: rest }, `kafka: ${message}`);
      },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

/** Runs `fn` with a connected admin client of `brokers`, disconnected afterwards. */
async function withAdmin<T>(brokers: string[], fn: (admin: ReturnType<ReturnType<typeof kafkaClient>['admin']>) => Promise<T>): Promise<T> {
  const admin = kafkaClient(brokers, 'socialsense-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topic if it does not exist (3 partitions, replication 1 on a single local broker). */
export async function ensureTopic(brokers: string[], topic: string, partitions = 3): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  });
}

/** Whether the brokers hold `topic` now. */
export async function topicExists(brokers: string[], topic: string): Promise<boolean> {
  return withAdmin(brokers, async (admin) => (await admin.listTopics()).includes(topic));
}

export interface KafkaSourceOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  /** stop fetching while this many messages wait (back-pressure) */
  highWater?: number;
}

export class KafkaSource implements StreamSource {
  readonly buffer = new MessageBuffer();
  readonly skipped: Record<string, number> = {};
  reconnects = 0;
  private consumer: Consumer | null = null;
  private readonly highWater: number;

  constructor(private readonly opts: KafkaSourceOptions) {
    this.highWater = opts.highWater ?? 20_000;
  }

  async start(stored: ReadonlyMap<string, string>): Promise<void> {
    for (const [p, o] of stored) this.buffer.setStored(p, o);
    const consumer = kafkaClient(this.opts.brokers, `socialsense-stream-${this.opts.groupId}`).consumer({
      groupId: this.opts.groupId,
      // A killed consumer's partitions go to its successor after this (6 s is the broker's minimum).
      sessionTimeout: 10_000,
      heartbeatInterval: 2_000,
      rebalanceTimeout: 20_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // After a rebalance, what is buffered for partitions now owned by another member is theirs to read.
      this.buffer.retainPartitions(new Set((e.payload.memberAssignment[this.opts.topic] ?? []).map(String)));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.reconnects++;
      if (!e.payload.restart) this.buffer.fail(new Error(`Kafka consumer stopped: ${e.payload.error.message}`));
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        this.buffer.push(
          batch.messages.map((m) => ({
            partition: String(batch.partition),
            offset: m.offset,
            value: m.value,
            receivedAt: Date.now(),
            timestamp: Number(m.timestamp),
          })),
        );
        // Back-pressure: hold this partition's fetch loop until the batches catch up, heartbeating meanwhile.
        while (this.buffer.size > this.highWater && isRunning() && !isStale()) {
          await new Promise((r) => setTimeout(r, 200));
          await heartbeat();
        }
      },
    });
  }

  async commit(ranges: readonly PositionRange[]): Promise<void> {
    if (!this.consumer || ranges.length === 0) return;
    // Kafka's committed offset is the next one to read.
    await this.consumer.commitOffsets(ranges.map((r) => ({ topic: this.opts.topic, partition: Number(r.partition), offset: (BigInt(r.to) + 1n).toString() })));
  }

  drainRejected(): Quarantined[] {
    return [];
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}

/** One producer per broker list in this process (the sink and `produce` reuse it). */
const producers = new Map<string, Promise<Producer>>();

export function sharedProducer(brokers: string[]): Promise<Producer> {
  const key = brokers.join(',');
  let p = producers.get(key);
  if (!p) {
    p = (async () => {
      const producer = kafkaClient(brokers, 'socialsense-producer').producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      });
      await producer.connect();
      return producer;
    })();
    p.catch(() => producers.delete(key));
    producers.set(key, p);
  }
  return p;
}

/** Disconnects the producers this process opened. */
export async function closeProducers(): Promise<void> {
  const all = [...producers.values()];
  producers.clear();
  await Promise.allSettled(all.map(async (p) => (await p).disconnect()));
}

/**
 * Publishes JSON values to a topic in chunks (acks from all in-sync replicas). Keys: `key(value)` when given,
 * so messages about one post or one alert keep their order within a partition.
 */
export async function publishJson(brokers: string[], topic: string, values: readonly unknown[], key?: (v: unknown) => string | null): Promise<number> {
  const producer = await sharedProducer(brokers);
  for (let i = 0; i < values.length; i += 1000) {
    const chunk = values.slice(i, i + 1000);
    await producer.send({ topic, acks: -1, messages: chunk.map((v) => ({ key: key?.(v) ?? null, value: typeof v === 'string' ? v : JSON.stringify(v) })) });
  }
  return values.length;
}
