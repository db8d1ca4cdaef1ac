import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractFeatures } from '../../models/pipeline/features';
import { evaluateSentiment } from '../../cli/eval/sentiment';
import { readTableAll } from '../../lib/tabular';
import { postSchema, type Post, type SentimentLabel } from '../../lib/schema';
import { syntheticSentiment } from '../helpers/sentimentSynthetic';
import { testPost } from '../helpers/posts';
import { loadSentimentClassifier, splitNewest, trainSentimentClassifier, tuneOnNewest } from '../../models/sentiment/classifier';
import { canScoreSentiment, sentimentLanguageOf } from '../../models/sentiment/languages';
import { labelForCompound, NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD, scoreSentiment } from '../../models/sentiment/lexicon';
import { accuracy, classificationMetrics, macroF1, macroRecall, pearson } from '../../models/sentiment/metrics';
import { tokenize } from '../../models/text/tokenize';

const c = (text: string) => scoreSentiment(text).compound;
const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', name);

describe('lexicon scorer', () => {
  it('returns the documented shape with compound in [-1, 1]', () => {
    const s = scoreSentiment('I love this so much, best day ever!!! 😍😍');
    expect(Object.keys(s).sort()).toEqual(['compound', 'label', 'negative', 'neutral', 'positive']);
    expect(s.compound).toBeGreaterThan(0.9);
    expect(s.compound).toBeLessThanOrEqual(1);
    expect(s.label).toBe('positive');
    expect(s.positive + s.neutral + s.negative).toBeCloseTo(1, 6);
    expect(scoreSentiment('')).toEqual({ compound: 0, positive: 0, neutral: 0, negative: 0, label: 'neutral' });
    expect(scoreSentiment('The table is in the kitchen').label).toBe('neutral');
  });

  it('flips polarity under negation, within the clause only', () => {
    expect(c('The movie is good')).toBeGreaterThan(0);
    expect(c('The movie is not good')).toBeLessThan(0);
    expect(c("The movie isn't good")).toBeLessThan(0);
    expect(c('The movie is not bad')).toBeGreaterThan(0);
    // the comma ends the negation: "great" keeps its sign
    expect(c('Not that one, this is great')).toBeGreaterThan(0);
  });

  it('intensifies with boosters and softens with dampeners', () => {
    expect(c('The movie is very good')).toBeGreaterThan(c('The movie is good'));
    expect(c('The movie is slightly good')).toBeLessThan(c('The movie is good'));
    expect(c('The movie is extremely bad')).toBeLessThan(c('The movie is bad'));
  });

  it('shifts weight to what follows "but"', () => {
    expect(c('The food was good but the service was terrible')).toBeLessThan(0);
    expect(c('The service was terrible but the food was good')).toBeGreaterThan(0);
  });

  it('amplifies with ALL CAPS (among lowercase words) and exclamation marks', () => {
    expect(c('The movie is GOOD')).toBeGreaterThan(c('The movie is good'));
    expect(c('The movie is good!!!')).toBeGreaterThan(c('The movie is good'));
    expect(c('The movie is bad!!!')).toBeLessThan(c('The movie is bad'));
  });

  it('counts emoji, emoticons and social phrases', () => {
    expect(c('Got the results 😍')).toBeGreaterThan(0);
    expect(c('Got the results 😡')).toBeLessThan(0);
    expect(c('Got the results 👍👍')).toBeGreaterThan(c('Got the results 👍'));
    expect(c('Got the results :)')).toBeGreaterThan(0);
    expect(c("I can't wait for the weekend")).toBeGreaterThan(0);
    expect(c('#EpicFail again')).toBeLessThan(0);
  });

  it('labels with the thresholds tuned on the training set: negative below 0, positive above 0.43', () => {
    // the values chosen by the grid search on sentiment-train (see lexicon.ts); a change must be deliberate
    expect([NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD]).toEqual([0, 0.43]);
    expect(labelForCompound(-0.001)).toBe('negative');
    expect(labelForCompound(0)).toBe('neutral');
    expect(labelForCompound(0.43)).toBe('neutral');
    expect(labelForCompound(0.431)).toBe('positive');
    // whole texts on each side of the cuts, with their compounds pinned so a scorer change shows
    expect(scoreSentiment('I hate this')).toMatchObject({ label: 'negative' });
    expect(c('I hate this')).toBeCloseTo(-0.5719, 3);
    expect(scoreSentiment('I like this')).toMatchObject({ label: 'neutral' }); // +0.36: mild words are common in neutral tweets
    expect(c('I like this')).toBeCloseTo(0.3612, 3);
    expect(scoreSentiment('I love this')).toMatchObject({ label: 'positive' });
    expect(c('I love this')).toBeCloseTo(0.6369, 3);
  });
});

describe('negation applies to words only (case 01-negated-emoticon)', () => {
  it('labels every complaint of the case negative, with compound < 0', async () => {
    const r = await evaluateSentiment({ test: fixture('cases/01-negated-emoticon/test.tsv') });
    expect(r).toMatchObject({ kind: 'labels', n: 4, accuracy: 1, notScored: 0 });
    const rows = await readTableAll(fixture('cases/01-negated-emoticon/posts.csv'));
    expect(rows.map((row) => row.text)).toEqual(['not again :(', 'no wifi again 😡', 'never again :(']);
    for (const row of rows) {
      expect(scoreSentiment(row.text!).compound).toBeLessThan(0);
      expect(scoreSentiment(row.text!).label).toBe('negative');
    }
  });

  it('keeps the sign of emoticons and emoji after any negator, and still negates words', () => {
    // the emoticon/emoji scores as it does alone; the negator adds what it adds alone ("no" is -1.2 in VADER)
    for (const [text, alone] of [
      ['never again :(', ':('],
      ["don't :-(", ':-('],
      ["can't even 😭", '😭'],
      ['nothing today 😡', '😡'],
      ['without you 💔', '💔'],
    ] as const) {
      expect(c(text)).toBeLessThan(0);
      expect(c(text)).toBeCloseTo(c(`again ${alone}`), 6);
    }
    expect(c('not today 😍')).toBeGreaterThan(0.4);
    expect(scoreSentiment('no ❤️')).toMatchObject({ label: 'neutral' });
    expect(c('no ❤️')).toBeCloseTo(0.34, 2); // -1.2 + 2.6: the heart is not turned into hate
    expect(scoreSentiment('not bad :)').label).toBe('positive');
    expect(scoreSentiment('not good 👎').label).toBe('negative');
    expect(c('not good :(')).toBeLessThan(c('good :('));
    expect(scoreSentiment('not happy').label).toBe('negative');
    expect(c('not happy :)')).toBeGreaterThan(c('not happy'));
  });

  it('marks only words and hashtags as negated in the tokens the classifier reads', () => {
    const scoped = tokenize('not again :( 😡 #fail')
      .filter((t) => t.negated)
      .map((t) => t.text);
    expect(scoped).toEqual(['again', '#fail']);
  });
});

describe('elongated words (case 04-elongated-double-letter)', () => {
  it('labels the case right: 2 positive, 2 negative', async () => {
    const r = await evaluateSentiment({ test: fixture('cases/04-elongated-double-letter/test.tsv') });
    // the file has no neutral row: neutral has no recall, and macro recall is over the two labels it has
    expect(r).toMatchObject({ kind: 'labels', n: 4, accuracy: 1, macroRecall: 1, notScored: 0, perClassRecall: { negative: 1, neutral: null, positive: 1 } });
  });

  it('scores an elongated word like the plain word, whether its own letters are single or double', () => {
    for (const [elongated, plain] of [
      ['so happyyyy right now', 'so happy right now'],
      ['feeling blesseddd', 'feeling blessed'],
      ['this is terribleeee', 'this is terrible'],
      ['im so stresseddd', 'im so stressed'],
      ['goooood', 'good'],
      ['sooooo good', 'so good'],
      ['coooool', 'cool'],
      ['yesss', 'yes'],
      ['noooo', 'no'],
      ['HAPPYYYY', 'happy'],
      ['this is awesommmmeee', 'this is awesome'],
      ['reallyyyy good', 'really good'],
      ['#blesseddd', '#blessed'],
    ] as const) {
      expect(c(plain)).not.toBe(0);
      expect(c(elongated)).toBeCloseTo(c(plain), 6);
    }
    // the plain spellings' values from the issue
    expect(c('so happy right now')).toBeCloseTo(0.61, 2);
    expect(c('feeling blessed')).toBeCloseTo(0.66, 2);
    expect(c('this is terrible')).toBeCloseTo(-0.48, 2);
    expect(c('im so stressed')).toBeCloseTo(-0.4, 2);
  });

  it('reads an elongated "noooo" as an exclamation, not as a negator', () => {
    expect(c('noooo i hate this')).toBeLessThan(c('i hate this'));
    expect(scoreSentiment('noooo i hate this').label).toBe('negative');
  });
});

describe('emoji of every form score as their base emoji', () => {
  it('ignores skin tones and presentation selectors', () => {
    for (const tone of ['', '\u{1F3FB}', '\u{1F3FC}', '\u{1F3FD}', '\u{1F3FE}', '\u{1F3FF}']) {
      expect(c(`great job 👍${tone}`)).toBeCloseTo(c('great job 👍'), 6);
      expect(c(`thanks 🙏${tone}`)).toBeCloseTo(c('thanks 🙏'), 6);
    }
    expect(c('great job 👍')).toBeGreaterThan(c('great job'));
    expect(c('❤\uFE0F')).toBeCloseTo(c('❤'), 6);
    expect(c('❤\uFE0E')).toBeCloseTo(c('❤'), 6);
    expect(c('❤')).toBeGreaterThan(0.5);
    expect(c('☹️')).toBeCloseTo(c('☹'), 6);
    expect(c('☹')).toBeLessThan(0);
  });

  it('scores ZWJ sequences as their first emoji', () => {
    expect(c('🤦🏽‍♂️')).toBeCloseTo(c('🤦'), 6);
    expect(c('🤦‍♀️')).toBeCloseTo(c('🤦'), 6);
    expect(c('🤦')).toBeLessThan(0);
    expect(c('❤️‍🔥')).toBeCloseTo(c('❤'), 6);
    expect(c('😮‍💨 again')).toBeCloseTo(c('😮 again'), 6);
    expect(c('👏🏾👏🏾 well done')).toBeCloseTo(c('👏👏 well done'), 6);
  });

  it('gives keycaps, flags and families no valence and does not crash on them', () => {
    for (const e of ['1️⃣', '#️⃣', '*️⃣', '🇺🇸', '🇩🇪', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '👨‍👩‍👧‍👦', '🏳️‍🌈']) {
      expect(scoreSentiment(e)).toEqual({ compound: 0, positive: 0, neutral: 1, negative: 0, label: 'neutral' });
      expect(c(`${e} I love it`)).toBeCloseTo(c('I love it'), 6);
    }
  });
});

describe('other languages get no English sentiment (case 02-german-article-die)', () => {
  it('leaves the German sentences of the case unscored instead of negative', async () => {
    const r = await evaluateSentiment({ test: fixture('cases/02-german-article-die/test.tsv') });
    expect(r).toMatchObject({ kind: 'labels', n: 4, notScored: 4, notScoredLanguages: { de: 4 } });
    // the bug being guarded against: the English lexicon reads "die" as the verb
    const all = await evaluateSentiment({ test: fixture('cases/02-german-article-die/test.tsv'), allLanguages: true });
    expect(all).toMatchObject({ notScored: 0 });
    expect(all.kind === 'labels' && all.perClassRecall.neutral).toBeLessThan(1);
    const rows = await readTableAll(fixture('cases/02-german-article-die/posts.csv'));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(sentimentLanguageOf(row.text!)).toBe('de');
      expect(canScoreSentiment(sentimentLanguageOf(row.text!))).toBe(false);
    }
  });

  it('decides by the declared language first, and scores unknown ones', () => {
    for (const lang of ['en', 'EN', 'en-GB', 'en_US', 'eng', null, undefined, '', 'und', 'zxx', 'qme', 'qht']) expect(canScoreSentiment(lang)).toBe(true);
    for (const lang of ['de', 'de-AT', 'pt_BR', 'fr', 'hi', 'ja', 'deu', 'ar']) expect(canScoreSentiment(lang)).toBe(false);
    expect(sentimentLanguageOf('Die Hard is the best Christmas movie', 'en')).toBe('en');
    expect(sentimentLanguageOf('I love this', 'es')).toBe('es');
    expect(sentimentLanguageOf('lol 😂', null)).toBeNull();
  });

  it('leaves foreign posts unscored and English posts full of names scored', async () => {
    const rows = await readTableAll(fixture('language-gate-posts.tsv'));
    const english = rows.filter((r) => r.lang === 'en');
    const foreign = rows.filter((r) => r.lang !== 'en');
    expect([english.length, foreign.length]).toEqual([11, 48]);
    const scored = (text: string) => canScoreSentiment(sentimentLanguageOf(text));
    // since the eld-based detector (issue 12) no post of the fixture is misjudged: "I just wanna see Justin
    // Bieber in April" used to be Estonian, "Morgen gaan we naar het strand in Scheveningen" too short to tell
    expect(english.filter((r) => !scored(r.text!)).map((r) => r.text)).toEqual([]);
    expect(foreign.filter((r) => scored(r.text!)).map((r) => r.text)).toEqual([]);
  });

  it('gives posts in a language without a model null sentiment in the features, and scores the rest', () => {
    const post = (id: string, text: string, lang: string | null): Post =>
      postSchema.parse({ id: `x:${id}`, platform: 'x', author: { id: 'a1', handle: 'a' }, text, lang, created_at: '2024-05-08T07:00:00Z' });
    const featured = extractFeatures([
      post('1', 'Die Kinder spielen im Garten und die Sonne scheint', 'de'),
      post('2', 'I love this so much', 'en'),
      post('3', 'great 👍', null),
      post('4', 'Morgen kommt die Post', 'de'),
    ]);
    expect(featured.map((p) => p.features.sentiment)).toEqual([
      { compound: null, label: null, model: null },
      { compound: scoreSentiment('I love this so much').compound, label: 'positive', model: 'lexicon.v1' },
      { compound: scoreSentiment('great 👍').compound, label: 'positive', model: 'lexicon.v1' },
      { compound: null, label: null, model: null },
    ]);
  });
});

describe('metrics', () => {
  const gold: SentimentLabel[] = ['negative', 'negative', 'neutral', 'positive'];
  const pred: SentimentLabel[] = ['negative', 'neutral', 'neutral', 'negative'];
  const classes: SentimentLabel[] = ['negative', 'neutral', 'positive'];

  it('computes recall, F1 and accuracy as by hand', () => {
    // recall: negative 1/2, neutral 1/1, positive 0/1; precision: 1/2, 1/2, 0
    const m = classificationMetrics(gold, pred, classes);
    expect(m.perClassRecall).toEqual({ negative: 0.5, neutral: 1, positive: 0 });
    expect(m.macroRecall).toBeCloseTo(0.5, 12);
    // F1: negative 0.5, neutral 2*(0.5*1)/1.5 = 2/3, positive 0
    expect(m.macroF1).toBeCloseTo((0.5 + 2 / 3 + 0) / 3, 12);
    expect(m.accuracy).toBe(0.5);
    expect(macroRecall(gold, pred, classes)).toBeCloseTo(0.5, 12);
    expect(macroF1(gold, pred, classes)).toBeCloseTo(0.3888888889, 9);
    expect(accuracy(gold, pred)).toBe(0.5);
  });

  it('computes Pearson r as by hand', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // mean x 3, mean y 4; sxy 6, sxx 10, syy 6 → 6/sqrt(60)
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('counts a null prediction (not scored) as a miss of its gold class', () => {
    const m = classificationMetrics<SentimentLabel>(['negative', 'negative', 'positive'], ['negative', null, 'positive'], classes);
    expect(m.perClassRecall).toEqual({ negative: 0.5, neutral: null, positive: 1 });
    expect(m.macroRecall).toBeCloseTo(0.75, 12);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('averages over the classes the gold labels have, as scikit-learn does (an absent class counted as recall 0)', () => {
    // a perfect classifier on a set of negatives only (breaker s10: macro recall 0.3333, accuracy 1)
    const negatives = classificationMetrics<SentimentLabel>(['negative', 'negative'], ['negative', 'negative'], classes);
    expect(negatives).toMatchObject({ macroRecall: 1, macroF1: 1, accuracy: 1, perClassRecall: { negative: 1, neutral: null, positive: null } });
    expect(negatives.perClassF1).toEqual({ negative: 1, neutral: null, positive: null });
    // no neutral gold, but one post predicted neutral: its recall is undefined, its F1 0 (every such prediction is wrong)
    const m = classificationMetrics<SentimentLabel>(['negative', 'positive', 'positive'], ['negative', 'neutral', 'positive'], classes);
    expect(m.perClassRecall).toEqual({ negative: 1, neutral: null, positive: 0.5 });
    expect(m.macroRecall).toBeCloseTo(0.75, 12); // sklearn recall_score(average='macro', labels=[negative, positive])
    // F1: negative 1, neutral 0, positive 2·(1·0.5)/1.5 = 2/3, over the three classes seen
    expect(m.macroF1).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    // every class present: as before
    expect(classificationMetrics(gold, pred, classes).macroRecall).toBeCloseTo(0.5, 12);
    expect(classificationMetrics<SentimentLabel>([], [], classes)).toMatchObject({ macroRecall: 0, macroF1: 0, accuracy: 0 });
  });

  it('rejects mismatched lengths and unknown gold labels', () => {
    expect(() => classificationMetrics(gold, pred.slice(1), classes)).toThrow(/4 gold values but 3 predictions/);
    expect(() => classificationMetrics(['bogus' as SentimentLabel], ['neutral'], classes)).toThrow(/bogus/);
  });
});

describe('trained classifier', () => {
  const synthetic = syntheticSentiment;
  const train = synthetic(240, 1);
  const test = synthetic(60, 2);
  const clf = trainSentimentClassifier(train.texts, train.labels, { seed: 7, hashBits: 14, epochs: 4 });

  it('learns a separable set', () => {
    const predicted = clf.predictBatch(test.texts).map((p) => p.label);
    expect(accuracy(test.labels, predicted)).toBe(1);
    const p = clf.predict('what a wonderful and lovely day').probabilities;
    expect(p.negative + p.neutral + p.positive).toBeCloseTo(1, 6);
    expect(p.positive).toBeGreaterThan(0.5);
    expect(clf.header.hyperparameters.seed).toBe(7);
  });

  it('is deterministic given the seed', () => {
    const again = trainSentimentClassifier(train.texts, train.labels, { seed: 7, hashBits: 14, epochs: 4 });
    expect(again.predictBatch(test.texts)).toEqual(clf.predictBatch(test.texts));
  });

  it('survives serialize → load with identical predictions', () => {
    const bytes = clf.serialize();
    // Float32 weights dominate the size: 3 classes x 2^14 buckets x 4 bytes, plus a small JSON header
    expect(bytes.length).toBeLessThan(3 * (1 << 14) * 4 + 2048);
    const loaded = loadSentimentClassifier(bytes.slice());
    expect(loaded.header).toEqual(clf.header);
    expect(loaded.predictBatch(test.texts)).toEqual(clf.predictBatch(test.texts));
  });

  it('rejects bytes that are not a model, and bad training input', () => {
    expect(() => loadSentimentClassifier(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a sentiment classifier/);
    expect(() => loadSentimentClassifier(clf.serialize().subarray(0, 1000))).toThrow(/truncated/);
    expect(() => trainSentimentClassifier(['a'], [])).toThrow(/1 texts but 0 labels/);
    expect(() => trainSentimentClassifier(['a'], ['happy' as SentimentLabel])).toThrow(/allowed: negative, neutral, positive/);
  });
});

describe('eval sentiment errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentiment-eval-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('names a missing column', async () => {
    const file = write('nocol.tsv', 'id\tlabel\n1\tpositive\n');
    await expect(evaluateSentiment({ test: file })).rejects.toThrow(/missing column\(s\) text/);
    const nolabel = write('nolabel.tsv', 'id\ttext\n1\tgood day\n');
    await expect(evaluateSentiment({ test: nolabel })).rejects.toThrow(/needs a 'label' column .* or a numeric 'score' \(or 'score5'\) column/);
  });

  it('names the line of an unknown label and the allowed labels', async () => {
    const file = write('badlabel.tsv', 'text\tlabel\ngood day\tpositive\nmeh\tmixed\n');
    await expect(evaluateSentiment({ test: file })).rejects.toThrow(/line 3 has label "mixed"; allowed labels are negative, neutral, positive/);
  });

  it('requires --train for the trained model', async () => {
    const file = write('ok.tsv', 'text\tlabel\ngood day\tpositive\n');
    await expect(evaluateSentiment({ test: file, model: 'trained' })).rejects.toThrow(/--model trained needs --train/);
  });

  it('decides scoring by a lang column when the file has one, and reports what it left unscored', async () => {
    const file = write(
      'langs.tsv',
      'text\tlabel\tlang\nI love it\tpositive\ten\nI hate it\tnegative\tde\nDie Post kommt\tneutral\ten-GB\nMerci beaucoup\tpositive\t\n',
    );
    const r = await evaluateSentiment({ test: file });
    // "I hate it" is declared German: not scored, a miss; "Die Post kommt" is declared English: scored (and "die" reads negative)
    expect(r).toMatchObject({ n: 4, notScored: 2, notScoredLanguages: { de: 1, fr: 1 } });
    expect(r.kind === 'labels' && r.perClassRecall).toEqual({ negative: 0, neutral: 0, positive: 0.5 });
    const scores = write('langscores.tsv', 'text\tscore\tlang\nI love it\t2\ten\nI hate it\t-2\ten\nthe table is brown\t0\ten\nIch hasse es\t2\tde\n');
    const s = await evaluateSentiment({ test: scores });
    // the German row (whose score would spoil the correlation) is left out of Pearson r
    expect(s).toMatchObject({ kind: 'scores', n: 4, notScored: 1 });
    expect(s.kind === 'scores' && s.pearson).toBeGreaterThan(0.9);
  });

  it('evaluates labels and scores on small files', async () => {
    const labelled = write('labels.tsv', 'text\tlabel\nI love it\tpositive\nI hate it\tnegative\n"the table, it is ""brown"""\tneutral\n');
    const r = await evaluateSentiment({ test: labelled });
    expect(r).toMatchObject({ kind: 'labels', model: 'lexicon', n: 3, macroRecall: 1, accuracy: 1 });
    const scored = write('scores.tsv', 'text\tscore\nI love it\t2\nI hate it\t-2\nthe table is brown\t0\n');
    const s = await evaluateSentiment({ test: scored });
    expect(s.kind).toBe('scores');
    expect(s.kind === 'scores' && s.pearson).toBeGreaterThan(0.9);
    expect(s.postsPerSecond).toBeGreaterThan(0);
  });
});

describe('tuning on the newest slice (splitNewest, tuneOnNewest, priorAdjust)', () => {
  it('splitNewest holds out the newest tenth by numeric id, any id length', () => {
    // ids of different lengths: compared as numbers, not strings ("99" is older than "100")
    const ids = ['105', '99', '264183816548130816', '7', '100', '619950566786113536', '3', '50', '101', '102'];
    const { fit, holdout } = splitNewest(ids, 0.2);
    expect(holdout.map((i) => ids[i])).toEqual(['264183816548130816', '619950566786113536']);
    expect(fit.map((i) => ids[i])).toEqual(['3', '7', '50', '99', '100', '101', '102', '105']);
    expect(() => splitNewest(['1', 'x2'], 0.5)).toThrow(/row 2 has id "x2", not a whole number/);
    expect(() => splitNewest(['1'], 1)).toThrow(/fraction must be in \(0, 1\)/);
  });

  it('tuneOnNewest uses the newest tenth with priorAdjust when every row has a numeric id, else nothing', () => {
    const set = syntheticSentiment(60, 3);
    const ids = set.texts.map((_, i) => String(1000 + ((i * 37) % 60)));
    const t = tuneOnNewest(set.texts, set.labels, ids);
    expect(t.texts.length).toBe(54);
    expect(t.options.priorAdjust).toBe(true);
    expect(t.options.holdout?.texts.length).toBe(6);
    // the held-out rows are the ones with the six largest ids
    const newest = ids
      .map((id, i) => [Number(id), i] as const)
      .sort((a, b) => a[0] - b[0])
      .slice(54)
      .map(([, i]) => set.texts[i]);
    expect(t.options.holdout?.texts).toEqual(newest);
    expect(tuneOnNewest(set.texts, set.labels, undefined)).toEqual({ texts: set.texts, labels: set.labels, options: {} });
    expect(
      tuneOnNewest(
        set.texts,
        set.labels,
        ids.map((id, i) => (i === 5 ? '' : id)),
      ).options,
    ).toEqual({});
  });

  it('priorAdjust shifts the class biases toward macro recall on the held-out part, and records the shift', () => {
    const train = syntheticSentiment(240, 1);
    const hold = syntheticSentiment(60, 9);
    const plain = trainSentimentClassifier(train.texts, train.labels, { seed: 2, hashBits: 12, epochs: 3, holdout: hold, refit: false });
    const adjusted = trainSentimentClassifier(train.texts, train.labels, { seed: 2, hashBits: 12, epochs: 3, holdout: hold, refit: false, priorAdjust: true });
    expect(plain.header.training.priorOffsets).toEqual([0, 0, 0]);
    // a separable held-out part is already perfect: the smallest shift (none) wins
    expect(adjusted.header.training.priorOffsets).toEqual([0, 0, 0]);
    // posts without any cue word, all negative in the held-out part: only a bias toward negative gets them right
    const vague = ['the team and we', 'it was that', 'our team today', 'a day and it', 'we and our', 'that was it today'];
    const skewed = {
      texts: [...hold.texts, ...vague, ...vague],
      labels: [...hold.labels, ...vague.map((): SentimentLabel => 'negative'), ...vague.map((): SentimentLabel => 'negative')],
    };
    const shifted = trainSentimentClassifier(train.texts, train.labels, { seed: 2, hashBits: 12, epochs: 3, holdout: skewed, refit: false, priorAdjust: true });
    const [neg, neu, pos] = shifted.header.training.priorOffsets!;
    expect(neu).toBe(0);
    expect(neg).toBeGreaterThan(0);
    expect(Math.abs(pos)).toBeLessThanOrEqual(1);
    expect(shifted.header.bias[0] - shifted.header.bias[1]).toBeGreaterThan(adjusted.header.bias[0] - adjusted.header.bias[1]);
  });
});

describe('the lexicon on valences that cancel', () => {
  it('labels a balance neutral with compound 0, not negative from floating-point dust', async () => {
    const { scoreSentiment } = await import('../../models/sentiment/lexicon');
    const scorer = { score: scoreSentiment };
    for (const text of [
      // from an import: its valences summed to -1.1e-16 and it was labelled negative
      'coffee service launch team terrible terrible launch team hate team sad city great win great service #service 9305',
    ]) {
      const s = scorer.score(text);
      expect(s.compound, text).toBe(0);
      expect(s.label, text).toBe('neutral');
    }
    // a real lean stays a lean
    expect(scorer.score('great great great terrible').label).toBe('positive');
    expect(scorer.score('great terrible terrible terrible').label).toBe('negative');
  });
});

describe('posts without text (a media-only post: Mastodon sends <p></p>, a photo post its caption only when it has one)', () => {
  it('are not scored, whatever their language, instead of counting as neutral', async () => {
    const { canScoreSentimentOf } = await import('../../models/sentiment/languages');
    const { extractFeatures } = await import('../../models/pipeline/features');
    for (const [text, lang] of [
      ['', 'en'],
      ['   ', null],
      ['\n\t', 'en'],
      ['', null],
    ] as const)
      expect(canScoreSentimentOf(text, lang), JSON.stringify(text)).toBe(false);
    const [empty, words] = extractFeatures([
      testPost('mastodon:m.example/1', '', { lang: 'en' }),
      testPost('mastodon:m.example/2', 'what a lovely day', { lang: 'en' }),
    ]);
    expect(empty.features.sentiment).toEqual({ compound: null, label: null, model: null });
    expect(words.features.sentiment.label).toBe('positive');
  });
});

describe('posts whose language cannot be told', () => {
  it('are scored when written in Latin letters or emoji, not when most letters are of another script', async () => {
    const { canScoreSentimentOf } = await import('../../models/sentiment/languages');
    const { extractFeatures } = await import('../../models/pipeline/features');
    const cases: Array<[string, boolean]> = [
      ['مرحبا @alice شاهد #السعودية https://example.com/ar', false], // Arabic, too short to tell
      ['Привет! #москва', false], // Cyrillic
      ['नमस्ते दोस्तों', false], // Devanagari
      ['שלום @bob', false], // Hebrew
      ['Nice!! 😍', true], // Latin, short
      ['😍🔥🎉', true], // no letters: emoji only
      ['ok #السعودية', true], // the hashtag is not the text: Latin letters remain
    ];
    for (const [text, scored] of cases) expect(canScoreSentimentOf(text, null), text).toBe(scored);
    // a language a platform declared decides, whatever the script
    expect(canScoreSentimentOf('Привет', 'en')).toBe(true);
    expect(canScoreSentimentOf('hello', 'de')).toBe(false);
    // through the features stage: not scored is a null label
    const post = (text: string) => testPost(`x:${text.length}`, text, { lang: null });
    const [arabic, latin] = extractFeatures([post('مرحبا @alice شاهد #السعودية https://example.com/ar'), post('Nice!! 😍')]);
    expect(arabic.features.sentiment).toEqual({ compound: null, label: null, model: null });
    expect(latin.features.sentiment.label).toBe('positive');
  });
});
