import pino from 'pino';

/**
 * Structured JSON logs on stderr, so stdout stays free for machine-readable command output.
 * Credentials are redacted by key wherever they appear in a logged object.
 */
export const logger = pino(
  {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service: 'socialsense' },
    redact: {
      paths: ['*.S3_SECRET_KEY', '*.secretKey', '*.password', '*.token', '*.accessToken', '*.authorization', '*.headers.authorization'],
      censor: '***',
    },
  },
  pino.destination(2),
);

export type Logger = pino.Logger;
