import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../lib/config';

const good = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:5433/socialsense',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_ACCESS_KEY: 'socialsense',
  S3_SECRET_KEY: 'very-secret-value',
};

describe('configuration', () => {
  it('accepts a complete environment and fills defaults', () => {
    expect(loadConfig(good)).toMatchObject({ TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'socialsense', S3_BUCKET: 'socialsense' });
  });

  it('names every missing or bad variable and what to do', () => {
    const attempt = () => loadConfig({ TEMPORAL_ADDRESS: 'localhost', S3_ENDPOINT: 'http://127.0.0.1:9000' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TEMPORAL_ADDRESS must be host:port/);
    expect(attempt).toThrow(/DATABASE_URL is missing/);
    expect(attempt).toThrow(/S3_ACCESS_KEY is missing/);
    expect(attempt).toThrow(/S3_SECRET_KEY is missing/);
    expect(attempt).toThrow(/socialsense services up/);
  });

  it('never echoes a secret, neither in errors nor in the loggable copy', () => {
    const bad = () => loadConfig({ ...good, DATABASE_URL: 'mysql://root:hunter2@db/x', S3_SECRET_KEY: 'very-secret-value' });
    // It must throw (an assertion only inside `catch` would pass when nothing is thrown) …
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/DATABASE_URL must be a postgres:\/\/ URL/);
    // … and its message names the variable without the values around it.
    let message = '';
    try {
      bad();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid configuration:\n {2}DATABASE_URL must be a postgres:\/\/ URL/);
    expect(message).not.toMatch(/hunter2|very-secret-value|mysql:/);
    // A bad S3 endpoint or bucket is named too, still without the secret.
    const badS3 = () => loadConfig({ ...good, S3_ENDPOINT: 'minio:9000', S3_BUCKET: 'Bad_Bucket', S3_SECRET_KEY: 'very-secret-value' });
    expect(badS3).toThrow(/S3_ENDPOINT must be an http\(s\):\/\/ URL/);
    expect(badS3).toThrow(/S3_BUCKET must be a valid bucket name/);
    expect(badS3).not.toThrow(/very-secret-value/);
    const safe = JSON.stringify(redactConfig(loadConfig(good)));
    expect(safe).not.toMatch(/very-secret-value|:pw@/);
    expect(safe).toMatch(/S3_SECRET_KEY":"\*\*\*"/);
  });

  it('allows a local folder as the object store without S3 keys', () => {
    expect(loadConfig({ ...good, S3_ENDPOINT: 'file:///tmp/objects', S3_ACCESS_KEY: '', S3_SECRET_KEY: '' }).S3_ENDPOINT).toBe('file:///tmp/objects');
  });
});
