/**
 * The API's query-string parser (fastify's `routerOptions.querystringParser`). Fastify's default (fast-querystring)
 * keeps a value whose percent-encoded bytes are not UTF-8 as the raw text: `?q=caf%E9` (Latin-1 é) searched for the
 * literal `caf%E9` and answered an empty page, as if nothing matched. Here such bytes decode to U+FFFD, as a JSON body
 * that is not UTF-8 does, and the text schemas refuse U+FFFD with a message that says to send UTF-8
 * (api/schemas.ts PRINTABLE_LINE_PATTERN).
 *
 * Shape: `a=1&b=x+y&a=2` → `{ a: ['1', '2'], b: 'x y' }` (a repeated name gives an array, as fast-querystring does);
 * `+` is a space; a `%` not followed by two hex digits is kept as a literal `%` (`?q=100%` searches for `100%`).
 */

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** One name or value of `application/x-www-form-urlencoded`, its %XX bytes decoded as UTF-8. */
export function decodeQueryComponent(text: string): string {
  const plus = text.replace(/\+/g, ' ');
  if (!plus.includes('%')) return plus;
  // runs of %XX become bytes, decoded together so that a character's several bytes stay one character
  return plus.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return UTF8.decode(bytes);
  });
}

/** Parses a query string (without the `?`) into fastify's `request.query` shape. */
export function parseQueryString(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    const prior = out[name];
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
