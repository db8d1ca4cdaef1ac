/**
 * Predefined topics: a user names topics, each by a few seed terms, and posts are assigned to them
 * (or to "other").
 *
 * Guided assignment in tf-idf space, two steps:
 * 1. A post that contains seed terms joins the topic whose seed vector (unit weights on its seed terms)
 *    it is most similar to (cosine of the post's tf-idf row).
 * 2. Each topic's centroid is the sum of its posts' rows and its seed vector (the seeds count as one
 *    post, so the topic's own vocabulary soon outweighs them); every post then joins
 *    the topic of highest cosine when that cosine is at least `minSimilarity`, so a post about a topic
 *    in other words ("wicket" for cricket) is found too; repeated until no post moves. A post that
 *    reaches no topic keeps its step-1 topic, else it is "other" (−1).
 * Seed terms go through the same term extraction as posts (lowercased, hashtags without '#').
 */
import { inverseDocumentFrequency, tfidfRows } from './embedding';
import { extractTerms, type Vocabulary } from './terms';

export interface SeedTopic {
  name: string;
  /** a few words or short phrases that mark the topic */
  terms: string[];
}

/**
 * Validates a parsed JSON/YAML topics file. Accepts `[{"name": "...", "terms": ["...", ...]}, ...]`
 * or `{"name": ["term", ...], ...}`. Throws a message naming the entry to fix.
 */
export function parseSeedTopics(value: unknown, source = 'topics file'): SeedTopic[] {
  const entries: unknown[] = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>).map(([name, terms]) => ({ name, terms }))
      : [];
  if (entries.length === 0) {
    throw new Error(`${source}: expected a list of {"name": ..., "terms": [...]} or an object {"name": [terms]}, with at least one topic`);
  }
  const names = new Set<string>();
  return entries.map((entry, i) => {
    const e = entry as { name?: unknown; terms?: unknown };
    const name = typeof e?.name === 'string' ? e.name.trim() : '';
    if (!name) throw new Error(`${source}: topic ${i + 1} has no "name"`);
    if (names.has(name)) throw new Error(`${source}: topic "${name}" is listed twice`);
    names.add(name);
    if (!Array.isArray(e.terms) || e.terms.length === 0 || e.terms.some((t) => typeof t !== 'string' || t.trim() === '')) {
      throw new Error(`${source}: topic "${name}" needs "terms": a non-empty list of words`);
    }
    return { name, terms: (e.terms as string[]).map((t) => t.trim()) };
  });
}

export interface SeededAssignment {
  names: string[];
  /** index into names per post, −1 = other */
  assignments: Int32Array;
  /** posts per topic, in the order of names */
  counts: number[];
  /** posts assigned to no named topic */
  other: number;
  /** seed terms (as extracted) that no post of the corpus contains, per topic name */
  unknownTerms: Record<string, string[]>;
}

/**
 * Assigns each post (term ids from `vocabulary.encodeAll`) to a named topic or to other (−1).
 * `minSimilarity` (default 0.2, fixed a priori) is the cosine a post needs with a topic's centroid in step 2,
 * which runs at most `rounds` times (default 10) until no post changes topic.
 * Throws when a topic has no seed term left after extraction (e.g. only stop words) or none in the vocabulary.
 */
export function assignSeedTopics(
  documents: readonly ArrayLike<number>[],
  vocabulary: Vocabulary,
  topics: readonly SeedTopic[],
  opts: { minSimilarity?: number; rounds?: number } = {},
): SeededAssignment {
  const minSimilarity = opts.minSimilarity ?? 0.2;
  if (!(minSimilarity > 0 && minSimilarity <= 1)) throw new Error(`minSimilarity must be in (0, 1], got ${minSimilarity}`);
  const V = vocabulary.size;
  const T = topics.length;
  const unknownTerms: Record<string, string[]> = {};
  // seed vectors, topic-major: seeds[t * V + w]
  const seeds = new Float64Array(T * V);
  topics.forEach((topic, t) => {
    const words = [...new Set(topic.terms.flatMap((term) => extractTerms(term)))];
    if (words.length === 0) throw new Error(`topic "${topic.name}": its terms ${JSON.stringify(topic.terms)} are all stop words, numbers or links`);
    const ids = words.map((w) => vocabulary.id(w)).filter((id) => id >= 0);
    unknownTerms[topic.name] = words.filter((w) => vocabulary.id(w) < 0);
    if (ids.length === 0) throw new Error(`topic "${topic.name}": none of its terms (${words.join(', ')}) occurs in the posts`);
    for (const id of ids) seeds[t * V + id] = 1 / Math.sqrt(ids.length);
  });

  const x = tfidfRows(documents, inverseDocumentFrequency(documents, V));
  const n = x.rows;
  const cosines = (centroids: Float64Array, i: number, out: Float64Array) => {
    out.fill(0);
    for (let t = 0; t < T; t++) {
      let dot = 0;
      for (let p = x.rowStart[i]; p < x.rowStart[i + 1]; p++) dot += x.values[p] * centroids[t * V + x.colIndex[p]];
      out[t] = dot;
    }
  };
  const argmax = (v: Float64Array) => {
    let best = 0;
    for (let t = 1; t < v.length; t++) if (v[t] > v[best]) best = t;
    return best;
  };

  const seeded = new Int32Array(n).fill(-1);
  const score = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    cosines(seeds, i, score);
    const best = argmax(score);
    if (score[best] > 0) seeded[i] = best;
  }

  // Step 2, repeated until no post moves (at most `rounds` times): centroids from the current topics.
  let assignments = seeded;
  const centroids = new Float64Array(T * V);
  for (let round = 0; round < (opts.rounds ?? 10); round++) {
    centroids.set(seeds);
    for (let i = 0; i < n; i++) {
      const t = assignments[i];
      if (t < 0) continue;
      for (let p = x.rowStart[i]; p < x.rowStart[i + 1]; p++) centroids[t * V + x.colIndex[p]] += x.values[p];
    }
    for (let t = 0; t < T; t++) {
      let norm = 0;
      for (let w = 0; w < V; w++) norm += centroids[t * V + w] ** 2;
      const inv = 1 / Math.sqrt(norm);
      for (let w = 0; w < V; w++) centroids[t * V + w] *= inv;
    }
    const next = new Int32Array(n);
    let moved = 0;
    for (let i = 0; i < n; i++) {
      cosines(centroids, i, score);
      const best = argmax(score);
      next[i] = score[best] >= minSimilarity ? best : seeded[i];
      if (next[i] !== assignments[i]) moved++;
    }
    assignments = next;
    if (moved === 0) break;
  }
  const counts = new Array<number>(T).fill(0);
  let other = 0;
  for (const t of assignments) {
    if (t < 0) other++;
    else counts[t]++;
  }
  return { names: topics.map((t) => t.name), assignments, counts, other, unknownTerms };
}
