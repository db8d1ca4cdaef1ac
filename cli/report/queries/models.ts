/** The model versions a report names: serving now or trained by the run, and the sentiment models the posts name. */
import type { Db } from '../../../lib/db';
import { servingOrTrainedBy, type ModelVersion } from '../../../lib/registry';
import { RUN_POSTS } from './runs';

/** A registry version as the report shows it. */
export interface ReportModelVersion extends Omit<ModelVersion, 'createdAt' | 'promotedAt' | 'lineage'> {
  createdAt: string;
  promotedAt: string | null;
  /** trained by the run the report is about */
  trainedByRun: boolean;
}

/** The versions serving now, and every version the run trained (promoted or not). */
export async function modelVersions(db: Db, runKey: string): Promise<ReportModelVersion[]> {
  return (await servingOrTrainedBy(db, runKey)).map(({ lineage: _lineage, ...m }) => ({
    ...m,
    metrics: m.metrics ?? {},
    params: m.params ?? {},
    createdAt: m.createdAt.toISOString(),
    promotedAt: m.promotedAt?.toISOString() ?? null,
    trainedByRun: m.runKey === runKey,
  }));
}

/** Models named by the posts themselves (post_scores.sentiment_model), for runs scored before the registry knew them. */
export async function sentimentModelsUsed(db: Db, runKey: string): Promise<Array<{ model: string; posts: number }>> {
  const { rows } = await db.query<{ model: string; posts: number }>(
    `SELECT sentiment_model AS model, count(*)::int AS posts FROM ${RUN_POSTS} AS run_posts WHERE sentiment_model IS NOT NULL GROUP BY 1 ORDER BY posts DESC`,
    [runKey],
  );
  return rows;
}
