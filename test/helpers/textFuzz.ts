/**
 * Inputs for the tests that compare an optimised text path with the frozen previous implementation
 * (bench/baselines/*V1.ts): the real tweets of the shared data, and seeded random texts built from pieces that
 * exercise every branch of the fast paths (ASCII words starting with the letters URLs and emoticons start with,
 * joiners, emoticons, entities, escapes, controls, surrogates, bidi characters, spaceless scripts, whitespace runs).
 */
import fs from 'node:fs';
import { createRng } from '../../models/random';
import { requireSharedData, sharedDataPath } from './sharedData';
import { normalizeText as normalizeV1 } from '../../bench/baselines/normalizeV1';
import { foldStyledLetters } from '../../models/text/normalize';

const PIECES = [
  'a',
  'b',
  'z',
  'Q',
  'h',
  'o',
  't',
  'w',
  'x',
  'X',
  'O',
  'T',
  'H',
  'W',
  'the',
  'THE',
  'to',
  'of',
  'with',
  'what',
  'xD',
  'XP',
  'xDD',
  'xd',
  'o.O',
  'O:',
  'O_o',
  'T_T',
  'http',
  'http:',
  'http://a.b/c',
  'https://t.co/x1?',
  'HTTP://A.B',
  'www.',
  'www.x.org',
  'wwwx',
  '0',
  '7',
  '12',
  '3:30',
  '$5',
  '50%',
  '8)',
  '8-D',
  '<3',
  '</3',
  ':)',
  ':-)))',
  ';P',
  ':D',
  ':(',
  '=]',
  '(:',
  '^_^',
  '-_-',
  '\\o/',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '\u000b',
  '\u00a0',
  '\u3000',
  '\u2028',
  '-',
  "'",
  '’',
  '_',
  '.',
  '..',
  '...',
  ',',
  '!',
  '!!',
  '?',
  '?!',
  '"',
  ':',
  ';',
  '=',
  ')',
  '(',
  '[',
  ']',
  '{',
  '}',
  '*',
  '#',
  '@',
  '＃',
  '&',
  '&amp;',
  '&lt;3',
  '&#8217;',
  '&#x1F602;',
  '&bogus;',
  '\\u2019',
  '\\"',
  '\\\\',
  '@user',
  '@a.b',
  '#tag',
  '#CamelCase',
  '#1',
  'a@b.c',
  '…',
  '——',
  'é',
  'e\u0301',
  'ǅ',
  'ß',
  'İ',
  'ſ',
  '\u212a',
  'Ａ',
  'naïve',
  'café',
  'not',
  'NOT',
  'never',
  "don't",
  'dont',
  'no',
  'but',
  'BUT',
  'kind',
  'of',
  'least',
  'at',
  'very',
  'so',
  'this',
  'good',
  'GOOD',
  'bad',
  'great',
  'hate',
  'love',
  'sooo',
  'goooood',
  'happyyyy',
  'looooove',
  'noooo',
  'can',
  "can't",
  'wait',
  'cant',
  'the shit',
  'yeah right',
  'rip',
  'congrats',
  'sick',
  'lit',
  '😂',
  '😭',
  '👍🏽',
  '🤦🏽‍♂️',
  '❤️',
  '❤',
  '♥',
  '🇫🇷',
  '#️⃣',
  '1️⃣',
  '\u200d',
  '\u200c',
  '\ufe0f',
  '\ud83d',
  '\ude02',
  '\udbff\udfff',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u001b]0;t\u0007',
  '\u0085',
  '\u009b',
  '\u202e',
  '\u2066',
  '\u200e',
  '\u061c',
  '\ufdd0',
  '\uffff',
  'ไทยภาษา',
  '中文字符',
  'カタカナ',
  'हिन्दी',
  'می‌خواهم',
  'Ελλάδα',
  'мир',
  '<p>',
  '</p>',
  '<br>',
  '<a href="x">',
];

/** `n` random texts of 1 to `maxPieces` pieces drawn from `pieces` (seeded, so a failure reproduces). */
export function fuzzTexts(n: number, seed = 1, pieces: readonly string[] = PIECES, maxPieces = 24): string[] {
  const rng = createRng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const k = 1 + rng.int(maxPieces);
    for (let j = 0; j < k; j++) s += pieces[rng.int(pieces.length)];
    out.push(s);
  }
  return out;
}

/** The text column of a shared-data TSV (the quality tests' data: fails, never skips, without it). */
export function sharedTweetTexts(...files: string[]): string[] {
  const paths = files.map((f) => sharedDataPath('semeval', f));
  requireSharedData(...paths);
  const texts: string[] = [];
  for (const p of paths) {
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    const header = lines[0].split('\t');
    const col = header.indexOf('text');
    if (col < 0) throw new Error(`${p}: no "text" column`);
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      const cols = line.split('\t');
      texts.push(cols.slice(col).join('\t'));
    }
  }
  return texts;
}

/**
 * The frozen V1 normalizeText (bench/baselines/normalizeV1.ts) with the one change made on purpose since: styled letters
 * (Ａ, 𝗯𝗼𝗹𝗱) are written plain (foldStyledLetters), after the rest, then composed (NFC) as normalizeText does.
 */
export function normalizeV1AsNow(text: string, opts?: { decode?: boolean }): string {
  const v1 = normalizeV1(text, opts);
  const folded = foldStyledLetters(v1);
  return folded === v1 ? v1 : folded.normalize('NFC');
}
