// Safetensors writer, laid out as the reference writer does (see safetensors-format.ts).
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
  type SafetensorsDtype,
  type SafetensorsInput,
} from './safetensors-format.js';
import { numberToBf16Bits, numberToF16Bits } from './half-float.js';

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
