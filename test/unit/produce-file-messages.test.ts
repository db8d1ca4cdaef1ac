import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fileMessages } from '../../cli/commands/produce';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-produce-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
};
const messages = async (file: string) => {
  const out: string[] = [];
  for await (const m of fileMessages(file)) out.push(m);
  return out;
};

/** `socialsense produce --file`: the messages a file becomes, read as the file importer reads it. */
describe('produce: the messages of a file', () => {
  const records = [
    { id: 'BIG', text: 'first post about tides' },
    { id: 'b', text: 'second, with "quotes"' },
    { id: 'c', text: 'third' },
  ];
  // the id written as JSON writes it, past 2^53: the element's own text must reach the topic, not a rounded re-serialisation
  const pretty = JSON.stringify(records, null, 2).replace('"BIG"', '1790000000000000001');

  it('a pretty-printed JSON array: one message per element, as written', async () => {
    const got = await messages(write('array-pretty.json', pretty));
    expect(got).toHaveLength(3);
    expect(got[0]).toContain('"id": 1790000000000000001');
    expect(got.map((m) => JSON.parse(m).text)).toEqual(records.map((r) => r.text));
    expect(await messages(write('array-pretty.json.gz', zlib.gzipSync(pretty)))).toEqual(got);
  });

  it('one JSON document: one message; JSON Lines named .json or .jsonl: one per line', async () => {
    const doc = JSON.stringify({ data: records.slice(1), meta: { result_count: 2 } }, null, 2);
    expect(await messages(write('response.json', doc))).toEqual([doc]);
    const lines = records.map((r) => JSON.stringify(r)).join('\n') + '\n\n'; // ids as strings here
    expect(await messages(write('lines.json', lines))).toEqual(records.map((r) => JSON.stringify(r)));
    expect(await messages(write('lines.jsonl', lines + 'not json\n'))).toEqual([...records.map((r) => JSON.stringify(r)), 'not json']);
  });

  it('a CSV delimited by commas, semicolons (Excel in European locales), tabs or pipes: one flat record per row', async () => {
    const rows = [
      { id: '1863000000000000010', text: 'CSV row through kafka, brilliant #csvstream', created_at: '30/11/2026 11:00', author: 'mo' },
      { id: '1863000000000000011', text: 'Another row; with "quotes"', created_at: '30/11/2026 12:00', author: 'no' },
    ];
    // quoted as RFC 4180 says where a cell holds the delimiter or a quote; a tab-delimited file is read unquoted, as TSV
    const cell = (v: string, d: string) => (d !== '\t' && (v.includes(d) || v.includes('"')) ? `"${v.replace(/"/g, '""')}"` : v);
    const csv = (d: string, eol = '\n') =>
      [
        Object.keys(rows[0]).join(d),
        ...rows.map((r) =>
          Object.values(r)
            .map((v) => cell(v, d))
            .join(d),
        ),
      ].join(eol) + eol;
    const expected = rows.map((r) => JSON.stringify(r));
    for (const [name, d] of [
      ['comma', ','],
      ['semicolon', ';'],
      ['tab', '\t'],
      ['pipe', '|'],
    ])
      expect(await messages(write(`${name}.csv`, csv(d))), name).toEqual(expected);
    // as Excel saves it: a byte-order mark, CRLF, semicolons; and gzipped
    expect(await messages(write('excel.csv', '\ufeff' + csv(';', '\r\n')))).toEqual(expected);
    expect(await messages(write('semicolon.csv.gz', zlib.gzipSync(csv(';'))))).toEqual(expected);
    // a semicolon file whose texts hold no comma was one message per row keyed by the whole header line
    const plain = 'id;text;created_at\n1;hello there;2026-11-30T11:00:00Z\n';
    expect((await messages(write('plain.csv', plain))).map((m) => JSON.parse(m))).toEqual([
      { id: '1', text: 'hello there', created_at: '2026-11-30T11:00:00Z' },
    ]);
  });
});
