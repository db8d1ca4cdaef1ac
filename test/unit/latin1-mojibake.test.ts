import { describe, expect, it } from 'vitest';
import { repairLatin1Mojibake, repairLatin1MojibakeDeep } from '../../models/text/latin1Mojibake';

/** How Meta's exports write a text: each UTF-8 byte as its own character (JSON \u00XX). */
const asMetaWrites = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe("repairing Meta's export mojibake", () => {
  it.each([
    ['café', 'accents'],
    ['crème brûlée', 'several accents'],
    ['Привет всем! Как дела?', 'Cyrillic'],
    ['مرحبا بالعالم', 'Arabic'],
    ['日本語のテキスト', 'Japanese'],
    ['Sunset 🌅 #travel', 'an emoji (4 bytes)'],
    ['👩‍👩‍👧 family', 'a ZWJ sequence'],
    ['Zürich, 5 °C, 20 €', 'degree sign and euro'],
  ])('gives back %j (%s)', (text) => {
    const stored = asMetaWrites(text);
    expect(stored).not.toBe(text);
    expect(repairLatin1Mojibake(stored)).toBe(text);
  });

  it.each([
    ['plain ASCII', 'hello world'],
    ['real Latin-1 text', 'café au lait'],
    ['Latin-1 that happens to hold Ã', 'São Paulo: Ã'],
    ['text beyond Latin-1', 'Привет'],
    ['already repaired mixed text', 'café 🌅'],
    ['a lone high byte', '\u00e9t\u00e9'],
    ['empty', ''],
  ])('leaves %s alone', (_what, text) => {
    expect(repairLatin1Mojibake(text)).toBe(text);
  });

  it('repairs every string of a record, keys too, and leaves numbers and nulls', () => {
    const record = { timestamp: 1764321600, data: [{ post: asMetaWrites('café 😍') }], title: asMetaWrites('Zoë updated her status.'), n: null };
    expect(repairLatin1MojibakeDeep(record)).toEqual({ timestamp: 1764321600, data: [{ post: 'café 😍' }], title: 'Zoë updated her status.', n: null });
    expect(repairLatin1MojibakeDeep({ [asMetaWrites('clé')]: 1 })).toEqual({ clé: 1 });
  });
});
