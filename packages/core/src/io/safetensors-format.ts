// The safetensors format on plain typed arrays (no tfjs, so it runs before a backend exists):
// types, dtypes, the error, and the checks the reader and writer share. Format (huggingface/safetensors): 8-byte little-endian u64 header length N, N bytes
// of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {k: v}}`
// (may be padded with whitespace), then the byte buffer, which the tensors must cover exactly: no
// holes, no overlaps, no trailing bytes (the reference reader's rule, against polyglot files).
// The writer follows the reference writer: tensors sorted by descending dtype alignment, then
// by name; compact JSON with `__metadata__` first; header padded with spaces to 8 bytes.
// Every offset and size of an untrusted file is checked before anything is allocated from it.

/** A dtype Weft reads and writes, by its safetensors name. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'U64'
  | 'I32'
  | 'U32'
  | 'I16'
  | 'U16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/** The typed array a parsed tensor's values come in (see {@link SAFETENSORS_DTYPES}). */
export type SafetensorsData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One tensor as {@link parseSafetensors} returns it. */
export interface SafetensorsEntry {
  /** The dtype stored in the file. */
  dtype: SafetensorsDtype;
  /** The shape, row-major; `[]` for a scalar. */
  shape: number[];
  /**
   * The values: Float32Array for F32/F16/BF16 (half floats widened exactly), Float64Array for
   * F64, Int32Array for every integer dtype (I64/U64/U32 range-checked), Uint8Array of 0/1 for
   * BOOL.
   */
  data: SafetensorsData;
}

/** One tensor to write with {@link serializeSafetensors}. */
export interface SafetensorsInput {
  /**
   * The dtype to store. Default: from the data's type (Float32Array → F32, Float64Array → F64,
   * Int32Array → I32, Uint32Array → U32, Int16Array → I16, Uint16Array → U16, Int8Array → I8,
   * Uint8Array → U8, plain array → F32). Integer dtypes require integers within their range;
   * BOOL requires 0 or 1; F16/BF16 round to nearest even.
   */
  dtype?: SafetensorsDtype;
  /** The shape; the product of its dims must equal `data.length`. */
  shape: readonly number[];
  /** The values, row-major. */
  data: ArrayLike<number>;
}

/** What {@link parseSafetensors} returns. */
export interface ParsedSafetensors {
  /** Tensors by name, in the order of their data in the file. */
  tensors: Map<string, SafetensorsEntry>;
  /** The `__metadata__` string map, or null when the file has none. */
  metadata: Record<string, string> | null;
}

/** Options of {@link parseSafetensors}. */
export interface ParseSafetensorsOptions {
  /** Largest header accepted, in bytes. Default: 100 000 000 (the reference reader's limit). */
  maxHeaderBytes?: number;
}

/** The error every safetensors check throws; its message starts with `safetensors:`. */
export class SafetensorsError extends Error {
  /** @param message what is wrong, with the offending names and values. */
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** The default header size limit of {@link parseSafetensors}, in bytes (as the reference's). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Size, alignment order and value range of a dtype. */
export interface DtypeInfo {
  /** Bytes per element. */
  size: number;
  /** Position in the reference's dtype enum (its alignment order); the writer sorts by it. */
  order: number;
  kind: 'float' | 'int' | 'bool';
}

// Orders are the reference enum's positions (BOOL=0 … U64=21); only their relative order matters.
export const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  BOOL: { size: 1, order: 0, kind: 'bool' },
  U8: { size: 1, order: 4, kind: 'int' },
  I8: { size: 1, order: 5, kind: 'int' },
  I16: { size: 2, order: 11, kind: 'int' },
  U16: { size: 2, order: 12, kind: 'int' },
  F16: { size: 2, order: 13, kind: 'float' },
  BF16: { size: 2, order: 14, kind: 'float' },
  I32: { size: 4, order: 15, kind: 'int' },
  U32: { size: 4, order: 16, kind: 'int' },
  F32: { size: 4, order: 17, kind: 'float' },
  F64: { size: 8, order: 19, kind: 'float' },
  I64: { size: 8, order: 20, kind: 'int' },
  U64: { size: 8, order: 21, kind: 'int' },
};

/** Every dtype Weft reads and writes, widest first. */
export const SAFETENSORS_DTYPES: readonly SafetensorsDtype[] = (Object.keys(DTYPES) as SafetensorsDtype[]).sort(
  (a, b) => DTYPES[b].order - DTYPES[a].order,
);

/** The size in bytes of one element of `dtype`. */
export function safetensorsDtypeSize(dtype: SafetensorsDtype): number {
  // Own properties only: "constructor" must not find Object.prototype.constructor.
  const info = typeof dtype === 'string' && Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
  if (!info) throw new SafetensorsError(`dtype "${String(dtype)}" is not supported; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
  return info.size;
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const TWO_32 = 4294967296;
export const METADATA_KEY = '__metadata__';

/** A non-negative safe integer from an untrusted header, or a {@link SafetensorsError}. */
export function checkSize(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new SafetensorsError(`${what} = ${describeJson(v)} must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(v)) {
    throw new SafetensorsError(`${what} = ${v} exceeds 2^53 − 1 and cannot be represented exactly`);
  }
  return v;
}

/** The element count of `shape`, refusing counts beyond 2^53 − 1. */
export function elementCount(where: string, shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (!Number.isSafeInteger(count)) {
      throw new SafetensorsError(`${where} shape [${shape.join(', ')}] has more than 2^53 − 1 elements`);
    }
  }
  return count;
}

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short description of an untrusted JSON value for error messages. */
export function describeJson(v: unknown): string {
  // Never stringify a whole value: it may be a megabyte array from an untrusted header.
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const head = v.slice(0, 4).map((x) => (typeof x === 'object' && x !== null ? '…' : String(JSON.stringify(x))));
    return `an array [${head.join(', ')}${v.length > 4 ? ', …' : ''}] of length ${v.length}`;
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    return `an object with keys {${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}}`;
  }
  const s = typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : String(v);
  return `${typeof v} ${s}`;
}

/** Refuse a string UTF-8 cannot encode (a lone surrogate). */
export function checkWellFormed(what: string, s: string): void {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new SafetensorsError(`${what} contains a lone UTF-16 surrogate, which UTF-8 cannot encode`);
  }
}
