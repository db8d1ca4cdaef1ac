import pino from 'pino';
import { maskSecrets } from './secrets';

/**
 * Structured JSON logs on stderr, so stdout stays free for machine-readable command output.
 * Credentials are redacted by key wherever they appear in a logged object, and every finished line
 * goes through `maskSecrets` (lib/secrets.ts) before it is written: a token quoted inside a message, an
 * error's text or a nested field is masked whatever key or shape carries it, including the Temporal
 * SDK's activity-failure logs that lib/runtime.ts routes here.
 */

/** A pino destination that masks each serialised line; `write` receives whole lines. */
export function maskingDestination(dest: { write(line: string): unknown }): pino.DestinationStream {
  return { write: (line: string) => void dest.write(maskSecrets(line)) };
}

const REDACTED_KEYS = [
  '*.S3_SECRET_KEY',
  '*.S3_ACCESS_KEY',
  '*.secretKey',
  '*.accessKey',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.client_secret',
  '*.authorization',
  '*.headers.authorization',
];

/** The project's logger configuration, writing to `dest` (stderr for `logger`; tests pass a collector). */
export function createLogger(dest: { write(line: string): unknown } = pino.destination(2), level = process.env.LOG_LEVEL ?? 'info'): pino.Logger {
  return pino(
    {
      level,
      base: { service: 'socialsense' },
      redact: { paths: REDACTED_KEYS, censor: '***' },
      // errors under either key keep their message, type and stack (an Error's own fields are not
      // enumerable, so without this the Temporal SDK's `error` meta is logged as {}); masked below
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    maskingDestination(dest),
  );
}

export const logger = createLogger();

export type Logger = pino.Logger;
