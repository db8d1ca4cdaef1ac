/**
 * Post text → topic-model terms, and the vocabulary that maps terms to integer ids.
 *
 * Topic models only see content words: function words, social-media boilerplate (rt, via, amp),
 * links, @mentions and numbers carry no topic and would dominate every topic's top terms.
 * Hashtags are kept as ordinary words because "#apple" and "apple" mean the same subject.
 */

/**
 * English function words (the NLTK list and the function-word part of the Glasgow list that sklearn
 * ships: modals, quantifiers, number words, light verbs), plus social-media noise. Content words of
 * the Glasgow list ("fire", "bill", "system") are deliberately not here.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against ain all also am an and any are aren aren't as at
  be because been before being below between both but by can can't cannot could couldn couldn't
  d did didn didn't do does doesn doesn't doing don don't down during each else ever few for from further
  had hadn hadn't has hasn hasn't have haven haven't having he he'd he'll he's her here here's hers herself him himself his how how's
  i i'd i'll i'm i've if in into is isn isn't it it'd it'll it's its itself just let let's ll m ma me might more most must mustn mustn't my myself
  no nor not now o of off on once only or other otherwise ought our ours ourselves out over own
  re s same shall shan shan't she she'd she'll she's should shouldn shouldn't so some such t than that that's the their theirs them themselves
  then there there's these they they'd they'll they're they've this those though through to too under until up upon us
  ve very was wasn wasn't we we'd we'll we're we've were weren weren't what what's when when's where where's which while who who's whom why why's
  will with won won't would wouldn wouldn't y you you'd you'll you're you've your yours yourself yourselves
  get gets got go goes going gonna gotta wanna im ive id dont cant wont didnt doesnt isnt u ur r ya yeah yes ok okay oh lol lmao omg
  may might must could would also even still much many every another already always never often perhaps rather since yet
  whether within without together around across along almost else enough everyone everything someone something anything
  nothing anyone nobody none one two three four five six seven eight nine ten first last next really please thing things
  see like know think want make made say said says well back way etc
  rt amp via http https www com co html htm gt lt quot nbsp cc mt ht dm pm am`
    .split(/\s+/)
    .filter(Boolean),
);

const URL = /\b(?:https?:\/\/|www\.)\S+/gi;
const MENTION = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]+/gu;
const ENTITIES: Record<string, string> = { '&amp;': ' ', '&lt;': ' ', '&gt;': ' ', '&quot;': ' ', '&#39;': "'", '&apos;': "'" };
// A word is letters/digits with optional inner apostrophes; '#' in front is simply not part of the match.
const WORD = /[\p{L}\p{N}_]+(?:'[\p{L}\p{N}_]+)*/gu;
const HAS_LETTER = /\p{L}/u;

/**
 * Lowercased content words of a post. Drops URLs, @mentions, numbers, 1-character tokens and stopwords;
 * keeps hashtags as words without the '#'; strips the possessive "'s" so "apple's" counts as "apple".
 */
export function extractTerms(text: string): string[] {
  const cleaned = text
    .replace(/&(?:amp|lt|gt|quot|#39|apos);/gi, (m) => ENTITIES[m.toLowerCase()] ?? ' ')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(URL, ' ')
    .replace(MENTION, '$1 ')
    .toLowerCase();
  const out: string[] = [];
  for (const match of cleaned.matchAll(WORD)) {
    let word = match[0];
    if (word.endsWith("'s")) word = word.slice(0, -2);
    if (word.length < 2 || !HAS_LETTER.test(word) || STOPWORDS.has(word)) continue;
    // Pure digit runs with a letter suffix ("2nd", "10pm", "3d") are numbers in disguise.
    if (/^\d+(?:st|nd|rd|th|pm|am|s|k|m|x)?$/.test(word)) continue;
    out.push(word);
  }
  return out;
}

export interface VocabularyOptions {
  /** keep terms that appear in at least this many documents (default 2: a term seen once cannot link posts) */
  minDf?: number;
  /** drop terms that appear in more than this share of documents (default 0.5: they separate nothing) */
  maxDfRatio?: number;
  /** keep at most this many terms, the most document-frequent first (default: no limit) */
  maxSize?: number;
}

/** Term ↔ id mapping. Ids are dense 0..size-1, ordered by decreasing document frequency then alphabetically. */
export class Vocabulary {
  readonly terms: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(terms: readonly string[]) {
    this.terms = terms.slice();
    this.ids = new Map(this.terms.map((t, i) => [t, i]));
    if (this.ids.size !== this.terms.length) throw new Error('vocabulary terms must be unique');
  }

  static build(documents: Iterable<readonly string[]>, opts: VocabularyOptions = {}): Vocabulary {
    const minDf = opts.minDf ?? 2;
    const maxDfRatio = opts.maxDfRatio ?? 0.5;
    const df = new Map<string, number>();
    let n = 0;
    for (const doc of documents) {
      n++;
      for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
    }
    const maxDf = maxDfRatio * n;
    let kept = [...df].filter(([, c]) => c >= minDf && c <= maxDf);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (opts.maxSize !== undefined) kept = kept.slice(0, opts.maxSize);
    return new Vocabulary(kept.map(([t]) => t));
  }

  get size(): number {
    return this.terms.length;
  }

  /** id of a term, or -1 when it was pruned / never seen */
  id(term: string): number {
    return this.ids.get(term) ?? -1;
  }

  /** A document as term ids; out-of-vocabulary terms are dropped. */
  encode(terms: readonly string[]): Int32Array {
    const ids = new Int32Array(terms.length);
    let n = 0;
    for (const t of terms) {
      const id = this.ids.get(t);
      if (id !== undefined) ids[n++] = id;
    }
    return n === terms.length ? ids : ids.slice(0, n);
  }

  encodeAll(documents: readonly (readonly string[])[]): Int32Array[] {
    return documents.map((d) => this.encode(d));
  }
}
