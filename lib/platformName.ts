/**
 * Platform names: the prefix of every post id (`platform:native_id`) and the `platform` field of post.v1.
 * One pattern, shared by the post schema, the CLI's `--platform` option and the collect workflow, so a
 * name the CLI accepts is never one the schema then quarantines row by row. No imports: workflow code
 * uses it too.
 */

/** Lower-case letter first, then lower-case letters, digits, `_` or `-`; 1–32 characters. */
export const PLATFORM_NAME_SOURCE = '[a-z][a-z0-9_-]{0,31}';
export const PLATFORM_NAME = new RegExp(`^${PLATFORM_NAME_SOURCE}$`);
/** post.v1 ids: a platform name, a colon, a non-empty native id. */
export const POST_ID = new RegExp(`^${PLATFORM_NAME_SOURCE}:.+$`);

export const PLATFORM_NAME_RULE = 'a lower-case letter followed by up to 31 lower-case letters, digits, "_" or "-" (pattern /^[a-z][a-z0-9_-]{0,31}$/)';

/**
 * Why `name` cannot be a platform name, or null when it can.
 * @param name the platform name exactly as given (no normalisation here)
 */
export function platformNameProblem(name: string): string | null {
  if (PLATFORM_NAME.test(name)) return null;
  return `platform name "${name}" is not allowed: use ${PLATFORM_NAME_RULE}, e.g. "p2" or "my-platform"`;
}

/**
 * The CLI's reading of a platform name: surrounding spaces dropped and upper case lowered, since
 * `--platform X` can only mean the platform `x`; anything else that breaks the pattern is refused.
 * @returns the normalised name
 * @throws Error with the rule when the name still does not match
 */
export function normalizePlatformName(value: string): string {
  const name = value.trim().toLowerCase();
  const problem = platformNameProblem(name);
  if (problem) throw new Error(problem.replace(`"${name}"`, JSON.stringify(value)));
  return name;
}

/** Prefix of the ids of authors a record does not name (activities/collect/platforms/mapping.ts unknownAuthor). */
export const UNKNOWN_AUTHOR_PREFIX = 'unknown:';

/**
 * The key an author is known by everywhere after collection (clean and features zones, `post_scores.author_id`,
 * profiles, insights, recommenders): `platform:native_id`, the rule post ids follow. Numeric ids are only unique
 * within a platform (X's 12 and a Facebook 12), and a generic file's `u123` is not the simulated network's `u123`,
 * so a bare id would merge different people into one profile.
 *
 * Idempotent: an id that already starts with `platform:` (a key made before, or a file column that holds keys) and
 * the `unknown:…` ids of authors no record names are returned as they are. Engagements take their post's platform
 * (engagementUserKey).
 * @param platform the post's platform (lib/platformName.ts PLATFORM_NAME)
 * @param id the author id the source gives (X user id, Mastodon `host/account_id`, Bluesky DID, a file's column)
 * @returns the author key
 */
export function authorKey(platform: string, id: string): string {
  if (id.startsWith(UNKNOWN_AUTHOR_PREFIX)) return id;
  const prefix = `${platform}:`;
  return id.startsWith(prefix) ? id : prefix + id;
}

/**
 * The author key of a user who engaged with a post (liked, reposted, replied): the engagement happened on the
 * post's platform, so the user is keyed by the platform part of `postId` (`platform:native_id`).
 * @throws Error when `postId` has no platform part (post ids are validated by the post schema before this)
 */
export function engagementUserKey(postId: string, userId: string): string {
  const colon = postId.indexOf(':');
  if (colon < 1) throw new Error(`engagement on post "${postId}": a post id must look like "platform:native_id"`);
  return authorKey(postId.slice(0, colon), userId);
}
