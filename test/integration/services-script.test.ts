import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/net';
import { dataDir, projectRoot } from '../../lib/paths';

const run = promisify(execFile);
const SERVICES = path.join(projectRoot, 'scripts', 'services.sh');

/**
 * scripts/services.sh must not take a process it did not start for its own. A MinIO left by another clone on
 * port 9000 used to answer the readiness check while the new one exited on the taken port; the tests then failed
 * with S3 SignatureDoesNotMatch (the other's secret). Each case holds a port with a plain TCP listener.
 */
describe('services.sh refuses a port taken by another process', () => {
  let dir: string;
  let holder: net.Server;
  let held: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsense-services-'));
    fs.chmodSync(dir, 0o755);
    fs.symlinkSync(path.join(dataDir(), 'bin'), path.join(dir, 'bin'));
    holder = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    held = (holder.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await run('bash', [SERVICES, 'down'], { env: await envWith({}) }).catch(() => undefined);
    await new Promise((resolve) => holder.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function envWith(ports: Record<string, number>): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...process.env, SOCIALSENSE_DATA_DIR: dir, SOCIALSENSE_ENV_FILE: path.join(dir, 'env') };
    for (const name of ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'MINIO_PORT', 'MINIO_CONSOLE_PORT', 'PG_PORT', 'KAFKA_PORT', 'KAFKA_CONTROLLER_PORT'])
      env[`SOCIALSENSE_${name}`] = String(ports[name] ?? (await freePort()));
    return env;
  }

  async function upFails(service: string, ports: Record<string, number>): Promise<{ code: number; stderr: string; started: boolean }> {
    try {
      await run('bash', [SERVICES, 'up', service], { env: await envWith(ports), timeout: 60_000 });
      return { code: 0, stderr: '', started: true };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr, started: fs.existsSync(path.join(dir, 'run', `${service}.pid`)) };
    }
  }

  it.each([
    ['minio', 'MINIO_PORT'],
    ['minio', 'MINIO_CONSOLE_PORT'],
    ['temporal', 'TEMPORAL_PORT'],
    ['temporal', 'TEMPORAL_UI_PORT'],
    ['postgres', 'PG_PORT'],
  ])('%s with SOCIALSENSE_%s taken: exit 1, names the port and the setting, starts nothing', async (service, setting) => {
    const out = await upFails(service, { [setting]: held });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`${service}: port ${held} is taken by a process this script did not start`);
    expect(out.stderr).toContain(`set SOCIALSENSE_${setting} to a free port`);
    expect(out.started).toBe(false);
  });

  it('a service it already runs, asked for on another port: exit 1, names the port it runs on, writes no settings', async () => {
    const ports = { MINIO_PORT: await freePort(), MINIO_CONSOLE_PORT: await freePort() };
    await run('bash', [SERVICES, 'up', 'minio'], { env: await envWith(ports), timeout: 90_000 });
    try {
      const envFile = path.join(dir, 'env');
      fs.rmSync(envFile, { force: true });
      const other = await freePort();
      const out = await upFails('minio', { ...ports, MINIO_PORT: other });
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(
        `minio already runs for this checkout on port ${ports.MINIO_PORT}, not ${other}: set SOCIALSENSE_MINIO_PORT=${ports.MINIO_PORT} (the port it was started with), or stop it first: scripts/services.sh down minio`,
      );
      expect(fs.existsSync(envFile)).toBe(false);
      // with the port it runs on, `up` is a no-op that writes the settings
      await run('bash', [SERVICES, 'up', 'minio'], { env: await envWith(ports), timeout: 60_000 });
      expect(fs.readFileSync(envFile, 'utf8')).toContain(`S3_ENDPOINT=http://127.0.0.1:${ports.MINIO_PORT}\n`);
    } finally {
      await run('bash', [SERVICES, 'down', 'minio'], { env: await envWith(ports) });
    }
    expect(fs.existsSync(path.join(dir, 'run', 'minio.port'))).toBe(false);
  }, 180_000);
});
