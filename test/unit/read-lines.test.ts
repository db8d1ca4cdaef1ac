import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLines } from '../../lib/tabular';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'read-lines-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};
const lines = async (file: string) => {
  const out: Array<[number, string]> = [];
  for await (const { line, text } of readLines(file)) out.push([line, text]);
  return out;
};

describe('readLines ends a line at LF, CRLF and a lone CR', () => {
  it('reads every ending a file mixes, and a last line without one', async () => {
    expect(await lines(write('mixed.csv', 'a,1\r\nb,2\nc,3\rd,4\r\n\ne,5'))).toEqual([
      [1, 'a,1'],
      [2, 'b,2'],
      [3, 'c,3'],
      [4, 'd,4'],
      [5, ''],
      [6, 'e,5'],
    ]);
    expect(await lines(write('cr-only.txt', 'one\rtwo\rthree\r'))).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
    expect(await lines(write('lf-only.txt', 'one\ntwo\n'))).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('keeps a CRLF that a read chunk cuts between its CR and LF as one line end', async () => {
    // fs streams read 64 KiB chunks: put a CRLF across that boundary, with a lone CR earlier so the CR-aware path runs
    const first = 'x'.repeat(100) + '\r' + 'y'.repeat(65_536 - 102) + '\r';
    const file = write('boundary.txt', `${first}\nnext\rlast`);
    const got = await lines(file);
    expect(got.map(([n, t]) => [n, t.length])).toEqual([
      [1, 100],
      [2, 65_536 - 102],
      [3, 4],
      [4, 4],
    ]);
    expect(got[2][1]).toBe('next');
  });
});
