import type { Engagement } from '../lib/schema';
import { dailyActivity, type ActivityData } from '../models/users/engagement';
import type { ProfileEngagement, ProfilePost } from '../models/users/profile';
import type { FeaturedPost } from '../models/pipeline/features';

/** One stored post in the shape the pure user models take (models/ knows no post.v1). */
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
    likes: p.metrics.likes,
    reposts: p.metrics.reposts,
    replies: p.metrics.replies,
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

/** Daily activity per user (posts written, engagements given and received) for engagement prediction. */
export function activityOf(posts: readonly FeaturedPost[], engagements: readonly Engagement[]): ActivityData {
  return dailyActivity(
    posts.map((p) => ({ id: p.id, authorId: p.author.id, createdAt: p.created_at })),
    engagements.map((e) => ({ userId: e.user_id, postId: e.post_id, at: e.at })),
  );
}
