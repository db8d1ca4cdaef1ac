/**
 * Per-user behaviour profiles, built from mergeable accumulators.
 *
 * The pipeline sees one day of posts at a time, so a profile is never computed from the full
 * history. Each user has a `ProfileState` of sums and counts (plain JSON, stored between runs);
 * a day's posts become fresh states that are merged into yesterday's, and `finalizeProfile` turns
 * a state into rates and ratios. Everything in the state is a sum, a min/max or a latest-value,
 * so merging is exact, with one caveat: posting gaps (for regularity) are exact when the merged
 * batches do not overlap in time (day after day); for overlapping batches the gaps across the
 * two batches are not known and are left out.
 */

import { DAY_MS } from '../../lib/dates';
import { botScore, MIN_INTERVALS, type BotFeatures } from './bots';

export interface ProfilePost {
  id: string;
  authorId: string;
  /** ISO-8601 */
  createdAt: string;
  text: string;
  hashtags: readonly string[];
  sentiment?: number | null;
  topic?: number | null;
  nearDuplicate?: boolean;
  /** the author's follower count when the post was collected */
  followers?: number | null;
  following?: number | null;
  likes: number;
  reposts: number;
  replies: number;
}

export interface ProfileEngagement {
  userId: string;
  postId: string;
  kind: 'like' | 'reply' | 'repost';
  at: string;
}

export interface ProfileState {
  v: 1;
  userId: string;
  posts: number;
  /** first/last activity (post or engagement given), epoch ms */
  firstActiveMs: number | null;
  lastActiveMs: number | null;
  /** first/last post, epoch ms: where the gap between two batches is bridged */
  firstPostMs: number | null;
  lastPostMs: number | null;
  /** posts per UTC hour of day */
  hourCounts: number[];
  likesReceived: number;
  repostsReceived: number;
  repliesReceived: number;
  likesGiven: number;
  repliesGiven: number;
  repostsGiven: number;
  sentimentSum: number;
  sentimentCount: number;
  /** topic id → posts */
  topicCounts: Record<string, number>;
  nearDuplicates: number;
  postsWithUrl: number;
  hashtags: number;
  /** gaps between consecutive posts, in hours */
  gapCount: number;
  gapSum: number;
  gapSumSq: number;
  /** gaps under RAPID_GAP_SECONDS */
  rapidGaps: number;
  /** latest known follower snapshot */
  followers: number | null;
  following: number | null;
  followersAtMs: number | null;
}

export interface UserProfile {
  userId: string;
  posts: number;
  /** UTC calendar days from the first activity to the last (or to `asOf`), inclusive */
  activeSpanDays: number;
  postsPerDay: number;
  /** Shannon entropy (bits) of the hour-of-day histogram of posts; 0 = always the same hour, log2 24 ≈ 4.58 = uniform */
  hourEntropy: number;
  /** likes + reposts + replies received, per post (0 without posts) */
  engagementReceivedPerPost: number;
  likesReceivedPerPost: number;
  engagementsGiven: number;
  engagementsGivenPerDay: number;
  engagementsGivenByKind: { like: number; reply: number; repost: number };
  followers: number | null;
  following: number | null;
  /** followers / max(1, following); null when unknown */
  followerRatio: number | null;
  meanSentiment: number | null;
  /** topic id → share of the user's topic-labelled posts */
  topicMix: Record<string, number>;
  nearDuplicateRatio: number;
  urlRate: number;
  hashtagsPerPost: number;
  /** coefficient of variation of posting gaps; null with fewer than MIN_INTERVALS gaps */
  intervalCv: number | null;
  rapidFireRatio: number | null;
  botLikeness: number;
}

export const RAPID_GAP_SECONDS = 60;
const HOUR_MS = 3_600_000;
const URL_RE = /\bhttps?:\/\/|\bwww\./i;

export function emptyProfileState(userId: string): ProfileState {
  return {
    v: 1,
    userId,
    posts: 0,
    firstActiveMs: null,
    lastActiveMs: null,
    firstPostMs: null,
    lastPostMs: null,
    hourCounts: new Array(24).fill(0),
    likesReceived: 0,
    repostsReceived: 0,
    repliesReceived: 0,
    likesGiven: 0,
    repliesGiven: 0,
    repostsGiven: 0,
    sentimentSum: 0,
    sentimentCount: 0,
    topicCounts: {},
    nearDuplicates: 0,
    postsWithUrl: 0,
    hashtags: 0,
    gapCount: 0,
    gapSum: 0,
    gapSumSq: 0,
    rapidGaps: 0,
    followers: null,
    following: null,
    followersAtMs: null,
  };
}

function parseTime(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`${what}: timestamp is not ISO-8601: ${JSON.stringify(iso)}`);
  return ms;
}

const minOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

function addGap(s: ProfileState, gapMs: number): void {
  const h = gapMs / HOUR_MS;
  s.gapCount++;
  s.gapSum += h;
  s.gapSumSq += h * h;
  if (gapMs < RAPID_GAP_SECONDS * 1000) s.rapidGaps++;
}

/** Combines two states of the same user; neither input is modified. */
export function mergeProfileStates(a: ProfileState, b: ProfileState): ProfileState {
  if (a.userId !== b.userId) throw new Error(`cannot merge profiles of different users: ${a.userId} and ${b.userId}`);
  // order the two so `early` holds the earlier posts: the gap between them is then early.last → late.first
  const [early, late] = (a.firstPostMs ?? Infinity) <= (b.firstPostMs ?? Infinity) ? [a, b] : [b, a];
  const out: ProfileState = {
    ...early,
    posts: a.posts + b.posts,
    firstActiveMs: minOrNull(a.firstActiveMs, b.firstActiveMs),
    lastActiveMs: maxOrNull(a.lastActiveMs, b.lastActiveMs),
    firstPostMs: minOrNull(a.firstPostMs, b.firstPostMs),
    lastPostMs: maxOrNull(a.lastPostMs, b.lastPostMs),
    hourCounts: a.hourCounts.map((c, h) => c + b.hourCounts[h]),
    likesReceived: a.likesReceived + b.likesReceived,
    repostsReceived: a.repostsReceived + b.repostsReceived,
    repliesReceived: a.repliesReceived + b.repliesReceived,
    likesGiven: a.likesGiven + b.likesGiven,
    repliesGiven: a.repliesGiven + b.repliesGiven,
    repostsGiven: a.repostsGiven + b.repostsGiven,
    sentimentSum: early.sentimentSum + late.sentimentSum,
    sentimentCount: a.sentimentCount + b.sentimentCount,
    topicCounts: { ...a.topicCounts },
    nearDuplicates: a.nearDuplicates + b.nearDuplicates,
    postsWithUrl: a.postsWithUrl + b.postsWithUrl,
    hashtags: a.hashtags + b.hashtags,
    gapCount: early.gapCount + late.gapCount,
    gapSum: early.gapSum + late.gapSum,
    gapSumSq: early.gapSumSq + late.gapSumSq,
    rapidGaps: early.rapidGaps + late.rapidGaps,
  };
  for (const [t, c] of Object.entries(b.topicCounts)) out.topicCounts[t] = (out.topicCounts[t] ?? 0) + c;
  if (early.lastPostMs !== null && late.firstPostMs !== null && early.lastPostMs <= late.firstPostMs) {
    addGap(out, late.firstPostMs - early.lastPostMs);
  }
  const newer = (b.followersAtMs ?? -Infinity) >= (a.followersAtMs ?? -Infinity) ? b : a;
  const older = newer === a ? b : a;
  const snap = newer.followersAtMs !== null ? newer : older;
  out.followers = snap.followers;
  out.following = snap.following;
  out.followersAtMs = snap.followersAtMs;
  return out;
}

/** States for one batch of posts and engagements (e.g. one day), keyed by user id. */
export function accumulateProfiles(posts: readonly ProfilePost[], engagements: readonly ProfileEngagement[] = []): Map<string, ProfileState> {
  const states = new Map<string, ProfileState>();
  const stateOf = (userId: string) => {
    let s = states.get(userId);
    if (!s) states.set(userId, (s = emptyProfileState(userId)));
    return s;
  };
  const times = new Map<string, number[]>();
  for (const p of posts) {
    const ms = parseTime(p.createdAt, `post ${p.id}`);
    const s = stateOf(p.authorId);
    s.posts++;
    s.firstActiveMs = minOrNull(s.firstActiveMs, ms);
    s.lastActiveMs = maxOrNull(s.lastActiveMs, ms);
    s.firstPostMs = minOrNull(s.firstPostMs, ms);
    s.lastPostMs = maxOrNull(s.lastPostMs, ms);
    s.hourCounts[new Date(ms).getUTCHours()]++;
    s.likesReceived += p.likes;
    s.repostsReceived += p.reposts;
    s.repliesReceived += p.replies;
    if (p.sentiment !== undefined && p.sentiment !== null && Number.isFinite(p.sentiment)) {
      s.sentimentSum += p.sentiment;
      s.sentimentCount++;
    }
    if (p.topic !== undefined && p.topic !== null) s.topicCounts[p.topic] = (s.topicCounts[p.topic] ?? 0) + 1;
    if (p.nearDuplicate) s.nearDuplicates++;
    if (URL_RE.test(p.text)) s.postsWithUrl++;
    s.hashtags += p.hashtags.length;
    if (p.followers !== undefined && p.followers !== null && (s.followersAtMs === null || ms >= s.followersAtMs)) {
      s.followers = p.followers;
      s.following = p.following ?? null;
      s.followersAtMs = ms;
    }
    let list = times.get(p.authorId);
    if (!list) times.set(p.authorId, (list = []));
    list.push(ms);
  }
  for (const [userId, list] of times) {
    list.sort((x, y) => x - y);
    const s = states.get(userId)!;
    for (let i = 1; i < list.length; i++) addGap(s, list[i] - list[i - 1]);
  }
  for (const e of engagements) {
    const ms = parseTime(e.at, `engagement of ${e.userId} on ${e.postId}`);
    const s = stateOf(e.userId);
    s.firstActiveMs = minOrNull(s.firstActiveMs, ms);
    s.lastActiveMs = maxOrNull(s.lastActiveMs, ms);
    if (e.kind === 'like') s.likesGiven++;
    else if (e.kind === 'reply') s.repliesGiven++;
    else if (e.kind === 'repost') s.repostsGiven++;
    else throw new Error(`engagement kind must be like, reply or repost (got ${JSON.stringify(e.kind)})`);
  }
  return states;
}

/**
 * Folds a new batch into existing states: the day-by-day update. Returns a new map; states of
 * users absent from the batch are carried over as they are.
 */
export function updateProfiles(
  prior: ReadonlyMap<string, ProfileState> | readonly ProfileState[] | undefined,
  posts: readonly ProfilePost[],
  engagements: readonly ProfileEngagement[] = [],
): Map<string, ProfileState> {
  const out = new Map<string, ProfileState>();
  if (prior) for (const s of Array.isArray(prior) ? prior : (prior as ReadonlyMap<string, ProfileState>).values()) out.set(s.userId, s);
  for (const [userId, fresh] of accumulateProfiles(posts, engagements)) {
    const old = out.get(userId);
    out.set(userId, old ? mergeProfileStates(old, fresh) : fresh);
  }
  return out;
}

function entropyBits(counts: readonly number[]): number {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return 0;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log2(c / total);
  return h;
}

/**
 * Rates and ratios from a state. `asOf` (ISO or epoch ms) extends the activity span to the end of
 * the observation window, so a user who posted 10 times a month ago and never since is not
 * reported at 10 posts/day.
 */
export function finalizeProfile(s: ProfileState, opts: { asOf?: string | number } = {}): UserProfile {
  const asOfMs = opts.asOf === undefined ? null : typeof opts.asOf === 'number' ? opts.asOf : parseTime(opts.asOf, 'asOf');
  const last = maxOrNull(s.lastActiveMs, asOfMs);
  const activeSpanDays = s.firstActiveMs === null || last === null ? 0 : Math.floor(last / DAY_MS) - Math.floor(s.firstActiveMs / DAY_MS) + 1;
  const perDay = (x: number) => (activeSpanDays > 0 ? x / activeSpanDays : 0);
  const perPost = (x: number) => (s.posts > 0 ? x / s.posts : 0);
  const given = s.likesGiven + s.repliesGiven + s.repostsGiven;
  let intervalCv: number | null = null;
  let rapidFireRatio: number | null = null;
  if (s.gapCount >= MIN_INTERVALS) {
    const mean = s.gapSum / s.gapCount;
    const variance = Math.max(0, s.gapSumSq / s.gapCount - mean * mean);
    intervalCv = mean > 0 ? Math.sqrt(variance) / mean : 0;
    rapidFireRatio = s.rapidGaps / s.gapCount;
  }
  let topicTotal = 0;
  for (const c of Object.values(s.topicCounts)) topicTotal += c;
  const topicMix: Record<string, number> = {};
  for (const [t, c] of Object.entries(s.topicCounts)) topicMix[t] = c / topicTotal;
  const features: BotFeatures = {
    posts: s.posts,
    postsPerDay: perDay(s.posts),
    nearDuplicateRatio: perPost(s.nearDuplicates),
    urlRate: perPost(s.postsWithUrl),
    hashtagsPerPost: perPost(s.hashtags),
    hourEntropy: entropyBits(s.hourCounts),
    intervalCv,
    rapidFireRatio,
    followers: s.followers,
    following: s.following,
  };
  return {
    userId: s.userId,
    posts: s.posts,
    activeSpanDays,
    postsPerDay: features.postsPerDay,
    hourEntropy: features.hourEntropy,
    engagementReceivedPerPost: perPost(s.likesReceived + s.repostsReceived + s.repliesReceived),
    likesReceivedPerPost: perPost(s.likesReceived),
    engagementsGiven: given,
    engagementsGivenPerDay: perDay(given),
    engagementsGivenByKind: { like: s.likesGiven, reply: s.repliesGiven, repost: s.repostsGiven },
    followers: s.followers,
    following: s.following,
    followerRatio: s.followers === null ? null : s.followers / Math.max(1, s.following ?? 0),
    meanSentiment: s.sentimentCount > 0 ? s.sentimentSum / s.sentimentCount : null,
    topicMix,
    nearDuplicateRatio: features.nearDuplicateRatio,
    urlRate: features.urlRate,
    hashtagsPerPost: features.hashtagsPerPost,
    intervalCv,
    rapidFireRatio,
    botLikeness: botScore(features).score,
  };
}

/** One-shot convenience: profiles of everyone who posted or engaged, sorted by user id. */
export function computeProfiles(
  posts: readonly ProfilePost[],
  engagements: readonly ProfileEngagement[] = [],
  opts: { asOf?: string | number } = {},
): UserProfile[] {
  return [...accumulateProfiles(posts, engagements).values()]
    .map((s) => finalizeProfile(s, opts))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}
