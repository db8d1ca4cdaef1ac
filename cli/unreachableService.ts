/**
 * Names the service behind a refused connection. A command run while Postgres (or MinIO, Kafka) is down failed with
 * Node's bare `connect ECONNREFUSED 127.0.0.1:5433`, which says neither what is at that port nor how to start it.
 */
import { causeChain } from '../lib/failures';

/** The settings that point at a service, with the service's name (lib/config, .env written by scripts/services.sh). */
const ENDPOINTS: Array<{ variable: string; service: string; port: (value: string) => string | null }> = [
  { variable: 'DATABASE_URL', service: 'Postgres', port: (v) => urlPort(v, '5432') },
  { variable: 'S3_ENDPOINT', service: 'the object store (MinIO/S3)', port: (v) => urlPort(v, v.startsWith('https:') ? '443' : '80') },
  { variable: 'TEMPORAL_ADDRESS', service: 'Temporal', port: (v) => v.split(':').at(-1) ?? null },
  { variable: 'KAFKA_BROKERS', service: 'Kafka', port: (v) => v.split(',')[0]?.split(':').at(-1) ?? null },
];

function urlPort(value: string, fallback: string): string | null {
  try {
    const u = new URL(value);
    return u.port || fallback;
  } catch {
    return null;
  }
}

/**
 * One line for a refused connection anywhere in `err`'s cause chain: which service (by the setting whose port it
 * is), where, and how to start it; null when the error is not a refused connection.
 */
export function unreachableServiceMessage(err: unknown, env: NodeJS.ProcessEnv = process.env): string | null {
  const refused = causeChain(err).find(
    (e): e is { code: string; address?: string; port?: number } => typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ECONNREFUSED',
  );
  if (!refused) return null;
  const where = refused.address && refused.port ? `${refused.address}:${refused.port}` : 'its address';
  const match = ENDPOINTS.find((s) => env[s.variable] && refused.port !== undefined && s.port(env[s.variable]!) === String(refused.port));
  const what = match ? `${match.service} at ${where} (${match.variable})` : `a service at ${where}`;
  return `cannot reach ${what}: the connection was refused. Is it running? \`socialsense services up\` starts the local stack; \`socialsense services status\` shows what runs`;
}
