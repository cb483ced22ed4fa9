// Safetensors reader: every offset and size of an untrusted file is checked before anything is
// allocated from it (see safetensors-format.ts for the format).
import {
  DTYPES,
  INT32_MAX,
  INT32_MIN,
  LITTLE_ENDIAN,
  METADATA_KEY,
  SAFETENSORS_DTYPES,
  SAFETENSORS_MAX_HEADER_BYTES,
  SafetensorsError,
  TWO_32,
  checkSize,
  checkWellFormed,
  describeJson,
  elementCount,
  isPlainObject,
  type ParseSafetensorsOptions,
  type ParsedSafetensors,
  type SafetensorsData,
  type SafetensorsDtype,
  type SafetensorsEntry,
} from './safetensors-format.js';
import { f16Table } from './half-float.js';

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
  const { table, metadata, dataStart } = readTable(file, maxHeaderBytes);
  const { names, dtypes, shapes, begins, ends } = table;
  const dataLength = file.length - dataStart;

  // The data must be tiled exactly: sorted by offsets, each tensor starts where the last ended.
  const order = Uint32Array.from(names, (_, i) => i).sort((a, b) => begins[a]! - begins[b]! || ends[a]! - ends[b]!);
  let covered = 0;
  let previous = '';
  for (const i of order) {
    const [name, begin, end] = [names[i]!, begins[i]!, ends[i]!];
    if (begin < covered) {
      throw new SafetensorsError(`tensor "${name}" data_offsets [${begin}, ${end}] overlap tensor "${previous}" (which ends at ${covered})`);
    }
    if (begin > covered) {
      throw new SafetensorsError(
        `bytes [${covered}, ${begin}) of the data buffer belong to no tensor (a hole before ` +
          `tensor "${name}"); the tensors must cover the buffer without gaps`,
      );
    }
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      `the tensors cover ${covered} bytes but the data buffer has ${dataLength} ` +
        `(${dataLength - covered} trailing bytes belong to no tensor)`,
    );
  }

  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  // F32/I32/F64 on a little-endian machine are their bytes: copy the data buffer once and give each
  // aligned tensor a view of that copy (one allocation for a million tiny tensors, not a million).
  const pooled = LITTLE_ENDIAN && dtypes.some((d) => FAST_DTYPES.has(d)) ? copyDataBuffer(file, dataStart) : null;
  const tensors = new Map<string, SafetensorsEntry>();
  for (const i of order) {
    const [name, dtype, begin, end] = [names[i]!, dtypes[i]!, begins[i]!, ends[i]!];
    const size = DTYPES[dtype].size;
    const data =
      pooled && FAST_DTYPES.has(dtype) && begin % size === 0
        ? viewOf(dtype, pooled, begin, (end - begin) / size)
        : decode(file, view, name, dtype, dataStart + begin, dataStart + end);
    tensors.set(name, { dtype, shape: shapes[i]!, data });
  }
  return { tensors, metadata };
}

/**
 * The header's entries, checked, as columns (names, dtypes, shapes, offsets in typed arrays): the
 * parsed JSON is dropped when this returns, and a million tiny tensors cost tens of bytes each
 * here instead of an object each.
 */
function readTable(file: Uint8Array, maxHeaderBytes: number) {
  const { header, dataStart } = readHeader(file, maxHeaderBytes);
  const dataLength = file.length - dataStart;
  const keys = Object.keys(header);
  const table = {
    names: [] as string[],
    dtypes: [] as SafetensorsDtype[],
    shapes: [] as number[][],
    begins: new Float64Array(keys.length),
    ends: new Float64Array(keys.length),
  };
  let metadata: Record<string, string> | null = null;
  for (const name of keys) {
    const value = header[name];
    if (name === METADATA_KEY) {
      metadata = checkMetadata(value);
      continue;
    }
    const e = checkEntry(name, value, dataLength);
    table.begins[table.names.length] = e.begin;
    table.ends[table.names.length] = e.end;
    table.names.push(name);
    table.dtypes.push(e.dtype);
    table.shapes.push(e.shape);
  }
  return { table, metadata, dataStart };
}

/** The dtypes whose little-endian bytes are already their typed array. */
const FAST_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['F32', 'I32', 'F64']);

/** The data buffer (after the header) copied into a fresh, 8-byte-aligned ArrayBuffer. */
function copyDataBuffer(file: Uint8Array, dataStart: number): ArrayBuffer {
  const pool = new ArrayBuffer(file.length - dataStart);
  new Uint8Array(pool).set(file.subarray(dataStart));
  return pool;
}

function viewOf(dtype: SafetensorsDtype, pool: ArrayBuffer, begin: number, count: number): SafetensorsData {
  return dtype === 'F32' ? new Float32Array(pool, begin, count) : dtype === 'I32' ? new Int32Array(pool, begin, count) : new Float64Array(pool, begin, count);
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
  checkHeaderShape(raw);
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
  // The bytes are checked UTF-8, so only a \uD800–\uDFFF escape can spell a lone surrogate.
  if (/\\u[dD][89a-fA-F]/.test(text)) checkNoLoneSurrogate('header', header);
  return { header, dataStart: 8 + n };
}

/**
 * Refuse a lone UTF-16 surrogate in any key or string of the header, as the reference reader does
 * (and the writer, so a name read here can always be written back).
 */
function checkNoLoneSurrogate(where: string, value: unknown): void {
  if (typeof value === 'string') checkWellFormed(where, value);
  else if (Array.isArray(value)) value.forEach((v, i) => checkNoLoneSurrogate(`${where}[${i}]`, v));
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      checkWellFormed(`${where} key ${JSON.stringify(k)}`, k);
      checkNoLoneSurrogate(`${where} ${JSON.stringify(k)}`, v);
    }
  }
}

/**
 * One linear pass over the raw header bytes before anything is decoded or parsed: a safetensors
 * header is an object (depth 1) of objects (depth 2: entries and `__metadata__`) whose deepest
 * values are arrays of numbers (depth 3: shape, data_offsets). Anything nested deeper — a header
 * of a million nested arrays would exhaust the heap in `JSON.parse` — is refused here, so parsing
 * and the duplicate-key scan see at most three levels.
 */
function checkHeaderShape(raw: Uint8Array): void {
  const stack: number[] = []; // open brackets: 0x7b '{' or 0x5b '['
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      stack.push(c);
      if (stack.length > 3) {
        throw new SafetensorsError(
          `header nests ${c === 0x7b ? 'an object' : 'an array'} at depth ${stack.length} (byte ${8 + i}); a safetensors header is ` +
            'an object of tensor entries whose values are strings or arrays of numbers (3 levels)',
        );
      }
    } else if (c === 0x7d || c === 0x5d) stack.pop();
  }
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
