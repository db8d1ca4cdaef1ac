/**
 * Language identification for posts (tinyld) and a filter that counts what it drops, so a
 * language filter can never silently eat a share of the data.
 */
import { detect } from 'tinyld';
// @ts-expect-error: vader-sentiment ships no type declarations; the module exports one plain object
import { lexicon as vaderLexicon } from 'vader-sentiment/src/vader_lexicon.js';
import { STOPWORDS } from '../topics/terms';
import { elongationForms } from './tokenize';
import { HASHTAG_SOURCE, MENTION_SOURCE, URL_SOURCE } from './normalize';

/** Characters of a post that language detection reads; a half surrogate pair at the cut is not a letter, so NON_LANGUAGE_RE drops it. */
export const MAX_DETECTION_CHARS = 2000;

// URLs, mentions and hashtags are names, not language; emoji and digits carry no language either.
// The symbol run stops before '#' and '@' so that the entity alternatives get to match them (a
// run " #" used to swallow the sigil and leave the tag's words in); a lone sigil goes last.
const NON_LANGUAGE_RE = new RegExp(`${URL_SOURCE}|${MENTION_SOURCE}|${HASHTAG_SOURCE}|[^\\p{L}\\p{M}'’#＃@]+|[#＃@]`, 'gu');
const LETTER_RE = /\p{L}/gu;
// chunks are counted in words: removed entities must not leave empty "words" behind
const SPACES_RE = /\s+/g;

/** Below this many letters (after removing URLs, mentions, hashtags) a guess is noise ("lol" → Volapük). */
const MIN_LETTERS = 12;
/**
 * tinyld pins a whole text on one "unique" n-gram, so a single name ("REELZ", "Boko Haram") turns
 * an English tweet German or Turkish with full confidence (7% of SemEval's English tweets). Voting
 * over chunks of a few words confines such a name to its chunk: 0.4% false "foreign" on the same
 * tweets, while French/German/Spanish/Portuguese sentences are still recognised.
 */
const CHUNK_WORDS = 5;
const MIN_CHUNK_CHARS = 8;
/** share of the voted letters the winning language needs; less is "unsure" */
const MIN_VOTE_SHARE = 0.6;

/**
 * Capitalised words: in English tweets mostly names ("Kendrick Lamar", "Jayalalithaa"), the
 * n-grams that tinyld pins a wrong language on. German nouns go too, but German keeps enough
 * function words ("die", "und", "nach") to be recognised without them.
 */
const CAPITALISED_RE = /(?<![\p{L}\p{M}\p{N}'’])\p{Lu}[\p{L}\p{M}\p{N}'’-]*/gu;

/**
 * ISO 639-1 code of the text's language, or null when the text is too short or the guess is unsure.
 *
 * A guess other than English gets a second opinion, because tinyld still calls 0.8% of English
 * tweets something else, mostly for the names in them: without its capitalised words, the text
 * is English if the chunk vote says so, or if tinyld prefers English when it may choose only
 * between English and the first guess. Tuned on semeval/sentiment-train.tsv, sources
 * semeval2013train + semeval2013dev (11,338 English tweets): false non-English 86 → 11 (0.10%;
 * some of them really are French, Tagalog, Indonesian), while short German, French, Spanish,
 * Italian, Dutch, Portuguese, Swedish, Turkish, Indonesian, Polish, Russian, Hindi and Arabic
 * posts keep a non-English language (test/unit/tokenize-scripts.test.ts).
 */
export function detectLanguage(text: string): string | null {
  // A post's language shows in its first few thousand characters; n-gram voting over a 100 KB text
  // took seconds per post and would stall a partition on one pasted document.
  const content = text.slice(0, MAX_DETECTION_CHARS).replace(NON_LANGUAGE_RE, ' ').replace(SPACES_RE, ' ').trim();
  const first = voteLanguage(content);
  if (first === null || first === 'en') return first;
  const withoutNames = content.replace(CAPITALISED_RE, ' ').replace(SPACES_RE, ' ').trim();
  if (withoutNames.length === 0) return first;
  if (voteLanguage(withoutNames) === 'en' || detect(withoutNames, { only: ['en', first] }) === 'en') return 'en';
  // Short informal English ("im so stresseddd" → German, "so happyyyy right now" → Finnish) is
  // too short for n-grams; it is recognised by being made of known English words.
  if (englishWordShare(content) >= ENGLISH_WORD_SHARE) return 'en';
  return first;
}

/**
 * English words known without a dictionary: the function words of topics/terms.ts and the words
 * of VADER's sentiment lexicon (the posts where a wrong language costs most are the ones with
 * sentiment words in them).
 */
const ENGLISH_WORDS: ReadonlySet<string> = new Set([...STOPWORDS, ...Object.keys(vaderLexicon as Record<string, number>).filter((w) => /^[a-z']+$/.test(w))]);
/**
 * Share of known English words from which a text is English whatever the n-grams say. Among the
 * foreign posts of test/fixtures/language-gate-posts.tsv the highest share is 0.44 (German
 * "Die Kinder spielen im Garten…", whose "die" and "im" read as English); Spanish "No me gusta
 * nada este tiempo" has 0.33; informal English such as "im so stresseddd" has 1.
 */
const ENGLISH_WORD_SHARE = 0.75;
const ELONGATED_RE = /(\p{L})\1{2}/u;

function englishWordShare(content: string): number {
  const words = content.toLowerCase().replace(/’/g, "'").split(' ').filter((w) => w.length > 0);
  if (words.length === 0) return 0;
  let known = 0;
  for (const w of words) {
    if (ENGLISH_WORDS.has(w) || (ELONGATED_RE.test(w) && elongationForms(w).some((f) => ENGLISH_WORDS.has(f)))) known++;
  }
  return known / words.length;
}

/** Chunk vote over text already stripped of URLs, mentions, hashtags, digits and symbols. */
function voteLanguage(content: string): string | null {
  let letters = 0;
  LETTER_RE.lastIndex = 0;
  while (LETTER_RE.exec(content) !== null) if (++letters >= MIN_LETTERS) break;
  if (letters < MIN_LETTERS) return null;
  const words = content.split(' ');
  const votes = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < words.length; i += CHUNK_WORDS) {
    const chunk = words.slice(i, i + CHUNK_WORDS).join(' ');
    if (chunk.length < MIN_CHUNK_CHARS) continue;
    const lang = detect(chunk);
    if (lang === '') continue;
    votes.set(lang, (votes.get(lang) ?? 0) + chunk.length);
    total += chunk.length;
  }
  let best: string | null = null;
  let bestVotes = 0;
  for (const [lang, v] of votes) {
    if (v > bestVotes) {
      best = lang;
      bestVotes = v;
    }
  }
  return best !== null && bestVotes >= MIN_VOTE_SHARE * total ? best : null;
}

export interface LanguageFilterResult<T> {
  kept: T[];
  /** how many items were dropped for being in another language */
  dropped: number;
  /** every item counted under its detected language, or 'und' (undetermined) */
  byLanguage: Record<string, number>;
}

/**
 * Keeps items whose detected language is in `allowed` and items whose language cannot be
 * determined (a post of three emoji is not "foreign"); counts everything by language.
 */
export function filterByLanguage<T>(items: readonly T[], getText: (item: T) => string, allowed: readonly string[]): LanguageFilterResult<T> {
  const allow = new Set(allowed.map((l) => l.toLowerCase()));
  const kept: T[] = [];
  const byLanguage: Record<string, number> = {};
  let dropped = 0;
  for (const item of items) {
    const lang = detectLanguage(getText(item));
    const key = lang ?? 'und';
    byLanguage[key] = (byLanguage[key] ?? 0) + 1;
    if (lang === null || allow.has(lang)) kept.push(item);
    else dropped++;
  }
  return { kept, dropped, byLanguage };
}
