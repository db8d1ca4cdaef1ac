/**
 * Rule-based sentiment for social text in the manner of VADER (Hutto & Gilbert, ICWSM 2014):
 * lexicon valences modified by negation, boosters/dampeners, contrastive "but", ALL CAPS,
 * elongation and exclamation marks, plus emoji. Everything is precompiled at module load. A call
 * scans the text once into typed arrays of items (ItemScorer: ASCII words are looked up by the hash
 * computed while scanning, without becoming strings or Token objects) and scores them; scoreTokens
 * scores Token objects with the same rules. Scorers own their scratch state (createLexiconScorer).
 */
// @ts-expect-error: vader-sentiment ships no type declarations; the module exports one plain object
import { lexicon as vaderLexicon } from 'vader-sentiment/src/vader_lexicon.js';
import { createHash } from 'node:crypto';
import type { SentimentLabel } from '../../lib/schema';
import { isAscii, normalizeText } from '../text/normalize';
import {
  asciiMentionEnd,
  asciiPunctEnd,
  asciiUrlEnd,
  asciiWordEnd,
  emojiBase,
  isNegator,
  NEGATORS,
  newAsciiScan,
  regexTokens,
  wordToken,
  type NegationScope,
  type Token,
} from '../text/tokenize';

export interface SentimentScores {
  /** normalised sum of valences, in [-1, 1] */
  compound: number;
  /** shares of the text's items that are positive / neutral / negative (they add up to 1, or are all 0 for empty text) */
  positive: number;
  neutral: number;
  negative: number;
  label: SentimentLabel;
}

// VADER's empirically derived constants (same names as the reference implementation).
const B_INCR = 0.293;
const C_INCR = 0.733;
const N_SCALAR = -0.74;
const ALPHA = 15;
const EXCLAMATION_INCR = 0.292;
const QUESTION_INCR = 0.18;

/**
 * Three-class cut points on the compound score: negative below NEGATIVE_THRESHOLD, positive above
 * POSITIVE_THRESHOLD, neutral in between. Chosen by grid search (steps of 0.01, negative cut in
 * [-0.8, 0], positive cut in [0, 0.9]) maximising macro-averaged recall on
 * semeval/sentiment-train.tsv only (texts read as `eval sentiment` reads them); the dev set was
 * never used. Train macro recall there: 0.592 (this scorer with VADER's ±0.05: 0.578). The asymmetry is real:
 * any net negative valence signals a negative tweet, while mild positive words ("like", "want",
 * "play") are common in neutral ones.
 */
export const NEGATIVE_THRESHOLD = 0;
export const POSITIVE_THRESHOLD = 0.43;

const BOOSTERS = new Map<string, number>();
for (const w of [
  'absolutely',
  'amazingly',
  'awfully',
  'completely',
  'considerably',
  'decidedly',
  'deeply',
  'effing',
  'enormously',
  'entirely',
  'especially',
  'exceptionally',
  'extremely',
  'fabulously',
  'flipping',
  'flippin',
  'fricking',
  'frickin',
  'frigging',
  'friggin',
  'fully',
  'fucking',
  'greatly',
  'hella',
  'highly',
  'hugely',
  'incredibly',
  'intensely',
  'majorly',
  'more',
  'most',
  'particularly',
  'purely',
  'quite',
  'really',
  'remarkably',
  'so',
  'substantially',
  'thoroughly',
  'totally',
  'tremendously',
  'uber',
  'unbelievably',
  'unusually',
  'utterly',
  'very',
  'soo',
  'sooo',
  'super',
  'realy',
  'rly',
  'rlly',
  'mad',
  'freaking',
  'freakin',
])
  BOOSTERS.set(w, B_INCR);
for (const w of [
  'almost',
  'barely',
  'hardly',
  'kinda',
  'kindof',
  'kind-of',
  'less',
  'little',
  'marginally',
  'occasionally',
  'partly',
  'scarcely',
  'slightly',
  'somewhat',
  'sorta',
  'sortof',
  'sort-of',
])
  BOOSTERS.set(w, -B_INCR);

/**
 * Emoji valences on VADER's -4..4 scale, written for this project from the emoji's common use on
 * social media (VADER's lexicon covers ASCII emoticons but no emoji). 😂 and 😭 are mild because
 * both are used for laughing as much as for their literal reading.
 */
const EMOJI_VALENCE: Record<string, number> = {
  '😂': 1.5,
  '🤣': 1.8,
  '😀': 2.0,
  '😃': 2.2,
  '😄': 2.3,
  '😁': 2.2,
  '😆': 2.0,
  '😅': 0.8,
  '😊': 2.3,
  '😇': 1.8,
  '🙂': 1.2,
  '🙃': 0.2,
  '😉': 1.5,
  '😌': 1.2,
  '😍': 2.9,
  '🥰': 2.9,
  '😘': 2.5,
  '😗': 1.5,
  '😙': 1.6,
  '😚': 1.8,
  '😋': 2.0,
  '😛': 1.5,
  '😜': 1.6,
  '😝': 1.5,
  '🤪': 1.2,
  '🤩': 2.8,
  '😎': 1.8,
  '🤗': 2.2,
  '🥳': 2.8,
  '🤔': -0.2,
  '😐': -0.4,
  '😑': -0.8,
  '😶': -0.3,
  '🙄': -1.4,
  '😏': 0.4,
  '😒': -1.8,
  '😬': -0.8,
  '😔': -1.8,
  '😪': -1.2,
  '😴': -0.3,
  '😷': -1.2,
  '🤒': -1.6,
  '🤕': -1.6,
  '🤢': -2.2,
  '🤮': -2.5,
  '😵': -1.2,
  '🤯': -0.5,
  '😕': -1.4,
  '😟': -1.7,
  '🙁': -1.6,
  '☹': -2.0,
  '😮': -0.2,
  '😯': -0.2,
  '😲': -0.3,
  '😳': -0.6,
  '🥺': -0.5,
  '😦': -1.3,
  '😧': -1.5,
  '😨': -2.0,
  '😰': -2.0,
  '😥': -1.6,
  '😢': -2.2,
  '😭': -1.2,
  '😱': -1.5,
  '😖': -2.0,
  '😣': -1.8,
  '😞': -2.1,
  '😓': -1.5,
  '😩': -1.8,
  '😫': -1.9,
  '😤': -1.5,
  '😡': -2.8,
  '😠': -2.5,
  '🤬': -3.0,
  '😈': 0.3,
  '👿': -1.8,
  '💀': -0.3,
  '☠': -1.5,
  '💩': -1.5,
  '🤡': -1.2,
  '🤦': -1.4,
  '🤷': -0.4,
  '🥲': 0.3,
  '🤐': -0.5,
  '🤥': -1.0,
  '👍': 1.8,
  '👎': -1.8,
  '👌': 1.6,
  '✌': 1.2,
  '🤞': 1.2,
  '👏': 1.8,
  '🙌': 2.0,
  '🙏': 1.3,
  '💪': 1.6,
  '👊': 0.8,
  '🖕': -2.5,
  '❤': 2.6,
  '🧡': 2.4,
  '💛': 2.4,
  '💚': 2.4,
  '💙': 2.4,
  '💜': 2.4,
  '🖤': 1.2,
  '💔': -2.2,
  '❣': 2.2,
  '💕': 2.6,
  '💞': 2.5,
  '💓': 2.5,
  '💗': 2.5,
  '💖': 2.6,
  '💘': 2.4,
  '💝': 2.4,
  '💟': 2.2,
  '♥': 2.5,
  '😻': 2.6,
  '😹': 1.6,
  '😿': -2.0,
  '😾': -1.8,
  '🙈': 0.8,
  '🎉': 2.4,
  '🎊': 2.2,
  '🎂': 1.8,
  '🎁': 1.6,
  '🎈': 1.6,
  '✨': 1.4,
  '🌟': 1.6,
  '⭐': 1.4,
  '🔥': 1.6,
  '💯': 1.8,
  '🏆': 2.0,
  '🥇': 2.0,
  '✅': 1.2,
  '❌': -1.2,
  '⚠': -0.8,
  '🌹': 1.6,
  '🌸': 1.4,
  '🌈': 1.4,
  '☀': 1.2,
  '😺': 1.6,
  '😸': 1.8,
  '💋': 1.8,
  '👑': 1.2,
  '🍀': 1.2,
  '☺': 2.0,
  // not emoji but used like them
  '♡': 2.5,
  '❥': 2.2,
};

/**
 * Phrases and social-media words whose sentiment VADER misses or inverts, written for this project.
 * "can't wait" is the most common positive phrase in tweets yet VADER reads a negated neutral word.
 */
const PHRASES: Record<string, number> = {
  "can't wait": 2.3,
  'cant wait': 2.3,
  'cannot wait': 2.3,
  'looking forward': 2.0,
  'no doubt': 1.0,
  'no problem': 1.2,
  'not bad': 1.3,
  'yeah right': -2.0,
  'the shit': 3.0,
  'the bomb': 3.0,
  'bad ass': 1.5,
  badass: 1.5,
  rip: -1.5,
  congrats: 2.4,
  congratulations: 2.6,
  'happy birthday': 2.4,
  'thank you': 1.8,
};

const LEXICON = new Map<string, number>();
for (const [k, v] of Object.entries(vaderLexicon as Record<string, number>)) LEXICON.set(k, v);

const PHRASE_LAST = new Map<string, Map<string, number>>(); // second word → first word → valence
const SINGLE_ADDITIONS = new Map<string, number>();
for (const [phrase, v] of Object.entries(PHRASES)) {
  const sp = phrase.indexOf(' ');
  if (sp < 0) {
    SINGLE_ADDITIONS.set(phrase, v);
    continue;
  }
  const first = phrase.slice(0, sp);
  const second = phrase.slice(sp + 1);
  let m = PHRASE_LAST.get(second);
  if (m === undefined) PHRASE_LAST.set(second, (m = new Map()));
  m.set(first, v);
}

const EMOJI = new Map<string, number>(Object.entries(EMOJI_VALENCE));
const PHRASE_WORDS = new Set(Object.keys(PHRASES).flatMap((p) => p.split(' ')));

/** Everything the scorer knows about one spelling, so that a word costs one map lookup instead of five. */
interface WordInfo {
  /** the built-in valence: SINGLE_ADDITIONS before LEXICON, else 0 */
  valence: number;
  /** in VADER's lexicon (such items are skipped when looking back for boosters) */
  inLexicon: boolean;
  /** the booster's increment, if the word is one */
  booster: number | undefined;
  /** first word → valence, for the two-word phrases that end with this word */
  phraseFirsts: Map<string, number> | undefined;
}
/** Every spelling that LEXICON, SINGLE_ADDITIONS, BOOSTERS or PHRASE_WORDS knows (exactly their union). */
const WORDS = new Map<string, WordInfo>();
for (const w of [...LEXICON.keys(), ...SINGLE_ADDITIONS.keys(), ...BOOSTERS.keys(), ...PHRASE_WORDS]) {
  WORDS.set(w, {
    valence: SINGLE_ADDITIONS.get(w) ?? LEXICON.get(w) ?? 0,
    inLexicon: LEXICON.has(w),
    booster: BOOSTERS.get(w),
    phraseFirsts: PHRASE_LAST.get(w),
  });
}

/**
 * The words the scorer compares a form with by spelling ("but", "kind of", "at least", "never so"), beside WORDS and
 * the negators: a word whose screen bit is clear is none of them, so the scan need not make its string.
 */
const COMPARED_WORDS = ['but', 'kind', 'of', 'least', 'at', 'very', 'never', 'so', 'this'];

/**
 * A screen in front of WORDS: a 2^17-bit set of the FNV-1a hashes of WORDS' keys, the negators and COMPARED_WORDS
 * (16 KiB, about 6% of bits set). Most words of a post are in no list (in the dev tweets over 80%); a clear bit says so
 * without V8 hashing the fresh string and probing the map, which costs several times more, and lets the scan skip
 * making the string at all (the tokenizer's ASCII scan computes the same hash: AsciiScan.hash).
 */
const SCREEN_BITS = 17;
const WORD_SCREEN = new Uint32Array((1 << SCREEN_BITS) >>> 5);
/** 32-bit FNV-1a of a string's UTF-16 code units (as AsciiScan.hash). */
function fnv1a(w: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
  return h;
}
function inScreen(hash: number): boolean {
  const h = hash >>> (32 - SCREEN_BITS);
  return (WORD_SCREEN[h >>> 5] & (1 << (h & 31))) !== 0;
}
for (const w of [...WORDS.keys(), ...NEGATORS, ...COMPARED_WORDS]) {
  const h = fnv1a(w) >>> (32 - SCREEN_BITS);
  WORD_SCREEN[h >>> 5] |= 1 << (h & 31);
}

/**
 * The same spellings (WORDS' keys, the negators, COMPARED_WORDS) by id, in an open-addressing hash table on their
 * FNV-1a hash (linear probing, 2^15 slots, about a quarter full), so that the scan finds an ASCII word straight from
 * the characters of the text, with the hash it computed while scanning: no substring, no lowercasing, no V8 string
 * hashing. A hit gives the key itself as the word's spelling, and what the scorer needs of it.
 */
const KEYS = [...new Set([...WORDS.keys(), ...NEGATORS, ...COMPARED_WORDS])];
const KEY_TABLE_BITS = 14;
if (KEYS.length > 0.6 * (1 << KEY_TABLE_BITS)) throw new Error(`lexicon: ${KEYS.length} keys overfill the key table`);
const KEY_MASK = (1 << KEY_TABLE_BITS) - 1;
/** slot → key id + 1 (0: empty) */
const KEY_TABLE = new Uint16Array(1 << KEY_TABLE_BITS);
const KEY_HASH = new Int32Array(KEYS.length);
const KEY_INFO: Array<WordInfo | undefined> = [];
/** key → id */
const KEY_ID = new Map(KEYS.map((k, id) => [k, id]));
// the compared words by id (every spelling the scorer compares is a key, so a non-key item, id -1, matches none)
const BUT_ID = KEYS.indexOf('but');
const KIND_ID = KEYS.indexOf('kind');
const OF_ID = KEYS.indexOf('of');
const LEAST_ID = KEYS.indexOf('least');
const AT_ID = KEYS.indexOf('at');
const VERY_ID = KEYS.indexOf('very');
const SO_ID = KEYS.indexOf('so');
const THIS_ID = KEYS.indexOf('this');
/** the item flags a key gives a word spelled so (F_NEGATOR, F_NEVER, F_OWN_VALENCE); filled below the flags */
const KEY_FLAGS = new Uint8Array(KEYS.length);
function keySlot(hash: number): number {
  return (hash ^ (hash >>> 15)) & KEY_MASK;
}
for (let id = 0; id < KEYS.length; id++) {
  const h = fnv1a(KEYS[id]);
  KEY_HASH[id] = h;
  KEY_INFO[id] = WORDS.get(KEYS[id]);
  let slot = keySlot(h);
  while (KEY_TABLE[slot] !== 0) slot = (slot + 1) & KEY_MASK;
  KEY_TABLE[slot] = id + 1;
}

/** The id of the key `form`, or -1 (answered from the screen for most strings). */
function idOf(form: string): number {
  return inScreen(fnv1a(form)) ? (KEY_ID.get(form) ?? -1) : -1;
}

/**
 * The id of the key spelled by text[start, end) with A-Z lowercased, given that spelling's FNV-1a `hash`, or -1.
 * (Only A-Z are folded: every caller's text is ASCII letters, digits and "_".)
 */
function keyId(text: string, start: number, end: number, hash: number): number {
  // the 16 KiB screen answers most words, which are in no list, before the larger table is touched
  if (!inScreen(hash)) return -1;
  const len = end - start;
  for (let slot = keySlot(hash); ; slot = (slot + 1) & KEY_MASK) {
    const e = KEY_TABLE[slot];
    if (e === 0) return -1;
    const id = e - 1;
    if (KEY_HASH[id] !== hash) continue;
    const key = KEYS[id];
    if (key.length !== len) continue;
    let i = 0;
    for (; i < len; i++) {
      const c = text.charCodeAt(start + i);
      if ((c >= 65 && c <= 90 ? c + 32 : c) !== key.charCodeAt(i)) break;
    }
    if (i === len) return id;
  }
}

/**
 * A user's domain lexicon: extra words (or hashtags, written without '#', or emoji) with VADER-scale
 * valences in [-4, 4] that take precedence over the built-in ones ("sick" is praise among
 * skaters). `digest` identifies the exact word list, so a score can be traced to it.
 */
export interface DomainLexicon {
  /** lower-case word → valence */
  words: ReadonlyMap<string, number>;
  /** sha256 of the canonical list (sorted `word<TAB>valence` lines), first 12 hex digits */
  digest: string;
}

/**
 * Parses a domain lexicon file: one `word<TAB or comma or spaces>valence` per line, `#` starts a
 * comment line, blank lines are skipped. A word is one token (a phrase with spaces is refused);
 * valences are numbers in [-4, 4]. Throws an Error naming `source` and the line for each problem,
 * and for a file with no entries. A word listed twice keeps its last valence.
 */
export function parseDomainLexicon(content: string, source = 'lexicon'): DomainLexicon {
  const words = new Map<string, number>();
  const problems: string[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+?)(?:\s*[\t,]\s*|\s+)(\S+)$/u.exec(line);
    if (m === null) {
      problems.push(`line ${i + 1}: expected "word<TAB>valence", got "${line.slice(0, 60)}"`);
      return;
    }
    const word = normalizeText(m[1]).toLowerCase().replace(/^#/, '');
    const v = Number(m[2]);
    if (!Number.isFinite(v) || v < -4 || v > 4) {
      problems.push(`line ${i + 1}: valence of "${word}" must be a number in [-4, 4] (VADER's scale), got "${m[2]}"`);
      return;
    }
    words.set(word, v);
  });
  if (problems.length > 0) throw new Error(`${source}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  if (words.size === 0) throw new Error(`${source}: no entries (write one "word<TAB>valence" per line)`);
  return domainLexicon(words);
}

/** A DomainLexicon from a word → valence map (its digest computed from the canonical list). */
export function domainLexicon(entries: ReadonlyMap<string, number> | Record<string, number>): DomainLexicon {
  const words = new Map(entries instanceof Map ? entries : Object.entries(entries));
  const canonical = [...words.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w, v]) => `${w}\t${v}`)
    .join('\n');
  return { words, digest: createHash('sha256').update(canonical).digest('hex').slice(0, 12) };
}

/**
 * The lexicon model's name as recorded with each score: `lexicon.v1`, or with a domain lexicon
 * `lexicon.v1+domain.<digest>`, so that scores made with different word lists never look alike.
 */
export function lexiconModelName(domain?: DomainLexicon | null): string {
  return domain ? `lexicon.v1+domain.${domain.digest}` : 'lexicon.v1';
}

/** A domain lexicon's words, or null (the built-in lists only). */
type DomainWords = ReadonlyMap<string, number> | null;

/**
 * The spelling to look a word or hashtag up by: `norm`, or for an elongated word the first of its
 * forms that a word list knows ("happyyyy" → happy, "goooood" → good, "sooooo" → soo). Used for
 * valences, boosters and phrases; negators are matched as written (see scoreTokens).
 * `domain`: a domain lexicon's words also count as known (as when scoring with it).
 */
export function lexicalForm(t: Token, domain?: DomainLexicon | null): string {
  return formOf(t, domain?.words ?? null);
}

function formOf(t: Token, domain: DomainWords): string {
  if (t.forms === undefined) return t.norm;
  for (const f of t.forms) {
    if (domain?.has(f) || WORDS.has(f)) return f;
  }
  return t.norm;
}

/** A word's valence: the domain lexicon's, else the built-in one (`info`: WORDS.get(form)). */
function wordValence(form: string, info: WordInfo | undefined, domain: DomainWords): number {
  return (domain === null ? undefined : domain.get(form)) ?? (info === undefined ? 0 : info.valence);
}

/** An emoji's valence, or its base emoji's for skin-tone, gendered and other ZWJ variants. */
function emojiValence(norm: string, domain: DomainWords): number {
  // ASCII punctuation (most 'punct' tokens) is its own base: emojiBase only removes characters outside ASCII
  return domain?.get(norm) ?? EMOJI.get(norm) ?? (isAscii(norm) ? undefined : EMOJI.get(emojiBase(norm))) ?? 0;
}

/** The valence an item has before its context is applied (negators, boosters, caps, phrases). */
function tokenValence(t: Token, form: string, info: WordInfo | undefined, domain: DomainWords): number {
  switch (t.kind) {
    case 'word':
      return wordValence(form, info, domain);
    case 'emoticon':
      return LEXICON.get(t.norm) ?? LEXICON.get(t.norm.toLowerCase()) ?? 0;
    case 'emoji':
      return emojiValence(t.norm, domain);
    case 'hashtag': {
      // a tag as a whole (#fail), else its CamelCase words (#EpicFail)
      const whole = wordValence(form, info, domain);
      if (whole !== 0 || t.parts === undefined || t.parts.length < 2) return whole;
      let s = 0;
      for (const p of t.parts) s += LEXICON.get(p) ?? 0;
      return s;
    }
    case 'punct':
      return emojiValence(t.norm, domain);
    default:
      return 0;
  }
}

// No emoji key is ASCII, so ASCII punctuation has no built-in valence (the scan relies on it).
for (const k of EMOJI.keys()) if (isAscii(k)) throw new Error(`EMOJI_VALENCE key "${k}" is ASCII`);

export function labelForCompound(compound: number): SentimentLabel {
  return compound < NEGATIVE_THRESHOLD ? 'negative' : compound > POSITIVE_THRESHOLD ? 'positive' : 'neutral';
}

/** Per-item statistics a trained model can use beside the compound score (filled by scoreTokens). */
export interface LexiconDetail {
  positiveItems: number;
  negativeItems: number;
  positiveSum: number;
  negativeSum: number;
  maxValence: number;
  minValence: number;
  /** valence of the last item that has one (sentiment at the end of a post tends to be its conclusion) */
  lastValence: number;
}

export function emptyLexiconDetail(): LexiconDetail {
  return { positiveItems: 0, negativeItems: 0, positiveSum: 0, negativeSum: 0, maxValence: 0, minValence: 0, lastValence: 0 };
}

/**
 * Scores already-tokenized text (lets the classifier reuse its tokens). `detail`, when given, is
 * overwritten with per-item statistics (an out-parameter, so hot loops allocate nothing extra).
 * `domain`: the user's extra words, which take precedence over the built-in valences.
 */
export function scoreTokens(tokens: readonly Token[], detail?: LexiconDetail, domain?: DomainLexicon | null): SentimentScores {
  return scorerFor(domain).scoreTokens(tokens, detail);
}

/**
 * VADER-style sentiment of one post: compound in [-1, 1], item shares and a 3-class label.
 * `domain`: the user's extra words (see parseDomainLexicon).
 */
export function scoreSentiment(text: string, domain?: DomainLexicon | null): SentimentScores {
  return scorerFor(domain).score(text);
}

/** A lexicon scorer with its own scratch state (see createLexiconScorer). */
export interface LexiconScorer {
  /** scoreSentiment(text, domain) */
  score(text: string): SentimentScores;
  /** scoreTokens(tokens, detail, domain) */
  scoreTokens(tokens: readonly Token[], detail?: LexiconDetail): SentimentScores;
}

/**
 * A scorer for one domain lexicon (or none) that owns its scratch buffers, so that scorers never share mutable state
 * (issue 12). Its results are exactly scoreSentiment's / scoreTokens' with that domain. Not reentrant, which cannot
 * matter: scoring is synchronous. scoreSentiment and scoreTokens use one scorer per domain object.
 */
export function createLexiconScorer(domain?: DomainLexicon | null): LexiconScorer {
  return new ItemScorer(domain?.words ?? null);
}

// Item flags (ItemScorer.flags).
/** a 'word' token */
const F_WORD = 1;
/** a word or hashtag: negation applies to it */
const F_NEGATABLE = 2;
/** allCaps */
const F_CAPS = 4;
/** isNegator(norm) */
const F_NEGATOR = 8;
/** norm === 'never' */
const F_NEVER = 16;
/** skipped when looking back for boosters: not a word, or in VADER's lexicon, or in the domain lexicon */
const F_OWN_VALENCE = 32;
/** clause punctuation (. , : ; ! ?) stands between the previous item and this one */
const F_BREAK_BEFORE = 64;
/** a word that ends a two-word phrase (WordInfo.phraseFirsts) */
const F_PHRASE_LAST = 128;
for (let id = 0; id < KEYS.length; id++) {
  const key = KEYS[id];
  if (isNegator(key)) KEY_FLAGS[id] |= key === 'never' ? F_NEGATOR | F_NEVER : F_NEGATOR;
  if (KEY_INFO[id]?.inLexicon === true) KEY_FLAGS[id] |= F_OWN_VALENCE;
}

/**
 * The scorer. A post becomes a list of items (the tokens VADER would see as words: everything but punctuation and
 * URLs, plus punctuation with an emoji valence), held in typed arrays: flags, valence before context, booster
 * increment, and the id of the key the item is spelled as (-1 for none: no list knows it and no rule compares it).
 * `score` fills them in one pass over the text: ASCII words and common punctuation straight from the characters,
 * with the word's hash computed during the scan so that a word in no list never becomes a string; everything else
 * goes through the tokenizer's general path (regexTokens) into Token objects. `scoreTokens` fills them from Token
 * objects. Both then score the items alike (scoreItems), so there is one tokenizer and one scorer.
 */
class ItemScorer implements LexiconScorer {
  private flags = new Uint8Array(256);
  private base = new Float64Array(256);
  private boost = new Float64Array(256);
  private val = new Float64Array(256);
  private ids = new Int32Array(256);
  private items = 0;
  private words = 0;
  private capsWords = 0;
  private exclamations = 0;
  private questions = 0;
  private butAt = -1;
  private breakPending = false;
  private readonly scan = newAsciiScan();
  private readonly scope: NegationScope = { negated: false };
  private readonly scratch: Token[] = [];

  /** The domain lexicon's words as a screen like WORD_SCREEN (null without one): a word whose bit is clear is not in it. */
  private readonly domainScreen: Uint32Array | null;

  constructor(private readonly domain: DomainWords) {
    this.domainScreen = null;
    if (domain !== null) {
      const screen = new Uint32Array((1 << SCREEN_BITS) >>> 5);
      for (const w of domain.keys()) {
        const h = fnv1a(w) >>> (32 - SCREEN_BITS);
        screen[h >>> 5] |= 1 << (h & 31);
      }
      this.domainScreen = screen;
    }
  }

  /** Whether the word with FNV-1a `hash` may be in the domain lexicon. */
  private mayBeDomainWord(hash: number): boolean {
    const screen = this.domainScreen;
    if (screen === null) return false;
    const h = hash >>> (32 - SCREEN_BITS);
    return (screen[h >>> 5] & (1 << (h & 31))) !== 0;
  }

  score(text: string): SentimentScores {
    if (!isPlainAscii(text)) text = normalizeText(text);
    this.reset();
    const domain = this.domain;
    const scan = this.scan;
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      // the same steps as tokenize, in the same order (so the same tokens), without making Token objects
      const c = text.charCodeAt(pos);
      if (c === 32 || (c >= 9 && c <= 13)) {
        pos++;
        continue;
      }
      const end = asciiWordEnd(text, pos, scan);
      if (end > 0) {
        if (scan.digits) this.addSpelled(text, pos, end, scan.hash);
        else if (scan.run3) this.addToken(wordToken(text.slice(pos, end), pos, false, scan));
        else this.addAsciiWord(text, pos, end);
        pos = end;
        continue;
      }
      const punctEnd = asciiPunctEnd(text, pos);
      if (punctEnd > 0) {
        if (domain !== null) {
          const raw = text.slice(pos, punctEnd);
          this.addPunct(raw, raw);
        } else {
          // no built-in valence for ASCII punctuation (checked at load): only counts and clause breaks
          this.countPunct(text, pos, punctEnd);
          if (isClausePunct(c)) this.breakPending = true;
        }
        pos = punctEnd;
        continue;
      }
      // a URL is no item and breaks no clause
      const urlEnd = c === 104 || c === 119 ? asciiUrlEnd(text, pos) : -1;
      if (urlEnd > 0) {
        pos = urlEnd;
        continue;
      }
      const mentionEnd = c === 64 ? asciiMentionEnd(text, pos) : -1;
      if (mentionEnd > 0) {
        this.addMention(text, pos, mentionEnd);
        pos = mentionEnd;
        continue;
      }
      const scratch = this.scratch;
      scratch.length = 0;
      pos = regexTokens(text, pos, this.scope, scratch);
      for (let i = 0; i < scratch.length; i++) this.addToken(scratch[i]);
      if (pos < 0) break;
    }
    return this.scoreItems(undefined);
  }

  scoreTokens(tokens: readonly Token[], detail?: LexiconDetail): SentimentScores {
    this.reset();
    for (let i = 0; i < tokens.length; i++) this.addToken(tokens[i]);
    return this.scoreItems(detail);
  }

  private reset(): void {
    this.items = 0;
    this.words = 0;
    this.capsWords = 0;
    this.exclamations = 0;
    this.questions = 0;
    this.butAt = -1;
    this.breakPending = false;
    this.scope.negated = false;
  }

  /** Room for one more item. */
  private reserve(): void {
    if (this.items < this.flags.length) return;
    const size = this.flags.length * 2;
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.flags = flags;
    const base = new Float64Array(size);
    base.set(this.base);
    this.base = base;
    const boost = new Float64Array(size);
    boost.set(this.boost);
    this.boost = boost;
    const ids = new Int32Array(size);
    ids.set(this.ids);
    this.ids = ids;
    this.val = new Float64Array(size);
  }

  /** Adds an item: `flags`, its valence before context, and its key id (-1: none). */
  private push(flags: number, base: number, id: number): void {
    this.reserve();
    const k = this.items++;
    this.base[k] = base;
    this.ids[k] = id;
    const info = id < 0 ? undefined : KEY_INFO[id];
    if (info === undefined) {
      this.boost[k] = 0;
    } else {
      this.boost[k] = info.booster ?? 0;
      if (info.phraseFirsts !== undefined) flags |= F_PHRASE_LAST;
    }
    this.flags[k] = this.breakPending ? flags | F_BREAK_BEFORE : flags;
    this.breakPending = false;
  }

  /**
   * The ASCII word text[pos, end) that asciiWordEnd measured (into this.scan), without letter runs. Without joiners,
   * and unless the domain lexicon may have it, it is looked up in the key table; a word not there is in no list, no
   * negator and no compared word, so its spelling is never needed (id -1).
   */
  private addAsciiWord(text: string, pos: number, end: number): void {
    const scan = this.scan;
    const allCaps = scan.lower === 0 && scan.upper >= 2;
    this.words++;
    if (allCaps) this.capsWords++;
    let flags = allCaps ? F_WORD | F_NEGATABLE | F_CAPS : F_WORD | F_NEGATABLE;
    if (!scan.joined && !this.mayBeDomainWord(scan.hash)) {
      const id = keyId(text, pos, end, scan.hash);
      if (id < 0) {
        this.push(flags, 0, -1);
        return;
      }
      const info = KEY_INFO[id];
      if (this.butAt < 0 && id === BUT_ID) this.butAt = this.items;
      this.push(flags | KEY_FLAGS[id], info === undefined ? 0 : info.valence, id);
      return;
    }
    const raw = text.slice(pos, end);
    const form = scan.upper > 0 ? raw.toLowerCase() : raw;
    const info = WORDS.get(form);
    if (isNegator(form)) flags |= form === 'never' ? F_NEGATOR | F_NEVER : F_NEGATOR;
    if (info?.inLexicon === true || this.domain?.has(form) === true) flags |= F_OWN_VALENCE;
    if (this.butAt < 0 && form === 'but') this.butAt = this.items;
    this.push(flags, wordValence(form, info, this.domain), idOf(form));
  }

  /**
   * The mention text[pos, end) ("@name"): an item without valence, looked up by its name lowercased (its `norm`), which
   * only the phrase and "least" rules compare, so a name whose hash is not in the screen stays ''.
   */
  private addMention(text: string, pos: number, end: number): void {
    let h = 0x811c9dc5;
    for (let i = pos + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
    }
    this.addSpelled(text, pos + 1, end, h);
  }

  /**
   * An item without valence of its own that is looked up by its spelling text[start, end) with A-Z lowercased (FNV-1a
   * `hash`): a mention's name, a number. Only the phrase and "least" rules compare it, so a spelling that is no key
   * stays ''.
   */
  private addSpelled(text: string, start: number, end: number, hash: number): void {
    this.push(F_OWN_VALENCE, 0, keyId(text, start, end, hash));
  }

  /** Counts the "!" and "?" of the punctuation text[pos, end). */
  private countPunct(text: string, pos: number, end: number): void {
    const c = text.charCodeAt(pos);
    if (c !== 33 && c !== 63) return;
    for (let k = pos; k < end; k++) {
      if (text.charCodeAt(k) === 33) this.exclamations++;
      else this.questions++;
    }
  }

  private addPunct(text: string, norm: string): void {
    this.countPunct(text, 0, text.length);
    const v = emojiValence(norm, this.domain);
    if (v !== 0) {
      this.push(F_OWN_VALENCE, v, idOf(norm));
      return;
    }
    if (isClausePunct(text.charCodeAt(0))) this.breakPending = true;
  }

  private addToken(t: Token): void {
    const kind = t.kind;
    if (kind === 'punct') {
      this.addPunct(t.text, t.norm);
      return;
    }
    if (kind === 'url') return;
    const domain = this.domain;
    let flags: number;
    let form: string;
    let info: WordInfo | undefined;
    let id: number;
    if (kind === 'word' || kind === 'hashtag') {
      form = formOf(t, domain);
      id = idOf(form);
      info = id < 0 ? undefined : KEY_INFO[id];
      flags = F_NEGATABLE;
      if (kind === 'word') {
        flags |= F_WORD;
        this.words++;
        if (t.allCaps) {
          this.capsWords++;
          flags |= F_CAPS;
        }
        if (this.butAt < 0 && form === 'but') this.butAt = this.items;
        if (isNegator(t.norm)) flags |= t.norm === 'never' ? F_NEGATOR | F_NEVER : F_NEGATOR;
        if (info?.inLexicon === true || domain?.has(form) === true) flags |= F_OWN_VALENCE;
      } else {
        flags |= F_OWN_VALENCE;
      }
    } else {
      form = t.norm;
      id = idOf(form);
      info = undefined;
      flags = F_OWN_VALENCE;
    }
    // (a hashtag ending a phrase is no word: F_PHRASE_LAST only acts on words)
    this.push(flags, tokenValence(t, form, info, domain), id);
  }

  private scoreItems(detail: LexiconDetail | undefined): SentimentScores {
    const items = this.items;
    const flags = this.flags;
    const base = this.base;
    const boost = this.boost;
    const val = this.val;
    const ids = this.ids;
    // ALL CAPS only signals emphasis when the rest of the text is not shouted too.
    const capDiff = this.capsWords > 0 && this.capsWords < this.words;
    for (let k = 0; k < items; k++) {
      const f = flags[k];
      const isWord = (f & F_WORD) !== 0;
      if (isWord && (boost[k] !== 0 || (ids[k] === KIND_ID && k + 1 < items && ids[k + 1] === OF_ID))) {
        val[k] = 0;
        continue;
      }
      let v = base[k];
      // two-word phrases replace the valence of their last word (and the first word's was zeroed)
      if (k > 0 && isWord && (f & F_PHRASE_LAST) !== 0 && ids[k - 1] >= 0) {
        const firsts = KEY_INFO[ids[k]]?.phraseFirsts;
        if (firsts !== undefined) {
          const pv = firsts.get(KEYS[ids[k - 1]]);
          if (pv !== undefined) {
            val[k - 1] = 0;
            val[k] = pv;
            continue;
          }
        }
      }
      if (v === 0) {
        val[k] = 0;
        continue;
      }
      if (capDiff && (f & F_CAPS) !== 0) v += v > 0 ? C_INCR : -C_INCR;
      // Negation applies to words only: "not again :(" is a complaint, the emoticon says what the
      // words deny ("no wifi 😡"), so emoticons and emoji keep their sign after a negator.
      const negatable = (f & F_NEGATABLE) !== 0;
      // Look back up to three items for boosters and negators, like VADER, but never across clause punctuation.
      for (let d = 1; d <= 3 && k - d >= 0; d++) {
        if ((flags[k - d + 1] & F_BREAK_BEFORE) !== 0) break;
        const pf = flags[k - d];
        if ((pf & F_OWN_VALENCE) !== 0) {
          // VADER skips items that carry their own valence, except negators found in the lexicon ("no").
          if (negatable && (pf & F_NEGATOR) !== 0) v *= N_SCALAR;
          continue;
        }
        const b = boost[k - d];
        if (b !== 0) {
          let s = v > 0 ? b : -b;
          if (capDiff && (pf & F_CAPS) !== 0) s += v > 0 ? C_INCR : -C_INCR;
          v += d === 1 ? s : d === 2 ? s * 0.95 : s * 0.9;
        }
        // an elongated "noooo" is an exclamation, not a negation: negators are matched as written (norm)
        if (negatable && (pf & F_NEGATOR) !== 0) {
          // "never so good" intensifies rather than negates
          if (d >= 2 && (pf & F_NEVER) !== 0 && (ids[k - d + 1] === SO_ID || ids[k - d + 1] === THIS_ID)) {
            v *= d === 2 ? 1.5 : 1.25;
          } else {
            v *= N_SCALAR;
          }
        }
      }
      // "least" negates unless "at least" / "very least"
      if (negatable && k > 0 && ids[k - 1] === LEAST_ID) {
        const before = k > 1 ? ids[k - 2] : -1;
        if (before !== AT_ID && before !== VERY_ID) v *= N_SCALAR;
      }
      val[k] = v;
    }
    // Contrast: what follows "but" outweighs what precedes it.
    const butAt = this.butAt;
    if (butAt >= 0) {
      for (let k = 0; k < items; k++) {
        if (k < butAt) val[k] *= 0.5;
        else if (k > butAt) val[k] *= 1.5;
      }
    }
    let sum = 0;
    let posSum = 0;
    let negSum = 0;
    let neutral = 0;
    for (let k = 0; k < items; k++) {
      const v = val[k];
      sum += v;
      // +1/-1 compensate for neutral items counting as 1 in the proportions (as in VADER)
      if (v > 0) posSum += v + 1;
      else if (v < 0) negSum += v - 1;
      else neutral++;
    }
    if (detail !== undefined) fillDetail(detail, val, items);
    if (items === 0) return { compound: 0, positive: 0, neutral: 0, negative: 0, label: 'neutral' };
    // Valences that cancel ("great" twice, "terrible" twice) leave floating-point dust (-1.1e-16), which the
    // negative cut at 0 would label negative: a sum that small is a balance, so it is 0.
    if (Math.abs(sum) < 1e-9) sum = 0;
    let emphasis = Math.min(this.exclamations, 4) * EXCLAMATION_INCR;
    const questions = this.questions;
    if (questions > 1) emphasis += questions <= 3 ? questions * QUESTION_INCR : 0.96;
    if (sum > 0) sum += emphasis;
    else if (sum < 0) sum -= emphasis;
    let compound = sum / Math.sqrt(sum * sum + ALPHA);
    if (compound > 1) compound = 1;
    else if (compound < -1) compound = -1;
    if (posSum > -negSum) posSum += emphasis;
    else if (posSum < -negSum) negSum -= emphasis;
    const total = posSum - negSum + neutral;
    return {
      compound,
      positive: posSum / total,
      neutral: neutral / total,
      negative: negSum === 0 ? 0 : -negSum / total,
      label: labelForCompound(compound),
    };
  }
}

// (after the class: a class is not hoisted)
const DEFAULT_SCORER = new ItemScorer(null);
const DOMAIN_SCORERS = new WeakMap<DomainLexicon, ItemScorer>();
function scorerFor(domain: DomainLexicon | null | undefined): ItemScorer {
  if (domain === null || domain === undefined) return DEFAULT_SCORER;
  let s = DOMAIN_SCORERS.get(domain);
  if (s === undefined) DOMAIN_SCORERS.set(domain, (s = new ItemScorer(domain.words)));
  return s;
}

/**
 * Whether the text is printable ASCII, TAB, LF and CR only, without "&" and "\\": then normalizeText changes nothing
 * but whitespace (no escape to decode, nothing sanitizeText removes, NFC is the identity below U+0300; CR becomes LF,
 * runs of whitespace one space, and the ends are trimmed), and whitespace only separates tokens, so the tokens (but
 * for their offsets) and the scores are those of the normalised text. Skipping it saves about 0.4 µs a post.
 */
function isPlainAscii(text: string): boolean {
  return !NOT_PLAIN_ASCII_RE.test(text);
}
/** Any character but TAB, LF, CR and printable ASCII other than "&" and "\\" (a regex scans 3x faster than a loop). */
const NOT_PLAIN_ASCII_RE = /[^\t\n\r -%'-[\]-~]/;

/** Clause punctuation (. , : ; ! ?) as the scorer sees it: the first character of a 'punct' token. */
function isClausePunct(c: number): boolean {
  return c === 46 || c === 44 || c === 58 || c === 59 || c === 33 || c === 63;
}

function fillDetail(d: LexiconDetail, val: Float64Array, items: number): void {
  d.positiveItems = 0;
  d.negativeItems = 0;
  d.positiveSum = 0;
  d.negativeSum = 0;
  d.maxValence = 0;
  d.minValence = 0;
  d.lastValence = 0;
  for (let k = 0; k < items; k++) {
    const v = val[k];
    if (v > 0) {
      d.positiveItems++;
      d.positiveSum += v;
      if (v > d.maxValence) d.maxValence = v;
      d.lastValence = v;
    } else if (v < 0) {
      d.negativeItems++;
      d.negativeSum += v;
      if (v < d.minValence) d.minValence = v;
      d.lastValence = v;
    }
  }
}
