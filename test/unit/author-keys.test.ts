/**
 * Authors are keyed by platform (lib/platformName.ts authorKey): the same bare id on two platforms, or in a file and in
 * the simulated network, is two people, and stays two profiles.
 */
import { describe, expect, it } from 'vitest';
import { authorKey, engagementUserKey } from '../../lib/platformName';
import { preprocessPosts } from '../../models/pipeline/preprocess';
import { keyAuthorsInPlace, profileInputs } from '../../activities/userModelInputs';
import { computeProfiles } from '../../models/users/profile';
import { testFeaturedPost } from '../helpers/posts';

describe('authorKey', () => {
  it.each([
    ['x', '12', 'x:12'],
    ['facebook', '12', 'facebook:12'],
    ['file', 'u123', 'file:u123'],
    ['simulated', 'u123', 'simulated:u123'],
    ['mastodon', 'mastodon.social/109', 'mastodon:mastodon.social/109'],
    ['bluesky', 'did:plc:abc', 'bluesky:did:plc:abc'],
    ['reddit', 't2_xyz', 'reddit:t2_xyz'],
    ['file', 'u/alice', 'file:u/alice'],
  ])('%s author %s is %s', (platform, id, key) => {
    expect(authorKey(platform, id)).toBe(key);
    expect(authorKey(platform, key)).toBe(key); // idempotent: a key is not keyed twice
  });

  it('leaves the ids of unnamed authors as they are', () => {
    expect(authorKey('file', 'unknown:file:r0a1')).toBe('unknown:file:r0a1');
    expect(authorKey('instagram', 'unknown:instagram:1789')).toBe('unknown:instagram:1789');
  });

  it("keys a user who engaged by the engaged post's platform", () => {
    expect(engagementUserKey('simulated:p9', 'u5')).toBe('simulated:u5');
    expect(engagementUserKey('mastodon:m.example/77', 'm.example/5')).toBe('mastodon:m.example/5');
    expect(() => engagementUserKey('p9', 'u5')).toThrow(/platform:native_id/);
  });
});

describe('preprocess keys every author by platform', () => {
  const post = (id: string, platform: string, authorId: string, text: string) => ({
    id,
    platform,
    author: { id: authorId, handle: 'same' },
    text,
    created_at: '2026-11-20T10:00:00Z',
  });

  it('so the same bare id on X, on Facebook, in a file and in the simulated network is four authors', () => {
    const { clean, counts } = preprocessPosts([
      post('x:1', 'x', '12', 'Loving the new release today'),
      post('facebook:2', 'facebook', '12', 'The weather was great this weekend'),
      post('file:3', 'file', 'u123', 'Quarterly numbers look strong to me'),
      post('simulated:4', 'simulated', 'u123', 'Trying a new coffee place downtown'),
      post('file:5', 'file', 'unknown:file:5', 'Nobody knows who wrote this one'),
    ]);
    expect(clean.map((p) => p.author.id)).toEqual(['x:12', 'facebook:12', 'file:u123', 'simulated:u123', 'unknown:file:5']);
    expect(counts.sanitized).toBe(0); // keying is not cleaning
  });

  it('and features written before (bare ids) are keyed when read, so old and new days make one profile', () => {
    const features = { sentiment: { compound: 0.5, label: 'positive' as const, model: 'lexicon' }, topic: 1 };
    const author = (id: string) => ({ author: { id, handle: 'seven', followers: 3, created_at: null } });
    const older = testFeaturedPost('simulated:a', 'an older day, bare id', features, author('u7'));
    const newer = testFeaturedPost('simulated:b', 'a newer day, keyed id', features, { ...author('simulated:u7'), created_at: '2026-11-29T10:00:00.000Z' });
    const other = testFeaturedPost('x:c', 'the same bare id on X', features, author('u7'));
    const { posts, engagements } = keyAuthorsInPlace(
      [older, newer, other],
      [{ user_id: 'u9', post_id: 'simulated:a', kind: 'like', at: '2026-11-28T12:00:00.000Z' }],
    );
    const inputs = profileInputs(posts, engagements);
    const profiles = new Map(computeProfiles(inputs.posts, inputs.engagements).map((p) => [p.userId, p]));
    expect([...profiles.keys()].sort()).toEqual(['simulated:u7', 'simulated:u9', 'x:u7']);
    expect(profiles.get('simulated:u7')!.posts).toBe(2);
    expect(profiles.get('x:u7')!.posts).toBe(1);
  });
});
