/**
 * The file format of the trained recommenders (ALS, EASE): an ASCII magic string, u32 header length
 * (little-endian), JSON header, then the model's Float32 and Int32 arrays back to back from the next
 * 4-byte boundary, in the platform's byte order (typed-array bytes as they are).
 */

type NumericArray = Float32Array | Int32Array;

export function writeRecommenderArtifact(magic: string, header: object, arrays: readonly NumericArray[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = magic.length + 4 + json.length;
  const start = Math.ceil(headerEnd / 4) * 4;
  const out = new Uint8Array(start + arrays.reduce((s, a) => s + a.byteLength, 0));
  for (let i = 0; i < magic.length; i++) out[i] = magic.charCodeAt(i);
  new DataView(out.buffer).setUint32(magic.length, json.length, true);
  out.set(json, magic.length + 4);
  let offset = start;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  return out;
}

/** True when `bytes` start with `magic` (so a loader can tell one model's artifact from another's). */
export function hasMagic(bytes: Uint8Array, magic: string): boolean {
  return bytes.length >= magic.length && String.fromCharCode(...bytes.subarray(0, magic.length)) === magic;
}

/**
 * Reads what `writeRecommenderArtifact()` wrote: the parsed header (of the caller's type `H`, not checked), and `take`, which returns the next
 * array (in the order they were written). `model` names the model in errors ("not a serialized ALS
 * model (bad magic bytes)", "serialized ALS model is truncated").
 */
export function readRecommenderArtifact<H>(
  bytes: Uint8Array,
  magic: string,
  model: string,
): { header: H; take: <T extends NumericArray>(Ctor: { new (buf: ArrayBuffer): T }, count: number) => T } {
  if (!hasMagic(bytes, magic)) throw new Error(`not a serialized ${model} model (bad magic bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(magic.length, true);
  if (bytes.length < magic.length + 4 + headerLength) throw new Error(`serialized ${model} model is truncated`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(magic.length + 4, magic.length + 4 + headerLength))) as H;
  let offset = Math.ceil((magic.length + 4 + headerLength) / 4) * 4;
  // copy into fresh buffers: the input may be a view into a larger, unaligned buffer
  const take = <T extends NumericArray>(Ctor: { new (buf: ArrayBuffer): T }, count: number): T => {
    const slice = bytes.slice(offset, offset + count * 4);
    if (slice.byteLength !== count * 4) throw new Error(`serialized ${model} model is truncated`);
    offset += count * 4;
    return new Ctor(slice.buffer);
  };
  return { header, take };
}
