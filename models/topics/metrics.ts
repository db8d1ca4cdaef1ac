/**
 * Label-free topic quality: NPMI coherence (do a topic's top terms co-occur in real posts?) and
 * topic diversity (do topics differ from each other?). NMI against true labels lives in
 * models/eval/clustering.ts (normalizedMutualInformation).
 */

export interface CoherenceResult {
  /** mean NPMI over the pairs of each topic's top terms, one value per topic */
  perTopic: number[];
  mean: number;
}

/**
 * NPMI coherence (Bouma 2009; Lau, Newman & Baldwin 2014) with document co-occurrence:
 * NPMI(a, b) = log(p(a,b) / (p(a) p(b))) / −log p(a,b), with p(·) the share of reference documents
 * containing the term(s). Pairs that never co-occur score −1 (the limit as p(a,b) → 0), and a pair
 * that co-occurs in every document it appears in scores 1. Terms absent from the reference corpus
 * make every pair they are in score −1. A topic with fewer than 2 terms gets 0.
 *
 * Only each topic's first `topN` terms are used (default 10, the usual choice).
 */
export function npmiCoherence<T extends string | number>(
  topics: readonly (readonly T[])[],
  referenceDocuments: Iterable<ArrayLike<T>>,
  topN = 10,
): CoherenceResult {
  const index = new Map<T, number>();
  const tops = topics.map((terms) => {
    const ids = [...new Set(terms.slice(0, topN))].map((term) => {
      let id = index.get(term);
      if (id === undefined) index.set(term, (id = index.size));
      return id;
    });
    return ids;
  });
  const U = index.size;
  const df = new Int32Array(U);
  const pairDf = new Int32Array(U * U);
  const seenIn = new Int32Array(U); // 1-based number of the last document the term was seen in
  const present = new Int32Array(U);
  let n = 0;
  for (const doc of referenceDocuments) {
    n++;
    let m = 0;
    for (let i = 0; i < doc.length; i++) {
      const id = index.get(doc[i]);
      if (id === undefined || seenIn[id] === n) continue;
      seenIn[id] = n;
      df[id]++;
      present[m++] = id;
    }
    for (let a = 0; a < m; a++) {
      for (let b = a + 1; b < m; b++) {
        pairDf[present[a] * U + present[b]]++;
        pairDf[present[b] * U + present[a]]++;
      }
    }
  }
  const perTopic = tops.map((ids) => {
    let sum = 0;
    let pairs = 0;
    for (let a = 0; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) {
        pairs++;
        sum += npmi(df[ids[a]], df[ids[b]], pairDf[ids[a] * U + ids[b]], n);
      }
    }
    return pairs === 0 ? 0 : sum / pairs;
  });
  const mean = perTopic.length === 0 ? 0 : perTopic.reduce((s, v) => s + v, 0) / perTopic.length;
  return { perTopic, mean };
}

function npmi(dfA: number, dfB: number, dfAB: number, n: number): number {
  if (dfAB === 0 || n === 0) return -1;
  const pab = dfAB / n;
  if (pab === 1) return 1;
  const pmi = Math.log(pab / ((dfA / n) * (dfB / n)));
  return pmi / -Math.log(pab);
}

/**
 * Topic diversity (Dieng, Ruiz & Blei 2020): unique terms among all topics' top-`topN` terms divided by
 * the number of those terms (default top 25). 1 = no two topics share a top term; near 0 = redundant topics.
 */
export function topicDiversity<T>(topics: readonly (readonly T[])[], topN = 25): number {
  const unique = new Set<T>();
  let total = 0;
  for (const terms of topics) {
    const top = terms.slice(0, topN);
    total += top.length;
    for (const t of top) unique.add(t);
  }
  return total === 0 ? 0 : unique.size / total;
}
