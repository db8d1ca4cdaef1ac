/**
 * The Reddit connector's mapping of a listing child (GET /r/{sub}/new `data.children[]`, kind t3): what Reddit leaves of
 * a deleted or removed post is no text, the same rule as for Reddit's dumps and data-request CSVs.
 */
import { describe, expect, it } from 'vitest';
import { createRedditConnector } from '../../activities/collect/platforms/reddit';

const reddit = createRedditConnector();
const child = (data: Record<string, unknown>) => ({
  kind: 't3',
  data: {
    name: 't3_1habc',
    author: 'rd_alice',
    author_fullname: 't2_alice',
    created_utc: 1764410400,
    is_self: true,
    permalink: '/r/x/comments/1habc/t/',
    ...data,
  },
});
const map = (data: Record<string, unknown>) => {
  try {
    return reddit.toPost(child(data), { env: {}, query: 'x' }).text;
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
};

describe('Reddit connector: removed and deleted posts', () => {
  it('keeps the title of a post whose body was removed or deleted, without "[removed]"', () => {
    expect(map({ title: 'Heat pumps in old houses?', selftext: '[removed]' })).toBe('Heat pumps in old houses?');
    expect(map({ title: 'Heat pumps in old houses?', selftext: ' [deleted] ' })).toBe('Heat pumps in old houses?');
    expect(map({ title: 'Title', selftext: 'the body' })).toBe('Title\n\nthe body');
    expect(map({ title: 'Title', selftext: 'I [removed] the panels myself' })).toBe('Title\n\nI [removed] the panels myself'); // only the whole body
  });

  it('refuses a post with neither title nor body, saying why', () => {
    expect(map({ title: '', selftext: '[removed]' })).toBe('refused: no text (the post was deleted)');
    expect(map({ title: '  ', selftext: '' })).toBe('refused: no text (the post was empty)');
  });
});
