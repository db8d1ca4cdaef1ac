import type { Db } from '../lib/db';
import { withTransaction } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { inputDigest, readAllRecords, readRecordChunks } from '../lib/datasets';
import { insertRefusingBadRows, rethrowDataErrorAsNonRetryable } from '../lib/pgDataErrors';
import type { DatasetRef, Engagement } from '../lib/schema';
import { accumulateProfiles, finalizeProfile, mergeProfileStates, type ProfilePost, type ProfileState } from '../models/users/profile';
import type { FeaturedPost } from '../models/pipeline/features';
import { withHeartbeat } from './heartbeat';
import { keyAuthorsInPlace, profileEngagementOf, profilePostOf } from './userModelInputs';

export interface ProfileUpdateInput {
  /** `source/day` of the posts; with their content it names the unit folded into the profiles at most once */
  partition: string;
  features: DatasetRef;
  engagements?: DatasetRef | null;
}

export interface ProfileUpdateResult {
  updated: number;
  /** users whose profile already held this unit (a retry or re-run of the same data) */
  alreadyFolded: number;
  /** posts left out because profiles already held them (an earlier unit brought them) */
  postsAlreadyFolded?: number;
  refused?: number;
  refusedReasons?: string[];
}

export function createProfileActivities(deps: { store: ObjectStore; db: Db }) {
  const { store, db } = deps;
  return {
    /**
     * Folds one partition's posts and engagements into each author's stored profile state. A user's
     * state remembers which units it holds, so a re-run or retry of the same data changes nothing.
     * The unit is the partition *and its content* (`source/day#digest of the post ids and engagements`):
     * a second file imported for the same day is folded too, instead of being taken for the first.
     * A bare `source/day` entry (written before units had a digest) still counts as that whole day.
     * Each post is folded once whatever unit brings it (table profile_folded_posts): a later file that repeats
     * posts of an earlier one (a re-export, a longer export of the same days) adds only its new posts
     * (`postsAlreadyFolded` counts the others). Posts folded before that table existed are not in it.
     * A user row Postgres refuses for a data reason is left out (counted in `refused`, with the reason);
     * the other users are updated.
     */
    async updateUserProfiles(input: ProfileUpdateInput): Promise<ProfileUpdateResult> {
      // The features stream in chunks and only the fields a profile needs are kept: a whole partition of
      // FeaturedPosts (entities, features, author) held at once was the worker's largest heap (bench/README.md).
      const posts: ProfilePost[] = [];
      for await (const chunk of readRecordChunks<FeaturedPost>(store, input.features))
        for (const p of keyAuthorsInPlace(chunk, []).posts) posts.push(profilePostOf(p));
      const engagementRecords = input.engagements ? await readAllRecords<Engagement>(store, input.engagements) : [];
      const engagements = keyAuthorsInPlace([], engagementRecords).engagements.map(profileEngagementOf);
      // The model versions that scored the posts do not change what is folded, so only ids are in the digest.
      const unit = `${input.partition}#${inputDigest({ posts: posts.map((p) => p.id).sort(), engagements: input.engagements?.sha256 ?? null }).slice(0, 12)}`;
      return rethrowDataErrorAsNonRetryable(`updating user profiles for ${input.partition}`, () =>
        withHeartbeat(() =>
          withTransaction(db, async (client) => {
            // Partitions fold one at a time: concurrent partitions share most of their authors, and row
            // locks taken in parallel only make them wait on each other longer (measured in the benchmark).
            await client.query(`SELECT pg_advisory_xact_lock(hashtext('user_profile_state'))`);
            // Posts an earlier fold took (another file or unit with the same posts) are left out; the ids
            // inserted here are this fold's, and roll back with it.
            const { rows: taken } = await client.query<{ post_id: string }>(
              `INSERT INTO profile_folded_posts (post_id, unit) SELECT unnest($1::text[]), $2 ON CONFLICT (post_id) DO NOTHING RETURNING post_id`,
              [posts.map((p) => p.id), unit],
            );
            const takenIds = new Set(taken.map((r) => r.post_id));
            const newPosts = takenIds.size === posts.length ? posts : posts.filter((p) => takenIds.has(p.id));
            const fresh = accumulateProfiles(newPosts, engagements);
            const ids = [...fresh.keys()];
            const { rows } = await client.query(`SELECT user_id, state, folded_days FROM user_profile_state WHERE user_id = ANY($1) FOR UPDATE`, [ids]);
            const stored = new Map(rows.map((r) => [r.user_id as string, r as { state: ProfileState; folded_days: string[] }]));
            const upserts: Array<{ user_id: string; state: ProfileState; profile: unknown; folded_days: string[] }> = [];
            let alreadyFolded = 0;
            for (const [userId, state] of fresh) {
              const prior = stored.get(userId);
              if (prior?.folded_days.includes(unit) || prior?.folded_days.includes(input.partition)) {
                alreadyFolded++;
                continue;
              }
              const merged = prior ? mergeProfileStates(prior.state, state) : state;
              upserts.push({ user_id: userId, state: merged, profile: finalizeProfile(merged), folded_days: [...(prior?.folded_days ?? []), unit] });
            }
            const refused = await insertRefusingBadRows(client, upserts, (batch) =>
              client.query(
                `INSERT INTO user_profile_state (user_id, state, profile, folded_days)
             SELECT t.user_id, t.state, t.profile, ARRAY(SELECT jsonb_array_elements_text(t.folded_days))
             FROM jsonb_to_recordset($1::jsonb) AS t(user_id text, state jsonb, profile jsonb, folded_days jsonb)
             ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state, profile = EXCLUDED.profile,
               folded_days = EXCLUDED.folded_days, updated_at = now()`,
                [JSON.stringify(batch)],
              ),
            );
            return {
              updated: upserts.length - refused.length,
              alreadyFolded,
              postsAlreadyFolded: posts.length - newPosts.length,
              refused: refused.length,
              refusedReasons: refused.slice(0, 20).map((r) => `user ${JSON.stringify(r.row.user_id)}: ${r.reason}`),
            };
          }),
        ),
      );
    },
  };
}
