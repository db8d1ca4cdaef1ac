import { Context } from '@temporalio/activity';
import type { Db } from '../lib/db';
import { finishRun, startRun } from '../lib/catalog';

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
    async recordRunEnd(input: { runKey: string; status: 'completed' | 'failed'; summary?: unknown; error?: string }): Promise<void> {
      await finishRun(db, input.runKey, input);
    },
  };
}
