import { Context } from '@temporalio/activity';
import type { Db } from '../lib/db';
import { finishRun, recordRescore, startRun, type RunEndStatus } from '../lib/catalog';
import type { DatasetRef } from '../lib/schema';

export interface RunOverview {
  scored: number;
  /** posts per sentiment label; notScored: posts in a language without a sentiment model (null label; always set by summarizeRun) */
  sentiment: Record<'negative' | 'neutral' | 'positive', number> & { notScored?: number };
  topHashtags: Array<{ hashtag: string; posts: number }>;
}

export interface TrainingInputs {
  /** per day, with the run that wrote it: rescoring replaces that run's rows */
  clean: Array<{ date: string; runKey: string; ref: DatasetRef }>;
  features: DatasetRef[];
  engagements: DatasetRef[];
  truth: DatasetRef[];
  truthUsers: DatasetRef | null;
}

/**
 * A collected source's window: one dataset per stage and day, the newest (a day is collected once per source; a re-run
 * of it replaces what the window trains on). Binds source, stages, first and last day.
 */
const COLLECTED_WINDOW_SQL = `
  SELECT DISTINCT ON (stage, partition_date) stage, partition_date::text AS date, uri, format, schema, records, bytes, sha256, run_key
  FROM datasets WHERE source = $1 AND stage = ANY($2) AND partition_date BETWEEN $3 AND $4
  ORDER BY stage, partition_date, created_at DESC`;

/**
 * Imported files' window: every completed import's datasets on those days (several files may share a day, and a big
 * day is stored in parts), as each run's summary lists them: exactly its last completed attempt's, not an earlier
 * attempt's that partitioned otherwise (both stay in the catalog). Binds the same parameters.
 */
const IMPORTED_WINDOW_SQL = `
  WITH listed AS (
    SELECT DISTINCT d->>'uri' AS uri
    FROM runs r, jsonb_array_elements(coalesce(r.summary->'datasets'->'clean', '[]') || coalesce(r.summary->'datasets'->'features', '[]')) d
    WHERE r.kind = 'pipeline' AND r.status = 'completed' AND r.summary->>'source' = $1)
  SELECT DISTINCT ON (ds.uri) ds.stage, ds.partition_date::text AS date, ds.uri, ds.format, ds.schema, ds.records, ds.bytes, ds.sha256, ds.run_key
  FROM listed JOIN datasets ds USING (uri)
  WHERE ds.source = $1 AND ds.stage = ANY($2) AND ds.partition_date BETWEEN $3 AND $4
  ORDER BY ds.uri, ds.created_at DESC`;

export function createCatalogActivities(deps: { db: Db }) {
  const { db } = deps;
  /**
   * What people see first about a run, computed from the rows it wrote: every post the run scored
   * (post_score_runs), with the post's current scores, so a later run that re-scored some of them
   * neither removes them from this run's count nor adds its own posts to it.
   */
  async function summarizeRun(input: { runKey: string }): Promise<RunOverview> {
    const labels = await db.query(
      `SELECT p.sentiment_label AS label, count(*)::int AS n FROM post_score_runs r JOIN post_scores p USING (post_id) WHERE r.run_key = $1 GROUP BY 1`,
      [input.runKey],
    );
    const tags = await db.query(
      `SELECT tag AS hashtag, count(*)::int AS posts FROM post_score_runs r JOIN post_scores p USING (post_id), unnest(p.hashtags) AS tag WHERE r.run_key = $1
       GROUP BY tag ORDER BY posts DESC, tag LIMIT 10`,
      [input.runKey],
    );
    const sentiment = { negative: 0, neutral: 0, positive: 0, notScored: 0 };
    for (const r of labels.rows) {
      if (r.label === null) sentiment.notScored = r.n;
      else sentiment[r.label as 'negative' | 'neutral' | 'positive'] = r.n;
    }
    // every row counts as scored (written to post_scores), with or without a sentiment label
    return { scored: sentiment.negative + sentiment.neutral + sentiment.positive + sentiment.notScored, sentiment, topHashtags: tags.rows };
  }

  return {
    /**
     * Marks a run `running`. `followsContinueAsNew`: the workflow continues as new (a backfill), so the row keeps no
     * run id and reconcileRuns follows the workflow id's latest execution instead of one that continued.
     */
    async recordRunStart(input: { runKey: string; kind: string; input: unknown; followsContinueAsNew?: boolean }): Promise<void> {
      const info = Context.current().info.workflowExecution ?? { workflowId: input.runKey, runId: undefined };
      await startRun(db, {
        runKey: input.runKey,
        kind: input.kind,
        input: input.input,
        workflowId: info.workflowId,
        runId: input.followsContinueAsNew ? undefined : info.runId,
      });
    },
    /** Which of these runs already completed: how a repeated backfill knows what to skip. */
    async completedRuns(runKeys: string[]): Promise<string[]> {
      const { rows } = await db.query(`SELECT run_key FROM runs WHERE run_key = ANY($1) AND status = 'completed'`, [runKeys]);
      return rows.map((r) => r.run_key as string);
    },
    /**
     * The newest dataset of each stage and day in a window: what retraining reads. Engagements and
     * planted truth exist for the simulated source only.
     */
    async trainingInputs(input: { source: string; from: string; to: string }): Promise<TrainingInputs> {
      const { rows } = await db.query(input.source === 'file' ? IMPORTED_WINDOW_SQL : COLLECTED_WINDOW_SQL, [
        input.source,
        ['clean', 'features', 'engagements', 'truth'],
        input.from,
        input.to,
      ]);
      const pick = (stage: string) => rows.filter((r) => r.stage === stage).map(({ stage: _s, date: _d, run_key: _r, ...ref }) => ref as DatasetRef);
      // The planted users of the run that wrote the window's newest truth, not the newest users of any
      // simulated run: another run (another seed) has other users, and scoring segments against them gave ARI ≈ 0.
      const truthRuns = [...new Set(rows.filter((r) => r.stage === 'truth').map((r) => r.run_key as string))];
      const users = await db.query(
        `SELECT uri, format, schema, records, bytes, sha256 FROM datasets
         WHERE source = $1 AND stage = 'truth' AND schema = 'simulated.users.v1' AND run_key = ANY($2)
         ORDER BY created_at DESC LIMIT 1`,
        [input.source, truthRuns],
      );
      return {
        clean: rows
          .filter((r) => r.stage === 'clean')
          .map((r) => ({
            date: r.date,
            runKey: r.run_key,
            ref: { uri: r.uri, format: r.format, schema: r.schema, records: r.records, bytes: r.bytes, sha256: r.sha256 },
          })),
        features: pick('features'),
        engagements: pick('engagements'),
        truth: pick('truth').filter((r) => r.schema === 'simulated.truth.v1'),
        truthUsers: users.rows[0] ?? null,
      };
    },
    summarizeRun,
    async recordRunEnd(input: { runKey: string; status: RunEndStatus; summary?: unknown; error?: string }): Promise<void> {
      await finishRun(db, input.runKey, input);
    },
    /**
     * After a retrain rescored partitions of the run `runKey` (`by`: the retrain's run key): its summary names the
     * rescored features datasets and counts what post_scores now holds (lib/catalog.ts recordRescore).
     */
    async recordRescore(input: {
      runKey: string;
      by: string;
      partitions: Array<{ clean: string; features: DatasetRef }>;
      models: { sentiment: string; topics: string | null };
    }): Promise<void> {
      const overview = await summarizeRun({ runKey: input.runKey });
      await recordRescore(db, input.runKey, { ...input, overview });
    },
  };
}
