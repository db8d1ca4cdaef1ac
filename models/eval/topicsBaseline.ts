/**
 * The "no model" baseline for topic coherence: the most frequent terms (by document frequency),
 * dealt round-robin into k lists. Any topic model must produce term lists more coherent (higher
 * NPMI on held-out posts) than frequent words grouped without regard to meaning; the round-robin
 * deal keeps the lists equally frequent, so the comparison is not about frequency.
 */

/**
 * k lists of at most `termsPerTopic` terms from `docs` (each a list of terms). Ties in document
 * frequency are broken alphabetically so the baseline is deterministic. Throws on k < 1.
 */
export function frequentTermTopics(docs: readonly (readonly string[])[], k: number, termsPerTopic = 10): string[][] {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`k must be a positive integer (got ${k})`);
  const df = new Map<string, number>();
  for (const doc of docs) for (const t of new Set(doc)) df.set(t, (df.get(t) ?? 0) + 1);
  const ranked = [...df].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, k * termsPerTopic);
  const topics: string[][] = Array.from({ length: k }, () => []);
  ranked.forEach(([term], i) => topics[i % k].push(term));
  return topics.filter((t) => t.length > 0);
}
