import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDotEnv } from '../../lib/config';
import { freePort } from '../../lib/net';
import type { Stack } from '../../lib/stack';
import { runCli, spawnCli } from '../helpers/cli';
import { requireStack } from '../helpers/stack';

/**
 * The commands people use: `socialsense api keys create|list|revoke`, `api audit`, and `socialsense api`
 * itself serving on a port, answering with a key created by the CLI, refusing it once revoked by the
 * CLI, and stopping cleanly on SIGTERM.
 */

let stack: Stack;
const ids: number[] = [];

beforeAll(async () => {
  loadDotEnv();
  stack = await requireStack();
});

afterAll(async () => {
  await stack?.db.query(`DELETE FROM api_audit WHERE actor LIKE ANY($1::text[])`, [ids.map((id) => `key:${id} (%`)]);
  await stack?.db.query(`DELETE FROM api_keys WHERE id = ANY($1::bigint[])`, [ids]);
  await stack?.close();
});

describe('socialsense api', () => {
  it('keys create prints the key once, list never shows it, bad roles are refused', async () => {
    const created = await runCli(['api', 'keys', 'create', '--role', 'analyst', '--name', 'cli test key', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const k = JSON.parse(created.stdout);
    ids.push(k.id);
    expect(k).toMatchObject({ id: expect.any(Number), role: 'analyst', name: 'cli test key' });
    expect(k.key).toMatch(/^ssk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    // only a hash is stored
    const row = (await stack.db.query(`SELECT hash, lookup FROM api_keys WHERE id = $1`, [k.id])).rows[0];
    expect(row.hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row.hash).not.toContain(k.key.slice(21));

    const plain = await runCli(['api', 'keys', 'create', '--role', 'viewer', '--name', 'cli plain']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toMatch(/^ssk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(plain.stderr).toContain('only time it is shown');
    const plainId = Number(/key (\d+) "cli plain"/.exec(plain.stderr)?.[1]);
    ids.push(plainId);

    const table = await runCli(['api', 'keys', 'list']);
    expect(table.stdout).toMatch(new RegExp(`\\b${k.id}\\s+analyst\\s.*cli test key`));
    expect(table.stdout).toMatch(new RegExp(`\\b${plainId}\\s+viewer\\s.*cli plain`));
    expect(table.stdout).not.toContain('ssk_');

    const bad = await runCli(['api', 'keys', 'create', '--role', 'root', '--name', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown role "root"');
  });

  it('serves on a port, answers a CLI-made key, refuses it once revoked by the CLI, audits, and stops on SIGTERM', async () => {
    const port = await freePort();
    const server = spawnCli(['api', '--port', String(port), '--host', '127.0.0.1']);
    try {
      await server.waitFor(/SocialSense API on http:\/\/127\.0\.0\.1:\d+/, 60_000);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      const op = JSON.parse((await runCli(['api', 'keys', 'create', '--role', 'operator', '--name', 'cli serve test', '--json'])).stdout);
      ids.push(op.id);
      const auth = { authorization: `Bearer ${op.key}` };
      expect((await fetch(`${base}/v1/runs?limit=1`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${base}/v1/keys`, { headers: auth })).status).toBe(403);
      expect((await fetch(`${base}/v1/schedule`, { headers: auth })).status).toBeLessThan(500);

      const audit = await runCli(['api', 'audit', '--limit', '200']);
      expect(audit.stdout).toMatch(new RegExp(`403\\s+GET\\s+/v1/keys\\s+key:${op.id} \\(cli serve test\\) \\[operator\\]`));
      expect(audit.stdout).toMatch(new RegExp(`(200|404)\\s+GET\\s+/v1/schedule\\s+key:${op.id} \\(cli serve test\\) \\[operator\\]`));

      const revoked = await runCli(['api', 'keys', 'revoke', String(op.id)]);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`key ${op.id} "cli serve test" (operator) revoked`);
      const after = await fetch(`${base}/v1/runs?limit=1`, { headers: auth });
      expect(after.status).toBe(401);
      // nothing the server logged holds the key
      expect(server.output()).not.toContain(op.key.slice(21));
    } finally {
      const code = await server.stop('SIGTERM');
      expect(code).toBe(0);
    }
  });

  it('refuses a bad --port before connecting', async () => {
    const res = await runCli(['api', '--port', '70000']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('too large');
  });
});
