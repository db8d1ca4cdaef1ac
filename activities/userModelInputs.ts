import type { Engagement } from '../lib/schema';
import { authorKey, engagementUserKey } from '../lib/platformName';
import { dailyActivity, type ActivityData } from '../models/users/engagement';
import type { ProfileEngagement, ProfilePost } from '../models/users/profile';
import type { FeaturedPost } from '../models/pipeline/features';

/** One stored post in the shape the pure user models take (models/ knows no post.v1); authors keyed by keyAuthorsInPlace first. */
export function profilePostOf(p: FeaturedPost): ProfilePost {
  return {
    id: p.id,
    authorId: p.author.id,
    createdAt: p.created_at,
    text: p.text,
    hashtags: p.hashtags,
    sentiment: p.features.sentiment.compound,
    topic: p.features.topic,
    followers: p.author.followers,
    // profiles add up the counts they know: a post whose export had none adds nothing (a known limit: its per-post
    // rates still count the post)
    likes: p.metrics.likes ?? 0,
    reposts: p.metrics.reposts ?? 0,
    replies: p.metrics.replies ?? 0,
  };
}

/** One stored engagement in the shape the pure user models take. */
export function profileEngagementOf(e: Engagement): ProfileEngagement {
  return { userId: e.user_id, postId: e.post_id, kind: e.kind, at: e.at };
}

/** Stored posts and engagements in the shape the pure user models take (models/ knows no post.v1). */
export function profileInputs(posts: readonly FeaturedPost[], engagements: readonly Engagement[]): { posts: ProfilePost[]; engagements: ProfileEngagement[] } {
  return { posts: posts.map(profilePostOf), engagements: engagements.map(profileEngagementOf) };
}

/**
 * Keys every author and engaging user by platform (lib/platformName.ts authorKey), in place, for every reader of
 * stored features and engagements (profiles, insights, training): features written before preprocess keyed authors
 * hold bare ids, and a window can mix both. The one place stored authors are keyed when read. Returns its arguments.
 */
export function keyAuthorsInPlace<P extends FeaturedPost, E extends Engagement>(posts: P[], engagements: E[]): { posts: P[]; engagements: E[] } {
  for (const p of posts) p.author.id = authorKey(p.platform, p.author.id);
  for (const e of engagements) e.user_id = engagementUserKey(e.post_id, e.user_id);
  return { posts, engagements };
}

/** Daily activity per user (posts written, engagements given and received) for engagement prediction; authors keyed by keyAuthorsInPlace first. */
export function activityOf(posts: readonly FeaturedPost[], engagements: readonly Engagement[]): ActivityData {
  return dailyActivity(
    posts.map((p) => ({ id: p.id, authorId: p.author.id, createdAt: p.created_at })),
    engagements.map((e) => ({ userId: e.user_id, postId: e.post_id, at: e.at })),
  );
}
