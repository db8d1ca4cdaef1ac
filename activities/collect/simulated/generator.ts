import { createRng, type Rng } from '../../../models/random';
import { DAY_MS, dayStartMs, isoDay } from '../../../lib/dates';
import type { Engagement, EngagementKind, Post, SentimentLabel } from '../../../lib/schema';

/**
 * A deterministic, seeded social network: the project's own data source for demos, tests and
 * benchmarks. It plants the ground truth (topic, sentiment, segment, bot flag, bursts, duplicates)
 * so every later model can be scored against something known.
 *
 * Day d's posts depend only on (seed, d) and the population, so generating one day alone gives
 * exactly the posts that a multi-day run gives for that day; backfills and re-runs rely on that.
 */

export interface TopicSpec {
  name: string;
  hashtags: string[];
  words: string[];
}

export const TOPICS: TopicSpec[] = [
  {
    name: 'climate',
    hashtags: ['ClimateAction', 'climate', 'NetZero'],
    words: ['emissions', 'carbon', 'warming', 'solar', 'wind', 'heatwave', 'policy', 'renewables'],
  },
  {
    name: 'football',
    hashtags: ['football', 'MatchDay', 'PremierLeague'],
    words: ['goal', 'striker', 'referee', 'match', 'league', 'keeper', 'penalty', 'derby'],
  },
  { name: 'ai', hashtags: ['AI', 'MachineLearning', 'LLM'], words: ['model', 'neural', 'dataset', 'training', 'robots', 'chatbot', 'gpu', 'benchmark'] },
  { name: 'music', hashtags: ['NewMusic', 'NowPlaying', 'concert'], words: ['album', 'guitar', 'singer', 'tour', 'playlist', 'chorus', 'vinyl', 'festival'] },
  { name: 'food', hashtags: ['foodie', 'recipe', 'BrunchTime'], words: ['pasta', 'bakery', 'spicy', 'dinner', 'chef', 'noodles', 'dessert', 'coffee'] },
  { name: 'travel', hashtags: ['travel', 'Wanderlust', 'RoadTrip'], words: ['flight', 'beach', 'hotel', 'mountains', 'passport', 'train', 'island', 'museum'] },
  {
    name: 'finance',
    hashtags: ['stocks', 'crypto', 'investing'],
    words: ['market', 'shares', 'bitcoin', 'rates', 'earnings', 'inflation', 'portfolio', 'dividend'],
  },
  {
    name: 'gaming',
    hashtags: ['gaming', 'esports', 'IndieGame'],
    words: ['console', 'speedrun', 'quest', 'patch', 'multiplayer', 'controller', 'level', 'stream'],
  },
];

const POSITIVE = ['love', 'great', 'amazing', 'so happy about', 'really enjoying', 'best', 'wonderful', 'excited about'];
const NEGATIVE = ['hate', 'terrible', 'awful', 'so disappointed by', 'really annoyed by', 'worst', 'sad about', 'angry about'];
const NEUTRAL = ['thinking about', 'reading about', 'news on', 'an update on', 'notes on', 'a thread about'];
// People vary their wording; bots do not. Without this spread, templated posts would look like spam.
const OPENERS = ['', 'Honestly,', 'Well,', 'So', 'Okay,', 'Wow,', 'Hmm,', 'Just saw', 'Update:', 'Friends,', 'Ngl', 'Lol'];
const CLOSERS = [
  'today',
  'this week',
  'right now',
  'again',
  'lately',
  'tonight',
  'at last',
  'for real',
  'so far',
  'this morning',
  'with my sister',
  'after work',
];
const FILLERS = [
  'everyone',
  'my team',
  'the city',
  'our group',
  'the kids',
  'my neighbours',
  'the office',
  'the crowd',
  'my friends',
  'the fans',
  'locals',
  'the class',
];
const POS_EMOJI = ['😍', '🎉', '😊', '👍', '🔥'];
const NEG_EMOJI = ['😡', '😢', '👎', '😞'];
const SPAM = ['WIN a FREE phone', 'Cheap followers fast', 'Crypto giveaway double your coins', 'Click now for a prize'];

export const SEGMENTS = ['creator', 'casual', 'lurker', 'bot'] as const;
export type Segment = (typeof SEGMENTS)[number];

export interface SimUser {
  id: string;
  handle: string;
  segment: Segment;
  interests: number[]; // topic indices
  followers: number;
  following: number;
  created_at: string;
  activity: number; // relative posting rate
  engagementRate: number; // relative engaging rate
}

export interface PostTruth {
  id: string;
  topic: string;
  sentiment: SentimentLabel;
  bot: boolean;
  nearDuplicate: boolean;
  duplicateDelivery: boolean;
  malformed: boolean;
}

export interface SimulationOptions {
  seed?: number;
  users?: number;
  /** last day generated, YYYY-MM-DD (UTC) */
  endDate?: string;
  days?: number;
  postsPerDay?: number;
  botShare?: number;
  /** share of posts delivered twice with the same id (platform re-delivery) */
  duplicateRate?: number;
  /** share of records that arrive broken (missing fields), to exercise quarantine */
  malformedRate?: number;
}

export interface SimulatedDay {
  date: string;
  posts: Array<Post | Record<string, unknown>>;
  engagements: Engagement[];
  truth: PostTruth[];
  bursts: string[]; // topics bursting that day
}

export function normalizeSimulationOptions(opts: SimulationOptions = {}): Required<SimulationOptions> {
  return {
    seed: opts.seed ?? 42,
    users: opts.users ?? 300,
    endDate: opts.endDate ?? '2026-11-24',
    days: opts.days ?? 7,
    postsPerDay: opts.postsPerDay ?? 500,
    botShare: opts.botShare ?? 0.05,
    duplicateRate: opts.duplicateRate ?? 0.01,
    malformedRate: opts.malformedRate ?? 0.002,
  };
}

/** Small string hash so per-day and per-topic streams get independent seeds. */
function hashSeed(...parts: Array<string | number>): number {
  let h = 2166136261;
  for (const ch of parts.join('|')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function simulationDates(opts: Required<SimulationOptions>): string[] {
  const end = dayStartMs(opts.endDate);
  if (Number.isNaN(end)) throw new Error(`endDate must be YYYY-MM-DD, got ${opts.endDate}`);
  return Array.from({ length: opts.days }, (_, i) => isoDay(end - (opts.days - 1 - i) * DAY_MS));
}

export function createPopulation(opts: Required<SimulationOptions>): SimUser[] {
  const rng = createRng(hashSeed(opts.seed, 'population'));
  const users: SimUser[] = [];
  for (let i = 0; i < opts.users; i++) {
    const roll = rng.next();
    const segment: Segment = roll < opts.botShare ? 'bot' : roll < opts.botShare + 0.15 ? 'creator' : roll < 0.6 ? 'casual' : 'lurker';
    const nInterests = segment === 'bot' ? 1 : 1 + rng.int(3);
    const interests = new Set<number>();
    while (interests.size < nInterests) interests.add(rng.int(TOPICS.length));
    // Pareto tail: a few accounts have most of the followers, as on every real platform.
    const pareto = Math.floor(20 / Math.pow(1 - rng.next(), 1 / 1.2));
    const followers = segment === 'creator' ? pareto * 20 : segment === 'bot' ? rng.int(40) : pareto;
    users.push({
      id: `u${i}`,
      handle: `${segment === 'bot' ? 'promo' : 'user'}_${i}`,
      segment,
      interests: [...interests],
      followers,
      following: segment === 'bot' ? 1000 + rng.int(4000) : 50 + rng.int(500),
      created_at: new Date(Date.parse('2020-01-01T00:00:00Z') + rng.int(5 * 365) * DAY_MS).toISOString(),
      activity: { creator: 8, casual: 2, lurker: 0.3, bot: 12 }[segment],
      engagementRate: { creator: 1, casual: 2, lurker: 5, bot: 0.1 }[segment],
    });
  }
  return users;
}

function weightedIndex(rng: Rng, cumulative: Float64Array): number {
  const target = rng.next() * cumulative[cumulative.length - 1];
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cumulativeOf(values: number[]): Float64Array {
  const out = new Float64Array(values.length);
  let acc = 0;
  values.forEach((v, i) => (out[i] = acc += v));
  return out;
}

/** Topics that burst on a date: decided by (seed, topic, date) alone. */
export function burstingTopics(seed: number, date: string): string[] {
  return TOPICS.filter((t) => createRng(hashSeed(seed, 'burst', t.name, date)).next() < 0.12).map((t) => t.name);
}

/** What one simulated post brings: its record (twice when delivered twice), their truth rows, and its engagements. */
export interface SimulatedPost {
  posts: Array<Post | Record<string, unknown>>;
  truth: PostTruth[];
  engagements: Engagement[];
}

/** One simulated day, all in memory (tests, benchmarks); the collect activity streams simulatedPosts instead. */
export function simulateDay(opts: Required<SimulationOptions>, users: SimUser[], date: string): SimulatedDay {
  const day: SimulatedDay = { date, posts: [], engagements: [], truth: [], bursts: burstingTopics(opts.seed, date) };
  for (const p of simulatedPosts(opts, users, date)) {
    for (const r of p.posts) day.posts.push(r);
    for (const t of p.truth) day.truth.push(t);
    for (const e of p.engagements) day.engagements.push(e);
  }
  return day;
}

/**
 * The posts of one simulated day, one at a time in a fixed order (the same as simulateDay's), so that a day of any
 * size is written without being held: memory holds one post. Deterministic in (seed, date, users).
 */
export function* simulatedPosts(opts: Required<SimulationOptions>, users: SimUser[], date: string): Generator<SimulatedPost> {
  const rng = createRng(hashSeed(opts.seed, 'day', date));
  const dayStart = Date.parse(`${date}T00:00:00Z`);
  const bursts = burstingTopics(opts.seed, date);
  const topicWeights = TOPICS.map((t) => (bursts.includes(t.name) ? 4 : 1));
  const topicCum = cumulativeOf(topicWeights);
  const authorsByTopic = TOPICS.map((_, ti) => users.filter((u) => u.interests.includes(ti) && u.segment !== 'bot'));
  const authorCumByTopic = authorsByTopic.map((list) => cumulativeOf(list.map((u) => u.activity)));
  const engagerCumByTopic = authorsByTopic.map((list) => cumulativeOf(list.map((u) => u.engagementRate)));
  const bots = users.filter((u) => u.segment === 'bot');
  const totalWeight = topicWeights.reduce((a, b) => a + b, 0);
  const nPosts = Math.round((opts.postsPerDay * totalWeight) / TOPICS.length);

  for (let i = 0; i < nPosts; i++) {
    const engagements: Engagement[] = [];
    const isBot = bots.length > 0 && rng.next() < opts.botShare * 2;
    const ti = isBot ? bots[rng.int(bots.length)].interests[0] : weightedIndex(rng, topicCum);
    const topic = TOPICS[ti];
    const pool = authorsByTopic[ti];
    const author = isBot ? bots[rng.int(bots.length)] : pool.length ? pool[weightedIndex(rng, authorCumByTopic[ti])] : users[rng.int(users.length)];
    // Activity follows the clock: most posts in the afternoon and evening, bots all day long.
    const hour = isBot ? rng.int(24) : Math.min(23, Math.max(0, Math.round(15 + rng.normal() * 4)));
    const createdAt = new Date(dayStart + hour * 3_600_000 + rng.int(3_600_000)).toISOString();
    const nativeId = `${date.replaceAll('-', '')}${String(i).padStart(6, '0')}`;
    const id = `simulated:${nativeId}`;

    let text: string;
    let sentiment: SentimentLabel;
    const hashtags: string[] = [];
    const mentions: string[] = [];
    const urls: string[] = [];
    if (isBot) {
      sentiment = 'neutral';
      hashtags.push('giveaway', topic.hashtags[0]);
      urls.push(`https://promo.example/${author.handle}/${rng.int(1000)}`);
      text = `${rng.pick(SPAM)}!!! ${rng.pick(topic.words)} deal, limited time ${urls[0]} #giveaway #${topic.hashtags[0]}`;
    } else {
      const roll = rng.next();
      sentiment = roll < 0.35 ? 'positive' : roll < 0.65 ? 'negative' : 'neutral';
      const phrase = rng.pick(sentiment === 'positive' ? POSITIVE : sentiment === 'negative' ? NEGATIVE : NEUTRAL);
      const w1 = rng.pick(topic.words);
      const w2 = rng.pick(topic.words);
      const tag = rng.pick(topic.hashtags);
      hashtags.push(tag.toLowerCase());
      text = `${rng.pick(OPENERS)} ${phrase} the ${w1} and the ${w2} with ${rng.pick(FILLERS)} ${rng.pick(CLOSERS)} #${tag}`.trimStart();
      if (sentiment !== 'neutral' && rng.next() < 0.5) text += ` ${rng.pick(sentiment === 'positive' ? POS_EMOJI : NEG_EMOJI)}`;
      if (rng.next() < 0.2) {
        const other = users[rng.int(users.length)];
        mentions.push(other.handle);
        text = `@${other.handle} ${text}`;
      }
      if (rng.next() < 0.15) {
        urls.push(`https://news.example/${topic.name}/${rng.int(100000)}`);
        text += ` ${urls[0]}`;
      }
      if (rng.next() < 0.05) text = text.replace(' & ', ' &amp; ') + ' &amp; more';
    }

    // the network counts every engagement it makes: known counts, from 0
    const metrics = { likes: 0, reposts: 0, replies: 0, views: null };
    const post: Post = {
      id,
      platform: 'simulated',
      author: { id: author.id, handle: author.handle, followers: author.followers, created_at: author.created_at },
      text,
      lang: 'en',
      created_at: createdAt,
      url: `https://simulated.example/${author.handle}/status/${nativeId}`,
      metrics,
      reply_to: null,
      repost_of: null,
      hashtags: [...new Set(hashtags)],
      mentions,
      urls,
      raw: { id_str: nativeId, user: { id: author.id, screen_name: author.handle, followers_count: author.followers }, full_text: text, created_at: createdAt },
    };

    // Engagement comes from people interested in the topic; popular authors reach more of them.
    if (!isBot && authorsByTopic[ti].length > 0) {
      const reach = Math.min(40, Math.round(Math.log2(2 + author.followers) * (sentiment === 'neutral' ? 0.6 : 1)));
      const n = rng.int(reach + 1);
      for (let e = 0; e < n; e++) {
        const user = authorsByTopic[ti][weightedIndex(rng, engagerCumByTopic[ti])];
        if (user.id === author.id) continue;
        const k = rng.next();
        const kind: EngagementKind = k < 0.7 ? 'like' : k < 0.9 ? 'repost' : 'reply';
        metrics[kind === 'like' ? 'likes' : kind === 'repost' ? 'reposts' : 'replies'] += 1;
        engagements.push({ user_id: user.id, post_id: id, kind, at: new Date(Date.parse(createdAt) + rng.int(6 * 3_600_000)).toISOString() });
      }
    }

    const malformed = rng.next() < opts.malformedRate;
    const record: Post | Record<string, unknown> = malformed ? { ...post, created_at: 'not-a-date', author: { handle: author.handle } } : post;
    const out: SimulatedPost = {
      posts: [record],
      truth: [{ id, topic: topic.name, sentiment, bot: isBot, nearDuplicate: isBot, duplicateDelivery: false, malformed }],
      engagements,
    };
    if (!malformed && rng.next() < opts.duplicateRate) {
      out.posts.push(post);
      out.truth.push({ id, topic: topic.name, sentiment, bot: isBot, nearDuplicate: isBot, duplicateDelivery: true, malformed: false });
    }
    yield out;
  }
}

export interface Simulation {
  options: Required<SimulationOptions>;
  users: SimUser[];
  days: SimulatedDay[];
}

export function simulateNetwork(options: SimulationOptions = {}): Simulation {
  const opts = normalizeSimulationOptions(options);
  const users = createPopulation(opts);
  return { options: opts, users, days: simulationDates(opts).map((date) => simulateDay(opts, users, date)) };
}
