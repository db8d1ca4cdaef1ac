/**
 * The language identification SocialSense used until issue 12 (tinyld with a chunk vote and an
 * English second opinion), kept verbatim as the baseline that bench/languageId.ts and
 * test/unit/language-id.test.ts measure the current detector against in the same run.
 * Not used by the pipeline. Same contract as models/text/language.ts `detectLanguage`.
 */
import { detect } from 'tinyld';
import { englishWordShare, ENGLISH_WORD_SHARE, MAX_DETECTION_CHARS, NON_LANGUAGE_RE } from '../models/text/language';

const LETTER_RE = /\p{L}/gu;
const SPACES_RE = /\s+/g;
/** Below this many letters (after removing URLs, mentions, hashtags) a guess is noise. */
const MIN_LETTERS = 12;
/** tinyld pins a whole text on one "unique" n-gram; voting over chunks of a few words confines a name to its chunk. */
const CHUNK_WORDS = 5;
const MIN_CHUNK_CHARS = 8;
/** share of the voted letters the winning language needs; less is "unsure" */
const MIN_VOTE_SHARE = 0.6;
const CAPITALISED_RE = /(?<![\p{L}\p{M}\p{N}'’])\p{Lu}[\p{L}\p{M}\p{N}'’-]*/gu;

/** ISO 639-1 code of the text's language by the tinyld detector, or null when too short or unsure. */
export function detectLanguageTinyld(text: string): string | null {
  const content = text.slice(0, MAX_DETECTION_CHARS).replace(NON_LANGUAGE_RE, ' ').replace(SPACES_RE, ' ').trim();
  const first = voteLanguage(content);
  if (first === null || first === 'en') return first;
  const withoutNames = content.replace(CAPITALISED_RE, ' ').replace(SPACES_RE, ' ').trim();
  if (withoutNames.length === 0) return first;
  if (voteLanguage(withoutNames) === 'en' || detect(withoutNames, { only: ['en', first] }) === 'en') return 'en';
  if (englishWordShare(content) >= ENGLISH_WORD_SHARE) return 'en';
  return first;
}

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
