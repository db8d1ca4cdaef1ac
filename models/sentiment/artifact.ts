/**
 * The file format of the trained sentiment models (the linear classifier and the neural challenger):
 * u32 magic number, u32 header length, UTF-8 JSON header, padding to 4 bytes, then the model's
 * Float32 arrays back to back; every number little-endian.
 */

/** What a reader checks: the magic number and header format (version 1), and the names its errors use. */
export interface FloatArtifactKind {
  magic: number;
  format: string;
  /** the loader's name, first in every error message */
  loader: string;
  /** what the bytes should be, for "not a …" */
  what: string;
}

export function writeFloatArtifact(magic: number, header: object, arrays: readonly Float32Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const at = (8 + json.length + 3) & ~3;
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const bytes = new Uint8Array(at + total * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let off = at;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) view.setFloat32(off + i * 4, a[i], true);
    off += a.length * 4;
  }
  return bytes;
}

/**
 * Reads what `writeFloatArtifact()` wrote: the header, and the arrays of the lengths `sizes(header)`
 * gives. Throws on another magic number, format or version, and on a file of any other length.
 */
export function readFloatArtifact<H extends { format: string; version: number }>(
  bytes: Uint8Array,
  kind: FloatArtifactKind,
  sizes: (header: H) => number[],
): { header: H; arrays: Float32Array[] } {
  if (bytes.length < 8) throw new Error(`${kind.loader}: not a ${kind.what} (too short)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== kind.magic) throw new Error(`${kind.loader}: not a ${kind.what} (bad magic number)`);
  const jsonLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength))) as H;
  if (header.format !== kind.format || header.version !== 1) {
    throw new Error(`${kind.loader}: unsupported format ${header.format} version ${header.version}`);
  }
  const at = (8 + jsonLength + 3) & ~3;
  const sz = sizes(header);
  const expected = at + sz.reduce((a, b) => a + b, 0) * 4;
  if (bytes.length !== expected) throw new Error(`${kind.loader}: expected ${expected} bytes, got ${bytes.length} (truncated file?)`);
  let off = at;
  const arrays = sz.map((n) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = view.getFloat32(off + i * 4, true);
    off += n * 4;
    return a;
  });
  return { header, arrays };
}
