import type { Post } from '../../lib/schema';
import type { FeaturedPost } from '../../models/pipeline/features';

/** A post.v1 record for tests: `id` (platform:native) and `text`, the rest empty or as `over` says. */
export function testPost(id: string, text: string, over: Partial<Post> = {}): Post {
  return {
    id,
    platform: id.split(':')[0],
    author: { id: 'author-1', handle: 'h1', followers: null, created_at: null },
    text,
    lang: 'en',
    created_at: '2026-11-28T10:00:00.000Z',
    url: null,
    metrics: { likes: 0, reposts: 0, replies: 0, views: null },
    reply_to: null,
    repost_of: null,
    hashtags: [],
    mentions: [],
    urls: [],
    ...over,
  };
}

/** testPost with features: a sentiment (compound, label, model) and a topic id. */
export function testFeaturedPost(id: string, text: string, features: FeaturedPost['features'], over: Partial<Post> = {}): FeaturedPost {
  return { ...testPost(id, text, over), features };
}
