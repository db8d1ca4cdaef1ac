import { InvalidArgumentError, type Command } from 'commander';
import { installRuntime } from '../../lib/runtime';
import { connectStack, type Stack } from '../../lib/stack';
import { resolveBrokers, topicExists } from '../../activities/collect/stream/kafka';
import { stream, streamStatusQuery, stopStreamSignal, type StreamInput, type StreamStatus } from '../../workflows/stream';
import { startOrAttach } from '../follow';
import { followRun } from '../pipelineRun';
import { platformOption } from './run';
import { printLine } from '../terminalText';

/**
 * `60s`, `5m`, `1h`, `500ms` or a bare number of seconds → seconds (fractions allowed, > 0).
 * @throws InvalidArgumentError for anything else
 */
export function durationSeconds(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  const n = m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(n > 0)) throw new InvalidArgumentError(`expected a duration such as 60s, 5m or 1h, got "${value}"`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  return n;
}

/** The stream's workflow id: given, or a business key of what it reads (a repeated start attaches to the same stream). */
export function streamIdFor(opts: { id?: string; from: string; topic?: string; group?: string; hashtag?: string; url?: string }): string {
  if (opts.id) return opts.id;
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  if (opts.from === 'kafka') return `stream-kafka-${safe(opts.topic ?? '')}${opts.group ? `-${safe(opts.group)}` : ''}`;
  if (opts.from === 'mastodon') return `stream-mastodon-${safe(opts.hashtag ?? 'public')}`;
  return 'stream-jetstream';
}

export function formatStatus(s: StreamStatus): string {
  const lines = [
    `stream ${s.streamId} (${s.source}): ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
    `  batches ${s.batches} · messages ${s.messages} · posts ${s.posts} · scored ${s.scored} · filtered ${s.filtered} · quarantined ${s.quarantined}`,
    `  alerts ${s.alerts} · buffered ${s.buffered} · reconnects ${s.reconnects}${s.lastBatchAt ? ` · last batch ${s.lastBatchAt}` : ''}`,
  ];
  const skipped = Object.entries(s.skipped);
  if (skipped.length > 0) lines.push(`  skipped events: ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const a of s.recentAlerts) lines.push(`  alert ${a.kind} ${a.key} at ${a.bucketStart}: ${a.posts} posts vs usual ${a.baseline} (z=${a.score})`);
  return lines.join('\n');
}

async function control(action: 'status' | 'stop', id: string, json: boolean): Promise<void> {
  installRuntime();
  const stack = await connectStack();
  try {
    const handle = stack.client.workflow.getHandle(id);
    // A stream that has already ended (idle-exit, max-posts, stopped) has nothing to stop: that is an answer, not an error.
    let desc = await handle.describe();
    const running = desc.status.name === 'RUNNING';
    if (action === 'stop' && running) {
      await handle.signal(stopStreamSignal);
      desc = await handle.describe();
    }
    const status = await handle.query(streamStatusQuery);
    const stopNote = action !== 'stop' ? '' : running ? ' · stop requested: the batch in flight finishes, then it stops' : ' · already ended: nothing to stop';
    if (json)
      process.stdout.write(JSON.stringify({ workflowStatus: desc.status.name, ...status, ...(action === 'stop' ? { stopRequested: running } : {}) }) + '\n');
    else printLine(`${formatStatus(status)}\n  workflow ${desc.status.name}${stopNote}`);
  } finally {
    await stack.close();
  }
}

export function registerStream(program: Command): void {
  program
    .command('stream')
    .description(
      'consume a live stream (Kafka topic, Bluesky Jetstream, Mastodon streaming) in micro-batches through the pipeline, exactly once, with trend alerts; `stream status|stop --id ID` controls a running one',
    )
    .argument('[action]', 'status | stop (of the stream named by --id or by the source options); none: run a stream')
    .option('--from <source>', 'kafka | jetstream | mastodon', 'kafka')
    .option('--topic <topic>', 'kafka: the topic to consume')
    .option('--brokers <host:port,...>', 'kafka: brokers (default KAFKA_BROKERS, written by `services up kafka`)')
    .option('--group <group>', 'kafka: consumer group (default socialsense-<stream id>)')
    .option('--url <url>', 'jetstream: subscribe URL; mastodon: instance URL (default MASTODON_BASE_URL)')
    .option('--hashtag <tag>', 'mastodon: a hashtag timeline instead of the public one')
    .option('--platform <name>', 'id prefix for raw platform JSON and flat records (post.v1 keeps its ids)', platformOption)
    .option('--id <stream-id>', 'the stream workflow id (default: derived from the source)')
    .option('--window <duration>', 'micro-batch window, e.g. 60s', durationSeconds, 60)
    .option('--batch <n>', 'the most messages in one micro-batch', positiveInt, 5000)
    .option('--max-posts <n>', 'stop after this many messages', positiveInt)
    .option('--idle-exit <duration>', 'stop when nothing arrives for this long, e.g. 30s', durationSeconds)
    .option('--bucket <duration>', 'trend alert bucket (0 turns alerts off)', (v: string) => (v === '0' ? 0 : durationSeconds(v) / 60), 5)
    .option('--alert-warmup <buckets>', 'buckets observed before an alert can fire', positiveInt)
    .option('--sink-topic <topic>', 'also publish scores and alerts to this Kafka topic')
    .option('--detach', 'start the stream workflow and return (a worker fleet runs it)')
    .option('--no-worker', 'do not run a worker in this process (a worker fleet is polling the queues)')
    .option('--json', 'print the final counts as one JSON object')
    .action(async (action: string | undefined, opts, cmd: Command) => {
      if (!['kafka', 'jetstream', 'mastodon'].includes(opts.from)) cmd.error(`error: --from must be kafka, jetstream or mastodon, got "${opts.from}"`);
      const id = streamIdFor(opts);
      if (action === 'status' || action === 'stop') return control(action, id, !!opts.json);
      if (action) cmd.error(`error: unknown action "${action}": use status or stop, or no action to run a stream`);
      if (opts.from === 'kafka' && !opts.topic) cmd.error('error: --from kafka needs --topic T');
      const brokers = opts.from === 'kafka' || opts.sinkTopic ? resolveBrokers(opts.brokers) : null;
      const input: StreamInput = {
        source: opts.from,
        topic: opts.topic ?? null,
        brokers,
        group: opts.group ?? null,
        url: opts.url ?? null,
        hashtag: opts.hashtag?.replace(/^#/, '') ?? null,
        platform: opts.platform ?? null,
        windowSeconds: opts.window,
        batchMessages: opts.batch,
        maxPosts: opts.maxPosts ?? null,
        idleExitSeconds: opts.idleExit ?? null,
        bucketMinutes: opts.bucket,
        alertWarmup: opts.alertWarmup,
        sinkTopic: opts.sinkTopic ?? null,
      };
      installRuntime();
      // A typo in --topic would look like an empty topic: the stream still starts (a producer may create the topic
      // later), but says so.
      if (opts.from === 'kafka' && !(await topicExists(brokers!, opts.topic)))
        printLine(
          `warning: topic ${opts.topic} does not exist on ${brokers!.join(',')} yet: the stream waits for it (\`socialsense produce --topic ${opts.topic}\` creates it)`,
          process.stderr,
        );
      const stack: Stack = await connectStack();
      try {
        const handle = await startOrAttach(
          stack.client,
          stream,
          { workflowId: id, taskQueue: stack.taskQueue, args: [input] },
          { stage: 'stream', source: opts.from },
        );
        if (opts.detach) {
          printLine(
            opts.json
              ? JSON.stringify({ workflowId: id, started: true })
              : `stream ${id} started; \`socialsense stream status --id ${id}\`, \`socialsense stream stop --id ${id}\``,
          );
          return;
        }
        const wait = () => handle.result();
        const status = await followRun(stack, opts.worker, wait);
        if (opts.json) process.stdout.write(JSON.stringify({ workflowId: id, ...status }) + '\n');
        else printLine(formatStatus(status));
      } finally {
        await stack.close();
      }
    });
}
