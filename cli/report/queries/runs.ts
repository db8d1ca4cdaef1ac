/**
 * The read side for people: plain SQL over the catalog and insight tables (db/migrations 001, 002),
 * one module per area (runs, topics, sentiment, trends, segments, recommendations, lineage, models).
 * Everything is read-only and returns plain JSON-able objects, so the HTML report, the `insights`
 * terminal tables, the API and `--json` all show the same numbers from the same functions.
 *
 * This module: which run a report is about, and what it covers (its posts, its users).
 */
import type { Db } from '../../../lib/db';
import { addDays, ISO_DAY } from '../../../lib/dates';

export interface RunInfo {
  runKey: string;
  kind: string;
  status: string;
  /** why a failed or cancelled run ended: its root cause (lib/failures describeFailure); null otherwise */
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  input: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  /** where the run's posts come from (`simulated`, `file`, a platform); null when its kind does not say (a stream window) */
  source: string | null;
  /** first and last UTC day of the run's posts (from its scores, else from its input); null when unknown */
  from: string | null;
  to: string | null;
  /** posts of this run in post_scores */
  posts: number;
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
}

interface RunRow {
  run_key: string;
  kind: string;
  status: string;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
  input: Record<string, unknown> | null;
  summary: Record<string, unknown> | null;
  source: string | null;
}

/**
 * The posts a run scored, with their current scores: post_score_runs keeps every run that scored a post
 * (post_scores.run_key only names the last one), so a report on an earlier run keeps the rows a later
 * run merged. Binds the run key as $1.
 */
export const RUN_POSTS = '(SELECT p.* FROM post_score_runs r JOIN post_scores p USING (post_id) WHERE r.run_key = $1)';

/**
 * A run's source (`simulated`, `file`, a platform) as its workflow resolved it, over a `runs` row: the summary's, else
 * the input's, else the default of the pipeline, retrain and backfill (simulated); null for a kind that names none (a stream
 * window). One rule for a run's reports and for the term_trends rows of its source (queries/trends.ts).
 */
export const RUN_SOURCE_SQL = `coalesce(summary->>'source', input->>'source', CASE WHEN kind IN ('pipeline', 'retrain', 'backfill') THEN 'simulated' END)`;

const RUN_COLUMNS = `run_key, kind, status, error, started_at, finished_at, input, summary, ${RUN_SOURCE_SQL} AS source`;

export async function recentRuns(db: Db, limit = 5): Promise<Array<{ runKey: string; kind: string; status: string; startedAt: string }>> {
  const { rows } = await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC LIMIT $1`, [limit]);
  return rows.map((r) => ({ runKey: r.run_key, kind: r.kind, status: r.status, startedAt: r.started_at.toISOString() }));
}

function describeRecent(runs: Awaited<ReturnType<typeof recentRuns>>): string {
  if (runs.length === 0) return 'there are no runs yet; start one with `socialsense run`';
  return `recent runs: ${runs.map((r) => `${r.runKey} (${r.status}, ${r.startedAt.slice(0, 10)})`).join(', ')}`;
}

/**
 * The run a report or an insight is about: `runKey` when given, else the latest completed run that
 * scored posts (a retrain or a run whose posts a later run re-scored has nothing to show), else the
 * latest completed run of any kind.
 */
export async function findRun(db: Db, runKey?: string | null): Promise<RunInfo> {
  let row: RunRow | undefined;
  if (runKey) {
    row = (await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_key = $1`, [runKey])).rows[0];
    if (!row) throw new RunNotFoundError(`run "${runKey}" does not exist; ${describeRecent(await recentRuns(db))}`);
  } else {
    row = (
      await db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs r
         WHERE status = 'completed'
         ORDER BY EXISTS (SELECT 1 FROM post_score_runs p WHERE p.run_key = r.run_key) DESC, finished_at DESC NULLS LAST, started_at DESC
         LIMIT 1`,
      )
    ).rows[0];
    if (!row) throw new RunNotFoundError(`no completed run yet; ${describeRecent(await recentRuns(db))}`);
  }
  const span = (
    await db.query<{ from: string | null; to: string | null; posts: number }>(
      `SELECT min((created_at AT TIME ZONE 'UTC')::date)::text AS "from", max((created_at AT TIME ZONE 'UTC')::date)::text AS "to", count(*)::int AS posts
       FROM ${RUN_POSTS} AS run_posts`,
      [row.run_key],
    )
  ).rows[0];
  let { from, to } = span;
  if (!to && row.source !== 'file') {
    // No scored posts (yet): the window the run was asked for. A file has none (its posts are on their own days;
    // its input's date is only the command's default), so a failed import shows no one else's posts of that day.
    const input = row.input ?? {};
    const date = (row.summary?.date ?? input.date) as string | undefined;
    if (typeof date === 'string' && ISO_DAY.test(date)) {
      to = date;
      from = addDays(date, -(Math.max(1, Number(input.days) || 1) - 1));
    }
  }
  return {
    runKey: row.run_key,
    kind: row.kind,
    status: row.status,
    error: row.error,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    input: row.input ?? {},
    summary: row.summary,
    source: row.source,
    from,
    to,
    posts: span.posts,
  };
}

/**
 * The authors of a run's posts (post_score_runs: also the posts a later run merged); binds the run key as $1.
 */
const RUN_AUTHORS_SQL = `(SELECT DISTINCT p.author_id FROM post_score_runs r JOIN post_scores p USING (post_id) WHERE r.run_key = $1)`;

/**
 * The users in scope for a run: those it computed insights for (a retrain: `run`), else the latest insights of the
 * authors of its posts (`latest`: a pipeline run computes none itself), else none. Never users the run has nothing to
 * do with: a file import's report once showed the segments of every simulated user a retrain had scored.
 */
export async function userScope(db: Db, runKey: string): Promise<{ scope: 'run' | 'latest' | 'none'; users: number; updatedAt: string | null }> {
  const own = (
    await db.query<{ users: number; updated: Date | null }>(`SELECT count(*)::int AS users, max(updated_at) AS updated FROM user_insights WHERE run_key = $1`, [
      runKey,
    ])
  ).rows[0];
  if (own.users > 0) return { scope: 'run', users: own.users, updatedAt: own.updated?.toISOString() ?? null };
  const authors = (
    await db.query<{ users: number; updated: Date | null }>(
      `SELECT count(*)::int AS users, max(updated_at) AS updated FROM user_insights WHERE user_id IN ${RUN_AUTHORS_SQL}`,
      [runKey],
    )
  ).rows[0];
  if (authors.users > 0) return { scope: 'latest', users: authors.users, updatedAt: authors.updated?.toISOString() ?? null };
  return { scope: 'none', users: 0, updatedAt: null };
}

/** The user_insights rows in a run's scope (see userScope); binds the run key as $1 and "its authors' latest" as $2. */
export const USER_SCOPE_SQL = `(SELECT * FROM user_insights WHERE run_key = $1 OR ($2::boolean AND user_id IN ${RUN_AUTHORS_SQL}))`;
