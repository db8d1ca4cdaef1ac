/**
 * What a pipeline run is: its workflow id (the run key of every row and dataset it writes) is derived
 * from everything that makes its input differ, so two different inputs are two runs and the same input
 * started again is the same run (Temporal attaches to it while it runs, and a re-run after it ended
 * rewrites the same rows). Used by the CLI and by workflow code (backfill days), so it is pure and
 * deterministic: no Node APIs, no clock, no randomness.
 */
import { addDays } from '../lib/dates';
import type { PipelineInput } from './pipeline';

/** Defaults the collect workflow applies; they are part of the identity, so a default and its explicit value are one run. */
export const SIMULATED_DEFAULTS = { posts: 500, seed: 42, users: 300 } as const;

/** The input fields that decide a pipeline run's data (their meaning: CollectInput and PipelineInput). */
export type RunIdentityInput = Pick<
  PipelineInput,
  'source' | 'date' | 'days' | 'posts' | 'seed' | 'users' | 'query' | 'since' | 'until' | 'file' | 'languages' | 'instance'
>;

/**
 * FNV-1a, 64 bits, over the UTF-16 code units of `text`, as 16 hex digits. Not cryptographic: it
 * only has to tell inputs apart, and workflow code cannot use node:crypto.
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** JSON with object keys sorted and undefined members left out: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Languages as a set: order, case, spaces and repeats do not make a different run. Empty = keep all. */
export function normalizeLanguages(languages: readonly string[] | null | undefined): string[] | null {
  if (!languages) return null;
  const set = [...new Set(languages.map((l) => l.trim().toLowerCase()).filter(Boolean))].sort();
  return set.length > 0 ? set : null;
}

/**
 * The normalised input that identifies a run: only what decides its data, with defaults filled in.
 * A file is identified by its content digest when the caller could read it (`fileDigest`), else by its
 * path; the day and window do not matter to a file (its posts are partitioned by their own times).
 * @param input pipeline input (dates as YYYY-MM-DD)
 * @param opts.fileDigest sha256 (hex) of the file's bytes, computed where the file is readable
 */
export function runIdentity(input: RunIdentityInput, opts: { fileDigest?: string | null } = {}): Record<string, unknown> {
  const source = input.source ?? 'simulated';
  const languages = normalizeLanguages(input.languages);
  if (source === 'file') {
    const f = input.file;
    const mapping = Object.fromEntries(Object.entries(f?.mapping ?? {}).filter(([, v]) => v !== undefined && v !== ''));
    return {
      source,
      file: opts.fileDigest ? { sha256: opts.fileDigest } : { path: f?.path ?? null },
      format: f?.format ?? null,
      mapping,
      platform: f?.platform ?? 'file',
      languages,
    };
  }
  const date = input.date ?? null;
  const days = input.days ?? 1;
  if (source === 'simulated') {
    return {
      source,
      date,
      days,
      posts: input.posts ?? SIMULATED_DEFAULTS.posts,
      seed: input.seed ?? SIMULATED_DEFAULTS.seed,
      users: input.users ?? SIMULATED_DEFAULTS.users,
      languages,
    };
  }
  return {
    source,
    // only when set (a non-default instance): the runs of the default instance keep the keys they had
    ...(input.instance ? { instance: input.instance } : {}),
    query: input.query ?? null,
    since: input.since ?? (date ? addDays(date, 1 - days) : null),
    until: input.until ?? (date ? addDays(date, 1) : null),
    posts: input.posts ?? null,
    languages,
  };
}

/** 12 hex digits of the identity: short enough to read, 48 bits so distinct inputs do not collide in practice. */
export function runDigest(input: RunIdentityInput, opts: { fileDigest?: string | null } = {}): string {
  return fnv1a64(canonicalJson(runIdentity(input, opts))).slice(0, 12);
}

/** A file name as it may appear inside a workflow id: letters, digits, `.`, `_`, `-`; at most 40 characters. */
function fileLabel(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? 'file';
  return base.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40) || 'file';
}

/**
 * The workflow id (= run key) of a pipeline run:
 * `pipeline-<source>-<date>-<digest>`, or `pipeline-file-<file name>-<digest>` for a file import.
 * The readable part is for people; the digest is what makes it unique per input.
 */
export function pipelineRunKey(input: RunIdentityInput, opts: { fileDigest?: string | null } = {}): string {
  const source = input.source ?? 'simulated';
  const digest = runDigest(input, opts);
  if (source === 'file') return `pipeline-file-${fileLabel(input.file?.path ?? 'file')}-${digest}`;
  return `pipeline-${source}-${input.date ?? 'latest'}-${digest}`;
}
