/**
 * Language identification for posts and a filter that counts what it drops, so a language filter
 * can never silently eat a share of the data.
 *
 * Three stages, cheapest first (issue 12: ≥ 50,000 posts/s on one core; bench/languageId.ts):
 * 1. Markup out: URLs, mentions and hashtags are names, not language; digits, emoji and symbols
 *    carry none either.
 * 2. Script: a post written mostly in a script that one language owns (Hangul, kana, Han without
 *    kana, Thai, Greek, Hebrew, Georgian, Armenian) is that language without a model.
 * 3. Nito-ELD's n-gram model (npm `eld`, 60 languages, through ./eldNgrams for speed), then the
 *    corrections a social stream needs: an English second opinion for names and informal English;
 *    Indonesian vs Malay and Serbian vs Croatian by marker words (eld has no Indonesian and only
 *    Cyrillic Serbian); Russian, Ukrainian and Serbian Cyrillic by their letters and commonest words.
 * Why eld, with the candidates measured (tinyld, cld3-asm, cld, franc): bench/README.md,
 * "Language identification".
 */
// @ts-expect-error: vader-sentiment ships no type declarations; the module exports one plain object
import { lexicon as vaderLexicon } from 'vader-sentiment/src/vader_lexicon.js';
import { STOPWORDS } from '../topics/terms';
import { elongationForms } from './tokenize';
import { HASHTAG_SOURCE, MENTION_SOURCE, URL_SOURCE } from './normalize';
import { isBmpLetter, loadEldModel, type EldModel } from './eldNgrams';

/** Characters of a post that language detection reads; a half surrogate pair at the cut is not a letter. */
export const MAX_DETECTION_CHARS = 2000;

/**
 * URLs, mentions and hashtags, and every run of characters that are neither letters, marks nor
 * apostrophes. The symbol run stops before '#' and '@' so that the entity alternatives get to match
 * them (a run " #" used to swallow the sigil and leave the tag's words in); a lone sigil goes last.
 */
export const NON_LANGUAGE_RE = new RegExp(`${URL_SOURCE}|${MENTION_SOURCE}|${HASHTAG_SOURCE}|[^\\p{L}\\p{M}'’#＃@]+|[#＃@]`, 'gu');

/** Below this many letters (after removing URLs, mentions, hashtags) a guess is noise ("lol" → Volapük). */
export const MIN_LETTERS = 12;
/**
 * The same for Han, kana and Hangul, where one character is a syllable or a word: "おはようございます"
 * (9) or "감사합니다" (5) name their language as surely as twelve Latin letters do.
 */
export const MIN_DENSE_LETTERS = 5;
/**
 * Kana share of the Han + kana letters from which a post is Japanese. Japanese prose is roughly a
 * third to a half kana; Chinese has none, but borrows the odd "の" ("我の"), hence not "any kana".
 */
const MIN_KANA_SHARE = 0.2;

/**
 * Capitalised words: in English tweets mostly names ("Kendrick Lamar", "Jayalalithaa"), the
 * n-grams that pin a wrong language on a tweet. German nouns go too, but German keeps enough
 * function words ("die", "und", "nach") to be recognised without them.
 */
const CAPITALISED_RE = /(?<![\p{L}\p{M}\p{N}'’])\p{Lu}[\p{L}\p{M}\p{N}'’-]*/gu;

// Scripts, by UTF-16 code unit (BMP). Astral letters (rare historic and math alphabets, CJK extension B+) are not counted.
const LATIN = 1;
const GREEK = 2;
const CYRILLIC = 3;
const ARMENIAN = 4;
const HEBREW = 5;
const GEORGIAN = 6;
const THAI = 7;
const HANGUL = 8;
const KANA = 9;
const HAN = 10;
const OTHER = 11;
const SCRIPT_COUNT = 12;

/** The one language of each script that has one (ISO 639-1); Han and kana are decided together. */
const SCRIPT_LANGUAGE: readonly (string | undefined)[] = (() => {
  const l: (string | undefined)[] = new Array(SCRIPT_COUNT);
  l[GREEK] = 'el';
  l[ARMENIAN] = 'hy';
  l[HEBREW] = 'he';
  l[GEORGIAN] = 'ka';
  l[THAI] = 'th';
  l[HANGUL] = 'ko';
  return l;
})();

const ALPHABETS_OF_ONE_LANGUAGE: readonly number[] = [GREEK, HEBREW, THAI, GEORGIAN, ARMENIAN];

/** Script of each BMP letter (Unicode blocks; only letters are ever looked up). */
const SCRIPT_OF: Uint8Array = (() => {
  const t = new Uint8Array(65536).fill(OTHER);
  const set = (from: number, to: number, script: number) => t.fill(script, from, to + 1);
  set(0x41, 0x5a, LATIN);
  set(0x61, 0x7a, LATIN);
  set(0xc0, 0x24f, LATIN);
  set(0x1e00, 0x1eff, LATIN);
  set(0x370, 0x3ff, GREEK);
  set(0x1f00, 0x1fff, GREEK);
  set(0x400, 0x52f, CYRILLIC);
  set(0x530, 0x58f, ARMENIAN);
  set(0x590, 0x5ff, HEBREW);
  set(0xfb1d, 0xfb4f, HEBREW);
  set(0x10a0, 0x10ff, GEORGIAN);
  set(0x1c90, 0x1cbf, GEORGIAN);
  set(0xe00, 0xe7f, THAI);
  set(0x1100, 0x11ff, HANGUL);
  set(0x3130, 0x318f, HANGUL);
  set(0xa960, 0xa97f, HANGUL);
  set(0xac00, 0xd7af, HANGUL);
  set(0x3040, 0x30ff, KANA);
  set(0x31f0, 0x31ff, KANA);
  set(0xff66, 0xff9f, KANA);
  set(0x3400, 0x4dbf, HAN);
  set(0x4e00, 0x9fff, HAN);
  set(0xf900, 0xfaff, HAN);
  return t;
})();

let eldModel: EldModel | undefined;
let eldEnglish = -1;

/** eld's extra-small database, loaded on first use (~1 s, ~30 MB while compiling, ~2 MB after). */
function eld(): EldModel {
  if (eldModel === undefined) {
    eldModel = loadEldModel('extrasmall');
    eldEnglish = eldModel.languages.indexOf('en');
  }
  return eldModel;
}

/** What a language is told from: the first MAX_DETECTION_CHARS of `text`, links, mentions and hashtags left out. */
function detectionContent(text: string): string {
  // A post's language shows in its first few thousand characters; a pasted 100 KB document must cost what a post costs.
  return text.slice(0, MAX_DETECTION_CHARS).replace(NON_LANGUAGE_RE, ' ');
}

/** Letters per script (index = script id) of a detectionContent: what detectLanguage and mostlyNonLatin decide by. */
function scriptCensus(content: string): Int32Array {
  const census = new Int32Array(SCRIPT_COUNT);
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    if (isBmpLetter(c)) census[SCRIPT_OF[c]]++;
  }
  return census;
}

/**
 * Whether most of the letters of `text` (links, mentions and hashtags left out, as detectLanguage leaves them out) are
 * of a script other than Latin: Arabic, Cyrillic, Devanagari, CJK... A text with no letters (emoji only) is not.
 * For posts whose language cannot be told (too short): written in such a script, they are not English either.
 */
export function mostlyNonLatin(text: string): boolean {
  const census = scriptCensus(detectionContent(text));
  let letters = 0;
  for (let s = 0; s < SCRIPT_COUNT; s++) letters += census[s];
  return letters - census[LATIN] > census[LATIN];
}

/**
 * ISO 639-1 code of the text's language, or null when the text is too short or has no letters.
 *
 * `text` is a post as collected (raw or normalised). Reads its first MAX_DETECTION_CHARS characters.
 * Null when, without URLs, mentions, hashtags, digits and symbols, fewer than MIN_LETTERS letters
 * remain (MIN_DENSE_LETTERS in Han, kana or Hangul). Codes are eld's 60 languages plus `id`;
 * Serbian in Latin letters without an ekavian word comes out as Croatian, Bosnian as Croatian and
 * Galician as Spanish or Portuguese (neither is in eld). Accuracy on test/fixtures/langid/sample.tsv and the SemEval tweets:
 * bench/README.md, "Language identification".
 */
export function detectLanguage(text: string): string | null {
  const content = detectionContent(text);
  const census = scriptCensus(content);
  let letters = 0;
  for (let s = 1; s < SCRIPT_COUNT; s++) letters += census[s];
  if (letters === 0) return null;

  // Stage 2: a script that names its language, when it carries at least half of the letters.
  const cjk = census[HAN] + census[KANA];
  if (2 * census[HANGUL] >= letters) return census[HANGUL] >= MIN_DENSE_LETTERS ? 'ko' : null;
  if (2 * cjk >= letters) {
    if (cjk < MIN_DENSE_LETTERS) return null;
    if (census[KANA] === 0) return 'zh';
    if (census[KANA] >= MIN_KANA_SHARE * cjk) return 'ja';
    // Han with a little kana: let the n-gram model weigh it
  } else {
    for (const script of ALPHABETS_OF_ONE_LANGUAGE) {
      if (2 * census[script] >= letters) return letters >= MIN_LETTERS ? SCRIPT_LANGUAGE[script]! : null;
    }
  }
  if (letters < MIN_LETTERS && 2 * cjk < letters) return null;

  // Stage 3: the n-gram model.
  const model = eld();
  const scores = new Int32Array(model.languages.length);
  const best = model.score(content, scores);
  if (best < 0) return null;
  const lang = model.languages[best];
  if (2 * census[LATIN] >= letters) {
    if (lang !== 'en' && isEnglishAfterAll(content, scores[eldEnglish] / scores[best], scores)) return 'en';
    if (lang === 'ms') return indonesianOrMalay(content);
    if (lang === 'hr' || lang === 'sr') return serbianOrCroatian(content);
  } else if (2 * census[CYRILLIC] >= letters) {
    return cyrillicByAlphabet(content, lang);
  }
  return lang;
}

/**
 * Ratio of English's n-gram score to the winner's from which a Latin-script post is English anyway.
 * Chosen on the tuning sets, not on the reported ones: of the 80 SemEval training tweets
 * (semeval/sentiment-train.tsv, all English) that eld called something else, 71 have a ratio ≥ 0.5
 * (many are English with a Tagalog- or Dutch-looking name or "tonight" → Tagalog), while the 48
 * foreign posts of test/fixtures/language-gate-posts.tsv have at most 0.33.
 */
const ENGLISH_SCORE_RATIO = 0.5;

/**
 * A Latin-script guess other than English gets a second opinion, because names and informal
 * spelling pull English tweets elsewhere ("REELZ", "Boko Haram", "im so stresseddd"): the text is
 * English when most of its words are known English words, or when the model prefers English once
 * the capitalised words (mostly names) are gone. Designed on semeval/sentiment-train.tsv (tweets
 * that were called foreign); bench/README.md gives the effect on sentiment-dev.tsv.
 */
function isEnglishAfterAll(content: string, englishRatio: number, scores: Int32Array): boolean {
  if (englishRatio >= ENGLISH_SCORE_RATIO) return true;
  // `content` is already letters, marks and apostrophes between spaces, as englishWordShare wants it
  if (englishWordShare(content) >= ENGLISH_WORD_SHARE) return true;
  const withoutNames = content.replace(CAPITALISED_RE, ' ');
  let letters = 0;
  for (let i = 0; i < withoutNames.length && letters < MIN_LETTERS; i++) if (isBmpLetter(withoutNames.charCodeAt(i))) letters++;
  if (letters < MIN_LETTERS) return false;
  return eld().score(withoutNames, scores) === eldEnglish;
}

/**
 * Words that mark Indonesian or Malay, where the two standard languages (and their chat registers)
 * differ: Malay "tak, dah, nak, kat, boleh, kerana, wang, pejabat, esok, mahu, tengok, faham" vs
 * Indonesian "nggak, udah, mau, bisa, karena, uang, kantor, besok, lihat, paham, banget, aja".
 * Words exclusive to one of the two, as in Ranaivo-Malançon (2006), "Automatic identification of
 * close languages – case study: Malay and Indonesian"; written from the known differences of the
 * standard languages and their chat registers, not fitted to test/fixtures/langid/sample.tsv.
 */
const INDONESIAN_WORDS: ReadonlySet<string> = new Set(
  (
    'nggak gak enggak ngga engga udah aja sih dong deh kok gue gua lu elo karena uang kantor besok mau bisa paham lihat gimana ' +
    'kayak bikin nih tuh yuk gitu makasih pengen ketemu nonton capek bareng ngantuk pemerintah libur liburan gratis mobil polisi banget'
  ).split(' '),
);
const MALAY_WORDS: ReadonlySet<string> = new Set(
  (
    'tak dah nak kat awak korang betul boleh kerana wang pejabat esok mahu tengok cakap macam jom seronok sikit kerajaan percuma ' +
    'baharu sahaja polis bas faham berbanding cikgu budak bising ni tu'
  ).split(' '),
);

/**
 * How many of a post's words are markers of each of two close languages: [in `a`, in `b`]. A word in
 * both lists counts for `a`. The pairs below (id/ms, sr/hr, ru/uk) each decide by these counts.
 */
function markerVotes(content: string, a: ReadonlySet<string>, b: ReadonlySet<string>): [number, number] {
  let inA = 0;
  let inB = 0;
  for (const w of content.toLowerCase().split(/[^\p{L}]+/u)) {
    if (a.has(w)) inA++;
    else if (b.has(w)) inB++;
  }
  return [inA, inB];
}

/**
 * eld has Malay and no Indonesian, so it calls both "ms". Marker words decide; with none (or a tie)
 * the answer is Indonesian, which social platforms carry several times more of (Indonesia has
 * ~280 M people, Malaysia and Brunei ~35 M).
 */
function indonesianOrMalay(content: string): string {
  const [id, ms] = markerVotes(content, INDONESIAN_WORDS, MALAY_WORDS);
  return ms > id ? 'ms' : 'id';
}

/**
 * Ekavian and ijekavian forms of the same words: standard Serbian writes the Proto-Slavic yat as e
 * ("vreme, deca, lepo, pre, gde"), Croatian and Bosnian as ije/je ("vrijeme, djeca, lijepo, prije,
 * gdje"). eld's Serbian is Cyrillic only, so it calls Serbian in Latin letters Croatian; these
 * decide. Written from the standard forms, not fitted to test/fixtures/langid/sample.tsv.
 */
const EKAVIAN_WORDS: ReadonlySet<string> = new Set(
  (
    'vreme deca dece dete devojka devojke reka reke mleko lepo lepa lepi lep pre posle celu celi ceo cela celo beli belo bela ' +
    'razumem razumeš razume nedelja nedelju nedelje mesto mesta mesec sneg hleb gde ovde svet sveta uvek zvezda vera telo cveće reč ' +
    'hteo htela videli mleka'
  ).split(' '),
);
const IJEKAVIAN_WORDS: ReadonlySet<string> = new Set(
  (
    'vrijeme djeca djece dijete djevojka djevojke rijeka rijeke mlijeko lijepo lijepa lijepi lijep prije poslije cijelu cijeli ' +
    'cijela cijelo bijeli bijelo bijela razumijem razumiješ razumije nedjelja nedjelju nedjelje mjesto mjesta mjesec snijeg ' +
    'hljeb kruh gdje ovdje svijet svijeta uvijek zvijezda vjera tijelo cvijeće riječ htio htjela'
  ).split(' '),
);

/** Serbian when the post's yat reflexes are mostly ekavian, else Croatian (Bosnian, also ijekavian, is not in eld). */
function serbianOrCroatian(content: string): string {
  const [ekavian, ijekavian] = markerVotes(content, EKAVIAN_WORDS, IJEKAVIAN_WORDS);
  return ekavian > ijekavian ? 'sr' : 'hr';
}

/** Letters only Serbian uses (ђ ћ), and the ones it shares with Macedonian (ј љ њ џ); eld has no Macedonian. */
const SERBIAN_LETTERS_RE = /[ђћјљњџЂЋЈЉЊЏ]/u;
/** і ї є ґ are Ukrainian (і also Belarusian), ы э ъ ё Russian (ы э ё also Belarusian). */
const UKRAINIAN_LETTERS_RE = /[їєґЇЄҐ]/u;
const RUSSIAN_LETTERS_RE = /[ыэъЫЭЪ]/u;

/**
 * The most frequent words that differ between Russian and Ukrainian (что/що, это/це, меня/мене,
 * уже/вже, сегодня/сьогодні, очень/дуже, спасибо/дякую …): the n-grams of a short post often
 * leave the two within a hair of each other ("скоро буду, жди меня" scored Ukrainian).
 */
const RUSSIAN_WORDS: ReadonlySet<string> = new Set(
  (
    'что это меня тебя себя уже сегодня как только очень когда если ещё еще она они был была было были где здесь почему ' +
    'сейчас спасибо хорошо нет да или но его её ее мне тебе вечером'
  ).split(' '),
);
const UKRAINIAN_WORDS: ReadonlySet<string> = new Set(
  (
    'що це мене тебе себе вже сьогодні як тільки дуже коли якщо ще вона вони був була було були де тут чому зараз дякую ' +
    'добре ні або але її мені тобі ввечері'
  ).split(' '),
);

/**
 * The alphabet and the commonest words settle what the n-grams of a short Cyrillic post may not:
 * a post with ђ/ћ/ј/љ/њ/џ is Serbian; one with ї/є/ґ is not Russian, one with ы/э/ъ not Ukrainian;
 * otherwise Russian and Ukrainian function words vote between the two.
 */
function cyrillicByAlphabet(content: string, lang: string): string {
  if (lang !== 'sr' && SERBIAN_LETTERS_RE.test(content)) return 'sr';
  const ukLetters = UKRAINIAN_LETTERS_RE.test(content);
  const ruLetters = RUSSIAN_LETTERS_RE.test(content);
  if (ukLetters && !ruLetters) return 'uk';
  if (ruLetters && !ukLetters) return 'ru';
  if (lang !== 'ru' && lang !== 'uk' && lang !== 'bg' && lang !== 'be') return lang;
  const [ru, uk] = markerVotes(content, RUSSIAN_WORDS, UKRAINIAN_WORDS);
  return ru > uk ? 'ru' : uk > ru ? 'uk' : lang;
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
export const ENGLISH_WORD_SHARE = 0.75;
const ELONGATED_RE = /(\p{L})\1{2}/u;

/** Share (0–1) of the space-separated words of `content` that are known English words or elongations of one. */
export function englishWordShare(content: string): number {
  const words = content
    .toLowerCase()
    .replace(/’/g, "'")
    .split(' ')
    .filter((w) => w.length > 0);
  if (words.length === 0) return 0;
  let known = 0;
  for (const w of words) {
    if (ENGLISH_WORDS.has(w) || (ELONGATED_RE.test(w) && elongationForms(w).some((f) => ENGLISH_WORDS.has(f)))) known++;
  }
  return known / words.length;
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
