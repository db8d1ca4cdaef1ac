import { describe, expect, it } from 'vitest';
import { decodeQueryComponent, parseQueryString } from '../../api/queryString';

describe('the API query-string parser', () => {
  it.each([
    ['caf%C3%A9', 'café'], // UTF-8
    ['%F0%9F%8E%89', '🎉'], // 4-byte UTF-8 in one run
    ['x+y', 'x y'],
    ['a%2Bb', 'a+b'],
    ['100%', '100%'], // a % not followed by two hex digits stays literal
    ['50%OFF', '50%OFF'],
    ['%25FF', '%FF'], // an encoded % is a %
    ['caf%E9', 'caf\ufffd'], // Latin-1 é is not UTF-8
    ['%FF%FE', '\ufffd\ufffd'],
    ['%C3', '\ufffd'], // a truncated UTF-8 sequence
    ['%C3%A9%E9', 'é\ufffd'],
    ['', ''],
  ])('decodes %j as %j', (raw, text) => {
    expect(decodeQueryComponent(raw)).toBe(text);
  });

  it('gives repeated names an array, a bare name an empty value, and skips empty pairs', () => {
    expect({ ...parseQueryString('a=1&b=x+y&&a=2&c&a=3') }).toEqual({ a: ['1', '2', '3'], b: 'x y', c: '' });
    expect({ ...parseQueryString('') }).toEqual({});
    expect({ ...parseQueryString('q=a=b') }).toEqual({ q: 'a=b' });
  });

  it('cannot be made to set an object prototype', () => {
    const parsed = parseQueryString('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(parsed)).toBe(null);
    expect(parsed.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
