/**
 * Preprocessing rules for posts, pure (no store, no database): validation against post.v1, sanitising,
 * HTML to text, normalisation, entities, exact and near-duplicate removal, the language filter.
 * activities/preprocess.ts is the I/O around it.
 */
import { parsePostFast, postSchema, type Post, type Quarantined } from '../../lib/schema';
import { createNearDuplicateIndex } from '../text/nearDuplicates';
import { extractEntities, foldStyledLetters, normalizeText } from '../text/normalize';
import { looksLikeHtml, parseHtmlContent } from '../text/html';
import { sanitizeDeep, sanitizeIdentifier } from '../text/sanitize';
import { authorKey } from '../../lib/platformName';
import { postTimeCheck } from '../../lib/timestamps';
import { detectLanguage } from '../text/language';

export interface PreprocessCounts {
  in: number;
  kept: number;
  duplicates: number;
  quarantined: number;
  filteredLanguage: number;
  filteredSpam: number;
  /** posts kept whose strings had characters removed or replaced (see models/text/sanitize); they are scored as usual */
  sanitized?: number;
}

/**
 * A text repeated (near-verbatim) this many times in one partition is a campaign, not a conversation.
 * Measured on the simulated source (see test/unit/preprocess.test.ts): precision ≈ 1 at every volume,
 * recall grows with volume as campaigns repeat more.
 */
export const SPAM_CLUSTER_SIZE = 3;

/**
 * The identifiers of `lists`, in order, each lowercased first when `lower` and then sanitizeIdentifier'd, without
 * empty ones and without repeats (the first occurrence kept). A loop rather than spreads, maps and a Set: it runs three
 * times per post.
 */
function mergeIdentifiers(lower: boolean, a: readonly string[], b: readonly string[], c: readonly string[]): string[] {
  const out: string[] = [];
  const total = a.length + b.length + c.length;
  if (total === 0) return out;
  // a linear search beats a Set on the few entities a post has; a hostile record with thousands gets the Set
  const seen = total > 16 ? new Set<string>() : null;
  for (const list of [a, b, c]) {
    for (let i = 0; i < list.length; i++) {
      // a platform's own hashtag list holds the tag as typed (#𝗦𝗮𝗹𝗲): folded as the text is, it is the tag #sale
      const v = sanitizeIdentifier(lower ? foldStyledLetters(list[i]).toLowerCase() : list[i]);
      if (v === '' || (seen === null ? out.includes(v) : seen.has(v))) continue;
      seen?.add(v);
      out.push(v);
    }
  }
  return out;
}

const NONE: readonly string[] = [];

/** sanitizeIdentifier for a nullable field. */
const cleanNullable = (v: string | null) => (v === null ? null : sanitizeIdentifier(v));

/** sanitizeIdentifier on each element: the same array when nothing changed, else a cleaned copy. */
function cleanList(list: string[]): string[] {
  for (let i = 0; i < list.length; i++) {
    if (sanitizeIdentifier(list[i]) !== list[i]) return list.map(sanitizeIdentifier);
  }
  return list;
}

/**
 * Makes every identifier-like string of a parsed post safe to store (Postgres text/jsonb, JSON) and to print
 * (sanitizeIdentifier: no control, bidi or unpaired-surrogate characters); the text is cleaned by normalizeText.
 * Mutates the post; returns whether anything changed.
 */
function sanitizePostFields(post: Post): boolean {
  // sanitizeIdentifier returns its input itself when there is nothing to clean, so `!==` tells what changed.
  const { id, platform, author, lang, url, reply_to, repost_of, hashtags, mentions, urls } = post;
  const authorCreated = author.created_at;
  const authorId = author.id;
  const handle = author.handle;
  post.id = sanitizeIdentifier(id);
  post.platform = sanitizeIdentifier(platform);
  author.id = sanitizeIdentifier(authorId);
  author.handle = sanitizeIdentifier(handle);
  author.created_at = cleanNullable(authorCreated);
  post.lang = cleanNullable(lang);
  post.url = cleanNullable(url);
  post.reply_to = cleanNullable(reply_to);
  post.repost_of = cleanNullable(repost_of);
  post.hashtags = cleanList(hashtags);
  post.mentions = cleanList(mentions);
  post.urls = cleanList(urls);
  return (
    post.id !== id ||
    post.platform !== platform ||
    author.id !== authorId ||
    author.handle !== handle ||
    author.created_at !== authorCreated ||
    post.lang !== lang ||
    post.url !== url ||
    post.reply_to !== reply_to ||
    post.repost_of !== repost_of ||
    post.hashtags !== hashtags ||
    post.mentions !== mentions ||
    post.urls !== urls
  );
}

/**
 * Validates, normalises and de-duplicates raw posts. Fed in slices so a long run can heartbeat;
 * pure, so it is tested without a store.
 *
 * Every accepted post goes into the near-duplicate index as it arrives (its signature, not its text, is kept);
 * whether it is spam is known once the whole partition has been seen. Without `sink` the accepted posts are kept and
 * finish() splits them into `clean` and `spam`. With `sink` each accepted post is handed to it, in order, and kept
 * nowhere here: finish() then gives `spamReason(i)` for the i-th post the sink received (0-based), so the caller can
 * hold the posts where it likes (activities/preprocess.ts spills a large partition to disk) and split them itself.
 *
 * A post whose time cannot be a post's (before 2004-01-01 or more than a day after `now`, lib/timestamps.ts
 * plausibleTime: the file importer's rule) is quarantined with the reason, whatever source sent it: a producer's
 * clock error on a stream would otherwise head every "newest first" list for years.
 * @param opts.now the clock the future bound is measured from, in ms (default Date.now(); tests fix it)
 * @param opts.expectedPosts how many records will be added, when known (a partition's record count): the
 *   near-duplicate index is sized for them up front instead of doubling as they come
 */
export function createPreprocessor(languages: string[] | null = null, sink?: (post: Post) => void, opts: { now?: number; expectedPosts?: number } = {}) {
  const now = opts.now ?? Date.now();
  const seen = new Set<string>();
  const clean: Post[] = [];
  const nearDuplicates = createNearDuplicateIndex(opts.expectedPosts ? { initialCapacity: opts.expectedPosts } : {});
  /** by near-duplicate index: whether the post is a repost (see finish) */
  const isRepost: boolean[] = [];
  const implausibleTime = postTimeCheck(now);
  const quarantined: Quarantined[] = [];
  const byLanguage: Record<string, number> = {};
  const counts: PreprocessCounts = { in: 0, kept: 0, duplicates: 0, quarantined: 0, filteredLanguage: 0, filteredSpam: 0, sanitized: 0 };
  const add = (raw: unknown) => {
    counts.in++;
    // Cleaned before anything else, so that even a quarantined record is valid JSON for Postgres (no NUL, no
    // unpaired surrogate) and a schema message never quotes a terminal escape.
    const record = sanitizeDeep(raw);
    // The fast validator decides valid records; zod decides the rest and words the message (see parsePostFast).
    let post = parsePostFast(record);
    if (post === null) {
      const parsed = postSchema.safeParse(record);
      if (!parsed.success) {
        const why = parsed.error.issues.map((iss) => `${iss.path.join('.') || 'record'}: ${iss.message}`).join('; ');
        quarantined.push({ reason: `record ${counts.in} is not a valid post.v1: ${why}`, line: counts.in, record });
        return;
      }
      post = parsed.data;
    }
    const implausible = implausibleTime(post.created_at);
    if (implausible) {
      quarantined.push({ reason: `record ${counts.in}: created_at: ${implausible}`, line: counts.in, record });
      return;
    }
    const sanitized = sanitizePostFields(post) || record !== raw;
    // Not counted as sanitizing: every author is keyed by platform from here on (lib/platformName.ts authorKey).
    post.author.id = authorKey(post.platform, post.author.id);
    if (seen.has(post.id)) {
      counts.duplicates++;
      return;
    }
    seen.add(post.id);
    const written = post.text;
    // Mastodon/ActivityPub content, and any export that carries HTML, becomes plain text before entities are
    // extracted; the one converter is models/text/html (the Mastodon connector uses it too). Entities are
    // decoded once: by the HTML parser for HTML, by normalizeText otherwise.
    const html = looksLikeHtml(written) ? parseHtmlContent(written) : null;
    post.text = normalizeText(html ? html.text : written, { decode: html === null });
    // A text that only cleaning emptied (markup, control characters) is quarantined with that reason; a post that
    // came without text is left as its source sent it.
    const sent = (raw as { text?: unknown }).text;
    if (post.text === '' && typeof sent === 'string' && sent.trim() !== '') {
      quarantined.push({
        reason: `record ${counts.in} (${post.id}): text is empty after removing markup and control characters`,
        line: counts.in,
        record,
      });
      return;
    }
    const entities = extractEntities(post.text);
    post.hashtags = mergeIdentifiers(true, post.hashtags, html?.hashtags ?? NONE, entities.hashtags);
    // A remote mention shown in full ("@carol@host", as Misskey does) is one mention, not also a bare "carol".
    const remote = html === null ? NONE : html.mentions.filter((m) => m.includes('@'));
    const fromText = remote.length === 0 ? entities.mentions : entities.mentions.filter((m) => !remote.some((r) => r.startsWith(`${m}@`)));
    post.mentions = mergeIdentifiers(true, post.mentions, html?.mentions ?? NONE, fromText);
    post.urls = mergeIdentifiers(false, post.urls, html?.links ?? NONE, entities.urls);
    post.lang ??= detectLanguage(post.text);
    const lang = post.lang ?? 'und';
    byLanguage[lang] = (byLanguage[lang] ?? 0) + 1;
    if (languages && post.lang && !languages.includes(post.lang)) {
      counts.filteredLanguage++;
      return;
    }
    delete post.raw;
    if (sanitized) counts.sanitized!++;
    nearDuplicates.add(post.id, post.text);
    isRepost.push(post.repost_of !== null);
    if (sink) sink(post);
    else clean.push(post);
  };
  return {
    add: (records: readonly unknown[]) => records.forEach(add),
    finish() {
      // A post is spam when its near-duplicate cluster (the posts sharing its representative) is a campaign. A repost
      // (repost_of set: a retweet, a boost) is a copy by design: it neither counts towards a campaign nor is one, so a
      // viral wave of retweets stays visible to volumes, trends and alerts instead of being filtered whole.
      const accepted = nearDuplicates.size;
      const clusterSize = new Map<number, number>();
      for (let i = 0; i < accepted; i++) {
        if (isRepost[i]) continue;
        const rep = nearDuplicates.representative(i);
        clusterSize.set(rep, (clusterSize.get(rep) ?? 0) + 1);
      }
      const spamReason = (i: number): string | null => {
        if (isRepost[i]) return null;
        const rep = nearDuplicates.representative(i);
        const size = clusterSize.get(rep)!;
        return size < SPAM_CLUSTER_SIZE ? null : `near-duplicate of ${size - 1} other posts (cluster ${nearDuplicates.id(rep)})`;
      };
      const spam: Array<{ reason: string; post: Post }> = [];
      const kept = clean.filter((post, i) => {
        const reason = spamReason(i);
        if (reason === null) return true;
        spam.push({ reason, post });
        return false;
      });
      let spamCount = 0;
      for (const size of clusterSize.values()) if (size >= SPAM_CLUSTER_SIZE) spamCount += size;
      counts.filteredSpam = spamCount;
      counts.kept = accepted - spamCount;
      counts.quarantined = quarantined.length;
      return { clean: kept, spam, quarantined, counts, byLanguage, spamReason };
    },
  };
}

export function preprocessPosts(records: unknown[], languages: string[] | null = null, now: number = Date.now()) {
  const p = createPreprocessor(languages, undefined, { now });
  p.add(records);
  return p.finish();
}
