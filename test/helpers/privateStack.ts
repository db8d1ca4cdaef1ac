import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import dotenv from 'dotenv';
import { freePort } from '../../lib/net';
import { dataDir, projectRoot } from '../../lib/paths';
import { connectStack, type Stack } from '../../lib/stack';

const run = promisify(execFile);
const SERVICES = path.join(projectRoot, 'scripts', 'services.sh');
export type Service = 'temporal' | 'minio' | 'postgres';

/**
 * A whole local stack (Temporal, MinIO, Postgres) of a test's own: its own data folder under the temp
 * dir, its own free ports, started with scripts/services.sh exactly as `npm test` starts the shared
 * one. Fault tests stop and restart its services without disturbing the shared stack that other test
 * files use at the same time. Binaries come from the project's .data/bin (scripts/setup.sh fills it).
 * Fails, never skips, when it cannot start.
 */
export interface PrivateStack {
  /** the process environment that points every client (and a spawned CLI) at this stack */
  env: NodeJS.ProcessEnv;
  stack: Stack;
  ports: Record<Service, number>;
  /** `scripts/services.sh <action> <service>` on this stack */
  services(action: 'up' | 'down', service: Service): Promise<void>;
  /** whether the service's port accepts a TCP connection right now */
  listening(service: Service): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startPrivateStack(name: string): Promise<PrivateStack> {
  const bin = path.join(dataDir(), 'bin');
  for (const b of ['temporal', 'minio', 'pg_ctl']) {
    if (!fs.existsSync(path.join(bin, b))) throw new Error(`a private stack needs ${b} in ${bin}: run scripts/setup.sh`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socialsense-${name}-`));
  // Postgres runs as its own user when the tests run as root: it must be able to enter the folder.
  fs.chmodSync(dir, 0o755);
  fs.symlinkSync(bin, path.join(dir, 'bin'));
  const ports = {
    temporal: await freePort(),
    temporalUi: await freePort(),
    minio: await freePort(),
    minioConsole: await freePort(),
    postgres: await freePort(),
  };
  const envFile = path.join(dir, 'env');
  const base: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|DATABASE_URL|S3_)/.test(k)));
  const serviceEnv: NodeJS.ProcessEnv = {
    ...base,
    SOCIALSENSE_DATA_DIR: dir,
    SOCIALSENSE_TEMPORAL_PORT: String(ports.temporal),
    SOCIALSENSE_TEMPORAL_UI_PORT: String(ports.temporalUi),
    SOCIALSENSE_MINIO_PORT: String(ports.minio),
    SOCIALSENSE_MINIO_CONSOLE_PORT: String(ports.minioConsole),
    SOCIALSENSE_PG_PORT: String(ports.postgres),
    SOCIALSENSE_ENV_FILE: envFile,
  };
  const services = async (action: 'up' | 'down', service?: Service) => {
    try {
      await run('bash', [SERVICES, action, ...(service ? [service] : [])], { env: serviceEnv, timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`services.sh ${action} ${service ?? ''} on the private stack in ${dir} failed: ${e.stderr || e.message}`);
    }
  };
  const stopAll = async () => {
    await services('down').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let stack: Stack;
  try {
    await services('up');
    // The binaries read their data folder from SOCIALSENSE_DATA_DIR; the clients read what services.sh wrote.
    const env = { ...serviceEnv, ...dotenv.parse(fs.readFileSync(envFile)) };
    stack = await connectStack(env);
    const servicePorts: Record<Service, number> = { temporal: ports.temporal, minio: ports.minio, postgres: ports.postgres };
    return {
      env,
      stack,
      ports: servicePorts,
      services: (action, service) => services(action, service),
      listening: (service) =>
        new Promise((resolve) => {
          const socket = net.connect(servicePorts[service], '127.0.0.1');
          socket.once('connect', () => (socket.destroy(), resolve(true)));
          socket.once('error', () => resolve(false));
        }),
      async stop() {
        await stack.close().catch(() => undefined);
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
