// The files of a checkpoint directory: bytes from ArrayBuffers, Blobs/Files (a folder picked in the
// browser) or same-origin URLs, and a light look at a safetensors header (names, dtypes, shapes)
// so the loader can estimate memory and check names before it decodes any tensor data.
import { SAFETENSORS_MAX_HEADER_BYTES, describeValue, safetensorsDtypeSize, type SafetensorsDtype } from '@weft/core';

/** Where a file's bytes come from: bytes, a Blob/File, or a URL (same-origin in a page). */
export type FileSource = ArrayBuffer | Uint8Array | Blob | string;

/** A checkpoint directory: file name → source (config.json, model.safetensors or the index and its shards, tokenizer.json, …). */
export type HfFiles = Record<string, FileSource>;

/** An error about one file of a checkpoint: the message starts with the file name. */
export class HfFileError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'HfFileError';
  }
}

/** The source of `name`, or undefined. */
export function fileSource(files: HfFiles, name: string): FileSource | undefined {
  return Object.hasOwn(files, name) ? files[name] : undefined;
}

/** The bytes of file `name` (fetching a URL; a page may only fetch from its own origin). */
export async function readBytes(files: HfFiles, name: string): Promise<Uint8Array> {
  const src = fileSource(files, name);
  if (src === undefined) throw new HfFileError(name, `is missing (files given: ${Object.keys(files).join(', ') || 'none'})`);
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  if (typeof src === 'string') {
    const here = (globalThis as { location?: { href: string; origin: string } }).location;
    let url: URL;
    try {
      url = new URL(src, here?.href);
    } catch {
      throw new HfFileError(name, `source ${describeValue(src)} is not a URL (give file contents as bytes, a Blob or a File)`);
    }
    if (here && url.origin !== here.origin) throw new HfFileError(name, `URL ${url.href} is not on this page's origin ${here.origin}; nothing is fetched from elsewhere`);
    const res = await fetch(url);
    if (!res.ok) throw new HfFileError(name, `fetching ${url.href} failed with HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  throw new HfFileError(name, `source ${describeValue(src)} must be an ArrayBuffer, Uint8Array, Blob/File or URL string`);
}

/** The text of file `name`, or undefined when it is not given. */
export async function readText(files: HfFiles, name: string): Promise<string | undefined> {
  if (fileSource(files, name) === undefined) return undefined;
  const bytes = await readBytes(files, name);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HfFileError(name, 'is not valid UTF-8 text');
  }
}

/** One tensor's header entry. */
export interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Elements. */
  size: number;
}

/**
 * Names, dtypes and shapes of a safetensors file from its header alone (bounds-checked; the data
 * is checked later by core's full parser).
 */
export function readSafetensorsHeader(file: string, bytes: Uint8Array): Map<string, HeaderEntry> {
  if (bytes.length < 8) throw new HfFileError(file, `is ${bytes.length} bytes, shorter than the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > SAFETENSORS_MAX_HEADER_BYTES || 8 + n > bytes.length) {
    throw new HfFileError(file, `header length ${n} does not fit in the file's ${bytes.length} bytes (truncated or not safetensors)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new HfFileError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new HfFileError(file, 'header is not a JSON object');
  const out = new Map<string, HeaderEntry>();
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = v as { dtype?: unknown; shape?: unknown };
    const shape = e?.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new HfFileError(file, `tensor "${name.slice(0, 200)}" has shape ${describeValue(shape)}`);
    let dtype: SafetensorsDtype;
    try {
      dtype = e.dtype as SafetensorsDtype;
      safetensorsDtypeSize(dtype);
    } catch {
      throw new HfFileError(file, `tensor "${name.slice(0, 200)}" has dtype ${describeValue(e?.dtype)}`);
    }
    out.set(name, { dtype, shape: shape as number[], size: (shape as number[]).reduce((a, b) => a * b, 1) });
  }
  return out;
}
