import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { findBinary } from './binaries';
import { databaseConfigSchema, loadConfig, parseConfig, storageConfigSchema, type Config } from './config';
import { createDb, migrate, type Db } from './db';
import { LocalObjectStore, S3ObjectStore, type ObjectStore } from './objectStore';
import { startDevServer } from './devServer';
import { freePort } from './net';
import { dataDir } from './paths';

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

export function createObjectStore(config: Pick<Config, 'S3_ENDPOINT' | 'S3_ACCESS_KEY' | 'S3_SECRET_KEY' | 'S3_BUCKET' | 'S3_REGION'>): ObjectStore {
  if (config.S3_ENDPOINT.startsWith('file:')) return new LocalObjectStore(new URL(config.S3_ENDPOINT).pathname, config.S3_BUCKET);
  return new S3ObjectStore({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY!,
    secretKey: config.S3_SECRET_KEY!,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
  });
}

async function prepareStorage(databaseUrl: string, store: ObjectStore, dbMax?: number): Promise<Db> {
  await migrate(databaseUrl);
  await store.ensureBucket();
  return createDb(databaseUrl, dbMax);
}

export interface ReadSide {
  db: Db;
  store: ObjectStore | null;
  close(): Promise<void>;
}

/**
 * Postgres (and the object store when asked) without Temporal: reading insights and the registry
 * must work while the orchestration is down. Applies the migrations like every entry point does.
 */
export async function connectReadSide(opts: { store?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<ReadSide> {
  const { DATABASE_URL } = parseConfig(databaseConfigSchema, env);
  const store = opts.store ? createObjectStore(parseConfig(storageConfigSchema, env)) : null;
  await migrate(DATABASE_URL);
  const db = createDb(DATABASE_URL, 4);
  return { db, store, close: () => db.end() };
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

/**
 * The embedded default: a Temporal dev server started here, Postgres in-process (PGlite, served on a
 * loopback socket so the same `pg` code and migrations run unchanged) and objects in a local folder.
 */
export async function startEmbeddedStack(opts: { dir?: string } = {}): Promise<Stack> {
  const dir = opts.dir ?? path.join(dataDir(), 'embedded');
  fs.mkdirSync(dir, { recursive: true });
  const temporal = await startEmbeddedTemporal(dir);
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const pglite = await PGlite.create(path.join(dir, 'pglite'));
  const pgServer = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await pgServer.start();
  const databaseUrl = `postgres://postgres@${pgServer.getServerConn()}/postgres`;
  const store = new LocalObjectStore(path.join(dir, 'objects'));
  // PGlite is one session behind the socket: one pooled connection keeps transactions from interleaving.
  const db = await prepareStorage(databaseUrl, store, 1);
  return {
    namespace: 'default',
    taskQueue: 'socialsense',
    client: temporal.client,
    nativeConnection: temporal.nativeConnection,
    db,
    databaseUrl,
    store,
    uiUrl: temporal.uiUrl,
    async close() {
      await db.end();
      await pgServer.stop();
      await pglite.close();
      await temporal.close();
    },
  };
}

async function startEmbeddedTemporal(dir: string) {
  const binary = findBinary('temporal', 'TEMPORAL_CLI_PATH');
  if (binary) {
    const server = await startDevServer({ binary, logFile: path.join(dir, 'temporal.log'), searchAttributes: SEARCH_ATTRIBUTES });
    const connection = await Connection.connect({ address: server.address });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    return {
      client: new Client({ connection }),
      nativeConnection,
      uiUrl: server.uiUrl as string | null,
      async close() {
        await nativeConnection.close();
        await connection.close();
        await server.stop();
      },
    };
  }
  // No local binary: @temporalio/testing downloads one, which works wherever its site is reachable.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const uiPort = await freePort();
  const env = await TestWorkflowEnvironment.createLocal({ server: { ip: '127.0.0.1', ui: true, uiPort, log: { format: 'json', level: 'error' } } });
  return { client: env.client, nativeConnection: env.nativeConnection, uiUrl: `http://127.0.0.1:${uiPort}` as string | null, close: () => env.teardown() };
}
