// Pieces of the safetensors fuzz tests (safetensors.fuzz.test.ts, state-dict.fuzz.test.ts):
// fast-check arbitraries for random tensors of every dtype and for mutations of a file (its bytes,
// its header length, its header's JSON), and `referenceParse`, a plain, independent reading of the
// format's rules as safetensors-format.ts states them (its own JSON parser, its own half-float
// decoding), whose verdict and values the reader must reproduce.
import fc from 'fast-check';
import type { SafetensorsDtype, SafetensorsInput } from '../src/io/index.js';

/** Every dtype, widest first (the writer's order), with its size, as the format's table gives them. */
export const DTYPE_SIZES: Record<SafetensorsDtype, number> = {
  U64: 8, I64: 8, F64: 8, F32: 4, U32: 4, I32: 4, BF16: 2, F16: 2, U16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1,
};
export const DTYPES_WIDEST_FIRST = Object.keys(DTYPE_SIZES) as SafetensorsDtype[];

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Values an integer dtype stores (the reader then refuses what does not fit in int32). */
const INT_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = {
  BOOL: [0, 1], U8: [0, 255], I8: [-128, 127], I16: [-32768, 32767], U16: [0, 65535], I32: [INT32_MIN, INT32_MAX],
  U32: [0, 2 ** 32 - 1], I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], U64: [0, Number.MAX_SAFE_INTEGER],
};

// ---------------------------------------------------------------------------------------------
// Random tensors

/** A value to store as `dtype`: floats of every kind (NaN, ±0, ±Inf, subnormals), integers in range. */
function valueArb(dtype: SafetensorsDtype): fc.Arbitrary<number> {
  if (dtype === 'F64' || dtype === 'F16' || dtype === 'BF16') return fc.oneof(fc.double(), fc.float());
  if (dtype === 'F32') return fc.oneof(fc.float(), fc.double());
  const [lo, hi] = INT_RANGE[dtype]!;
  const int32 = fc.integer({ min: Math.max(lo, INT32_MIN), max: Math.min(hi, INT32_MAX) });
  // Wide dtypes: mostly values the reader can hold (int32), sometimes beyond.
  return hi > INT32_MAX ? fc.oneof({ weight: 5, arbitrary: int32 }, { weight: 1, arbitrary: fc.integer({ min: lo, max: hi }) }) : int32;
}

/** A dimension list of at most 4 dims of 0…4 (so at most 256 elements, zero dims included). */
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

/** One tensor to write: a dtype (or none, to take the data's), a shape, and data in a plain or typed array. */
export const tensorArb: fc.Arbitrary<SafetensorsInput & { dtype: SafetensorsDtype }> = fc
  .tuple(fc.constantFrom(...DTYPES_WIDEST_FIRST), shapeArb, fc.boolean())
  .chain(([dtype, shape, typed]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(valueArb(dtype), { minLength: n, maxLength: n }).map((values) => {
      const data =
        typed && dtype === 'F32' ? Float32Array.from(values)
        : typed && dtype === 'F64' ? Float64Array.from(values)
        : typed && dtype === 'I32' ? Int32Array.from(values)
        : values;
      return { dtype, shape, data };
    });
  });

/** A string with, at times, a lone UTF-16 surrogate (which UTF-8 cannot encode). */
const loneSurrogateArb = fc
  .tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 3 }))
  .map(([a, s, b]) => a + String.fromCharCode(s) + b);

/** Tensor names and metadata strings: ASCII, any code point, the reserved and prototype names, lone surrogates. */
export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '__metadata__', '__proto__', 'constructor', 'toString', 'a.b', 'a\u0000b', '\u{10ffff}', '\ue000') },
  { weight: 1, arbitrary: loneSurrogateArb },
);

/** Whether UTF-8 can encode `s` (no lone surrogate). */
export const wellFormed = (s: string): boolean => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** A name the writer takes. */
const writableNameArb = nameArb.filter((s) => wellFormed(s) && s !== '__metadata__');

/** Up to 6 uniquely named tensors; with `writable`, only names the writer takes. */
export const entriesArb = (writable: boolean) =>
  fc.uniqueArray(fc.tuple(writable ? writableNameArb : nameArb, tensorArb), { selector: ([name]) => name, maxLength: 6 });

/** No metadata, or a string map; with `writable`, only strings the writer takes. */
export const metadataArb = (writable: boolean): fc.Arbitrary<Record<string, string> | null | undefined> => {
  const s = writable ? nameArb.filter(wellFormed) : nameArb;
  return fc.oneof(fc.constantFrom(null, undefined), fc.dictionary(s, s, { maxKeys: 4 }));
};

// ---------------------------------------------------------------------------------------------
// Rounding to half floats, by arithmetic (not bit twiddling as the writer does)

/** The exponent e with 2^e ≤ a < 2^(e+1), for a finite a > 0. */
function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/**
 * `x` rounded first to float32 (as the writer takes it), then to a float with `mantissaBits`
 * fraction bits, exponents ≥ `minExponent` (subnormals below) and overflow to ±Inf at `overflow`.
 */
function roundTo(x: number, mantissaBits: number, minExponent: number, overflow: number): number {
  const v = Math.fround(x);
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  const ulp = 2 ** (Math.max(exponentOf(a), minExponent) - mantissaBits);
  const r = roundHalfEven(a / ulp) * ulp;
  const signed = r >= overflow ? Infinity : r;
  return v < 0 ? -signed : signed;
}

/** The value a tensor of `dtype` reads back as, after the writer stored `x`. */
export function storedValue(dtype: SafetensorsDtype, x: number): number {
  switch (dtype) {
    case 'F64':
      return x;
    case 'F32':
      return Math.fround(x);
    case 'F16':
      return roundTo(x, 10, -14, 2 ** 16);
    case 'BF16':
      return roundTo(x, 7, -126, 2 ** 128);
    default:
      return x; // integers, checked in range by the writer
  }
}

// ---------------------------------------------------------------------------------------------
// The reference reading

/** A JSON object in document order (so duplicate keys and "__proto__" survive). */
class JsonObject {
  constructor(readonly entries: Array<[string, Json]>) {}
}
type Json = null | boolean | number | string | Json[] | JsonObject;

/**
 * A strict RFC 8259 parser; null for invalid JSON. Also reports the nesting depth, duplicate keys
 * and strings (keys included) with a lone surrogate.
 */
function parseJson(text: string): { value: Json; depth: number; duplicate: boolean; lone: boolean } | null {
  let i = 0;
  let depth = 0;
  let duplicate = false;
  let lone = false;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError('invalid JSON');
  };
  const str = (): string => {
    let out = '';
    i++; // "
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        lone ||= !wellFormed(out);
        return out;
      }
      if (c < 0x20) fail();
      if (c !== 0x5c) {
        out += text[i++];
        continue;
      }
      const e = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else fail();
    }
  };
  const value = (level: number): Json => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      depth = Math.max(depth, level);
      i++;
      ws();
      const close = c === '{' ? '}' : ']';
      const items: Json[] = [];
      const entries: Array<[string, Json]> = [];
      const keys = new Set<string>();
      if (text[i] === close) i++;
      else {
        for (;;) {
          if (c === '{') {
            ws();
            if (text[i] !== '"') fail();
            const k = str();
            if (keys.has(k)) duplicate = true;
            keys.add(k);
            ws();
            if (text[i++] !== ':') fail();
            entries.push([k, value(level + 1)]);
          } else items.push(value(level + 1));
          ws();
          const sep = text[i++];
          if (sep === close) break;
          if (sep !== ',') fail();
        }
      }
      return c === '{' ? new JsonObject(entries) : items;
    }
    if (c === '"') return str();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
    return Number(m![0]);
  };
  try {
    const v = value(1);
    ws();
    if (i !== text.length) return null;
    return { value: v, depth, duplicate, lone };
  } catch {
    return null;
  }
}

/** A tensor as the reference reads it. */
export interface ReferenceTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  values: number[];
}

/** The reference verdict on a file: its tensors in data order and metadata, or why it is refused. */
export type ReferenceResult =
  | { ok: true; tensors: ReferenceTensor[]; metadata: Array<[string, string]> | null }
  | { ok: false; reason: string };

const isSize = (v: Json | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The value of IEEE half-precision bits. */
function f16Value(h: number): number {
  const sign = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? NaN : sign * Infinity;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The format's rules, read plainly: u64 header length N > 0 within the file; N bytes of UTF-8 JSON
 * (leading whitespace allowed) holding one object, nested at most 3 deep, with no key twice in any
 * object and no lone surrogate in any string; `__metadata__` null or a string map; every other key a tensor {dtype, shape, data_offsets}
 * with a known dtype, non-negative safe-integer dims and offsets, end − begin = elements × size and
 * end within the data; the tensors tile the data exactly; integers fit in int32 (Weft's limit).
 */
export function referenceParse(file: Uint8Array): ReferenceResult {
  const refuse = (reason: string): ReferenceResult => ({ ok: false, reason });
  if (file.length < 8) return refuse('shorter than 8 bytes');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n = view.getBigUint64(0, true);
  if (n === 0n || n > BigInt(file.length - 8)) return refuse(`header length ${n}`);
  const headerEnd = 8 + Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(file.subarray(8, headerEnd));
  } catch {
    return refuse('not UTF-8');
  }
  const json = parseJson(text);
  if (!json) return refuse('not JSON');
  if (json.depth > 3) return refuse('nested deeper than 3');
  if (json.duplicate) return refuse('a duplicate key');
  if (json.lone) return refuse('a lone surrogate');
  if (!(json.value instanceof JsonObject)) return refuse('not an object');
  const dataLength = file.length - headerEnd;
  let metadata: Array<[string, string]> | null = null;
  const tensors: ReferenceTensor[] = [];
  const ends = new Map<ReferenceTensor, number>();
  for (const [name, v] of json.value.entries) {
    if (name === '__metadata__') {
      if (v === null) continue;
      if (!(v instanceof JsonObject) || v.entries.some(([, s]) => typeof s !== 'string')) return refuse('bad metadata');
      metadata = v.entries as Array<[string, string]>;
      continue;
    }
    if (!(v instanceof JsonObject)) return refuse(`${name} is not an object`);
    const field = (k: string) => v.entries.find(([key]) => key === k)?.[1];
    const [dtype, shape, offsets] = [field('dtype'), field('shape'), field('data_offsets')];
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZES, dtype)) return refuse(`${name}: dtype`);
    if (!Array.isArray(shape) || !shape.every(isSize)) return refuse(`${name}: shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize)) return refuse(`${name}: offsets`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, d) => a * BigInt(d), 1n);
    if (BigInt(end) - BigInt(begin) !== count * BigInt(DTYPE_SIZES[dtype as SafetensorsDtype])) return refuse(`${name}: span`);
    if (end > dataLength) return refuse(`${name}: past the data`);
    const t: ReferenceTensor = { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, values: [] };
    tensors.push(t);
    ends.set(t, end);
  }
  tensors.sort((a, b) => a.begin - b.begin || ends.get(a)! - ends.get(b)!);
  let covered = 0;
  for (const t of tensors) {
    if (t.begin !== covered) return refuse(`${t.name}: a hole or an overlap`);
    covered = ends.get(t)!;
  }
  if (covered !== dataLength) return refuse('trailing bytes');
  for (const t of tensors) {
    const size = DTYPE_SIZES[t.dtype];
    const at = (k: number) => headerEnd + t.begin + k * size;
    const count = (ends.get(t)! - t.begin) / size;
    for (let k = 0; k < count; k++) {
      const v = readValue(view, t.dtype, at(k));
      if (v === null) return refuse(`${t.name}: element ${k} does not fit in int32`);
      t.values.push(v);
    }
  }
  return { ok: true, tensors, metadata };
}

function readValue(view: DataView, dtype: SafetensorsDtype, at: number): number | null {
  const int32 = (v: bigint) => (v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX) ? Number(v) : null);
  switch (dtype) {
    case 'F64': return view.getFloat64(at, true);
    case 'F32': return view.getFloat32(at, true);
    case 'F16': return f16Value(view.getUint16(at, true));
    case 'BF16': {
      const scratch = new DataView(new ArrayBuffer(4));
      scratch.setUint16(0, view.getUint16(at, true), false); // the high half of a big-endian float32
      return scratch.getFloat32(0, false);
    }
    case 'I64': return int32(view.getBigInt64(at, true));
    case 'U64': return int32(view.getBigUint64(at, true));
    case 'U32': return int32(BigInt(view.getUint32(at, true)));
    case 'I32': return view.getInt32(at, true);
    case 'I16': return view.getInt16(at, true);
    case 'U16': return view.getUint16(at, true);
    case 'I8': return view.getInt8(at);
    case 'U8': return view.getUint8(at);
    case 'BOOL': return view.getUint8(at) === 0 ? 0 : 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a file

/** A random JSON value, at most 3 levels deep, for a header field. */
const jsonArb = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<unknown>;

/** A value for a tensor field: random JSON, a near-valid one, or a hostile size. */
const fieldValueArb = fc.oneof(
  jsonArb,
  fc.constantFrom(...DTYPES_WIDEST_FIRST, 'f32', 'F8_E4M3', 'C64', '', '__proto__'),
  fc.array(fc.integer({ min: -2, max: 70 }), { maxLength: 5 }),
  fc.array(fc.constantFrom(0, 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 64, 1e308, -0, 0.5, -1), { maxLength: 4 }),
);

/** A mutation of a file; indices are taken modulo what they index. */
export type Mutation =
  | { kind: 'flip'; at: number; xor: number }[]
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'length'; value: bigint }
  | { kind: 'length-delta'; delta: number }
  | { kind: 'field'; tensor: number; field: string; value: unknown }
  | { kind: 'drop-field'; tensor: number; field: string }
  | { kind: 'offsets'; tensor: number; begin: number; end: number }
  | { kind: 'rename'; tensor: number; name: string }
  | { kind: 'duplicate'; tensor: number; keepLength: boolean }
  | { kind: 'metadata'; value: unknown }
  | { kind: 'nest'; tensor: number; levels: number }
  | { kind: 'pad'; before: string; after: string };

const TENSOR_FIELDS = ['dtype', 'shape', 'data_offsets', 'extra'];

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.array(fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ kind: fc.constant('length-delta' as const), delta: fc.integer({ min: -16, max: 16 }) }),
  fc.record({ kind: fc.constant('field' as const), tensor: fc.nat(), field: fc.constantFrom(...TENSOR_FIELDS), value: fieldValueArb }),
  fc.record({ kind: fc.constant('drop-field' as const), tensor: fc.nat(), field: fc.constantFrom(...TENSOR_FIELDS) }),
  fc.record({ kind: fc.constant('offsets' as const), tensor: fc.nat(), begin: fc.integer({ min: -8, max: 8 }), end: fc.integer({ min: -8, max: 8 }) }),
  fc.record({ kind: fc.constant('rename' as const), tensor: fc.nat(), name: nameArb }),
  fc.record({ kind: fc.constant('duplicate' as const), tensor: fc.nat(), keepLength: fc.boolean() }),
  fc.record({ kind: fc.constant('metadata' as const), value: fc.oneof(jsonArb, fc.dictionary(nameArb, fc.oneof(nameArb, jsonArb), { maxKeys: 3 })) }),
  fc.record({ kind: fc.constant('nest' as const), tensor: fc.nat(), levels: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('pad' as const),
    before: fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\ufeff', '\u00a0'), maxLength: 3 }),
    after: fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u0000', 'x'), maxLength: 3 }),
  }),
);

/** The header text and data bytes of a well-formed file (as the writer makes them). */
function split(file: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))) as Record<string, any>;
  return { header, data: file.subarray(8 + n) };
}

/** A file of header text (its length field = its UTF-8 length, unless `length` says otherwise) and data. */
export function assemble(headerText: string, data: Uint8Array, length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** `file` (a valid safetensors file) changed by `m`. */
export function mutate(file: Uint8Array, m: Mutation): Uint8Array {
  if (Array.isArray(m)) {
    const out = file.slice();
    for (const f of m) out[f.at % out.length] ^= f.xor;
    return out;
  }
  switch (m.kind) {
    case 'insert': {
      const at = m.at % (file.length + 1);
      return Uint8Array.from([...file.subarray(0, at), ...m.bytes, ...file.subarray(at)]);
    }
    case 'delete': {
      const at = m.at % file.length;
      return Uint8Array.from([...file.subarray(0, at), ...file.subarray(at + m.count)]);
    }
    case 'length': {
      const out = file.slice();
      new DataView(out.buffer).setBigUint64(0, m.value, true);
      return out;
    }
    case 'length-delta': {
      const out = file.slice();
      const view = new DataView(out.buffer);
      view.setBigUint64(0, BigInt.asUintN(64, view.getBigUint64(0, true) + BigInt(m.delta)), true);
      return out;
    }
  }
  const { header, data } = split(file);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const pick = (i: number) => (names.length ? names[i % names.length]! : undefined);
  let text: string | null = null;
  switch (m.kind) {
    case 'field': {
      const t = pick(m.tensor);
      if (t !== undefined) header[t][m.field] = m.value;
      else header['x'] = { [m.field]: m.value };
      break;
    }
    case 'drop-field': {
      const t = pick(m.tensor);
      if (t !== undefined) delete header[t][m.field];
      break;
    }
    case 'offsets': {
      const t = pick(m.tensor);
      if (t !== undefined) {
        const [b, e] = header[t].data_offsets as [number, number];
        header[t].data_offsets = [b + m.begin, e + m.end];
      }
      break;
    }
    case 'rename': {
      const t = pick(m.tensor);
      if (t !== undefined) {
        const entries = Object.entries(header).map(([k, v]) => [k === t ? m.name : k, v] as const);
        // Built as text so that a name already present becomes a duplicate key, as in a hostile file.
        text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
      }
      break;
    }
    case 'duplicate': {
      const t = pick(m.tensor) ?? '__metadata__';
      const base = JSON.stringify(header);
      text = `${base.slice(0, -1)}${base.length > 2 ? ',' : ''}${JSON.stringify(t)}:${JSON.stringify(header[t] ?? {})}}`;
      if (m.keepLength) return assemble(text, data, BigInt(new TextEncoder().encode(JSON.stringify(header)).length));
      break;
    }
    case 'metadata':
      header['__metadata__'] = m.value;
      break;
    case 'nest': {
      const t = pick(m.tensor);
      if (t !== undefined) {
        let v: unknown = header[t].shape;
        for (let k = 0; k < m.levels; k++) v = [v];
        header[t].shape = v;
      }
      break;
    }
    case 'pad':
      text = `${m.before}${JSON.stringify(header)}${m.after}`;
      break;
  }
  return assemble(text ?? JSON.stringify(header), data);
}
