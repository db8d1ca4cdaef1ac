import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Connection } from '@temporalio/client';
import { freePort } from './net';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on loopback with its output in a log file. Spawned here rather
 * than through @temporalio/testing because the CLI prints a banner on stdout, and stdout of our
 * commands is reserved for what they print (e.g. `demo --json`).
 */
export async function startDevServer(opts: {
  binary: string;
  logFile: string;
  dbFilename?: string;
  port?: number;
  uiPort?: number;
  searchAttributes?: string[];
}): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.uiPort ?? (await freePort());
  const log = fs.openSync(opts.logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'warn',
    '--ui-disable-news-fetch',
  ];
  if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
  for (const sa of opts.searchAttributes ?? []) args.push('--search-attribute', sa);
  const child: ChildProcess = spawn(opts.binary, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  // A binary that cannot be started (ENOENT, EACCES) emits `error`, not `exit`: unhandled, it would crash the process.
  child.on('error', (err) => (exited = `could not be started (${err.message})`));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`temporal dev server ${exited}; see ${opts.logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address} within 60 s (${(err as Error).message}); see ${opts.logFile}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}
