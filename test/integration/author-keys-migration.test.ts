/**
 * Migration 010 (db/migrations/010_author_keys_by_platform.sql) on a database of its own on the stack's Postgres:
 * rows written with bare author ids (before authors were keyed by platform) are migrated to `platform:id`, and a
 * profile that merged authors of two platforms is left under its bare id with its posts unmarked for a re-fold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createDb, migrate, migrationsDir, type Db } from '../../lib/db';
import { databaseUrlFor } from '../../bench/benchDatabase';
import { requireStack } from '../helpers/stack';

const MIGRATION = '010_author_keys_by_platform';
// the migrations before it: the schema the rows below were written in
const MIGRATIONS_BEFORE = fs
  .readdirSync(migrationsDir)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .indexOf(`${MIGRATION}.sql`);
const database = `socialsense_authorkeys_${process.pid}_${Date.now() % 1e6}`;
let admin: Db;
let db: Db;

const insertScore = (postId: string, platform: string, authorId: string, partition: string) =>
  db.query(
    `INSERT INTO post_scores (post_id, run_key, partition, platform, author_id, created_at, text, hashtags, sentiment_compound, sentiment_label, sentiment_model)
     VALUES ($1, 'run-a', $2, $3, $4, '2026-11-20T10:00:00Z', 'hello', '{}', 0.5, 'positive', 'lexicon')`,
    [postId, partition, platform, authorId],
  );
const insertProfile = (userId: string, units: string[]) =>
  db.query(`INSERT INTO user_profile_state (user_id, state, profile, folded_days) VALUES ($1, $2, $3, $4)`, [
    userId,
    JSON.stringify({ userId, posts: 2 }),
    JSON.stringify({ userId, postsPerDay: 1 }),
    units,
  ]);

beforeAll(async () => {
  const stack = await requireStack();
  const teamUrl = stack.databaseUrl;
  await stack.close();
  admin = createDb(teamUrl, 1);
  await admin.query(`CREATE DATABASE ${database}`);
  const url = databaseUrlFor(teamUrl, database);
  expect(MIGRATIONS_BEFORE).toBeGreaterThan(0);
  expect(await migrate(url, MIGRATIONS_BEFORE)).not.toContain(MIGRATION);
  db = createDb(url, 2);
  // u1: only on X; u7: simulated; m/5: a Mastodon account; 42: an X user AND a Facebook user (merged before)
  await insertScore('x:100', 'x', 'u1', 'x/2026-11-20');
  await insertScore('simulated:p1', 'simulated', 'u7', 'simulated/2026-11-20');
  await insertScore('mastodon:m/9', 'mastodon', 'm/5', 'mastodon/2026-11-20');
  await insertScore('x:200', 'x', '42', 'x/2026-11-20');
  await insertScore('facebook:300', 'facebook', '42', 'facebook/2026-11-20');
  await insertScore('file:r1', 'file', 'unknown:file:r1', 'file/2026-11-20');
  await insertProfile('u1', ['x/2026-11-20#aaa']);
  await insertProfile('u7', ['simulated/2026-11-20#bbb']);
  await insertProfile('m/5', ['mastodon/2026-11-20#ccc']);
  await insertProfile('42', ['x/2026-11-20#aaa', 'facebook/2026-11-20#ddd']);
  await insertProfile('liker9', ['simulated/2026-11-20#bbb']); // engaged only: no posts of theirs
  await insertProfile('unknown:file:r1', ['file/2026-11-20#eee']);
  await db.query(
    `INSERT INTO user_insights (user_id, run_key, handle, profile, recommendations) VALUES ('u7', 'retrain-a', 'seven', '{"userId":"u7"}', '[]'), ('42', 'retrain-a', 'ft', '{"userId":"42"}', '[]')`,
  );
  await db.query(`INSERT INTO profile_folded_posts (post_id, unit) SELECT post_id, partition || '#u' FROM post_scores`);
  expect(await migrate(url)).toContain(MIGRATION);
}, 120_000);

afterAll(async () => {
  await db?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.end();
});

describe('migration 010: author ids keyed by platform', () => {
  it('gives every scored post its platform-keyed author, leaving unknown authors alone', async () => {
    const { rows } = await db.query<{ post_id: string; author_id: string }>(`SELECT post_id, author_id FROM post_scores ORDER BY post_id`);
    expect(Object.fromEntries(rows.map((r) => [r.post_id, r.author_id]))).toEqual({
      'facebook:300': 'facebook:42',
      'file:r1': 'unknown:file:r1',
      'mastodon:m/9': 'mastodon:m/5',
      'simulated:p1': 'simulated:u7',
      'x:100': 'x:u1',
      'x:200': 'x:42',
    });
  });

  it('renames one-platform profiles (inside their JSON too), an engaged-only user by its units, and keeps a merged one', async () => {
    const { rows } = await db.query<{ user_id: string; state: { userId: string }; profile: { userId: string } }>(
      `SELECT user_id, state, profile FROM user_profile_state ORDER BY user_id`,
    );
    expect(rows.map((r) => r.user_id)).toEqual(['42', 'mastodon:m/5', 'simulated:liker9', 'simulated:u7', 'unknown:file:r1', 'x:u1']);
    for (const r of rows) {
      expect(r.state.userId).toBe(r.user_id);
      expect(r.profile.userId).toBe(r.user_id);
    }
  });

  it('renames insights the same way', async () => {
    const { rows } = await db.query<{ user_id: string; profile: { userId: string } }>(`SELECT user_id, profile FROM user_insights ORDER BY user_id`);
    expect(rows.map((r) => [r.user_id, r.profile.userId])).toEqual([
      ['42', '42'],
      ['simulated:u7', 'simulated:u7'],
    ]);
  });

  it("takes the merged author's posts out of profile_folded_posts, so running those days again folds them by platform", async () => {
    const { rows } = await db.query<{ post_id: string }>(`SELECT post_id FROM profile_folded_posts ORDER BY post_id`);
    expect(rows.map((r) => r.post_id)).toEqual(['file:r1', 'mastodon:m/9', 'simulated:p1', 'x:100']);
  });
});
