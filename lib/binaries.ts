import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from './paths';

/**
 * Finds a server binary: an explicit env var, then the project's own bin folder that
 * scripts/setup.sh fills, then PATH. Returns null when none is there.
 */
export function findBinary(name: string, envVar?: string): string | null {
  const explicit = envVar ? process.env[envVar] : undefined;
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  const candidates = [path.join(dataDir(), 'bin', name), ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, name))];
  return candidates.find((c) => c && fs.existsSync(c)) ?? null;
}
