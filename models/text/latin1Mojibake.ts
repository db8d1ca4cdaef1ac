/**
 * Meta's "Download Your Information" exports (Facebook, Instagram, Messenger) write each byte of a character's UTF-8
 * encoding as its own `\u00XX` escape: "café" is stored as `"caf\u00c3\u00a9"`, which JSON reads as "cafÃ©", and an
 * emoji as four such characters. This undoes it.
 *
 * A string is repaired only when it holds nothing but code points U+0000–U+00FF, at least one of them above U+007F,
 * and those code points, taken as bytes, are valid UTF-8 (a strict decoder). Ordinary Latin-1 text fails that test
 * ("café" is the bytes 63 61 66 E9: E9 opens a 3-byte sequence that does not follow), so it is left as it is; a text
 * that really means "Ã©" is the one that would be misread, and no export writes that.
 */

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;
const HIGH_LATIN1 = /[\u0080-\u00ff]/;

/**
 * @param text a string as read from the export's JSON
 * @returns the text its bytes spell in UTF-8, or `text` itself when it is not such mojibake
 */
export function repairLatin1Mojibake(text: string): string {
  if (!HIGH_LATIN1.test(text) || BEYOND_LATIN1.test(text)) return text;
  try {
    return STRICT_UTF8.decode(Buffer.from(text, 'latin1'));
  } catch {
    return text;
  }
}

/** repairLatin1Mojibake on every string of a JSON value (keys too), returning a repaired copy; other values as they are. */
export function repairLatin1MojibakeDeep<T>(value: T): T {
  if (typeof value === 'string') return repairLatin1Mojibake(value) as T;
  if (Array.isArray(value)) return value.map((v) => repairLatin1MojibakeDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[repairLatin1Mojibake(k)] = repairLatin1MojibakeDeep(v);
    return out as T;
  }
  return value;
}
