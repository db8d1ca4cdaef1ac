/** Agreement between two labelings of the same items (e.g. found topics vs. true topics). */

function contingency(a: ArrayLike<number | string>, b: ArrayLike<number | string>) {
  if (a.length !== b.length) throw new Error(`labelings differ in length: ${a.length} vs ${b.length}`);
  const table = new Map<string, number>();
  const rows = new Map<number | string, number>();
  const cols = new Map<number | string, number>();
  for (let i = 0; i < a.length; i++) {
    const key = `${a[i]}\u0000${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  return { table, rows, cols, n: a.length };
}

function entropy(counts: Iterable<number>, n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/** Normalised mutual information with arithmetic-mean normalisation (sklearn's default). */
export function normalizedMutualInformation(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  const { table, rows, cols, n } = contingency(a, b);
  if (n === 0) return 0;
  let mi = 0;
  for (const [key, c] of table) {
    const [ra, cb] = key.split('\u0000');
    const pa = rows.get(typeof a[0] === 'number' ? Number(ra) : ra)!;
    const pb = cols.get(typeof b[0] === 'number' ? Number(cb) : cb)!;
    mi += (c / n) * Math.log((c * n) / (pa * pb));
  }
  const denom = (entropy(rows.values(), n) + entropy(cols.values(), n)) / 2;
  return denom === 0 ? 1 : mi / denom;
}

const choose2 = (x: number) => (x * (x - 1)) / 2;

/** Adjusted Rand index: 1 for identical partitions, about 0 for random ones. */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  const { table, rows, cols, n } = contingency(a, b);
  let sumCells = 0;
  for (const c of table.values()) sumCells += choose2(c);
  let sumRows = 0;
  for (const c of rows.values()) sumRows += choose2(c);
  let sumCols = 0;
  for (const c of cols.values()) sumCols += choose2(c);
  const expected = (sumRows * sumCols) / choose2(n);
  const max = (sumRows + sumCols) / 2;
  return max === expected ? 1 : (sumCells - expected) / (max - expected);
}
