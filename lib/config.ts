import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { projectRoot } from './paths';

/**
 * Every setting comes from the environment; `.env` (written by `socialsense services up`) only fills
 * variables that are not already set, so an explicit export always wins.
 */
export function loadDotEnv(file = process.env.SOCIALSENSE_ENV_FILE ?? path.join(projectRoot, '.env')): void {
  if (fs.existsSync(file)) dotenv.config({ path: file, override: false, quiet: true });
}

const hostPort = z.string({ error: 'is missing' }).regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');

const postgresUrl = z
  .string({ error: 'is missing' })
  .refine((v) => /^postgres(ql)?:\/\/.+/.test(v), 'must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5433/socialsense');

const s3Endpoint = z
  .string({ error: 'is missing' })
  .refine((v) => /^(https?|file):\/\/.+/.test(v), 'must be an http(s):// URL of an S3 API (e.g. http://127.0.0.1:9000) or file:///dir for a local folder');

export const temporalConfigSchema = z.object({
  TEMPORAL_ADDRESS: hostPort,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('socialsense'),
});

export const databaseConfigSchema = z.object({ DATABASE_URL: postgresUrl });

export const storageConfigSchema = z
  .object({
    S3_ENDPOINT: s3Endpoint,
    S3_ACCESS_KEY: z.string().optional(),
    S3_SECRET_KEY: z.string().optional(),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name (lowercase letters, digits, dots, hyphens)')
      .default('socialsense'),
    S3_REGION: z.string().default('us-east-1'),
  })
  .superRefine((v, ctx) => {
    if (v.S3_ENDPOINT.startsWith('file:')) return;
    for (const key of ['S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
      if (!v[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is missing (required when S3_ENDPOINT is ${v.S3_ENDPOINT})` });
    }
  });

export const configSchema = temporalConfigSchema.and(databaseConfigSchema).and(storageConfigSchema);

export type TemporalConfig = z.infer<typeof temporalConfigSchema>;
export type DatabaseConfig = z.infer<typeof databaseConfigSchema>;
export type StorageConfig = z.infer<typeof storageConfigSchema>;
export type Config = TemporalConfig & DatabaseConfig & StorageConfig;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const hint = 'Run `socialsense services up` to start the local stack (it writes .env), or export the variable; see README "Configuration".';

/** Validates the environment; the error names every bad or missing variable and never echoes a secret. */
export function parseConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(config)'} ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}\n${hint}`);
}

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => parseConfig(configSchema, env);

/** True when the user pointed SocialSense at any external service; the demo then uses them. */
export function hasExternalServices(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.TEMPORAL_ADDRESS || env.DATABASE_URL || env.S3_ENDPOINT);
}

/** A copy safe to log: secrets and passwords inside URLs are masked. */
export function redactConfig(config: Partial<Config>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (/SECRET|PASSWORD|TOKEN|KEY$/.test(k) && k !== 'S3_ACCESS_KEY') out[k] = '***';
    else out[k] = String(v).replace(/(\/\/[^:/@]+:)[^@]+@/, '$1***@');
  }
  return out;
}
