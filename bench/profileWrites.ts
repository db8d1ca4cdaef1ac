/**
 * What updateUserProfiles costs per post, and how much of it is Postgres: `npx tsx bench/profileWrites.ts [posts] [authors] [partitions]`.
 * On a scratch database of the team's Postgres (created, migrated and dropped here) and a local object
 * store in a temp directory, it folds `partitions` days of `posts` simulated posts by `authors` authors
 * (every author in every day, so day 2 on merges stored states), then a retry of the last day
 * (everything already folded). The JS-only share (reading the features, accumulating, merging,
 * finalising) is timed apart in the same process, so "Postgres + JSON" = activity − JS.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createProfileActivities } from '../activities/profiles';
import { profileInputs } from '../activities/userModelInputs';
import { createDb } from '../lib/db';
import { openRecordWriter, readAllRecords } from '../lib/datasets';
import { LocalObjectStore } from '../lib/objectStore';
import type { DatasetRef } from '../lib/schema';
import type { FeaturedPost } from '../models/pipeline/features';
import { accumulateProfiles, finalizeProfile, mergeProfileStates } from '../models/users/profile';
import { resetBenchDatabase } from './benchDatabase';

const POSTS = Number(process.argv[2] ?? 50_000);
const AUTHORS = Number(process.argv[3] ?? 10_000);
const DAYS = Number(process.argv[4] ?? 2);
const DB = 'socialsense_bench_pgwrites_profiles';
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function day(d: number): FeaturedPost[] {
  const base = Date.UTC(2026, 9, 1 + d);
  return Array.from({ length: POSTS }, (_, i) => ({
    id: `twitter:${d}-${i}`,
    platform: 'twitter',
    author: { id: `u${i % AUTHORS}`, handle: `h${i % AUTHORS}`, followers: 100 + (i % AUTHORS), created_at: null },
    text: `post ${i} on day ${d} #tag${i % 40} https://example.com/${i % 3}`,
    lang: 'en',
    created_at: new Date(base + ((i * 7919) % 86_400_000)).toISOString(),
    url: null,
    metrics: { likes: i % 17, reposts: i % 5, replies: i % 3, views: null },
    reply_to: null,
    repost_of: null,
    hashtags: [`tag${i % 40}`],
    mentions: [],
    urls: i % 3 === 0 ? [`https://example.com/${i % 3}`] : [],
    features: { sentiment: { compound: (i % 200) / 100 - 1, label: 'neutral', model: 'lexicon.v1' }, topic: i % 12 },
  }));
}

async function main() {
  const teamUrl = process.env.DATABASE_URL;
  if (!teamUrl) throw new Error('DATABASE_URL is not set (source .env)');
  const url = await resetBenchDatabase(teamUrl, DB);
  const db = createDb(url, 2);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'profile-writes-'));
  const store = new LocalObjectStore(dir);
  await store.ensureBucket();
  try {
    const refs: DatasetRef[] = [];
    for (let d = 0; d < DAYS; d++) {
      const w = openRecordWriter<FeaturedPost>(store, `features/day${d}.parquet`, 'post-features.v1');
      await w.write(day(d));
      refs.push(await w.close());
    }
    const acts = createProfileActivities({ store, db });
    const run = async (d: number) => {
      const t0 = performance.now();
      const r = await new MockActivityEnvironment(undefined, { logger: silent }).run(acts.updateUserProfiles, {
        partition: `twitter/2026-10-0${d + 1}`,
        features: refs[d],
      });
      return { ms: performance.now() - t0, r };
    };
    // The JS share of one fold, the activity's own steps without Postgres (merging into a copy of itself stands in for the stored state).
    const jsOnly = async (d: number) => {
      const t0 = performance.now();
      const posts = await readAllRecords<FeaturedPost>(store, refs[d]);
      const inputs = profileInputs(posts, []);
      const fresh = accumulateProfiles(inputs.posts, inputs.engagements);
      let bytes = 0;
      for (const s of fresh.values()) {
        const merged = d > 0 ? mergeProfileStates(s, s) : s;
        bytes += JSON.stringify({ state: merged, profile: finalizeProfile(merged) }).length;
      }
      return { ms: performance.now() - t0, bytesPerUser: Math.round(bytes / fresh.size) };
    };
    const lines: string[] = [];
    for (let d = 0; d < DAYS; d++) {
      const js = await jsOnly(d);
      const a = await run(d);
      lines.push(
        `| day ${d + 1} (${d === 0 ? 'new users' : 'merge into stored'}) | ${Math.round(a.ms)} | ${Math.round(js.ms)} | ${Math.round(a.ms - js.ms)} | ${Math.round(POSTS / (a.ms / 1000))} | ${js.bytesPerUser} | ${JSON.stringify(a.r)} |`,
      );
    }
    const retry = await run(DAYS - 1);
    lines.push(`| retry of day ${DAYS} (all folded) | ${Math.round(retry.ms)} | | | ${Math.round(POSTS / (retry.ms / 1000))} | | ${JSON.stringify(retry.r)} |`);
    const { rows } = await db.query(`SELECT pg_total_relation_size('user_profile_state')::bigint AS b, count(*)::int AS n FROM user_profile_state`);
    console.log(`${POSTS} posts/day by ${AUTHORS} authors; user_profile_state: ${rows[0].n} rows, ${Math.round(Number(rows[0].b) / 1024 / 1024)} MiB`);
    console.log('| fold | activity ms | JS only ms | Postgres + JSON ms | posts/s | state+profile JSON bytes/user | result |');
    console.log('|---|---|---|---|---|---|---|');
    for (const l of lines) console.log(l);
  } finally {
    await db.end();
    await fs.rm(dir, { recursive: true, force: true });
    const admin = createDb(teamUrl, 1);
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

await main();
