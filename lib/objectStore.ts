import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from 'minio';

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

  constructor(opts: S3Options) {
    const url = new URL(opts.endpoint);
    this.bucket = opts.bucket;
    this.region = opts.region ?? 'us-east-1';
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      region: this.region,
    });
  }

  async ensureBucket(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (err) {
        // Another worker may have created it between the check and the call.
        if (!(await this.client.bucketExists(this.bucket))) throw err;
      }
    }
  }

  async put(key: string, body: Buffer, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.putObject(this.bucket, key, body, body.length, { 'Content-Type': contentType });
  }

  async get(key: string): Promise<Buffer> {
    return streamToBuffer(await this.client.getObject(this.bucket, key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFound' || (err as { code?: string }).code === 'NoSuchKey') return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    }
    return keys.sort();
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.client.removeObjects(this.bucket, keys);
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
