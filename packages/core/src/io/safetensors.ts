// Safetensors reader and writer on plain typed arrays (no tfjs, so it runs before a backend
// exists). Format (huggingface/safetensors): 8-byte little-endian u64 header length N, N bytes
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

interface DtypeInfo {
  /** Bytes per element. */
  size: number;
  /** Position in the reference's dtype enum (its alignment order); the writer sorts by it. */
  order: number;
  kind: 'float' | 'int' | 'bool';
}

// Orders are the reference enum's positions (BOOL=0 … U64=21); only their relative order matters.
const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
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
  const info = DTYPES[dtype];
  if (!info) throw new SafetensorsError(`dtype "${String(dtype)}" is not supported; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
  return info.size;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_32 = 4294967296;
const METADATA_KEY = '__metadata__';

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parse a safetensors file into plain typed arrays. The input is untrusted: every size and
 * offset is checked and any violation throws a {@link SafetensorsError} naming what is wrong.
 * Follows the reference reader: the tensors' data must tile the byte buffer exactly.
 */
export function parseSafetensors(
  bytes: ArrayBuffer | Uint8Array,
  options: ParseSafetensorsOptions = {},
): ParsedSafetensors {
  const file = asBytes(bytes);
  const maxHeaderBytes = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 2) {
    throw new SafetensorsError(`options.maxHeaderBytes=${String(maxHeaderBytes)} must be an integer ≥ 2`);
  }
  const { header, dataStart } = readHeader(file, maxHeaderBytes);
  const dataLength = file.length - dataStart;

  // Validate every entry before allocating anything from it.
  let metadata: Record<string, string> | null = null;
  const infos: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const name of Object.keys(header)) {
    const value = header[name];
    if (name === METADATA_KEY) {
      metadata = checkMetadata(value);
      continue;
    }
    infos.push({ name, ...checkEntry(name, value, dataLength) });
  }

  // The data must be tiled exactly: sorted by offsets, each tensor starts where the last ended.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const info of infos) {
    if (info.begin < covered) {
      throw new SafetensorsError(
        `tensor "${info.name}" data_offsets [${info.begin}, ${info.end}] overlap tensor "${previous}" ` +
          `(which ends at ${covered})`,
      );
    }
    if (info.begin > covered) {
      throw new SafetensorsError(
        `bytes [${covered}, ${info.begin}) of the data buffer belong to no tensor (a hole before ` +
          `tensor "${info.name}"); the tensors must cover the buffer without gaps`,
      );
    }
    covered = info.end;
    previous = info.name;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      `the tensors cover ${covered} bytes but the data buffer has ${dataLength} ` +
        `(${dataLength - covered} trailing bytes belong to no tensor)`,
    );
  }

  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const info of infos) {
    const data = decode(file, view, info.name, info.dtype, dataStart + info.begin, dataStart + info.end);
    tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { tensors, metadata };
}

function asBytes(bytes: ArrayBuffer | Uint8Array): Uint8Array {
  // A plain view even for subclasses (Node's Buffer.slice shares memory instead of copying).
  if (bytes instanceof Uint8Array) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  const what = bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name : typeof bytes;
  throw new SafetensorsError(`bytes must be an ArrayBuffer or Uint8Array; got ${String(what)}`);
}

function readHeader(file: Uint8Array, maxHeaderBytes: number): { header: Record<string, unknown>; dataStart: number } {
  if (file.length < 8) {
    throw new SafetensorsError(`file is ${file.length} bytes; it needs at least 8 (the u64 header length)`);
  }
  const view = new DataView(file.buffer, file.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high >= 0x200000) {
    // ≥ 2^53: a JavaScript number could not even hold the length exactly.
    const n = (BigInt(high) << 32n) | BigInt(low);
    throw new SafetensorsError(`header length ${n} is ≥ 2^53 and cannot be represented exactly (corrupt or not a safetensors file)`);
  }
  const n = high * TWO_32 + low;
  if (n > maxHeaderBytes) {
    throw new SafetensorsError(`header length ${n} exceeds the limit of ${maxHeaderBytes} bytes (options.maxHeaderBytes)`);
  }
  if (8 + n > file.length) {
    throw new SafetensorsError(`header length ${n} runs past the end of the file (${file.length} bytes, so at most ${file.length - 8})`);
  }
  if (n === 0) throw new SafetensorsError('header is empty (length 0); it must be a JSON object');
  const raw = file.subarray(8, 8 + n);
  // The spec says the header begins with "{"; the reference reader also accepts leading JSON
  // whitespace (writers may pad to align the data), so skip that before checking.
  let first = 0;
  while (first < n && (raw[first] === 0x20 || raw[first] === 0x09 || raw[first] === 0x0a || raw[first] === 0x0d)) first++;
  if (raw[first] !== 0x7b) {
    const what = first === n ? 'only whitespace' : `byte 0x${raw[first]!.toString(16).padStart(2, '0').toUpperCase()}`;
    throw new SafetensorsError(`header must be a JSON object beginning with "{" (0x7B); it begins with ${what}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new SafetensorsError(`header (${n} bytes) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) {
    throw new SafetensorsError(`header must be a JSON object; got ${describeJson(header)}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    throw new SafetensorsError(
      duplicate.parent === null
        ? `header has the key "${duplicate.key}" twice (duplicate keys are not allowed)`
        : `header has the key "${duplicate.key}" twice inside "${duplicate.parent}" (duplicate keys are not allowed)`,
    );
  }
  return { header, dataStart: 8 + n };
}

function checkMetadata(value: unknown): Record<string, string> | null {
  if (value === null) return null; // the reference reads null as "no metadata"
  if (!isPlainObject(value)) {
    throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings; got ${describeJson(value)}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(`"${METADATA_KEY}" value of "${k}" must be a string; got ${describeJson(v)}`);
    }
  }
  return value as Record<string, string>;
}

function checkEntry(
  name: string,
  value: unknown,
  dataLength: number,
): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  const where = `tensor "${name}"`;
  if (!isPlainObject(value)) {
    throw new SafetensorsError(`${where} must be an object {dtype, shape, data_offsets}; got ${describeJson(value)}`);
  }
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!(field in value)) throw new SafetensorsError(`${where} is missing "${field}"`);
  }
  const { dtype, shape, data_offsets: offsets } = value as { dtype: unknown; shape: unknown; data_offsets: unknown };
  if (typeof dtype !== 'string') {
    throw new SafetensorsError(`${where} dtype must be a string; got ${describeJson(dtype)}`);
  }
  if (!Object.prototype.hasOwnProperty.call(DTYPES, dtype)) {
    throw new SafetensorsError(`${where} has dtype "${dtype}"; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
  }
  if (!Array.isArray(shape)) {
    throw new SafetensorsError(`${where} shape must be an array of integers; got ${describeJson(shape)}`);
  }
  shape.forEach((d, i) => checkSize(`${where} shape[${i}]`, d));
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SafetensorsError(`${where} data_offsets must be an array [begin, end]; got ${describeJson(offsets)}`);
  }
  const begin = checkSize(`${where} data_offsets[0]`, offsets[0]);
  const end = checkSize(`${where} data_offsets[1]`, offsets[1]);
  if (end < begin) {
    throw new SafetensorsError(`${where} data_offsets [${begin}, ${end}] end before they begin`);
  }
  const size = DTYPES[dtype as SafetensorsDtype].size;
  const count = elementCount(where, shape as number[]);
  const bytes = count * size;
  if (!Number.isSafeInteger(bytes)) {
    throw new SafetensorsError(`${where} shape [${shape.join(', ')}] of ${dtype} is too large to address`);
  }
  if (end - begin !== bytes) {
    throw new SafetensorsError(
      `${where} data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] ` +
        `of ${dtype} needs ${count} × ${size} = ${bytes}`,
    );
  }
  if (end > dataLength) {
    throw new SafetensorsError(`${where} data_offsets [${begin}, ${end}] run past the end of the data buffer (${dataLength} bytes)`);
  }
  return { dtype: dtype as SafetensorsDtype, shape: (shape as number[]).slice(), begin, end };
}

function checkSize(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new SafetensorsError(`${what} = ${describeJson(v)} must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(v)) {
    throw new SafetensorsError(`${what} = ${v} exceeds 2^53 − 1 and cannot be represented exactly`);
  }
  return v;
}

function elementCount(where: string, shape: readonly number[]): number {
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

function decode(
  file: Uint8Array,
  view: DataView,
  name: string,
  dtype: SafetensorsDtype,
  start: number,
  end: number,
): SafetensorsData {
  const count = (end - start) / DTYPES[dtype].size;
  // Fast paths: on a little-endian machine F32/I32/F64 bytes are already the typed array
  // (`slice` copies them to a fresh, aligned buffer).
  if (LITTLE_ENDIAN && (dtype === 'F32' || dtype === 'I32' || dtype === 'F64')) {
    const copy = new ArrayBuffer(end - start);
    new Uint8Array(copy).set(file.subarray(start, end));
    return dtype === 'F32' ? new Float32Array(copy) : dtype === 'I32' ? new Int32Array(copy) : new Float64Array(copy);
  }
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i, true);
      return out;
    }
    case 'F64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      const table = f16Table();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(start + 2 * i, true)]!;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: widen by bits, exactly (NaN payloads kept).
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(start + 2 * i, true) << 16;
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = file[start + i] === 0 ? 0 : 1;
      return out;
    }
    default: {
      const out = new Int32Array(count);
      const size = DTYPES[dtype].size;
      for (let i = 0; i < count; i++) out[i] = readInt(view, name, dtype, start + size * i, i);
      return out;
    }
  }
}

function readInt(view: DataView, name: string, dtype: SafetensorsDtype, at: number, index: number): number {
  switch (dtype) {
    case 'I32':
      return view.getInt32(at, true);
    case 'I16':
      return view.getInt16(at, true);
    case 'U16':
      return view.getUint16(at, true);
    case 'I8':
      return view.getInt8(at);
    case 'U8':
      return view.getUint8(at);
    case 'U32': {
      const v = view.getUint32(at, true);
      if (v > INT32_MAX) throw outOfInt32(name, dtype, index, String(v));
      return v;
    }
    case 'I64':
    case 'U64': {
      const low = view.getUint32(at, true);
      const high = view.getInt32(at + 4, true);
      const fits = dtype === 'I64' ? (high === 0 && low <= INT32_MAX) || (high === -1 && low > INT32_MAX) : high === 0 && low <= INT32_MAX;
      if (!fits) {
        const v = dtype === 'I64' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
        throw outOfInt32(name, dtype, index, v.toString());
      }
      return low | 0;
    }
    default:
      throw new SafetensorsError(`internal: ${dtype} is not an integer dtype`);
  }
}

function outOfInt32(name: string, dtype: string, index: number, value: string): SafetensorsError {
  return new SafetensorsError(
    `tensor "${name}" (${dtype}) element ${index} = ${value} does not fit in int32 [${INT32_MIN}, ${INT32_MAX}]`,
  );
}

let f16Values: Float32Array | null = null;

/** The value of every half-precision bit pattern (256 kB, built on first use). */
function f16Table(): Float32Array {
  if (!f16Values) {
    f16Values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Values[h] = f16BitsToNumber(h);
  }
  return f16Values;
}

/** Converts IEEE half-precision bits to a number, exactly (subnormals, ±0, ±Inf, NaN). */
function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // ±0 and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (0x400 + mantissa) * 2 ** (exponent - 25);
}

/**
 * Finds the first key that appears twice in one object of a JSON text (which `JSON.parse`
 * silently resolves to the last one). `text` must already be valid JSON.
 */
function findDuplicateKey(text: string): { key: string; parent: string | null } | null {
  interface Frame {
    keys: Set<string> | null; // null for arrays
    expectKey: boolean;
    name: string | null;
    lastKey: string | null;
  }
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { key, parent: top.name };
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const top = stack[stack.length - 1];
      const name = top?.keys ? top.lastKey : (top?.name ?? null);
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: true, name, lastKey: null });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
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

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Serialize tensors (and an optional `__metadata__` string map) to safetensors bytes, laid out
 * as the reference writer does: sorted by descending dtype alignment then name, header padded
 * with spaces to a multiple of 8, data packed without gaps. The output of
 * {@link parseSafetensors} can be passed back in unchanged.
 */
export function serializeSafetensors(
  entries: Map<string, SafetensorsInput> | Record<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]>,
  metadata?: Record<string, string> | null,
): Uint8Array {
  const list = toEntryList(entries);
  const prepared = list.map(([name, input]) => prepareInput(name, input));
  // Descending dtype alignment, then name by code point (the reference compares UTF-8 bytes,
  // which orders like code points).
  prepared.sort((a, b) => DTYPES[b.dtype].order - DTYPES[a.dtype].order || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata)) {
      throw new SafetensorsError(`metadata must be an object of strings; got ${describeJson(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new SafetensorsError(`metadata value of "${k}" must be a string; got ${describeJson(v)}`);
      }
      checkWellFormed(`metadata key "${k}"`, k);
      checkWellFormed(`metadata value of "${k}"`, v);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const p of prepared) {
    const begin = offset;
    offset += p.count * DTYPES[p.dtype].size;
    parts.push(
      `${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(',')}],"data_offsets":[${begin},${offset}]}`,
    );
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header would be ${headerLength} bytes, over the limit of ${SAFETENSORS_MAX_HEADER_BYTES}`);
  }

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true); // the high 32 bits stay 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const p of prepared) {
    encode(out, view, at, p);
    at += p.count * DTYPES[p.dtype].size;
  }
  return out;
}

interface Prepared {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  count: number;
  data: ArrayLike<number>;
}

function toEntryList(
  entries: Map<string, SafetensorsInput> | Record<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]>,
): (readonly [string, SafetensorsInput])[] {
  if (entries === null || typeof entries !== 'object') {
    throw new SafetensorsError(`entries must be a Map, an object or an iterable of [name, tensor]; got ${describeJson(entries)}`);
  }
  const list =
    entries instanceof Map
      ? [...entries]
      : Symbol.iterator in entries
        ? [...(entries as Iterable<readonly [string, SafetensorsInput]>)]
        : Object.entries(entries as Record<string, SafetensorsInput>);
  const seen = new Set<string>();
  for (const pair of list) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') {
      throw new SafetensorsError(`entries must yield [name, tensor] pairs with string names; got ${describeJson(pair)}`);
    }
    const name = pair[0];
    if (seen.has(name)) throw new SafetensorsError(`tensor name "${name}" appears twice in entries`);
    seen.add(name);
  }
  return list;
}

function prepareInput(name: string, input: SafetensorsInput): Prepared {
  if (name === METADATA_KEY) {
    throw new SafetensorsError(`"${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
  }
  checkWellFormed(`tensor name "${name}"`, name);
  const where = `tensor "${name}"`;
  if (!isPlainObject(input) || input.data === null || typeof input.data !== 'object' || typeof input.data.length !== 'number') {
    throw new SafetensorsError(`${where} must be {dtype?, shape, data}; got ${describeJson(input)}`);
  }
  const dtype = input.dtype ?? defaultDtype(input.data);
  if (!Object.prototype.hasOwnProperty.call(DTYPES, dtype)) {
    throw new SafetensorsError(`${where} has dtype "${String(dtype)}"; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
  }
  if (!Array.isArray(input.shape)) {
    throw new SafetensorsError(`${where} shape must be an array of integers; got ${describeJson(input.shape)}`);
  }
  input.shape.forEach((d, i) => checkSize(`${where} shape[${i}]`, d));
  const shape = input.shape.slice();
  const count = elementCount(where, shape);
  if (count !== input.data.length) {
    throw new SafetensorsError(`${where} shape [${shape.join(', ')}] has ${count} elements but data has ${input.data.length}`);
  }
  return { name, dtype, shape, count, data: input.data };
}

function defaultDtype(data: ArrayLike<number>): SafetensorsDtype {
  if (data instanceof Float32Array || Array.isArray(data)) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'U8';
  return 'F32';
}

const INT_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = {
  U8: [0, 255],
  I8: [-128, 127],
  I16: [-32768, 32767],
  U16: [0, 65535],
  I32: [INT32_MIN, INT32_MAX],
  U32: [0, TWO_32 - 1],
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  U64: [0, Number.MAX_SAFE_INTEGER],
  BOOL: [0, 1],
};

function encode(out: Uint8Array, view: DataView, at: number, p: Prepared): void {
  const { dtype, data, count, name } = p;
  const range = INT_RANGE[dtype];
  if (range) {
    for (let i = 0; i < count; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
        throw new SafetensorsError(
          `tensor "${name}" element ${i} = ${v} is not ${dtype === 'BOOL' ? '0 or 1' : `an integer in [${range[0]}, ${range[1]}]`} (dtype ${dtype})`,
        );
      }
    }
  }
  // Fast path: little-endian machine, typed array already in the stored layout.
  if (
    LITTLE_ENDIAN &&
    ((dtype === 'F32' && data instanceof Float32Array) ||
      (dtype === 'I32' && data instanceof Int32Array) ||
      (dtype === 'F64' && data instanceof Float64Array))
  ) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) view.setFloat32(at + 4 * i, data[i]!, true);
      return;
    case 'F64':
      for (let i = 0; i < count; i++) view.setFloat64(at + 8 * i, data[i]!, true);
      return;
    case 'F16':
      for (let i = 0; i < count; i++) view.setUint16(at + 2 * i, numberToF16Bits(data[i]!), true);
      return;
    case 'BF16':
      for (let i = 0; i < count; i++) view.setUint16(at + 2 * i, numberToBf16Bits(data[i]!), true);
      return;
    case 'BOOL':
    case 'U8':
      for (let i = 0; i < count; i++) view.setUint8(at + i, data[i]!);
      return;
    case 'I8':
      for (let i = 0; i < count; i++) view.setInt8(at + i, data[i]!);
      return;
    case 'I16':
      for (let i = 0; i < count; i++) view.setInt16(at + 2 * i, data[i]!, true);
      return;
    case 'U16':
      for (let i = 0; i < count; i++) view.setUint16(at + 2 * i, data[i]!, true);
      return;
    case 'I32':
      for (let i = 0; i < count; i++) view.setInt32(at + 4 * i, data[i]!, true);
      return;
    case 'U32':
      for (let i = 0; i < count; i++) view.setUint32(at + 4 * i, data[i]!, true);
      return;
    case 'I64':
    case 'U64':
      for (let i = 0; i < count; i++) {
        const v = data[i]!;
        const high = Math.floor(v / TWO_32);
        view.setUint32(at + 8 * i, v - high * TWO_32, true);
        view.setInt32(at + 8 * i + 4, high, true);
      }
      return;
  }
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Rounds a number to IEEE half precision (to nearest, ties to even) and returns its bits. */
function numberToF16Bits(x: number): number {
  scratchF32[0] = x; // first to float32 (as tfjs holds it), then float32 → float16
  const b = scratchU32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0); // Inf, NaN
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00; // overflow → ±Inf
  if (e <= 0) {
    // Subnormal half (or zero): value = (1.m × 2^23) × 2^(e − 14) in units of 2^-24.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && m & 1)) m++; // may carry into the smallest normal: still right
    return sign | m;
  }
  let h = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // carry may reach Inf: still right
  return h;
}

/** Rounds a number to bfloat16 (to nearest, ties to even) and returns its bits. */
function numberToBf16Bits(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40; // NaN stays NaN
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 65536);
}

function compareCodePoints(a: string, b: string): number {
  // UTF-16 order differs from code point order (= the reference's UTF-8 byte order) only where
  // a surrogate meets U+E000–U+FFFF: lift surrogates above that range at the first difference.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x < 0xe000 ? 0x2000 : -0x800;
      y += y < 0xe000 ? 0x2000 : -0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

function checkWellFormed(what: string, s: string): void {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new SafetensorsError(`${what} contains a lone UTF-16 surrogate, which UTF-8 cannot encode`);
  }
}
