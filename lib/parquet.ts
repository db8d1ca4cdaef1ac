/**
 * Streaming Parquet encode/decode for the clean and features zones, on parquet-wasm (arrow-rs compiled
 * to WebAssembly: no native addon) with apache-arrow building and reading the record batches in JS.
 * The column layouts are in lib/postColumns.ts. Memory stays bounded by one row group (ROW_GROUP_ROWS
 * rows) however large the dataset: the writer emits a row group per ROW_GROUP_ROWS rows and the reader
 * decodes one batch at a time from a file-backed Blob.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { tableFromIPC, tableToIPC, type RecordBatch as ArrowBatch } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { arrowToRecords, recordsToArrow } from './postColumns';

/**
 * Rows per row group. 10k posts is ~2-4 MB encoded: large enough for good compression and for readers
 * (DuckDB, pyarrow) to parallelise over row groups of a big partition, small enough to bound memory.
 */
export const ROW_GROUP_ROWS = 10_000;

function writerProperties(): pq.WriterProperties {
  return (
    new pq.WriterPropertiesBuilder()
      // snappy, the default of pyarrow and Spark: on 50k posts it wrote 1.5x faster and read 2x faster than zstd,
      // for files 2.4x larger (still half the NDJSON.gz); see the dataio report in bench/README.md.
      .setCompression(pq.Compression.SNAPPY)
      .setMaxRowGroupSize(ROW_GROUP_ROWS)
      .setCreatedBy('socialsense')
      .build()
  );
}

/** A Parquet encoder fed record batches; `output` is the file's bytes, produced as rows come in. */
export interface ParquetEncoder {
  /** Adds records (none: only fixes the schema, for an empty file); resolves once the encoder has taken them (backpressure). */
  write(records: readonly unknown[]): Promise<void>;
  /** Ends the file (writes the footer); `output` then ends. */
  end(): void;
  /** Fails the output with `err`. */
  abort(err: Error): void;
  output: Readable;
}

/**
 * Starts a streaming Parquet encoder for `schema` (a name with a layout in lib/postColumns.ts).
 * @throws when the schema has no Parquet layout (at the first write)
 */
export function createParquetEncoder(schema: string): ParquetEncoder {
  let controller!: ReadableStreamDefaultController<pq.RecordBatch>;
  // highWaterMark 1: at most one batch waits for the encoder; write() waits for room (pull) before returning.
  let pulled: (() => void) | null = null;
  const batches = new ReadableStream<pq.RecordBatch>(
    {
      start: (c) => void (controller = c),
      pull: () => {
        pulled?.();
        pulled = null;
      },
    },
    { highWaterMark: 1 },
  );
  // transformParquetStream resolves only once it has the first batch (the schema), so it is not awaited here.
  const output = new PassThrough();
  pq.transformParquetStream(batches, writerProperties()).then(
    (bytes) => {
      const encoded = Readable.fromWeb(bytes as unknown as WebReadableStream<Uint8Array>);
      encoded.on('error', (err) => output.destroy(err));
      encoded.pipe(output);
    },
    (err: unknown) => output.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return {
    async write(records) {
      const ipc = tableToIPC(recordsToArrow(schema, records), 'stream');
      const table = pq.Table.fromIPCStream(ipc);
      for (const batch of table.recordBatches()) {
        if ((controller.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (pulled = resolve));
        controller.enqueue(batch);
      }
      table.free();
    },
    end: () => controller.close(),
    abort: (err) => {
      controller.error(err);
      output.destroy(err);
    },
    output,
  };
}

/**
 * Decodes a Parquet byte stream of `schema` (null: told by the columns) into records, `chunkSize` at a time. The bytes go to a
 * temporary file first (Parquet's footer is at the end, so a reader needs random access), which is
 * read through a file-backed Blob one batch at a time and removed at the end.
 */
export async function* decodeParquetChunks<T>(schema: string | null, body: Readable, chunkSize: number): AsyncGenerator<T[]> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'socialsense-parquet-'));
  const file = path.join(dir, 'data.parquet');
  try {
    await pipeline(body, fs.createWriteStream(file));
    const blob = await fs.openAsBlob(file);
    const parquet = await pq.ParquetFile.fromFile(blob);
    try {
      // One row group at a time (ROW_GROUP_ROWS rows as written): one read of its column chunks, where
      // stream() with small batches re-read the Blob per batch and was 2x slower.
      const groups = parquet.metadata().numRowGroups();
      for (let g = 0; g < groups; g++) {
        const table = tableFromIPC((await parquet.read({ rowGroups: [g] })).intoIPCStream());
        for (const b of table.batches as ArrowBatch[]) {
          const records = arrowToRecords<T>(schema, b);
          for (let i = 0; i < records.length; i += chunkSize) yield records.slice(i, i + chunkSize);
        }
      }
    } finally {
      parquet.free();
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
