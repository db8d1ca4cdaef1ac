import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'minio';
import type { Config } from './config';

/**
 * The object store seen by activities. MinIO (or any S3) in real deployments; a local folder for the
 * embedded demo. Both give atomic whole-object writes, which is what makes a retried activity safe:
 * a reader sees the old object or the new one, never half of one.
 */
export interface ObjectStore {
  readonly bucket: string;
  ensureBucket(): Promise<void>;
  put(key: string, body: Buffer, contentType?: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  /**
   * Streams `body` into `key`; memory stays bounded (one multipart part on S3, the stream's buffers
   * locally) whatever the object's size. Atomic like `put`: readers see the old object or the whole
   * new one. Rejects with the body's error if the body fails, leaving no object behind.
   */
  putStream(key: string, body: Readable, contentType?: string): Promise<void>;
  /** The object's bytes as a stream (a missing key rejects here, not later on the stream). */
  getStream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  remove(keys: string[]): Promise<void>;
  uri(key: string): string;
}

/** `s3://bucket/key` or `file:///dir/bucket/key` → key, checking it belongs to this store's bucket. */
export function keyFromUri(store: ObjectStore, uri: string): string {
  const prefix = store.uri('');
  if (!uri.startsWith(prefix)) throw new Error(`dataset ${uri} is not in this object store (${prefix})`);
  return uri.slice(prefix.length);
}

async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The multipart part size of S3 uploads: the most one streamed upload buffers. S3's minimum part is
 * 5 MiB; 8 MiB allows objects up to 80 GB (10,000 parts), far above one partition. The minio client's
 * default (64 MiB, grown further when the size is unknown) would buffer that much per upload.
 */
export const S3_PART_SIZE = 8 * 1024 * 1024;

/**
 * Reads up to `limit` bytes of `body`: `{ head, rest }` where `rest` is null when the body ended
 * within the limit (a small object, sent as one PUT), else a stream of the head followed by the rest.
 */
async function peekUpTo(body: Readable, limit: number): Promise<{ head: Buffer; rest: Readable | null }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    const next = await it.next();
    if (next.done) return { head: Buffer.concat(chunks), rest: null };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array | string);
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) break;
  }
  async function* all() {
    for (const c of chunks) yield c;
    chunks.length = 0;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  }
  return { head: Buffer.alloc(0), rest: Readable.from(all(), { objectMode: false }) };
}

/**
 * An object-store error that names the setting to fix: `variable` is S3_ACCESS_KEY, S3_SECRET_KEY,
 * S3_ENDPOINT or S3_BUCKET (several joined by " and " when the server cannot tell which), `code` the
 * S3 or network code it came from (e.g. `InvalidAccessKeyId`, `ECONNREFUSED`), quoted in the message.
 */
export class ObjectStoreConfigError extends Error {
  constructor(
    message: string,
    readonly variable: string,
    readonly code: string,
  ) {
    // No `cause`: the message already quotes the original code and text, and the CLI and the failure
    // chain show the innermost message, which must be the one naming the variable.
    super(message);
    // The name becomes the ApplicationFailure type when an activity throws it, so it says what kind of fix is needed.
    this.name = variable.includes('KEY') ? 'BadCredentials' : variable === 'S3_ENDPOINT' ? 'StorageUnreachable' : 'BadBucket';
  }
}

// Codes of errors that mean "a socket could not be opened to the endpoint"; an outage reads the same,
// so these stay retryable (only the message changes).
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/**
 * Rewrites an error of the S3 client into one that names the variable to fix, the way the platform
 * connectors do; errors that no setting explains (a missing key, a reset connection) come back as they are.
 * `endpoint` and `bucket` are the configured values (never a credential), `op` what was being done.
 */
export function explainS3Error(err: unknown, ctx: { endpoint: string; bucket: string; op: string }): unknown {
  const e = err as { code?: string; message?: string; name?: string };
  const code = e?.code ?? (e?.name === 'InvalidBucketNameError' ? 'InvalidBucketName' : undefined);
  if (!code) return err;
  const detail = `${code}: ${e.message ?? ''}`.trim();
  const at = `S3 at ${ctx.endpoint}`;
  const make = (message: string, variable: string) => new ObjectStoreConfigError(`${message} (${ctx.op})`, variable, code);
  switch (code) {
    case 'InvalidAccessKeyId':
      return make(`${at} does not know the access key (${detail}): check S3_ACCESS_KEY`, 'S3_ACCESS_KEY');
    case 'SignatureDoesNotMatch':
      return make(`${at} rejected the signature (${detail}): check S3_SECRET_KEY (it must belong to S3_ACCESS_KEY)`, 'S3_SECRET_KEY');
    case 'AccessDenied':
    case 'InvalidToken':
    case 'ExpiredToken':
      // HEAD requests (bucketExists, statObject) carry no error body, so S3 cannot say which one is wrong.
      return make(
        `${at} rejected the credentials for bucket ${ctx.bucket} (${detail}): check S3_ACCESS_KEY and S3_SECRET_KEY`,
        'S3_ACCESS_KEY and S3_SECRET_KEY',
      );
    case 'NoSuchBucket':
      return make(`${at} has no bucket ${JSON.stringify(ctx.bucket)} (${detail}): check S3_BUCKET`, 'S3_BUCKET');
    case 'InvalidBucketName':
      return make(`${JSON.stringify(ctx.bucket)} is not a valid bucket name (${detail}): check S3_BUCKET`, 'S3_BUCKET');
    default:
      if (UNREACHABLE.has(code)) {
        return make(`cannot reach ${at} (${detail}): is the service running (\`socialsense services up\`), and is S3_ENDPOINT right?`, 'S3_ENDPOINT');
      }
      return err;
  }
}

export interface S3Options {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string;
  /** scheme://host:port only: shown in errors, so no userinfo or path */
  private readonly endpoint: string;

  constructor(opts: S3Options) {
    const url = new URL(opts.endpoint);
    this.endpoint = url.origin;
    this.bucket = opts.bucket;
    this.region = opts.region ?? 'us-east-1';
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      region: this.region,
      partSize: S3_PART_SIZE,
    });
  }

  /** Runs one client call; its errors name the variable to fix (explainS3Error). */
  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw explainS3Error(err, { endpoint: this.endpoint, bucket: this.bucket, op });
    }
  }

  async ensureBucket(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.call('checking the bucket', () => this.client.bucketExists(this.bucket));
    } catch (err) {
      // A HEAD answer has no body, so bad keys read as a bare AccessDenied; a listing (a GET) tells
      // which of the two keys is wrong, when that is the cause.
      if ((err as ObjectStoreConfigError).code === 'AccessDenied') {
        await this.call('checking the bucket', async () => {
          for await (const _ of this.client.listObjectsV2(this.bucket, '', false)) break;
        });
      }
      throw err;
    }
    if (!exists) {
      try {
        await this.call('creating the bucket', () => this.client.makeBucket(this.bucket, this.region));
      } catch (err) {
        // Another worker may have created it between the check and the call.
        if (!(await this.call('checking the bucket', () => this.client.bucketExists(this.bucket)))) throw err;
      }
    }
  }

  async put(key: string, body: Buffer, contentType = 'application/octet-stream'): Promise<void> {
    await this.call(`writing ${key}`, () => this.client.putObject(this.bucket, key, body, body.length, { 'Content-Type': contentType }));
  }

  async putStream(key: string, body: Readable, contentType = 'application/octet-stream'): Promise<void> {
    // A body that fits in one part goes as one PUT: a multipart upload of an unknown size costs four
    // requests (list uploads, initiate, part, complete) even for a few bytes.
    const { head, rest } = await peekUpTo(body, S3_PART_SIZE);
    if (!rest) return this.put(key, head, contentType);
    // Multipart: S3 makes the object visible only at CompleteMultipartUpload, so the write stays atomic.
    // The client pipes the body into its part splitter without listening for the body's errors (the upload
    // would wait forever), so a failing body rejects here by itself; the client's pending upload is dropped.
    const bodyFailed = new Promise<never>((_, reject) => rest.once('error', reject));
    const upload = this.call(`writing ${key}`, () => this.client.putObject(this.bucket, key, rest, undefined, { 'Content-Type': contentType }));
    upload.catch(() => {});
    try {
      await Promise.race([upload, bodyFailed]);
    } catch (err) {
      // A failed body leaves its uploaded parts behind (the client would even resume them on the next write of
      // the key): they are dropped, best effort, so a later write starts clean.
      const uploadId = await this.client.findUploadId(this.bucket, key).catch(() => undefined);
      if (uploadId) await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => {});
      throw err;
    }
  }

  async getStream(key: string): Promise<Readable> {
    return this.call(`reading ${key}`, () => this.client.getObject(this.bucket, key));
  }

  async get(key: string): Promise<Buffer> {
    // The body stream's own errors (a connection reset mid-download) reject here too: for-await
    // turns a stream `error` event into a rejection, so none is left unhandled.
    return this.call(`reading ${key}`, async () => streamToBuffer(await this.client.getObject(this.bucket, key)));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFound' || (err as { code?: string }).code === 'NoSuchKey') return false;
      throw explainS3Error(err, { endpoint: this.endpoint, bucket: this.bucket, op: `checking ${key}` });
    }
  }

  async list(prefix: string): Promise<string[]> {
    return this.call(`listing ${prefix}`, async () => {
      const keys: string[] = [];
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
      }
      return keys.sort();
    });
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.call(`removing ${keys.length} objects`, () => this.client.removeObjects(this.bucket, keys));
  }

  /** A URL that lets anyone holding it GET `key` for `expirySeconds` (S3 signature v4; no request to the server). */
  async presignedGetUrl(key: string, expirySeconds: number): Promise<string> {
    return this.call(`signing a download of ${key}`, () => this.client.presignedGetObject(this.bucket, key, expirySeconds));
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}

/** A folder laid out like a bucket; used by the embedded demo so it needs no server. */
export class LocalObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly root: string;

  constructor(dir: string, bucket = 'socialsense') {
    this.bucket = bucket;
    this.root = path.resolve(dir, bucket);
  }

  private file(key: string): string {
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new Error(`object key escapes the store: ${key}`);
    return file;
  }

  async ensureBucket(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
  }

  async put(key: string, body: Buffer): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write-then-rename keeps the write atomic, like a PUT to S3.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, file);
  }

  async get(key: string): Promise<Buffer> {
    return fs.readFile(this.file(key));
  }

  async putStream(key: string, body: Readable): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write-then-rename, as in put: a failed body leaves only the temporary file, which is removed.
    const tmp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await pipeline(body, createWriteStream(tmp));
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fs.rename(tmp, file);
  }

  async getStream(key: string): Promise<Readable> {
    const file = this.file(key);
    // Opened here so that a missing object rejects now, as `get` does, not as a later stream error.
    const handle = await fs.open(file, 'r');
    return handle.createReadStream(); // closes the handle at its end or on destroy
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.file(key)).then(
      () => true,
      () => false,
    );
  }

  async list(prefix: string): Promise<string[]> {
    const entries = await fs.readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
      .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async remove(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => fs.rm(this.file(key), { force: true })));
  }

  uri(key: string): string {
    return `file://${this.root}/${key}`;
  }
}

/**
 * The object store a configuration names: a folder for a `file:` endpoint (the embedded demo), else an S3 bucket.
 * Lives here, not in lib/stack.ts, so the stage threads (workers/stageThread.ts) can build one without loading the
 * Temporal client and worker packages that lib/stack needs (measured alone: a thread's modules 114 → 71 MiB RSS; the
 * worker's peak RSS did not move measurably).
 */
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
