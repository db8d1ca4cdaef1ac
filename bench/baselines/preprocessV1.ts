// Frozen copy of models/pipeline/preprocess.ts as it was before the issue-12 speed work (2026-11-30), with the
// text helpers it used then (normalizeV1, sanitizeV1): the reference that the optimised preprocess must agree with
// (test/unit/preprocess-fast-path.test.ts) and a bench baseline. Do not edit: it is the old behaviour.
/**
 * Preprocessing rules for posts, pure (no store, no database): validation against post.v1, sanitising,
 * HTML to text, normalisation, entities, exact and near-duplicate removal, the language filter.
 * activities/preprocess.ts is the I/O around it.
 */
import { postSchema, type Post, type Quarantined } from '../../lib/schema';
import { findNearDuplicates } from '../../models/text/nearDuplicates';
import { extractEntities, normalizeText } from './normalizeV1';
import { looksLikeHtml, parseHtmlContent } from '../../models/text/html';
import { sanitizeDeep, sanitizeIdentifier } from './sanitizeV1';
import { detectLanguage } from '../../models/text/language';

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

const uniqueNonEmpty = (values: string[]) => [...new Set(values.filter((v) => v !== ''))];

/**
 * Makes every identifier-like string of a parsed post safe to store (Postgres text/jsonb, JSON) and to print
 * (sanitizeIdentifier: no control, bidi or unpaired-surrogate characters); the text is cleaned by normalizeText.
 * Mutates the post; returns whether anything changed.
 */
function sanitizePostFields(post: Post): boolean {
  let changed = false;
  const clean = (v: string) => {
    const c = sanitizeIdentifier(v);
    if (c !== v) changed = true;
    return c;
  };
  const opt = (v: string | null) => (v === null ? null : clean(v));
  post.id = clean(post.id);
  post.platform = clean(post.platform);
  post.author.id = clean(post.author.id);
  post.author.handle = clean(post.author.handle);
  post.author.created_at = opt(post.author.created_at);
  post.lang = opt(post.lang);
  post.url = opt(post.url);
  post.reply_to = opt(post.reply_to);
  post.repost_of = opt(post.repost_of);
  post.hashtags = post.hashtags.map(clean);
  post.mentions = post.mentions.map(clean);
  post.urls = post.urls.map(clean);
  return changed;
}

/**
 * Validates, normalises and de-duplicates raw posts. Fed in slices so a long run can heartbeat;
 * pure, so it is tested without a store.
 */
export function createPreprocessor(languages: string[] | null = null) {
  const seen = new Set<string>();
  const clean: Post[] = [];
  const quarantined: Quarantined[] = [];
  const byLanguage: Record<string, number> = {};
  const counts: PreprocessCounts = { in: 0, kept: 0, duplicates: 0, quarantined: 0, filteredLanguage: 0, filteredSpam: 0, sanitized: 0 };
  const add = (raw: unknown) => {
    counts.in++;
    // Cleaned before anything else, so that even a quarantined record is valid JSON for Postgres (no NUL, no
    // unpaired surrogate) and a schema message never quotes a terminal escape.
    const record = sanitizeDeep(raw);
    const parsed = postSchema.safeParse(record);
    if (!parsed.success) {
      const why = parsed.error.issues.map((iss) => `${iss.path.join('.') || 'record'}: ${iss.message}`).join('; ');
      quarantined.push({ reason: `record ${counts.in} is not a valid post.v1: ${why}`, line: counts.in, record });
      return;
    }
    const post = parsed.data;
    const sanitized = sanitizePostFields(post) || record !== raw;
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
    post.hashtags = uniqueNonEmpty([...post.hashtags, ...(html?.hashtags ?? []), ...entities.hashtags].map((h) => sanitizeIdentifier(h.toLowerCase())));
    // A remote mention shown in full ("@carol@host", as Misskey does) is one mention, not also a bare "carol".
    const remote = (html?.mentions ?? []).filter((m) => m.includes('@'));
    const fromText = entities.mentions.filter((m) => !remote.some((r) => r.startsWith(`${m}@`)));
    post.mentions = uniqueNonEmpty([...post.mentions, ...(html?.mentions ?? []), ...fromText].map((m) => sanitizeIdentifier(m.toLowerCase())));
    post.urls = uniqueNonEmpty([...post.urls, ...(html?.links ?? []), ...entities.urls].map(sanitizeIdentifier));
    post.lang ??= detectLanguage(post.text);
    const lang = post.lang ?? 'und';
    byLanguage[lang] = (byLanguage[lang] ?? 0) + 1;
    if (languages && post.lang && !languages.includes(post.lang)) {
      counts.filteredLanguage++;
      return;
    }
    delete post.raw;
    if (sanitized) counts.sanitized!++;
    clean.push(post);
  };
  return {
    add: (records: readonly unknown[]) => records.forEach(add),
    finish() {
      const { assignments } = findNearDuplicates(clean.map((p) => ({ id: p.id, text: p.text })));
      const spam: Array<{ reason: string; post: Post }> = [];
      const kept = clean.filter((post, i) => {
        const a = assignments[i];
        if (a.clusterSize < SPAM_CLUSTER_SIZE) return true;
        spam.push({ reason: `near-duplicate of ${a.clusterSize - 1} other posts (cluster ${a.clusterId})`, post });
        return false;
      });
      counts.filteredSpam = spam.length;
      counts.kept = kept.length;
      counts.quarantined = quarantined.length;
      return { clean: kept, spam, quarantined, counts, byLanguage };
    },
  };
}

export function preprocessPosts(records: unknown[], languages: string[] | null = null) {
  const p = createPreprocessor(languages);
  p.add(records);
  return p.finish();
}
