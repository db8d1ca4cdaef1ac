import { describe, expect, it } from 'vitest';
import { explainS3Error, ObjectStoreConfigError } from '../../lib/objectStore';

const ctx = { endpoint: 'http://127.0.0.1:9000', bucket: 'socialsense', op: 'reading posts/x.ndjson.gz' };
const s3Error = (code: string, message: string) => Object.assign(new Error(message), { code, name: 'S3Error' });

describe('S3 errors name the variable to fix', () => {
  const cases: Array<[string, string, string, string]> = [
    ['InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.', 'S3_ACCESS_KEY', 'BadCredentials'],
    ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', 'S3_SECRET_KEY', 'BadCredentials'],
    ['AccessDenied', 'Valid and authorized credentials required', 'S3_ACCESS_KEY and S3_SECRET_KEY', 'BadCredentials'],
    ['ExpiredToken', 'The provided token has expired.', 'S3_ACCESS_KEY and S3_SECRET_KEY', 'BadCredentials'],
    ['NoSuchBucket', 'The specified bucket does not exist', 'S3_BUCKET', 'BadBucket'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9000', 'S3_ENDPOINT', 'StorageUnreachable'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND minio.internal', 'S3_ENDPOINT', 'StorageUnreachable'],
  ];
  for (const [code, original, variable, name] of cases) {
    it(`${code} → ${variable}`, () => {
      const err = explainS3Error(s3Error(code, original), ctx) as ObjectStoreConfigError;
      expect(err).toBeInstanceOf(ObjectStoreConfigError);
      expect(err.variable).toBe(variable);
      expect(err.code).toBe(code);
      expect(err.name).toBe(name);
      expect(err.message).toContain(variable);
      // the original text is quoted, and the operation and the endpoint are said, so nothing is lost
      expect(err.message).toContain(`${code}: ${original}`);
      expect(err.message).toContain('(reading posts/x.ndjson.gz)');
      expect(err.message).toContain(variable === 'S3_BUCKET' ? '"socialsense"' : 'http://127.0.0.1:9000');
    });
  }

  it('an invalid bucket name from the client (no code, its own error class) names S3_BUCKET', () => {
    const invalid = Object.assign(new Error('Invalid bucket name: Bad_Bucket'), { name: 'InvalidBucketNameError' });
    const err = explainS3Error(invalid, { ...ctx, bucket: 'Bad_Bucket' }) as ObjectStoreConfigError;
    expect(err.variable).toBe('S3_BUCKET');
    expect(err.message).toMatch(/^"Bad_Bucket" is not a valid bucket name .*check S3_BUCKET/);
  });

  it('errors no setting explains come back unchanged (a missing key, a reset connection, anything else)', () => {
    for (const original of [
      s3Error('NoSuchKey', 'The specified key does not exist.'),
      s3Error('ECONNRESET', 'socket hang up'),
      new Error('boom'),
      'a string',
    ]) {
      expect(explainS3Error(original, ctx)).toBe(original);
    }
  });
});
