/**
 * The labelled rows of a sentiment training table (a TSV with `text` and `label`, as SemEval's): pure, no I/O.
 */
import type { SentimentLabel } from '../../lib/schema';

/** The classes a sentiment label can name, in the order metrics list them. */
export const SENTIMENT_CLASSES: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

/**
 * The fewest labelled rows a classifier is trained from: the newest tenth is held out for the promotion gate, so
 * fewer leave it nothing to be judged on.
 */
export const MIN_LABELLED_ROWS = 10;

export interface LabelledRows<R> {
  /** the rows whose label names a class, with the label as the class (`Positive `, `POSITIVE` → `positive`) */
  rows: Array<R & { label: SentimentLabel }>;
  /** rows left out: no label, or one that names no class */
  skipped: number;
  /** up to 5 of the labels that name no class, as written, for a message */
  unknownLabels: string[];
}

/**
 * The rows with a usable label. Labels are read without regard to case or surrounding blanks.
 * @param source what the rows are read from (a file name), for the message
 * @throws Error saying how many rows have which labels when fewer than MIN_LABELLED_ROWS are usable (the caller
 *   turns it into a non-retryable InvalidInput: the same file fails the same way on a retry)
 */
export function labelledRows<R extends { label?: string }>(table: readonly R[], source = 'the table'): LabelledRows<R> {
  const rows: Array<R & { label: SentimentLabel }> = [];
  const unknown = new Set<string>();
  for (const r of table) {
    const label = (r.label ?? '').trim().toLowerCase();
    if ((SENTIMENT_CLASSES as readonly string[]).includes(label)) rows.push({ ...r, label: label as SentimentLabel });
    else if (unknown.size < 5) unknown.add(r.label ?? '');
  }
  const unknownLabels = [...unknown];
  if (rows.length < MIN_LABELLED_ROWS) {
    const seen = unknownLabels.length > 0 ? `; labels that name none: ${unknownLabels.map((l) => JSON.stringify(l)).join(', ')}` : '';
    throw new Error(
      `${source}: ${rows.length} of ${table.length} rows have the label negative, neutral or positive (in any case)${seen}; at least ${MIN_LABELLED_ROWS} labelled rows are needed`,
    );
  }
  return { rows, skipped: table.length - rows.length, unknownLabels };
}
