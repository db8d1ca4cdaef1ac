import { describe, expect, it } from 'vitest';
import { createAuthorRecommender } from '../../activities/insights';
import type { FeaturedPost } from '../../activities/features';
import type { Engagement } from '../../lib/schema';
import { csrFromTriples, trainAls } from '../../models/recommend/als';

const post = (id: string, author: string, text: string): FeaturedPost =>
  ({ id, author: { id: author, handle: author, followers: 1, created_at: null }, text, created_at: '2026-11-20T10:00:00Z', hashtags: [], mentions: [], urls: [], platform: 'x', lang: 'en', url: null, reply_to: null, repost_of: null, metrics: { likes: 0, reposts: 0, replies: 0, views: null }, features: { sentiment: { compound: 0, label: 'neutral', model: 'lexicon.v1' }, topic: null } }) as FeaturedPost;

describe('author recommendations', () => {
  const posts = [
    post('x:1', 'chef', 'pasta recipe with garlic and basil'),
    post('x:2', 'baker', 'sourdough bread recipe and garlic butter'),
    post('x:3', 'striker', 'late goal wins the derby match'),
    post('x:4', 'keeper', 'penalty saved in the derby match'),
    post('x:5', 'newcook', 'my first basil pasta recipe tonight'),
  ];
  const engagements: Engagement[] = [
    { user_id: 'fan', post_id: 'x:3', kind: 'like', at: '2026-11-20T11:00:00Z' },
    { user_id: 'fan', post_id: 'x:4', kind: 'like', at: '2026-11-20T11:00:00Z' },
    { user_id: 'foodie', post_id: 'x:1', kind: 'like', at: '2026-11-20T11:00:00Z' },
    { user_id: 'other', post_id: 'x:3', kind: 'repost', at: '2026-11-20T11:00:00Z' },
  ];

  it('recommends by content to a new user who only posts, by popularity to a stranger', () => {
    const recommend = createAuthorRecommender(null, posts, engagements);
    const forCook = recommend('newcook', 2);
    expect(forCook.map((r) => r.item)).toEqual(['chef', 'baker']);
    expect(forCook[0].kind).toBe('author (similar content)');
    const forStranger = recommend('nobody', 2);
    expect(forStranger).toEqual([
      { item: 'striker', kind: 'author (popular)', score: 2 },
      { item: 'chef', kind: 'author (popular)', score: 1 },
    ]);
  });

  it('blends the CF model with content for users it knows, never recommending what they already follow', () => {
    const users = ['fan', 'foodie', 'other'];
    const items = ['chef', 'baker', 'striker', 'keeper'];
    const csr = csrFromTriples(users.length, items.length, [0, 0, 1, 2], [2, 3, 0, 2], [1, 1, 1, 1]);
    const als = trainAls(csr, { factors: 2, iterations: 5, seed: 1, userIds: users, itemIds: items });
    const recommend = createAuthorRecommender(als, posts, engagements);
    const forFoodie = recommend('foodie', 3);
    expect(forFoodie[0]).toMatchObject({ item: 'baker', kind: 'author' }); // reads like the chef they like
    expect(forFoodie.map((r) => r.item)).not.toContain('chef');
  });
});
