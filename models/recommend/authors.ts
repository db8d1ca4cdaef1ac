/**
 * Author recommendations for the insights activity: which authors a user should engage with, from the
 * serving ALS model (collaborative filtering, models/recommend/als.ts) blended with TF-IDF content
 * similarity (models/recommend/content.ts blendScores), falling back to content alone for users the
 * model does not know and to popularity for users with nothing to go on.
 */
import { topN, type AlsModel } from './als';
import { blendScores, buildContentIndex } from './content';

/** What a post needs here: its id, its author's id and its text. */
export interface AuthoredPost {
  id: string;
  author: { id: string };
  text: string;
}

/** Up to `n` authors for `userId`, best first. */
export type AuthorRecommender = (userId: string, n: number) => AuthorRecommendation[];

export interface AuthorRecommendation {
  item: string;
  /** how it was found: collaborative filtering blended with content, content alone, or popularity */
  kind: 'author' | 'author (similar content)' | 'author (popular)';
  score: number;
}

/**
 * Who to engage with. Users the serving ALS model knows get CF scores blended with the content of
 * the authors they engaged with; new users with posts of their own get the authors whose posts read
 * most like theirs; everyone else gets the window's most engaged-with authors.
 *
 * The ALS model's items are author ids (null: no serving model, so content and popularity only);
 * `posts` and `engagements` are the window's. The returned function gives up to `n` authors for a
 * user, best first, never the user themself.
 */
export function createAuthorRecommender(als: AlsModel | null, posts: readonly AuthoredPost[], engagements: readonly { post_id: string }[]): AuthorRecommender {
  const authorOf = new Map(posts.map((p) => [p.id, p.author.id]));
  const textsBy = new Map<string, string[]>();
  for (const p of posts) (textsBy.get(p.author.id) ?? textsBy.set(p.author.id, []).get(p.author.id)!).push(p.text);
  const engagedWith = new Map<string, number>();
  for (const e of engagements) {
    const author = authorOf.get(e.post_id);
    if (author) engagedWith.set(author, (engagedWith.get(author) ?? 0) + 1);
  }
  const popular = [...engagedWith].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const itemIds = als?.itemIds ?? [...textsBy.keys()];
  const content = buildContentIndex(itemIds.map((id) => (textsBy.get(id) ?? []).join(' ')));
  const itemCounts = Float64Array.from(itemIds, (id) => engagedWith.get(id) ?? 0);
  const userIndex = new Map((als?.userIds ?? []).map((id, i) => [id, i]));
  const selfIndex = new Map(itemIds.map((id, i) => [id, i]));

  return (userId: string, n: number): AuthorRecommendation[] => {
    const u = userIndex.get(userId);
    const self = selfIndex.get(userId);
    if (als && u !== undefined) {
      const seen = als.seen(u);
      const blended = blendScores(als.scoreAll(u), content.scoreAll(content.profile(seen)), itemCounts, seen.length);
      const exclude = Int32Array.from(self === undefined ? seen : [...seen, self]).sort();
      return topN(blended, n, exclude).map((r) => ({ item: itemIds[r.index], kind: 'author', score: r.score }));
    }
    const own = textsBy.get(userId);
    if (own?.length) {
      const scores = content.scoreAll(content.vectorize(own.join(' ')));
      const similar = topN(scores, n, self === undefined ? undefined : Int32Array.of(self)).filter((r) => r.score > 0);
      if (similar.length > 0) return similar.map((r) => ({ item: itemIds[r.index], kind: 'author (similar content)', score: r.score }));
    }
    return popular
      .filter(([id]) => id !== userId)
      .slice(0, n)
      .map(([item, count]) => ({ item, kind: 'author (popular)', score: count }));
  };
}
