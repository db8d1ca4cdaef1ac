/**
 * The user models' inputs straight from the simulated generator, with no stack: what `eval
 * segments` and `eval engagement` run on. Posts go through the same pure steps the pipeline applies
 * before profiles are computed (post.v1 validation, entity extraction, lexicon sentiment,
 * near-duplicate flags within each day), so the profiles are the ones `retrain` would see for the
 * same network; malformed records are dropped, as preprocess quarantines them. The planted segment
 * of every simulated user is the ground truth.
 */
import type { Command } from 'commander';
import { simulateNetwork, type Segment, type SimulationOptions } from '../../activities/collect/simulated/generator';
import { postSchema, type Engagement, type Post } from '../../lib/schema';
import { scoreSentiment } from '../../models/sentiment/lexicon';
import { findNearDuplicates } from '../../models/text/nearDuplicates';
import { extractEntities } from '../../models/text/normalize';
import { dailyActivity, type ActivityData } from '../../models/users/engagement';
import { computeProfiles, type ProfilePost, type UserProfile } from '../../models/users/profile';

export interface SimulatedUsers {
  options: Required<SimulationOptions>;
  profiles: UserProfile[];
  activity: ActivityData;
  /** planted segment per simulated user id */
  planted: Map<string, Segment>;
  posts: number;
  engagements: number;
  /** records the generator made malformed on purpose (dropped, as preprocess quarantines them) */
  malformed: number;
}

/** Simulates the network and derives profiles and daily activity (see the module comment). */
export function simulatedUsers(options: SimulationOptions): SimulatedUsers {
  const sim = simulateNetwork(options);
  const posts: ProfilePost[] = [];
  const engagements: Engagement[] = [];
  const seen = new Set<string>();
  let malformed = 0;
  for (const day of sim.days) {
    const valid: Post[] = [];
    for (const record of day.posts) {
      const parsed = postSchema.safeParse(record);
      if (!parsed.success) {
        malformed++;
        continue;
      }
      // re-delivered ids are dropped, as preprocess does
      if (seen.has(parsed.data.id)) continue;
      seen.add(parsed.data.id);
      valid.push(parsed.data);
    }
    const { assignments } = findNearDuplicates(valid.map((p) => ({ id: p.id, text: p.text })));
    valid.forEach((p, i) => {
      posts.push({
        id: p.id,
        authorId: p.author.id,
        createdAt: p.created_at,
        text: p.text,
        hashtags: p.hashtags.length ? p.hashtags : extractEntities(p.text).hashtags,
        sentiment: scoreSentiment(p.text).compound,
        topic: null,
        nearDuplicate: assignments[i].nearDuplicate,
        followers: p.author.followers,
        likes: p.metrics.likes ?? 0,
        reposts: p.metrics.reposts ?? 0,
        replies: p.metrics.replies ?? 0,
      });
    });
    engagements.push(...day.engagements);
  }
  const profiles = computeProfiles(
    posts,
    engagements.map((e) => ({ userId: e.user_id, postId: e.post_id, kind: e.kind, at: e.at })),
  );
  const activity = dailyActivity(
    posts.map((p) => ({ id: p.id, authorId: p.authorId, createdAt: p.createdAt })),
    engagements.map((e) => ({ userId: e.user_id, postId: e.post_id, at: e.at })),
  );
  return {
    options: sim.options,
    profiles,
    activity,
    planted: new Map(sim.users.map((u) => [u.id, u.segment])),
    posts: posts.length,
    engagements: engagements.length,
    malformed,
  };
}

/** Checks an integer option (a clear message naming the option on bad input). */
export function intOption(name: string, value: number | undefined, fallback: number, min: number, max = Infinity): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`--${name} must be an integer from ${min}${max < Infinity ? ` to ${max}` : ''}, got ${value}`);
  return v;
}

/** The simulation options of the evals that run on simulated users (`eval segments`, `eval engagement`). */
export interface SimulationEvalOptions {
  seed?: number;
  users?: number;
  days?: number;
  posts?: number;
}

/** What those evals report about the simulation they ran, beside their own figures. */
export interface SimulationEvalRun {
  posts: number;
  engagements: number;
  seed: number;
  days: number;
  postsPerDay: number;
  seconds: number;
}

/** Checks the simulation options; the number of days has each eval's own default and least value. */
export function simulationEvalOptions(
  opts: SimulationEvalOptions,
  days: { fallback: number; min: number },
): { seed: number; users: number; days: number; postsPerDay: number } {
  return {
    seed: intOption('seed', opts.seed, 42, 0),
    users: intOption('users', opts.users, 300, 10, 100_000),
    days: intOption('days', opts.days, days.fallback, days.min, 366),
    postsPerDay: intOption('posts', opts.posts, 500, 10, 1_000_000),
  };
}

/** Adds `--seed`, `--users`, `--days` and `--posts` to an eval command. */
export function addSimulationOptions(cmd: Command, defaultDays: number): Command {
  return cmd
    .option('--seed <n>', 'simulation seed (default 42)')
    .option('--users <n>', 'simulated users (default 300)')
    .option('--days <n>', `simulated days (default ${defaultDays})`)
    .option('--posts <n>', 'simulated posts per day (default 500)');
}

/** A numeric command-line option as given (checked later), or undefined when absent. */
export const numberOption = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** The SimulationEvalRun of a finished eval: what was simulated, and the seconds since `t0` (performance.now()). */
export function simulationEvalRun(
  sim: Pick<SimulatedUsers, 'posts' | 'engagements'>,
  opts: { seed: number; days: number; postsPerDay: number },
  t0: number,
): SimulationEvalRun {
  return {
    posts: sim.posts,
    engagements: sim.engagements,
    seed: opts.seed,
    days: opts.days,
    postsPerDay: opts.postsPerDay,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
  };
}
