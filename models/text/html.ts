/**
 * Post HTML → plain text: the one converter for every source that carries HTML (the Mastodon connector,
 * file imports of Mastodon/Pleroma/Misskey statuses, ActivityPub exports). Parsing is left to htmlparser2,
 * a maintained, forgiving tokenizer that also decodes entities; this module only decides what each element
 * means as text. What it knows about fediverse markup:
 * - Mastodon marks a hashtag as `<a class="mention hashtag" rel="tag">#<span>climate</span></a>` and a mention as
 *   `<span class="h-card"><a class="u-url mention" href="https://host/@bob">@<span>bob</span></a></span>`: they read
 *   as `#climate` and `@bob` (a hashtag and a mention, never a URL). Misskey marks hashtags only with rel="tag".
 * - Mastodon shortens a link's text with `<span class="invisible">https://</span><span class="ellipsis">…</span>
 *   <span class="invisible">rest</span>`; a link whose text is such a shortened URL reads as its full href.
 * - Pleroma/Akkoma render custom emoji as `<img class="emoji" alt=":blobcat:">`: they read as their shortcode.
 */
import { Parser } from 'htmlparser2';

/** What a piece of post HTML says, as plain text plus the entities that its markup names. */
export interface HtmlContent {
  /** Plain text: paragraphs separated by a blank line, `<br>` as a newline, other whitespace collapsed, trimmed. */
  text: string;
  /** http(s) hrefs of links that are neither mentions nor hashtags, deduplicated, in order of appearance. */
  links: string[];
  /** Hashtags marked up as such, lowercased, without '#', deduplicated. */
  hashtags: string[];
  /** Mentions marked up as such, lowercased, without '@' (as displayed: `bob` or `bob@host`), deduplicated. */
  mentions: string[];
}

// Elements whose content is never text a person wrote in the post.
const SKIPPED = new Set(['script', 'style', 'template', 'noscript', 'head', 'title', 'svg', 'math', 'iframe', 'object', 'canvas', 'select', 'textarea']);
// Elements that start and end a paragraph (a blank line in the text).
const BLOCKS = new Set([
  'p',
  'div',
  'blockquote',
  'pre',
  'ul',
  'ol',
  'dl',
  'table',
  'section',
  'article',
  'aside',
  'header',
  'footer',
  'main',
  'nav',
  'figure',
  'figcaption',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'details',
  'summary',
  'address',
]);
// Elements that start and end a line.
const LINES = new Set(['li', 'tr', 'dt', 'dd']);
// Cells are separated by a space, so "a</td><td>b" does not glue two words.
const CELLS = new Set(['td', 'th']);

// Tag names that real post HTML uses; their presence (see looksLikeHtml) is what marks a text as HTML.
const POST_TAGS = 'p|a|span|div|br|b|i|u|s|em|strong|del|ins|code|pre|blockquote|ul|ol|li|h[1-6]|img|hr|sub|sup|small|big|mark|q|abbr|cite|table|tr|td|th';
const CLOSING_TAG_RE = new RegExp(`</(?:${POST_TAGS})\\s*>`, 'i');
const VOID_TAG_RE = /<(?:br|hr)\s*\/?>|<img\s[^<>]*>/i;
const TAG_WITH_ATTRS_RE = /<(?:a|span|p|div)\s+(?:href|class|rel|title|lang|dir|data-[\w-]+)\s*=\s*["']/i;

/**
 * Whether a post's text is HTML markup rather than plain text that merely contains '<'.
 * True when it has a closing tag of an element that posts use (`</p>`, `</a>`, `</span>`, …), a `<br>`/`<hr>`/`<img …>`,
 * or an `<a`/`<span`/`<p`/`<div` tag with a quoted attribute. Plain text such as `I <3 you`, `a < b > c`,
 * `use the <p> tag` or a literal `<script>alert(1)</script>` is not HTML and must be kept as written.
 */
export function looksLikeHtml(text: string): boolean {
  if (typeof text !== 'string' || text.indexOf('<') < 0) return false;
  return CLOSING_TAG_RE.test(text) || VOID_TAG_RE.test(text) || TAG_WITH_ATTRS_RE.test(text);
}

const classesOf = (attribs: Record<string, string>) => new Set((attribs.class ?? '').toLowerCase().split(/\s+/).filter(Boolean));
const isWebUrl = (s: string) => /^https?:\/\/[^\s]+$/i.test(s);
/**
 * Whether a link's text shows (part of) its URL rather than words: "https://…", "www.…", "example.com/path", or the
 * href itself without its scheme, possibly cut with "…". "Node.js" linking to nodejs.org stays words.
 */
function looksLikeShownUrl(shown: string, href: string): boolean {
  if (/^(?:https?:\/\/|www\.)\S*$/i.test(shown) || /^[\w-]+(?:\.[\w-]+)+\/\S*$/.test(shown)) return true;
  const cut = shown.replace(/…$/, '');
  return (
    cut.includes('.') &&
    href
      .replace(/^https?:\/\//i, '')
      .toLowerCase()
      .startsWith(cut.toLowerCase())
  );
}
const addOnce = (list: string[], value: string) => {
  if (value && !list.includes(value)) list.push(value);
};

// Break markers in the piece list: numbers, so no text piece can be taken for one.
const LINE = 1;
const PARAGRAPH = 2;
const BR = 3;
type Break = typeof LINE | typeof PARAGRAPH | typeof BR;
type Piece = string | Break;
const isBreak = (p: Piece): p is Break => typeof p === 'number';

interface OpenLink {
  attribs: Record<string, string>;
  /** index into `out` where the link's text starts */
  start: number;
  /** a Mastodon invisible/ellipsis span was seen inside: the text is a shortened URL */
  shortened: boolean;
}

/**
 * Converts post HTML to plain text and the entities its markup names (see the module comment for the markup rules).
 * Never throws: malformed markup is read the way a browser would (htmlparser2 is forgiving); a non-string is an empty text.
 * Entities (`&amp;`, `&#39;`, `&quot;`, `&nbsp;`, …) are decoded exactly once.
 */
export function parseHtmlContent(html: string): HtmlContent {
  const result: HtmlContent = { text: '', links: [], hashtags: [], mentions: [] };
  if (typeof html !== 'string' || html.length === 0) return result;

  // The text is built as pieces; LINE, PARAGRAPH and BR pieces are breaks, resolved when joining.
  const out: Piece[] = [];
  let skipDepth = 0;
  let preDepth = 0;
  const links: OpenLink[] = [];

  const brk = (kind: Break) => out.push(kind);
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (skipDepth > 0 || SKIPPED.has(name)) {
          if (SKIPPED.has(name)) skipDepth++;
          return;
        }
        if (name === 'pre') preDepth++;
        if (BLOCKS.has(name)) brk(PARAGRAPH);
        else if (name === 'br') brk(BR);
        else if (LINES.has(name)) brk(LINE);
        else if (CELLS.has(name)) out.push(' ');
        else if (name === 'img') {
          // Custom emoji keep their shortcode; other images are not text.
          const alt = (attribs.alt ?? '').trim();
          if (classesOf(attribs).has('emoji') || /^:[\w+-]+:$/.test(alt)) out.push(alt);
        } else if (name === 'a') links.push({ attribs, start: out.length, shortened: false });
        else if (name === 'span' && links.length > 0) {
          const c = classesOf(attribs);
          if (c.has('invisible') || c.has('ellipsis')) links[links.length - 1].shortened = true;
        }
      },
      ontext(data) {
        if (skipDepth > 0) return;
        out.push(preDepth > 0 ? data : data.replace(/[ \t\n\r\f]+/g, ' '));
      },
      onclosetag(name) {
        if (skipDepth > 0) {
          if (SKIPPED.has(name)) skipDepth--;
          return;
        }
        if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
        if (BLOCKS.has(name)) brk(PARAGRAPH);
        else if (LINES.has(name)) brk(LINE);
        else if (CELLS.has(name)) out.push(' ');
        else if (name === 'a') {
          const link = links.pop();
          if (link) closeLink(link);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );

  function closeLink(link: OpenLink) {
    const shown = out
      .slice(link.start)
      .filter((p) => !isBreak(p))
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
    const href = (link.attribs.href ?? '').trim();
    const classes = classesOf(link.attribs);
    const rel = (link.attribs.rel ?? '').toLowerCase().split(/\s+/);
    // Marked up as a hashtag or a mention (Mastodon's classes, Misskey's rel="tag"), or reading as one word after
    // '#' or '@': the text already reads "#climate" or "@bob", and the href is the tag's or the profile's page.
    const tag = /^[#＃]([\p{L}\p{M}\p{N}_]+)$/u.exec(shown)?.[1];
    const who = /^@([\p{L}\p{N}_.-]+(?:@[\p{L}\p{N}_.-]+)?)$/u.exec(shown)?.[1];
    if (tag !== undefined && (classes.has('hashtag') || rel.includes('tag') || !classes.has('mention'))) {
      addOnce(result.hashtags, tag.toLowerCase());
      return;
    }
    if (who !== undefined || classes.has('mention')) {
      if (who !== undefined) addOnce(result.mentions, who.toLowerCase());
      return;
    }
    if (isWebUrl(href)) {
      addOnce(result.links, href);
      // A shortened or partial URL as the link text reads as the full URL.
      if (link.shortened || shown === '' || looksLikeShownUrl(shown, href)) out.splice(link.start, out.length - link.start, href);
    }
  }

  parser.write(html);
  parser.end();
  // Links left open by malformed markup still count.
  while (links.length > 0) closeLink(links.pop()!);

  result.text = joinPieces(out);
  return result;
}

/**
 * Joins text pieces. Block and line boundaries ask for "at least" a blank line or a newline (so `</p><p>` and
 * `</li><li>` do not pile up); each `<br>` adds a newline (so `<br><br>` is a blank line); at most one blank line
 * is kept, and spaces around breaks are trimmed.
 */
function joinPieces(pieces: Piece[]): string {
  // Chunks, not one growing string, so a long post with many paragraphs is joined in linear time.
  const parts: string[] = [];
  const trimEnd = () => {
    while (parts.length > 0) {
      const last = parts[parts.length - 1].replace(/[ \t]+$/, '');
      if (last !== '') {
        parts[parts.length - 1] = last;
        return;
      }
      parts.pop();
    }
  };
  let newlines = 0;
  for (const piece of pieces) {
    if (isBreak(piece)) {
      if (piece === BR) newlines = Math.min(2, newlines + 1);
      else if (piece === LINE) newlines = Math.max(1, newlines);
      else newlines = 2;
      continue;
    }
    if (piece === '' || (newlines > 0 && piece.trim() === '')) continue;
    if (newlines > 0) {
      trimEnd();
      if (parts.length > 0) parts.push('\n'.repeat(newlines));
      newlines = 0;
      parts.push(piece.replace(/^[ \t]+/, ''));
    } else {
      const prev = parts[parts.length - 1];
      parts.push(prev !== undefined && prev.endsWith(' ') && piece.startsWith(' ') ? piece.slice(1) : piece);
    }
  }
  return parts
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n[ \t]+/g, '\n')
    .trim();
}

/** Post HTML → plain text (see parseHtmlContent). `htmlToText('<p>a<br>b</p><p>c &amp; d</p>')` is `"a\nb\n\nc & d"`. */
export function htmlToText(html: string): string {
  return parseHtmlContent(html).text;
}
