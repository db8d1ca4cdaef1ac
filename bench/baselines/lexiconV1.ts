// Frozen copy of models/sentiment/lexicon.ts as it was before the issue-12 speed work (2026-11-30), kept as the
// reference that the optimised code must agree with (test/unit/lexicon-fast-path.test.ts) and as a bench baseline.
// Do not edit: it is the old behaviour.
/**
 * Rule-based sentiment for social text in the manner of VADER (Hutto & Gilbert, ICWSM 2014):
 * lexicon valences modified by negation, boosters/dampeners, contrastive "but", ALL CAPS,
 * elongation and exclamation marks, plus emoji. Everything is precompiled at module load;
 * a call tokenizes once and walks the tokens once.
 */
// @ts-expect-error: vader-sentiment ships no type declarations; the module exports one plain object
import { lexicon as vaderLexicon } from 'vader-sentiment/src/vader_lexicon.js';
import { createHash } from 'node:crypto';
import type { SentimentLabel } from '../../lib/schema';
import { normalizeText } from './normalizeV1';
import { emojiBase, isNegator, tokenize, type Token } from './tokenizeV1';

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

// The domain lexicon of the scoreTokens call in progress (scoring is synchronous: no call can see another's).
let activeDomain: ReadonlyMap<string, number> | null = null;

/**
 * The spelling to look a word or hashtag up by: `norm`, or for an elongated word the first of its
 * forms that a word list knows ("happyyyy" → happy, "goooood" → good, "sooooo" → soo). Used for
 * valences, boosters and phrases; negators are matched as written (see scoreTokens).
 */
export function lexicalForm(t: Token): string {
  if (t.forms === undefined) return t.norm;
  for (const f of t.forms) {
    if (activeDomain?.has(f) || LEXICON.has(f) || SINGLE_ADDITIONS.has(f) || BOOSTERS.has(f) || PHRASE_WORDS.has(f)) return f;
  }
  return t.norm;
}

function wordValence(form: string): number {
  return activeDomain?.get(form) ?? SINGLE_ADDITIONS.get(form) ?? LEXICON.get(form) ?? 0;
}

/** An emoji's valence, or its base emoji's for skin-tone, gendered and other ZWJ variants. */
function emojiValence(norm: string): number {
  return activeDomain?.get(norm) ?? EMOJI.get(norm) ?? EMOJI.get(emojiBase(norm)) ?? 0;
}

function tokenValence(t: Token, form: string): number {
  switch (t.kind) {
    case 'word':
      return wordValence(form);
    case 'emoticon':
      return LEXICON.get(t.norm) ?? LEXICON.get(t.norm.toLowerCase()) ?? 0;
    case 'emoji':
      return emojiValence(t.norm);
    case 'hashtag': {
      // a tag as a whole (#fail), else its CamelCase words (#EpicFail)
      const whole = wordValence(form);
      if (whole !== 0 || t.parts === undefined || t.parts.length < 2) return whole;
      let s = 0;
      for (const p of t.parts) s += LEXICON.get(p) ?? 0;
      return s;
    }
    case 'punct':
      return emojiValence(t.norm);
    default:
      return 0;
  }
}

// Scratch buffers reused across calls: scoring is synchronous, so no call can observe another's.
let valBuf = new Float64Array(256);
let idxBuf = new Int32Array(256);
/** per item: the spelling it is looked up by (see lexicalForm) */
const formBuf: string[] = [];

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
  activeDomain = domain?.words ?? null;
  try {
    return scoreTokensWith(tokens, detail);
  } finally {
    activeDomain = null;
  }
}

function scoreTokensWith(tokens: readonly Token[], detail?: LexiconDetail): SentimentScores {
  const n = tokens.length;
  if (valBuf.length < n) {
    valBuf = new Float64Array(n * 2);
    idxBuf = new Int32Array(n * 2);
  }
  // Items are the tokens VADER would see as words: everything but punctuation and URLs.
  let items = 0;
  let capsWords = 0;
  let words = 0;
  let exclamations = 0;
  let questions = 0;
  let butAt = -1;
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (t.kind === 'punct') {
      const c = t.text.charCodeAt(0);
      if (c === 33 || c === 63) {
        for (let k = 0; k < t.text.length; k++) {
          if (t.text.charCodeAt(k) === 33) exclamations++;
          else questions++;
        }
      }
      if (emojiValence(t.norm) !== 0) {
        formBuf[items] = t.norm;
        idxBuf[items++] = i;
      }
      continue;
    }
    if (t.kind === 'url') continue;
    const form = t.kind === 'word' || t.kind === 'hashtag' ? lexicalForm(t) : t.norm;
    if (t.kind === 'word') {
      words++;
      if (t.allCaps) capsWords++;
      if (butAt < 0 && form === 'but') butAt = items;
    }
    formBuf[items] = form;
    idxBuf[items++] = i;
  }
  // ALL CAPS only signals emphasis when the rest of the text is not shouted too.
  const capDiff = capsWords > 0 && capsWords < words;

  let sum = 0;
  for (let k = 0; k < items; k++) {
    const t = tokens[idxBuf[k]];
    const form = formBuf[k];
    let v = 0;
    if (t.kind === 'word' && (BOOSTERS.has(form) || (form === 'kind' && k + 1 < items && formBuf[k + 1] === 'of'))) {
      valBuf[k] = 0;
      continue;
    }
    v = tokenValence(t, form);
    // two-word phrases replace the valence of their last word (and the first word's was zeroed)
    if (k > 0 && t.kind === 'word') {
      const firsts = PHRASE_LAST.get(form);
      if (firsts !== undefined) {
        const prevK = k - 1;
        const pv = firsts.get(formBuf[prevK]);
        if (pv !== undefined) {
          valBuf[prevK] = 0;
          valBuf[k] = pv;
          continue;
        }
      }
    }
    if (v === 0) {
      valBuf[k] = 0;
      continue;
    }
    if (capDiff && t.allCaps) v += v > 0 ? C_INCR : -C_INCR;
    // Negation applies to words only: "not again :(" is a complaint, the emoticon says what the
    // words deny ("no wifi 😡"), so emoticons and emoji keep their sign after a negator.
    const negatable = t.kind === 'word' || t.kind === 'hashtag';
    // Look back up to three items for boosters and negators, like VADER, but never across clause punctuation.
    for (let d = 1; d <= 3 && k - d >= 0; d++) {
      const pi = idxBuf[k - d];
      if (hasClauseBreak(tokens, pi, idxBuf[k - d + 1])) break;
      const p = tokens[pi];
      const pf = formBuf[k - d];
      if (p.kind !== 'word' || LEXICON.has(pf) || activeDomain?.has(pf) === true) {
        // VADER skips items that carry their own valence, except negators found in the lexicon ("no").
        if (negatable && p.kind === 'word' && isNegator(p.norm)) v *= N_SCALAR;
        continue;
      }
      const b = BOOSTERS.get(pf);
      if (b !== undefined) {
        let s = v > 0 ? b : -b;
        if (capDiff && p.allCaps) s += v > 0 ? C_INCR : -C_INCR;
        v += d === 1 ? s : d === 2 ? s * 0.95 : s * 0.9;
      }
      // an elongated "noooo" is an exclamation, not a negation: negators are matched as written (norm)
      if (negatable && isNegator(p.norm)) {
        // "never so good" intensifies rather than negates
        if (d >= 2 && p.norm === 'never' && (formBuf[k - d + 1] === 'so' || formBuf[k - d + 1] === 'this')) {
          v *= d === 2 ? 1.5 : 1.25;
        } else {
          v *= N_SCALAR;
        }
      }
    }
    // "least" negates unless "at least" / "very least"
    if (negatable && k > 0 && formBuf[k - 1] === 'least') {
      const before = k > 1 ? formBuf[k - 2] : '';
      if (before !== 'at' && before !== 'very') v *= N_SCALAR;
    }
    valBuf[k] = v;
  }
  // Contrast: what follows "but" outweighs what precedes it.
  if (butAt >= 0) {
    for (let k = 0; k < items; k++) {
      if (k < butAt) valBuf[k] *= 0.5;
      else if (k > butAt) valBuf[k] *= 1.5;
    }
  }
  let posSum = 0;
  let negSum = 0;
  let neutral = 0;
  for (let k = 0; k < items; k++) {
    const v = valBuf[k];
    sum += v;
    // +1/-1 compensate for neutral items counting as 1 in the proportions (as in VADER)
    if (v > 0) posSum += v + 1;
    else if (v < 0) negSum += v - 1;
    else neutral++;
  }
  if (detail !== undefined) fillDetail(detail, items);
  if (items === 0) return { compound: 0, positive: 0, neutral: 0, negative: 0, label: 'neutral' };
  let emphasis = Math.min(exclamations, 4) * EXCLAMATION_INCR;
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

function fillDetail(d: LexiconDetail, items: number): void {
  d.positiveItems = 0;
  d.negativeItems = 0;
  d.positiveSum = 0;
  d.negativeSum = 0;
  d.maxValence = 0;
  d.minValence = 0;
  d.lastValence = 0;
  for (let k = 0; k < items; k++) {
    const v = valBuf[k];
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

function hasClauseBreak(tokens: readonly Token[], from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) {
    const t = tokens[i];
    if (t.kind === 'punct') {
      const c = t.text.charCodeAt(0);
      if (c === 46 || c === 44 || c === 58 || c === 59 || c === 33 || c === 63) return true;
    }
  }
  return false;
}

/**
 * VADER-style sentiment of one post: compound in [-1, 1], item shares and a 3-class label.
 * `domain`: the user's extra words (see parseDomainLexicon).
 */
export function scoreSentiment(text: string, domain?: DomainLexicon | null): SentimentScores {
  return scoreTokens(tokenize(normalizeText(text)), undefined, domain);
}
