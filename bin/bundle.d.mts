// Types of bin/bundle.mjs (plain JavaScript, so bin/socialsense.mjs can use it before tsx is registered).
export const BUNDLE_DIR: string;
export function bundlingDisabled(env?: NodeJS.ProcessEnv): boolean;
export function bundle(opts: { entry: string; name: string; dir?: string }): string | null;
