import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonLine, printLine, terminalSafe } from '../../cli/terminalText';
import { formatRecommendations, formatTable, formatTrends } from '../../cli/commands/insights';

/**
 * Values from posts and platforms (handles, names, terms, error texts) must not reach the terminal
 * as control sequences. ESC/BEL/CR/backspace/C1 bytes are what a terminal acts on.
 */
const CONTROL_BYTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const ESC = '\u001b';
const BEL = '\u0007';
const ST = `${ESC}\\`;

describe('terminalSafe', () => {
  const members: Array<[string, string, string]> = [
    ['OSC window title ended by BEL', `${ESC}]0;pwned${BEL}alice`, 'alice'],
    ['OSC ended by ST', `${ESC}]2;title${ST}bob`, 'bob'],
    ['OSC 8 hyperlink keeps its visible text', `${ESC}]8;;https://evil.example${ST}click${ESC}]8;;${ST}`, 'click'],
    ['SGR colour', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['SGR with many parameters', `${ESC}[1;38;5;196mbold${ESC}[m`, 'bold'],
    ['clear screen and cursor home', `${ESC}[2J${ESC}[Hcarol`, 'carol'],
    ['private mode (hide cursor)', `${ESC}[?25ldave`, 'dave'],
    ['C1 CSI (U+009B)', '\u009b31merin', 'erin'],
    ['C1 OSC (U+009D) ended by C1 ST', '\u009d0;title\u009cfrank', 'frank'],
    ['DCS string', `${ESC}Pq#0;2;0;0;0${ST}gina`, 'gina'],
    ['two-byte escape (RIS reset)', `${ESC}charlie`, 'harlie'],
    ['keypad mode escape', `${ESC}=ivan`, 'ivan'],
    ['backspaces that would overwrite', 'admin\b\b\b\b\bguest', 'adminguest'],
    ['carriage return that would overwrite', 'safe\rEVIL', 'safe EVIL'],
    ['newline that would forge a row', 'line1\nline2', 'line1 line2'],
    ['tab', 'a\tb', 'a b'],
    ['NUL, BEL, DEL', 'a\u0000b\u0007c\u007fd', 'abcd'],
    ['bidi override (Trojan Source)', 'abc\u202edcba\u202c', 'abcdcba'],
    ['bidi isolates', '\u2066x\u2069', 'x'],
    ['line separator', 'a\u2028b', 'a b'],
    ['unterminated OSC loses its introducer', `${ESC}]0;title`, '0;title'],
    ['lone ESC at the end', `judy${ESC}`, 'judy'],
    ['ordinary text stays as it is', 'Zoë 😀 日本語 مرحبا #climate @bob', 'Zoë 😀 日本語 مرحبا #climate @bob'],
  ];
  it.each(members)('%s', (_name, input, expected) => {
    const out = terminalSafe(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(CONTROL_BYTES);
  });

  it('turns null, undefined and numbers into text', () => {
    expect(terminalSafe(null)).toBe('');
    expect(terminalSafe(undefined)).toBe('');
    expect(terminalSafe(42)).toBe('42');
  });

  it('multiline keeps line breaks and tabs, normalises CRLF, drops the rest', () => {
    expect(terminalSafe(`a\r\nb\n\tc\rd${ESC}[31m!${BEL}`, { multiline: true })).toBe('a\nb\n\tcd!');
  });

  it('leaves no control character in any string (seeded fuzz over a hostile alphabet)', () => {
    const alphabet = [
      ESC,
      BEL,
      '\r',
      '\n',
      '\t',
      '\b',
      '\u0000',
      '\u007f',
      '\u0085',
      '\u009b',
      '\u009c',
      '\u009d',
      '[',
      ']',
      ';',
      '0',
      '3',
      '1',
      'm',
      'P',
      '\\',
      'a',
      'é',
      '😀',
      '\u202e',
    ];
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const one = terminalSafe(s);
      expect(one, JSON.stringify(s)).not.toMatch(CONTROL_BYTES);
      expect(one).not.toMatch(/[\n\t]/);
      expect(one).not.toMatch(BIDI);
      const multi = terminalSafe(s, { multiline: true });
      expect(multi, JSON.stringify(s)).not.toMatch(CONTROL_BYTES); // of C0, only \n and \t remain
      expect(multi).not.toMatch(BIDI);
    }
  });
});

describe('printers use it', () => {
  const hostile = `${ESC}]0;owned${BEL}${ESC}[31mmallory${ESC}[0m\r\b\u009b2J\nfake row`;

  it('formatTable: every cell and header, and a newline in a cell does not forge a row', () => {
    const table = formatTable(
      [{ header: 'who' }, { header: `n${ESC}[5m`, align: 'right' }],
      [
        [hostile, '1'],
        ['bob', '22'],
      ],
    );
    expect(table).not.toMatch(CONTROL_BYTES);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4); // header, rule, two rows
    // the hostile cell is 'mallory  fake row' (CR and LF became spaces, the rest went): 17 columns wide
    expect(lines[0]).toBe(`${'WHO'.padEnd(17)}   N`);
    expect(lines[2]).toBe('mallory  fake row   1');
    expect(lines[3]).toBe(`${'bob'.padEnd(17)}  22`);
  });

  it('formatRecommendations: the handle, segment and items of a hostile user', () => {
    const text = formatRecommendations({
      userId: 'x:1',
      handle: hostile,
      segmentName: `${ESC}[2Jnight owls`,
      engagementProbability: 0.5,
      botLikeness: 0.1,
      recommendations: [{ item: `x:${ESC}]0;t${BEL}eve`, kind: 'author', score: 0.9 }],
      updatedAt: '2026-11-24T10:00:00.000Z',
      runKey: `run${ESC}[31m`,
    } as Parameters<typeof formatRecommendations>[0]);
    expect(text).not.toMatch(CONTROL_BYTES);
    expect(text.split('\n')[0]).toBe('Recommendations for @mallory  fake row (x:1)');
    expect(text).toContain('segment night owls');
    expect(text).toContain('x:eve');
    expect(text.split('\n')[1]).toMatch(/ by run$/);
  });

  it('formatTrends: hostile terms', () => {
    const term = (t: string) => ({
      term: t,
      kind: 'hashtag' as const,
      total: 10,
      lastVolume: 4,
      trending: true,
      flaggedDays: 1,
      score: 3.2,
      forecast: 5,
      forecastLow: 3,
      forecastHigh: 7,
    });
    const text = formatTrends({
      runKey: 'r',
      from: '2026-11-20',
      to: '2026-11-24',
      source: 'term_trends',
      top: [term(`${ESC}[8mhidden`)],
      emerging: [term(`x\r${BEL}y`)],
      series: [],
    } as unknown as Parameters<typeof formatTrends>[0]);
    expect(text).not.toMatch(CONTROL_BYTES);
    expect(text).toContain('#hidden');
    expect(text).toContain('#x y');
  });

  it('printLine writes terminal-safe text with one newline', () => {
    let out = '';
    const stream = new Writable({ write: (chunk, _enc, cb) => ((out += chunk), cb()) });
    printLine(`ok ${hostile}\nnext`, stream);
    expect(out).toBe('ok mallory\nfake row\nnext\n');
  });
});

describe('jsonLine: JSON stays JSON', () => {
  it('round-trips the exact value and writes no raw control byte', () => {
    const value = { handle: `${ESC}]0;t${BEL}\r\b\u009b31m\u0085 \u2028 ok`, n: 1, nested: [{ s: '\u007f' }] };
    const line = jsonLine(value);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(CONTROL_BYTES);
    expect(line).not.toContain('\u2028');
    expect(JSON.parse(line)).toEqual(value);
    expect(line).toContain('\\u001b]0;t\\u0007\\r\\b\\u009b31m\\u0085 \\u2028 ok');
  });
});
