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
