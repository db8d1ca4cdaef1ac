/**
 * Language identification for posts (tinyld) and a filter that counts what it drops, so a
 * language filter can never silently eat a share of the data.
 */
import { detect } from 'tinyld';
import { HASHTAG_SOURCE, MENTION_SOURCE, URL_SOURCE } from './normalize';

// URLs, mentions and hashtags are names, not language; emoji and digits carry no language either.
const NON_LANGUAGE_RE = new RegExp(`${URL_SOURCE}|${MENTION_SOURCE}|${HASHTAG_SOURCE}|[^\\p{L}\\p{M}'’]+`, 'gu');
const LETTER_RE = /\p{L}/gu;

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

/** ISO 639-1 code of the text's language, or null when the text is too short or the guess is unsure. */
export function detectLanguage(text: string): string | null {
  const content = text.replace(NON_LANGUAGE_RE, ' ').trim();
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
