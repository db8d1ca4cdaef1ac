import type { DatasetRef } from '../../lib/schema';

/** One stored partition of collected posts: (source, query, day). */
export interface CollectedPartition {
  date: string; // YYYY-MM-DD (UTC) of the posts' created_at
  posts: DatasetRef; // post.v1 records, `raw` stripped
  raw: DatasetRef | null; // the platform's JSON verbatim, same order as posts
  /** 0-based part of a day stored as several objects (a day over the import's maxPartitionPosts); absent when one */
  part?: number;
  /** how many parts the day has (the same on each of its entries); absent when the day is one object */
  parts?: number;
}

/** What every collect activity returns: references only, never rows. */
export interface CollectResult {
  source: string;
  query: string | null;
  partitions: CollectedPartition[];
  /** records that could not be mapped to post.v1, kept with their reason */
  quarantine: DatasetRef | null;
  counts: { in: number; quarantined: number };
  /** how the input was read, e.g. a file import's sniffed delimiter, columns and date order */
  read?: Record<string, unknown>;
  /** source-specific side outputs, e.g. the simulated network's engagements and planted truth */
  extras?: Record<string, DatasetRef>;
}

/**
 * Object keys: deterministic in (zone, source, query, day, input digest), and for a day stored in parts the part:
 * `…/date=D/DIGEST.part-0002-of-0005.ndjson.gz` (0-based, zero-padded so the keys sort in part order).
 */
export function partitionKey(
  zone: 'raw' | 'posts' | 'quarantine',
  source: string,
  query: string | null,
  date: string,
  digest: string,
  part?: { part: number; parts: number },
): string {
  const q = query ? `/query=${encodeURIComponent(query)}` : '';
  const p = part ? `.part-${String(part.part).padStart(4, '0')}-of-${String(part.parts).padStart(4, '0')}` : '';
  return `${zone}/source=${source}${q}/date=${date}/${digest}${p}.ndjson.gz`;
}
