/**
 * Which posts the sentiment models may score. The lexicon (VADER's word list plus emoji) and the
 * classifier (trained on English SemEval tweets) are English: on other languages they give wrong
 * answers with full confidence (the German article "die" reads as the verb, so "Die Kinder
 * spielen im Garten" came out negative). A post in a language without a model gets no sentiment
 * (a null label, counted and shown as "not scored") rather than a wrong one.
 *
 * Posts whose language is unknown (too short to tell, emoji only, a platform's "und") are scored:
 * most such posts are English, and an emoji means the same in every language; unless most of their
 * letters are of another script than Latin (a short Arabic post with a hashtag and a link): those
 * are not English either (canScoreSentimentOf).
 */
import { detectLanguage, mostlyNonLatin } from '../text/language';
import { normalizeText } from '../text/normalize';

/** ISO 639-1 codes of the languages the sentiment models were built for. */
export const SENTIMENT_LANGUAGES: readonly string[] = ['en'];

/**
 * Codes that say "no language known" rather than naming one: ISO 639-2 und/zxx/mis/mul, and
 * Twitter's qme (media links only), qht (hashtags only), qam (mentions only), qct (cashtags only),
 * qst (very short text).
 */
const UNDETERMINED: ReadonlySet<string> = new Set(['und', 'zxx', 'mis', 'mul', 'qme', 'qht', 'qam', 'qct', 'qst']);
/** ISO 639-2/3 spellings of the supported languages, for platforms and files that use them. */
const THREE_LETTER: Readonly<Record<string, string>> = { eng: 'en' };

/**
 * Whether a post in language `lang` gets sentiment. `lang` is an ISO 639-1/639-2 code or a BCP 47
 * tag ("en", "en-GB", "pt_BR", "eng"), as platforms and the language detector give it; null, empty
 * and "undetermined" codes count as unknown, which is scored.
 */
export function canScoreSentiment(lang: string | null | undefined): boolean {
  const primary = primaryLanguage(lang);
  return primary === null || SENTIMENT_LANGUAGES.includes(THREE_LETTER[primary] ?? primary);
}

/** The primary subtag of `lang`, lower case ("en-GB" → "en"), or null when it names no language (null, empty, und…). */
function primaryLanguage(lang: string | null | undefined): string | null {
  const primary = lang?.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return primary === '' || UNDETERMINED.has(primary) ? null : primary;
}

/**
 * Whether a post gets sentiment: it has text (a media-only post, `<p></p>` on Mastodon, says nothing: counting it
 * neutral would dilute the shares), canScoreSentiment of its language, and, when that is unknown, its text is not
 * mostly in a non-Latin script.
 */
export function canScoreSentimentOf(text: string, lang: string | null | undefined): boolean {
  if (text.trim() === '') return false;
  if (!canScoreSentiment(lang)) return false;
  return primaryLanguage(lang) !== null || !mostlyNonLatin(text);
}

/**
 * The language to decide sentiment scoring by: the one declared for the post (the platform's or
 * the file's `lang`, or what preprocessing detected) when there is one, else detected from the text
 * the way preprocessing does (null when too short or unsure).
 */
export function sentimentLanguageOf(text: string, declared?: string | null): string | null {
  if (declared !== undefined && declared !== null && declared.trim() !== '') return declared.trim();
  return detectLanguage(normalizeText(text));
}
