import type { Command } from 'commander';
import type { Db } from '../../lib/db';
import { connectReadSide } from '../../lib/stack';
import type { AlertRecord } from '../../activities/stream';
import { limitOption } from '../options';
import { printLine } from '../terminalText';

/** Stored alerts after id `afterId`, oldest first (optionally of one stream). */
export async function listAlerts(db: Db, opts: { streamId?: string | null; afterId?: number; limit?: number } = {}): Promise<AlertRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM (
       SELECT id, stream_id, kind, key, bucket_start, bucket_ms, posts, baseline, score, explanation, detected_at
         FROM stream_alerts WHERE id > $1 AND ($2::text IS NULL OR stream_id = $2) ORDER BY id DESC LIMIT $3) a
      ORDER BY id`,
    [opts.afterId ?? 0, opts.streamId ?? null, opts.limit ?? 50],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    streamId: r.stream_id,
    kind: r.kind,
    key: r.key,
    bucketStart: new Date(r.bucket_start).toISOString(),
    bucketMs: r.bucket_ms,
    posts: r.posts,
    baseline: r.baseline,
    excess: r.explanation?.beat?.excess ?? r.posts - r.baseline,
    ratio: r.explanation?.beat?.ratio ?? null,
    score: r.score,
    explanation: r.explanation,
    detectedAt: new Date(r.detected_at).toISOString(),
  }));
}

export function formatAlert(a: AlertRecord): string {
  const d = a.explanation.drivers;
  const list = (xs: Array<{ key: string; share: number }>) =>
    xs
      .slice(0, 3)
      .map((x) => `${x.key} ${Math.round(x.share * 100)}%`)
      .join(', ');
  const parts = [`[${a.detectedAt}] ${a.streamId} ${a.kind} ${a.key} · bucket ${a.bucketStart}`, `  ${a.explanation.summary}`];
  if (d.terms.length) parts.push(`  terms: ${list(d.terms)}`);
  if (d.authors.length) parts.push(`  authors: ${list(d.authors)}`);
  if (d.topics.length) parts.push(`  topics: ${list(d.topics)}`);
  return parts.join('\n');
}

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('trend alerts of the streams (emerging hashtags, terms, topics), each with what it beat and what drove it')
    .option('--stream <id>', 'only this stream')
    .option('--limit <n>', 'the latest N alerts', limitOption, 50)
    .option('--follow', 'keep printing new alerts as they are detected (Ctrl-C to stop)')
    .option('--interval <seconds>', 'with --follow: seconds between checks', (v: string) => Math.max(0.2, Number(v) || 2), 2)
    .option('--json', 'one JSON object per alert per line')
    .action(async (opts) => {
      const side = await connectReadSide();
      const show = (a: AlertRecord) => (opts.json ? process.stdout.write(JSON.stringify(a) + '\n') : printLine(formatAlert(a)));
      try {
        let last = 0;
        const first = await listAlerts(side.db, { streamId: opts.stream, limit: opts.limit });
        first.forEach(show);
        last = first.at(-1)?.id ?? (await side.db.query(`SELECT coalesce(max(id), 0)::int AS id FROM stream_alerts`)).rows[0].id;
        if (!opts.follow) {
          if (first.length === 0 && !opts.json) printLine('no alerts yet');
          return;
        }
        let stop = false;
        process.once('SIGINT', () => (stop = true));
        process.once('SIGTERM', () => (stop = true));
        while (!stop) {
          await new Promise((r) => setTimeout(r, opts.interval * 1000));
          const more = await listAlerts(side.db, { streamId: opts.stream, afterId: last, limit: 1000 });
          more.forEach(show);
          if (more.length > 0) last = more.at(-1)!.id;
        }
      } finally {
        await side.close();
      }
    });
}
