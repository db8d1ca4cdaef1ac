/** The datasets a run wrote or reused, with the datasets each was derived from. */
import { datasetFields, type DatasetRow } from '../../../lib/catalog';
import type { Db } from '../../../lib/db';

export interface LineageDataset {
  uri: string;
  stage: string;
  source: string | null;
  partitionDate: string | null;
  schema: string;
  format: string;
  records: number;
  bytes: number;
  inputs: string[];
  createdAt: string;
  /** the run that (last) wrote it; another run's key when this run reused an identical dataset */
  runKey: string | null;
  /** steps from the run's own outputs up its inputs: 0 = written or named by the run */
  depth: number;
}

const STAGE_ORDER = ['raw', 'posts', 'quarantine', 'clean', 'features', 'scores'];
const LINEAGE_DEPTH = 6;

/** Every `uri` string inside a run summary (its datasets: partitions, clean, features, quarantine…). */
function urisIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) urisIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'uri' && typeof v === 'string') out.push(v);
      else urisIn(v, out);
    }
  }
  return out;
}

/**
 * The run's datasets in pipeline order, each with the datasets it was derived from: those catalogued
 * under the run, those its summary names (dataset keys are content-addressed, so a re-run reuses an
 * identical dataset another run wrote), and their inputs up to the raw data.
 */
export async function runLineage(db: Db, runKey: string, summary?: Record<string, unknown> | null): Promise<LineageDataset[]> {
  const named = urisIn(summary?.datasets ?? summary ?? null);
  const { rows } = await db.query<Omit<DatasetRow, 'id' | 'sha256'> & { depth: number }>(
    `WITH RECURSIVE lineage(uri, depth) AS (
       SELECT uri, 0 FROM datasets WHERE run_key = $1
       UNION SELECT unnest($2::text[]), 0
       UNION SELECT unnest(d.inputs), l.depth + 1 FROM lineage l JOIN datasets d ON d.uri = l.uri WHERE l.depth < $4
     )
     SELECT d.uri, d.stage, d.source, d.partition_date::text AS partition_date, d.schema, d.format, d.records, d.bytes, d.inputs,
            d.created_at, d.run_key, min(l.depth)::int AS depth
     FROM datasets d JOIN lineage l USING (uri)
     GROUP BY d.uri
     ORDER BY array_position($3::text[], d.stage) NULLS LAST, d.stage, d.partition_date NULLS LAST, d.uri`,
    [runKey, named, STAGE_ORDER, LINEAGE_DEPTH],
  );
  return rows.map((r) => ({
    ...datasetFields(r),
    inputs: r.inputs,
    createdAt: r.created_at.toISOString(),
    runKey: r.run_key,
    depth: r.depth,
  }));
}
