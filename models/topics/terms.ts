/**
 * Post text → topic-model terms, and the vocabulary that maps terms to integer ids.
 *
 * Topic models only see content words: function words, social-media boilerplate (rt, via, amp),
 * links, @mentions and numbers carry no topic and would dominate every topic's top terms.
 * Hashtags are kept as ordinary words because "#apple" and "apple" mean the same subject.
 *
 * Words come from the project's one tokenizer (models/text/tokenize.ts), so a term is a whole word
 * in every script: Devanagari and Tamil words keep their vowel signs, Arabic its harakat,
 * decomposed accents are composed first (NFC), and Thai, Chinese or Japanese text is cut into
 * words by ICU's word segmentation rather than kept as one run of letters.
 */
import { normalizeText } from '../text/normalize';
import { tokenize } from '../text/tokenize';

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
  rt amp via http https www com co html htm gt lt quot nbsp cc mt ht dm pm am
  hmm ahh ohh umm uhh aww woo ooh aah shh`
    .split(/\s+/)
    .filter(Boolean),
);

const HAS_LETTER = /\p{L}/u;
// A Chinese or Japanese ideograph is often a word by itself; elsewhere one character is noise.
const HAN = /\p{Script=Han}/u;
const MODIFIER_APOSTROPHE = /\u02bc/g;
const NUMBER_WITH_SUFFIX = /^\d+(?:st|nd|rd|th|pm|am|s|k|m|x)?$/;
// Arabic short-vowel marks (harakat, shadda, sukun, dagger alif) and the tatweel stretch are optional in
// writing: "مُحَمَّد" and "محمد" are one word. (Marks of other scripts, such as Devanagari matras, are letters' vowels and stay.)
const ARABIC_OPTIONAL_MARKS = /[\u064B-\u065F\u0670\u0640]/g;

/**
 * Lowercased content words of a post, in order. Drops URLs, @mentions, numbers, emoji, emoticons,
 * 1-character words (but not single Han ideographs) and stopwords; keeps hashtags as words without
 * the '#'; drops Arabic's optional vowel marks; splits hyphenated words ("cricket-match" → cricket, match); strips the possessive "'s" so
 * "apple's" counts as "apple". Input: raw or normalised post text (HTML entities, Unicode forms and
 * curly apostrophes are normalised here).
 */
export function extractTerms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(normalizeText(text.replace(MODIFIER_APOSTROPHE, "'")))) {
    if (token.kind !== 'word' && token.kind !== 'hashtag') continue;
    // An elongated spelling of a stopword ("soooo", "noooo") is a stopword; others count as their
    // two-letter form ("sleeeep" → "sleep"), so every elongation of a word is one term.
    if (token.forms !== undefined && token.forms.some((f) => STOPWORDS.has(f))) continue;
    for (let word of token.norm.replace(ARABIC_OPTIONAL_MARKS, '').split('-')) {
      if (word.endsWith("'s")) word = word.slice(0, -2);
      if (word.length === 0 || (word.length < 2 && !HAN.test(word)) || !HAS_LETTER.test(word) || STOPWORDS.has(word)) continue;
      // Pure digit runs with a letter suffix ("2nd", "10pm", "3d") are numbers in disguise.
      if (NUMBER_WITH_SUFFIX.test(word)) continue;
      out.push(word);
    }
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
