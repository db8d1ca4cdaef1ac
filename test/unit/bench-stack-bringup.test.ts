import { describe, expect, it } from 'vitest';
import { ensureStack, endpointsToProbe, planStackBringUp, stackEndpoints, type Endpoint, type ServiceName } from '../../bench/stackBringUp';

const LOCAL_ENV = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/socialsense',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
};

describe('bench: which endpoints the configured stack has', () => {
  it('reads host and port from each variable, with the protocol defaults', () => {
    expect(stackEndpoints(LOCAL_ENV)).toEqual([
      { service: 'temporal', variable: 'TEMPORAL_ADDRESS', host: '127.0.0.1', port: 7233 },
      { service: 'postgres', variable: 'DATABASE_URL', host: '127.0.0.1', port: 5433 },
      { service: 'minio', variable: 'S3_ENDPOINT', host: '127.0.0.1', port: 9000 },
    ]);
    expect(stackEndpoints({ DATABASE_URL: 'postgresql://u:p@db.example.com/x', S3_ENDPOINT: 'https://s3.example.com' })).toEqual([
      { service: 'postgres', variable: 'DATABASE_URL', host: 'db.example.com', port: 5432 },
      { service: 'minio', variable: 'S3_ENDPOINT', host: 's3.example.com', port: 443 },
    ]);
  });

  it('a file:// object store and unset variables have nothing to probe', () => {
    expect(stackEndpoints({ S3_ENDPOINT: 'file:///tmp/objects' })).toEqual([]);
    expect(stackEndpoints({})).toEqual([]);
  });

  it('with nothing configured it probes where scripts/services.sh runs the stack, honouring its port overrides', () => {
    expect(endpointsToProbe({}).map((e) => `${e.service}@${e.port}`)).toEqual(['temporal@7233', 'minio@9000', 'postgres@5433']);
    expect(endpointsToProbe({ SOCIALSENSE_PG_PORT: '6543' }).find((e) => e.service === 'postgres')!.port).toBe(6543);
  });
});

describe('bench: what to do when the stack is down', () => {
  const down = (env: NodeJS.ProcessEnv, ...services: ServiceName[]): Endpoint[] => endpointsToProbe(env).filter((e) => services.includes(e.service));

  it('uses a configured stack that answers', () => {
    expect(planStackBringUp(LOCAL_ENV, [])).toEqual({ action: 'use' });
  });

  it('starts the local services that are down (the ECONNREFUSED 127.0.0.1:5433 case)', () => {
    expect(planStackBringUp(LOCAL_ENV, down(LOCAL_ENV, 'postgres'))).toEqual({ action: 'start-local', start: ['postgres'] });
    expect(planStackBringUp(LOCAL_ENV, down(LOCAL_ENV, 'postgres', 'temporal', 'minio'))).toEqual({
      action: 'start-local',
      start: ['temporal', 'minio', 'postgres'],
    });
    const localhost = { ...LOCAL_ENV, DATABASE_URL: 'postgres://postgres@localhost:5433/socialsense' };
    expect(planStackBringUp(localhost, down(localhost, 'postgres'))).toEqual({ action: 'start-local', start: ['postgres'] });
  });

  it('with nothing configured (no .env yet) runs services.sh up, starting only what is down', () => {
    expect(planStackBringUp({}, down({}, 'temporal', 'minio', 'postgres'))).toEqual({ action: 'start-local', start: ['temporal', 'minio', 'postgres'] });
    // all three already answer: services.sh up still writes .env, and nothing is ours to stop afterwards
    expect(planStackBringUp({}, [])).toEqual({ action: 'start-local', start: [] });
  });

  it('a variable left unset beside configured ones comes from the .env that services.sh writes', () => {
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:7233', S3_ENDPOINT: 'http://127.0.0.1:9000' };
    expect(planStackBringUp(env, [])).toEqual({ action: 'start-local', start: ['postgres'] });
  });

  it('does not start anything for a remote stack that does not answer, and names it', () => {
    const env = { ...LOCAL_ENV, DATABASE_URL: 'postgres://u@db.example.com:5432/x' };
    const plan = planStackBringUp(
      env,
      stackEndpoints(env).filter((e) => e.service === 'postgres'),
    );
    expect(plan.action).toBe('fail');
    expect(plan.action === 'fail' && plan.message).toMatch(/postgres at db\.example\.com:5432 \(DATABASE_URL\)/);
    expect(plan.action === 'fail' && plan.message).toMatch(/bash scripts\/services\.sh up/);
  });
});

describe('bench: bringing the stack up', () => {
  /** A fake machine: which ports answer, and what services.sh does to them. */
  function machine(opts: { up: number[]; upWorks?: boolean; writesEnv?: NodeJS.ProcessEnv }) {
    const listening = new Set(opts.up);
    const calls: string[] = [];
    const env: NodeJS.ProcessEnv = {};
    let envFile: NodeJS.ProcessEnv = {};
    const portOf: Record<ServiceName, number> = { temporal: 7233, minio: 9000, postgres: 5433 };
    return {
      env,
      calls,
      listening,
      deps: {
        env,
        probe: async (_host: string, port: number) => listening.has(port),
        loadEnv: () => {
          for (const [k, v] of Object.entries(envFile)) env[k] ??= v;
        },
        log: () => undefined,
        services: async (action: 'up' | 'down', services: readonly ServiceName[]) => {
          calls.push(`${action} ${services.join(',') || 'all'}`);
          if (opts.upWorks === false) return 1;
          const affected = services.length ? services : (['temporal', 'minio', 'postgres'] as ServiceName[]);
          for (const s of affected) action === 'up' ? listening.add(portOf[s]) : listening.delete(portOf[s]);
          if (action === 'up') envFile = opts.writesEnv ?? LOCAL_ENV;
          return 0;
        },
      },
    };
  }

  it('starts the stack that is down, connects after, and stops only what it started', async () => {
    const m = machine({ up: [7233] }); // the shared Temporal runs, MinIO and Postgres do not
    const result = await ensureStack(m.deps);
    expect(result.started).toEqual(['minio', 'postgres']);
    expect(m.calls).toEqual(['up minio,postgres']);
    expect(m.env.DATABASE_URL).toBe(LOCAL_ENV.DATABASE_URL); // .env applied after services.sh wrote it
    await result.stop();
    expect(m.calls).toEqual(['up minio,postgres', 'down minio,postgres']);
    expect([...m.listening]).toEqual([7233]);
  });

  it('leaves a running stack alone', async () => {
    const m = machine({ up: [7233, 9000, 5433] });
    Object.assign(m.env, LOCAL_ENV);
    const result = await ensureStack(m.deps);
    expect(result.started).toEqual([]);
    await result.stop();
    expect(m.calls).toEqual([]);
  });

  it('says what to run when services.sh up fails', async () => {
    const m = machine({ up: [], upWorks: false });
    await expect(ensureStack(m.deps)).rejects.toThrow(/bash scripts\/services\.sh up` failed \(exit 1.*run it yourself/);
  });

  it('names the endpoint that still does not answer after services.sh up (an exported variable wins over .env)', async () => {
    const m = machine({ up: [] });
    Object.assign(m.env, { ...LOCAL_ENV, DATABASE_URL: 'postgres://postgres@127.0.0.1:6000/socialsense' });
    await expect(ensureStack(m.deps)).rejects.toThrow(/postgres at 127\.0\.0\.1:6000 \(DATABASE_URL\) does not answer/);
  });
});
