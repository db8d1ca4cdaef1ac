/**
 * Language identification benchmark (issue 12): the pipeline's detector (models/text/language.ts,
 * Unicode script + Nito-ELD n-grams) against the tinyld detector it replaced (bench/tinyldLanguage.ts),
 * both measured in the same process, interleaved, so that the machine's load hits both alike.
 *
 * - Accuracy on test/fixtures/langid/sample.tsv (labelled posts in 31 languages): micro (share of
 *   posts), macro (mean over languages of each language's share), undetected (share of null).
 * - English check on the real tweets (SemEval sentiment-dev.tsv, all English): share called English,
 *   null, or another language ("foreign", which leaves a post without sentiment).
 * - Posts per second on one core on the real tweets and on the sample, and ours / tinyld.
 *
 * `npx tsx bench/languageId.ts [--min-seconds N]` prints the result as JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, sharedDataDir } from '../lib/paths';
import { readTableAll } from '../lib/tabular';
import { detectLanguage } from '../models/text/language';
import { isMain } from './standalone';
import { detectLanguageTinyld } from './tinyldLanguage';

/** The labelled multilingual sample: `lang<TAB>text`, a header line, ISO 639-1 labels (see its README.md). */
export const LANGUAGE_SAMPLE_FILE = path.join(projectRoot, 'test', 'fixtures', 'langid', 'sample.tsv');

export interface LabelledPost {
  lang: string;
  text: string;
}

/**
 * Reads the sample. @throws Error naming the line when a row is not `xx<TAB>text` with a two-letter
 * lower-case code and a non-empty text.
 */
export function readLanguageSample(file = LANGUAGE_SAMPLE_FILE): LabelledPost[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== 'lang\ttext') throw new Error(`${file}: the first line must be the header "lang<TAB>text", got ${JSON.stringify(lines[0])}`);
  const rows: LabelledPost[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const tab = lines[i].indexOf('\t');
    const lang = lines[i].slice(0, tab);
    const text = lines[i].slice(tab + 1);
    if (tab < 0 || !/^[a-z]{2}$/.test(lang) || text.trim() === '' || text.includes('\t')) {
      throw new Error(`${file}:${i + 1}: expected an ISO 639-1 code, one tab and a text, got ${JSON.stringify(lines[i].slice(0, 60))}`);
    }
    rows.push({ lang, text });
  }
  return rows;
}

export interface LanguageAccuracy {
  posts: number;
  correct: number;
  /** correct / posts */
  micro: number;
  /** mean over the sample's languages of each language's correct / posts */
  macro: number;
  /** share of posts the detector returned null for (counted as wrong in micro and macro) */
  undetected: number;
  perLanguage: Record<string, { posts: number; correct: number; accuracy: number }>;
  /** how often each wrong answer was given, "gl→pt" style ("→null" for undetected) */
  confusions: Record<string, number>;
}

/** Accuracy of `detect` on labelled posts. */
export function measureLanguageAccuracy(detect: (text: string) => string | null, rows: readonly LabelledPost[]): LanguageAccuracy {
  const perLanguage: LanguageAccuracy['perLanguage'] = {};
  const confusions: Record<string, number> = {};
  let correct = 0;
  let undetected = 0;
  for (const { lang, text } of rows) {
    const got = detect(text);
    const p = (perLanguage[lang] ??= { posts: 0, correct: 0, accuracy: 0 });
    p.posts++;
    if (got === lang) {
      p.correct++;
      correct++;
    } else {
      const key = `${lang}→${got ?? 'null'}`;
      confusions[key] = (confusions[key] ?? 0) + 1;
    }
    if (got === null) undetected++;
  }
  const langs = Object.values(perLanguage);
  for (const p of langs) p.accuracy = p.correct / p.posts;
  return {
    posts: rows.length,
    correct,
    micro: rows.length === 0 ? 0 : correct / rows.length,
    macro: langs.length === 0 ? 0 : langs.reduce((a, p) => a + p.accuracy, 0) / langs.length,
    undetected: rows.length === 0 ? 0 : undetected / rows.length,
    perLanguage,
    confusions,
  };
}

export interface EnglishCheck {
  posts: number;
  /** shares of the posts called English, null, or another language */
  english: number;
  undetected: number;
  foreign: number;
  foreignByLanguage: Record<string, number>;
}

/** What `detect` calls posts that are all English (none should be "foreign"). */
export function measureEnglishCheck(detect: (text: string) => string | null, texts: readonly string[]): EnglishCheck {
  let english = 0;
  let undetected = 0;
  const foreignByLanguage: Record<string, number> = {};
  for (const t of texts) {
    const got = detect(t);
    if (got === 'en') english++;
    else if (got === null) undetected++;
    else foreignByLanguage[got] = (foreignByLanguage[got] ?? 0) + 1;
  }
  const n = Math.max(1, texts.length);
  return { posts: texts.length, english: english / n, undetected: undetected / n, foreign: (texts.length - english - undetected) / n, foreignByLanguage };
}

export interface Throughput {
  posts: number;
  seconds: number;
  postsPerSecond: number;
}

export interface SpeedComparison {
  ours: Throughput;
  tinyld: Throughput;
  /** ours.postsPerSecond / tinyld.postsPerSecond */
  ratio: number;
}

/**
 * Posts per second of two detectors on one core, interleaved in slices of ~0.2 s until each has run
 * `minSeconds`, cycling through `texts` (a slow detector need not see them all).
 */
export function compareSpeed(
  ours: (t: string) => string | null,
  tinyld: (t: string) => string | null,
  texts: readonly string[],
  minSeconds: number,
): SpeedComparison {
  if (texts.length === 0) throw new Error('compareSpeed needs at least one text');
  const state = [
    { fn: ours, i: 0, posts: 0, ms: 0 },
    { fn: tinyld, i: 0, posts: 0, ms: 0 },
  ];
  let sink = 0;
  const sliceMs = 200;
  while (state.some((s) => s.ms < minSeconds * 1000)) {
    for (const s of state) {
      if (s.ms >= minSeconds * 1000) continue;
      const t0 = performance.now();
      let now: number;
      do {
        // check the clock every 50 posts: cheap enough for the fast detector, fine-grained enough for the slow one
        for (let k = 0; k < 50; k++) {
          sink += (s.fn(texts[s.i]) ?? '').length;
          s.i = (s.i + 1) % texts.length;
          s.posts++;
        }
        now = performance.now();
      } while (now - t0 < sliceMs);
      s.ms += now - t0;
    }
  }
  if (sink < 0) throw new Error('unreachable');
  const tp = (s: (typeof state)[number]): Throughput => ({ posts: s.posts, seconds: s.ms / 1000, postsPerSecond: Math.round(s.posts / (s.ms / 1000)) });
  const a = tp(state[0]);
  const b = tp(state[1]);
  return { ours: a, tinyld: b, ratio: a.postsPerSecond / b.postsPerSecond };
}

export interface LanguageIdBenchResult {
  detector: string;
  baseline: string;
  sample: { file: string; posts: number; languages: number; ours: LanguageAccuracy; tinyld: LanguageAccuracy };
  englishTweets: { file: string; ours: EnglishCheck; tinyld: EnglishCheck } | { skipped: string };
  speed: { realTweets: SpeedComparison | { skipped: string }; sample: SpeedComparison };
  /** 1-minute load average before and after: the machine is shared, so read the ratios, not the absolute figures */
  loadAverage: { before: number; after: number; cores: number };
}

/**
 * Runs the comparison. `dataDir` holds semeval/sentiment-dev.tsv (the shared data, lib/paths.ts
 * sharedDataDir); without it the real-tweet parts say `skipped` and why.
 */
export async function benchLanguageId(opts: { dataDir: string; minSeconds: number }): Promise<LanguageIdBenchResult> {
  const before = os.loadavg()[0];
  const sample = readLanguageSample();
  // first call loads eld's n-gram table (~1 s): keep it out of the timings
  detectLanguage('warm up the language model');
  const sampleTexts = sample.map((r) => r.text);
  const tweetsFile = path.join(opts.dataDir, 'semeval', 'sentiment-dev.tsv');
  let tweets: string[] | undefined;
  if (fs.existsSync(tweetsFile)) tweets = (await readTableAll(tweetsFile)).map((r) => r.text ?? '');
  const missing = { skipped: `${tweetsFile} not found (set SOCIALSENSE_SHARED_DATA to the shared data folder)` };

  const result: LanguageIdBenchResult = {
    detector: 'models/text/language.ts detectLanguage (script, then eld extrasmall n-grams via models/text/eldNgrams.ts)',
    baseline: 'bench/tinyldLanguage.ts detectLanguageTinyld (tinyld chunk vote, the detector before issue 12)',
    sample: {
      file: path.relative(projectRoot, LANGUAGE_SAMPLE_FILE),
      posts: sample.length,
      languages: new Set(sample.map((r) => r.lang)).size,
      ours: measureLanguageAccuracy(detectLanguage, sample),
      tinyld: measureLanguageAccuracy(detectLanguageTinyld, sample),
    },
    englishTweets: tweets
      ? { file: tweetsFile, ours: measureEnglishCheck(detectLanguage, tweets), tinyld: measureEnglishCheck(detectLanguageTinyld, tweets) }
      : missing,
    speed: {
      realTweets: tweets ? compareSpeed(detectLanguage, detectLanguageTinyld, tweets, opts.minSeconds) : missing,
      sample: compareSpeed(detectLanguage, detectLanguageTinyld, sampleTexts, opts.minSeconds),
    },
    loadAverage: { before, after: os.loadavg()[0], cores: os.cpus().length },
  };
  return result;
}

if (isMain(import.meta.url)) {
  const at = process.argv.indexOf('--min-seconds');
  const minSeconds = at > 0 ? Number(process.argv[at + 1]) : 3;
  if (!(minSeconds > 0)) {
    console.error('--min-seconds must be a positive number of seconds');
    process.exit(2);
  }
  const result = await benchLanguageId({ dataDir: sharedDataDir(), minSeconds });
  console.log(JSON.stringify(result, null, 2));
}
