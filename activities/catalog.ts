import { Context } from '@temporalio/activity';
import type { Db } from '../lib/db';
import { finishRun, startRun } from '../lib/catalog';

export interface RunOverview {
  scored: number;
  sentiment: Record<'negative' | 'neutral' | 'positive', number>;
  topHashtags: Array<{ hashtag: string; posts: number }>;
}

export function createCatalogActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    async recordRunStart(input: { runKey: string; kind: string; input: unknown }): Promise<void> {
      const info = Context.current().info.workflowExecution ?? { workflowId: input.runKey, runId: undefined };
      await startRun(db, { ...input, workflowId: info.workflowId, runId: info.runId });
    },
    /** Which of these runs already completed: how a repeated backfill knows what to skip. */
    async completedRuns(runKeys: string[]): Promise<string[]> {
      const { rows } = await db.query(`SELECT run_key FROM runs WHERE run_key = ANY($1) AND status = 'completed'`, [runKeys]);
      return rows.map((r) => r.run_key as string);
    },
    /** What people see first about a run, computed from the rows it wrote. */
    async summarizeRun(input: { runKey: string }): Promise<RunOverview> {
      const labels = await db.query(`SELECT sentiment_label AS label, count(*)::int AS n FROM post_scores WHERE run_key = $1 GROUP BY 1`, [input.runKey]);
      const tags = await db.query(
        `SELECT tag AS hashtag, count(*)::int AS posts FROM post_scores, unnest(hashtags) AS tag WHERE run_key = $1
         GROUP BY tag ORDER BY posts DESC, tag LIMIT 10`,
        [input.runKey],
      );
      const sentiment = { negative: 0, neutral: 0, positive: 0 };
      for (const r of labels.rows) sentiment[r.label as keyof typeof sentiment] = r.n;
      return { scored: sentiment.negative + sentiment.neutral + sentiment.positive, sentiment, topHashtags: tags.rows };
    },
    async recordRunEnd(input: { runKey: string; status: 'completed' | 'failed'; summary?: unknown; error?: string }): Promise<void> {
      await finishRun(db, input.runKey, input);
    },
  };
}
