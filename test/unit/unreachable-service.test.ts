import { describe, expect, it } from 'vitest';
import { unreachableServiceMessage } from '../../cli/unreachableService';

/** What net.connect rejects with when nothing listens (Node's own fields). */
const refused = (port: number, address = '127.0.0.1') =>
  Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address, port });

const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/socialsense',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
};
const fix = '`socialsense services up` starts the local stack; `socialsense services status` shows what runs';

describe('a refused connection names its service', () => {
  it('by the setting whose port it is', () => {
    expect(unreachableServiceMessage(refused(5433), env)).toBe(
      `cannot reach Postgres at 127.0.0.1:5433 (DATABASE_URL): the connection was refused. Is it running? ${fix}`,
    );
    expect(unreachableServiceMessage(refused(9000), env)).toMatch(/^cannot reach the object store \(MinIO\/S3\) at 127\.0\.0\.1:9000 \(S3_ENDPOINT\)/);
    expect(unreachableServiceMessage(refused(7233), env)).toMatch(/^cannot reach Temporal at 127\.0\.0\.1:7233 \(TEMPORAL_ADDRESS\)/);
    expect(unreachableServiceMessage(refused(9092), env)).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:9092 \(KAFKA_BROKERS\)/);
    // Postgres's default port when the URL names none
    expect(unreachableServiceMessage(refused(5432), { DATABASE_URL: 'postgres://db.internal/socialsense' })).toMatch(
      /^cannot reach Postgres at 127\.0\.0\.1:5432/,
    );
  });

  it('deep in a cause chain, and without a matching setting still says where', () => {
    const wrapped = new Error('listing runs failed', { cause: refused(5433) });
    expect(unreachableServiceMessage(wrapped, env)).toMatch(/^cannot reach Postgres at 127\.0\.0\.1:5433 \(DATABASE_URL\)/);
    expect(unreachableServiceMessage(refused(6379), env)).toBe(`cannot reach a service at 127.0.0.1:6379: the connection was refused. Is it running? ${fix}`);
  });

  it('leaves every other error to the usual message', () => {
    expect(unreachableServiceMessage(new Error('boom'), env)).toBeNull();
    expect(unreachableServiceMessage(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), env)).toBeNull();
    expect(unreachableServiceMessage('a string', env)).toBeNull();
  });
});
