import type { Db } from '../../lib/db';
import { ensureTopic, publishJson, resolveBrokers } from '../../activities/collect/stream/kafka';

/** The broker the streaming tests use: KAFKA_BROKERS from .env (`scripts/services.sh up kafka`, which scripts/test.sh runs). */
export function testBrokers(): string[] {
  try {
    return resolveBrokers(null);
  } catch {
    throw new Error('the streaming tests need the Kafka broker: run `scripts/services.sh up kafka` (npm test does it), which writes KAFKA_BROKERS to .env');
  }
}

const WORDS = (
  'apple river garden window morning coffee market bridge winter summer teacher student lesson music concert ' +
  'guitar painting museum history science planet rocket engine bicycle train station ticket journey mountain ' +
  'forest valley ocean island harbour sailor fisher bakery bread cheese recipe kitchen dinner lunch breakfast ' +
  'football match stadium runner marathon swimmer tennis court judge lawyer doctor nurse hospital medicine ' +
  'village city street avenue corner library novel poem author editor camera photo film cinema theatre actor ' +
  'festival parade holiday picnic sunset sunrise thunder rain snow cloud breeze storm lantern candle blanket ' +
  'pillow sofa carpet ladder hammer nail paint brush canvas pencil notebook letter stamp parcel courier'
).split(' ');

/** Ordinary, varied text for post n (deterministic): a dozen words drawn from a list, so posts are not near-duplicates. */
export function variedText(n: number, words = 12): string {
  // mulberry32 seeded by n
  let a = (n * 0x9e3779b1) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

/** A post.v1 record as a producer would publish it. */
export function postV1(platform: string, n: number, opts: { at: number; author?: string; hashtags?: string[]; text?: string }) {
  const tags = opts.hashtags ?? [];
  return {
    id: `${platform}:${n}`,
    platform,
    author: { id: opts.author ?? `u${n % 23}`, handle: opts.author ?? `user${n % 23}`, followers: null, created_at: null },
    text: opts.text ?? `${variedText(n)} ${tags.map((t) => `#${t}`).join(' ')}`.trim(),
    lang: 'en',
    created_at: new Date(opts.at).toISOString(),
    url: null,
    metrics: { likes: 0, reposts: 0, replies: 0, views: null },
    reply_to: null,
    repost_of: null,
    hashtags: tags,
    mentions: [],
    urls: [],
  };
}

export async function produce(topic: string, values: unknown[], partitions = 3): Promise<void> {
  const brokers = testBrokers();
  await ensureTopic(brokers, topic, partitions);
  await publishJson(brokers, topic, values, (v) => (typeof v === 'object' && v && 'id' in v ? String((v as { id: unknown }).id) : null));
}

/** Rows in post_scores whose ids start with `prefix:`, and how many distinct. */
export async function scoredCount(db: Db, prefix: string): Promise<{ rows: number; distinct: number }> {
  const { rows } = await db.query(`SELECT count(*)::int AS rows, count(DISTINCT post_id)::int AS distinct FROM post_scores WHERE post_id LIKE $1`, [
    `${prefix}:%`,
  ]);
  return rows[0];
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
