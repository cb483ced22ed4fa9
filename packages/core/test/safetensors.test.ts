// Safetensors reader/writer: round trips of every dtype, files written by the reference Python
// implementation (PEFT adapters), the reference's own byte vectors, exact half-float decoding,
// and one test per malformed-input check, each asserting its message.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import {
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
  serializeSafetensors,
  tensorsFromEntries,
  SAFETENSORS_DTYPES,
  SafetensorsError,
  type SafetensorsDtype,
  type SafetensorsInput,
} from '../src/io/index.js';

// The repository's test/fixtures (PEFT 0.21.0's files; see test/fixtures/README.md), resolved from this file.
const fixture = (path: string) => readFileSync(new URL(`../../../test/fixtures/${path}`, import.meta.url));

const enc = new TextEncoder();

/** A file from a header (string or object) and data bytes; `n` overrides the length field. */
function file(header: string | object, data: ArrayLike<number> = [], n?: bigint): Uint8Array {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const le16 = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);
const headerOf = (bytes: Uint8Array) => {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, text: new TextDecoder().decode(bytes.subarray(8, 8 + n)) };
};

const parseError = (bytes: Uint8Array, options?: { maxHeaderBytes?: number }) => {
  try {
    parseSafetensors(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return (e as Error).message;
  }
  throw new Error('expected parseSafetensors to throw');
};

const one = (info: object, data: ArrayLike<number> = []) => file({ w: info }, data);

describe('safetensors round trip', () => {
  const samples: Record<SafetensorsDtype, number[]> = {
    F64: [0, -1.5, Math.PI, 1e300, -Infinity, NaN],
    F32: [0, -0, 1.5, -2.25, Math.fround(Math.PI), Infinity, NaN],
    F16: [0, -0, 1, -2, 65504, 2 ** -14, 2 ** -24, 0.333251953125, Infinity, -Infinity, NaN],
    BF16: [0, 1, -2, 3.140625, 2 ** -133, 3.3895313892515355e38, -Infinity, NaN],
    I64: [0, -1, 2147483647, -2147483648, 12345],
    U64: [0, 1, 2147483647],
    I32: [0, -1, 2147483647, -2147483648],
    U32: [0, 1, 2147483647],
    I16: [-32768, 32767, 0, -1],
    U16: [0, 65535, 1],
    I8: [-128, 127, 0],
    U8: [0, 255, 7],
    BOOL: [0, 1, 1, 0],
  };

  it.each(SAFETENSORS_DTYPES)('writes and reads %s', (dtype) => {
    const values = samples[dtype];
    const bytes = serializeSafetensors({ t: { dtype, shape: [values.length], data: values } });
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toBeNull();
    const t = tensors.get('t')!;
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual([values.length]);
    const expected = dtype === 'F64' ? values : dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' ? values.map(Math.fround) : values;
    expect(Array.from(t.data)).toEqual(expected);
    expect(t.data).toBeInstanceOf(
      dtype === 'F64' ? Float64Array : ['F32', 'F16', 'BF16'].includes(dtype) ? Float32Array : dtype === 'BOOL' ? Uint8Array : Int32Array,
    );
    // What the parser returns serializes back to the same bytes.
    expect(serializeSafetensors(tensors)).toEqual(bytes);
  });

  it('keeps shapes, scalars, empty tensors, metadata and unusual names', () => {
    const entries: Record<string, SafetensorsInput> = {
      scalar: { shape: [], data: new Float32Array([7]) },
      empty: { dtype: 'I32', shape: [2, 0, 3], data: [] },
      'm.w': { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      ['__proto__']: { dtype: 'I8', shape: [1], data: [-3] },
      'ünïcødé 😀 "quoted"\n': { dtype: 'U8', shape: [2], data: [1, 2] },
    };
    const metadata = { format: 'pt', note: 'ü "x"' };
    const parsed = parseSafetensors(serializeSafetensors(entries, metadata));
    expect(parsed.metadata).toEqual(metadata);
    expect(new Set(parsed.tensors.keys())).toEqual(new Set(Object.keys(entries)));
    expect(parsed.tensors.get('scalar')).toEqual({ dtype: 'F32', shape: [], data: new Float32Array([7]) });
    expect(parsed.tensors.get('empty')).toEqual({ dtype: 'I32', shape: [2, 0, 3], data: new Int32Array(0) });
    expect(Array.from(parsed.tensors.get('m.w')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(parsed.tensors.get('__proto__')!.data)).toEqual([-3]);
    expect(Array.from(parsed.tensors.get('ünïcødé 😀 "quoted"\n')!.data)).toEqual([1, 2]);
  });

  it('lays out as the reference writer: alignment-descending dtype, then name; header padded to 8', () => {
    const bytes = serializeSafetensors([
      ['b', { dtype: 'F32', shape: [1], data: [1] }],
      ['a', { dtype: 'BOOL', shape: [3], data: [1, 0, 1] }],
      ['z', { dtype: 'I64', shape: [1], data: [5] }],
      ['c', { dtype: 'F16', shape: [1], data: [1] }],
      ['a2', { dtype: 'F32', shape: [2], data: [1, 2] }],
      ['y', { dtype: 'F64', shape: [1], data: [1] }],
      ['\uE000', { dtype: 'U8', shape: [1], data: [1] }],
      ['\u{1F600}', { dtype: 'U8', shape: [1], data: [1] }],
    ]);
    const { n, text } = headerOf(bytes);
    expect(n % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    // The header lists tensors in data order; U+E000 sorts before U+1F600 (UTF-8 byte order).
    expect(Object.keys(header)).toEqual(['z', 'y', 'a2', 'b', 'c', '\uE000', '\u{1F600}', 'a']);
    for (const info of Object.values(header)) {
      const size = { I64: 8, F64: 8, F32: 4, F16: 2, U8: 1, BOOL: 1 }[info.dtype]!;
      expect((8 + n + info.data_offsets[0]) % size).toBe(0);
    }
  });

  it('produces the reference serializer test vectors byte for byte', () => {
    // safetensors' own tests: one F32 [1,2,3] tensor "attn.0" (no padding needed) …
    const attn = serializeSafetensors({ 'attn.0': { shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    const attnHeader = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(attn).toEqual(file(attnHeader, new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer)));
    // … "attn0" with shape [1,1,2,3] (padded with 7 spaces) …
    const attn0 = serializeSafetensors({ attn0: { shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    const attn0Header = `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${' '.repeat(7)}`;
    expect(attn0).toEqual(file(attn0Header, new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer)));
    // … and the empty file, without and with metadata.
    expect(serializeSafetensors({})).toEqual(file('{}      '));
    expect(serializeSafetensors({}, { framework: 'pt' })).toEqual(file('{"__metadata__":{"framework":"pt"}}     '));
  });

  it('rounds to F16 and BF16 to nearest, ties to even', () => {
    const f16 = (x: number) => Array.from(parseSafetensors(serializeSafetensors({ t: { dtype: 'F16', shape: [1], data: [x] } })).tensors.get('t')!.data)[0];
    expect(f16(1 + 2 ** -11)).toBe(1); // tie → even (down)
    expect(f16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // tie → even (up)
    expect(f16(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10); // above the tie
    expect(f16(65519)).toBe(65504);
    expect(f16(65520)).toBe(Infinity); // tie between 65504 and 2^16 → even → Inf
    expect(f16(1e6)).toBe(Infinity);
    expect(f16(2 ** -25)).toBe(0); // tie → even (0)
    expect(f16(3 * 2 ** -26)).toBe(2 ** -24);
    expect(f16(3 * 2 ** -25)).toBe(2 ** -23); // subnormal tie → even (up)
    expect(f16(2 ** -14 - 2 ** -25)).toBe(2 ** -14); // carries from subnormal into normal
    expect(Object.is(f16(-1e-30), -0)).toBe(true);
    const bf16 = (x: number) => Array.from(parseSafetensors(serializeSafetensors({ t: { dtype: 'BF16', shape: [1], data: [x] } })).tensors.get('t')!.data)[0];
    expect(bf16(1 + 2 ** -8)).toBe(1); // tie → even
    expect(bf16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(bf16(Math.PI)).toBe(3.140625);
    expect(bf16(3.4e38)).toBe(Infinity);
  });

  it('F16 and BF16: every non-NaN bit pattern survives read then write', () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    for (const dtype of ['F16', 'BF16'] as const) {
      const exponentMask = dtype === 'F16' ? 0x7c00 : 0x7f80;
      const bits = all.filter((b) => (b & exponentMask) !== exponentMask || (b & ~exponentMask & 0x7fff) === 0);
      const src = file({ t: { dtype, shape: [bits.length], data_offsets: [0, 2 * bits.length] } }, le16(bits));
      const back = serializeSafetensors(parseSafetensors(src).tensors);
      const { n } = headerOf(back);
      expect(Array.from(new Uint16Array(back.slice(8 + n).buffer))).toEqual(bits);
    }
  });
});

describe('safetensors files written by the reference implementation (PEFT)', () => {
  type Case = { base_state_dict: Record<string, number[][]>; merged_state_dict: Record<string, number[][]> };
  const matmul = (a: Float32Array | Float64Array | Int32Array | Uint8Array, b: typeof a, m: number, k: number, n: number) => {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
    return out;
  };

  for (const method of ['lora', 'loha'] as const) {
    it(`reads ${method}/adapter_model.safetensors: names, shapes, values (merged − base = ΔW)`, () => {
      const bytes = fixture(`peft/${method}/adapter_model.safetensors`); // a Node Buffer (byteOffset may be ≠ 0)
      const config = JSON.parse(fixture(`peft/${method}/adapter_config.json`).toString()) as { r: number; lora_alpha?: number; alpha?: number };
      const c = JSON.parse(fixture(`peft/${method}/case.json`).toString()) as Case;
      const { tensors, metadata } = parseSafetensors(bytes);
      expect(metadata).toEqual({ format: 'pt' });
      const r = config.r;
      const scale = (config.lora_alpha ?? config.alpha)! / r;
      // fc1: 8 → 16, fc2: 16 → 4 (PyTorch weights are [out, in]).
      const layers = { fc1: [16, 8], fc2: [4, 16] } as const;
      const names =
        method === 'lora'
          ? { fc1: ['lora_A.weight', 'lora_B.weight'], fc2: ['lora_A.weight', 'lora_B.weight'] }
          : { fc1: ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'], fc2: ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'] };
      expect([...tensors.keys()].sort()).toEqual(
        Object.entries(names).flatMap(([l, ns]) => ns.map((s) => `base_model.model.${l}.${s}`)).sort(),
      );
      for (const [layer, [out, inp]] of Object.entries(layers)) {
        const get = (s: string) => tensors.get(`base_model.model.${layer}.${s}`)!;
        let delta: Float64Array;
        if (method === 'lora') {
          const A = get('lora_A.weight');
          const B = get('lora_B.weight');
          expect([A.dtype, A.shape, B.shape]).toEqual(['F32', [r, inp], [out, r]]);
          delta = matmul(B.data, A.data, out, r, inp).map((v) => v * scale);
        } else {
          const [w1a, w1b, w2a, w2b] = ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'].map(get);
          for (const a of [w1a!, w2a!]) expect(a.shape).toEqual([out, r]);
          for (const b of [w1b!, w2b!]) expect(b.shape).toEqual([r, inp]);
          const p1 = matmul(w1a!.data, w1b!.data, out, r, inp);
          const p2 = matmul(w2a!.data, w2b!.data, out, r, inp);
          delta = p1.map((v, i) => v * p2[i]! * scale);
        }
        const base = c.base_state_dict[`${layer}.weight`]!.flat();
        const merged = c.merged_state_dict[`${layer}.weight`]!.flat();
        expect(delta.length).toBe(out * inp);
        const maxDelta = Math.max(...delta.map(Math.abs));
        expect(maxDelta).toBeGreaterThan(1e-2); // the adapter is not a no-op
        for (let i = 0; i < delta.length; i++) expect(delta[i]!).toBeCloseTo(merged[i]! - base[i]!, 5);
      }
    });

    it(`re-serializes ${method}/adapter_model.safetensors byte for byte`, () => {
      const bytes = fixture(`peft/${method}/adapter_model.safetensors`);
      const { tensors, metadata } = parseSafetensors(bytes);
      expect(serializeSafetensors(tensors, metadata)).toEqual(new Uint8Array(bytes));
      // Also from an ArrayBuffer.
      const copy = new Uint8Array(bytes).buffer;
      expect(parseSafetensors(copy).tensors.size).toBe(tensors.size);
    });
  }

  it("reads the reference's hand-written vectors (unpadded, scalar, zero-sized, whitespace-padded)", () => {
    const t = parseSafetensors(file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Uint8Array(16)));
    expect(t.tensors.get('test')).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array(4) });
    const scalar = parseSafetensors(file('{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', [1, 0, 0, 0]));
    expect(scalar.tensors.get('test')).toEqual({ dtype: 'I32', shape: [], data: new Int32Array([1]) });
    const zero = parseSafetensors(file('{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}'));
    expect(zero.tensors.get('test')).toEqual({ dtype: 'I32', shape: [2, 0], data: new Int32Array(0) });
    expect(parseSafetensors(file('{}\r \t\n')).tensors.size).toBe(0);
    expect(parseSafetensors(file('\t\n{}\r ')).tensors.size).toBe(0);
    // Offsets in any order in the header (older writers sorted by name only).
    const shuffled = parseSafetensors(
      file({ b: { dtype: 'U8', shape: [1], data_offsets: [1, 2] }, a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, [10, 20]),
    );
    expect([...shuffled.tensors].map(([k, v]) => [k, v.data[0]])).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
  });
});

describe('safetensors decoding of hand-built bytes', () => {
  it('F16: zeros, normals, max, subnormals, infinities, NaN', () => {
    const bits = [0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x8001, 0x3555, 0x7c00, 0xfc00, 0x7e00, 0xfc01];
    const want = [0, -0, 1, -2, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -(2 ** -24), 0.333251953125, Infinity, -Infinity, NaN, NaN];
    const got = parseSafetensors(one({ dtype: 'F16', shape: [bits.length], data_offsets: [0, 2 * bits.length] }, le16(bits))).tensors.get('w')!;
    expect(got.data).toBeInstanceOf(Float32Array);
    expect(Array.from(got.data)).toEqual(want); // toEqual tells -0 from 0 and matches NaN
  });

  it('BF16: zeros, normals, max, subnormals, infinities, NaN', () => {
    const bits = [0x0000, 0x8000, 0x3f80, 0xc000, 0x4049, 0x7f7f, 0x0080, 0x0001, 0x8001, 0x7f80, 0xff80, 0x7fc0];
    const want = [0, -0, 1, -2, 3.140625, 3.3895313892515355e38, 2 ** -126, 2 ** -133, -(2 ** -133), Infinity, -Infinity, NaN];
    const got = parseSafetensors(one({ dtype: 'BF16', shape: [bits.length], data_offsets: [0, 2 * bits.length] }, le16(bits))).tensors.get('w')!;
    expect(Array.from(got.data)).toEqual(want);
  });

  it('F32/F64 little-endian at unaligned offsets', () => {
    const data = new Uint8Array(1 + 4 + 8);
    const view = new DataView(data.buffer);
    view.setFloat32(1, -1.25, true);
    view.setFloat64(5, Math.E, true);
    const { tensors } = parseSafetensors(
      file(
        {
          b: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
          f: { dtype: 'F32', shape: [1], data_offsets: [1, 5] },
          d: { dtype: 'F64', shape: [], data_offsets: [5, 13] },
        },
        data,
      ),
    );
    expect(Array.from(tensors.get('f')!.data)).toEqual([-1.25]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([Math.E]);
  });

  it('reads a Uint8Array view at an odd offset into a larger buffer, and copies the data out', () => {
    const inner = serializeSafetensors({ w: { shape: [3], data: [1, 2, 3] }, i: { dtype: 'I32', shape: [1], data: [-4] } });
    const outer = new Uint8Array(inner.length + 10).fill(0xee);
    outer.set(inner, 3);
    const view = outer.subarray(3, 3 + inner.length);
    const { tensors } = parseSafetensors(view);
    expect(Array.from(tensors.get('w')!.data)).toEqual([1, 2, 3]);
    expect(Array.from(tensors.get('i')!.data)).toEqual([-4]);
    outer.fill(0);
    expect(Array.from(tensors.get('w')!.data)).toEqual([1, 2, 3]); // no aliasing of the input
  });

  it('I64/U64: values that fit int32 are read; one that does not is an error naming it', () => {
    const i64 = (values: bigint[]) => {
      const data = new Uint8Array(new BigInt64Array(values).buffer);
      return one({ dtype: 'I64', shape: [values.length], data_offsets: [0, data.length] }, data);
    };
    const fits = [0n, -1n, 2147483647n, -2147483648n, 123456789n];
    expect(Array.from(parseSafetensors(i64(fits)).tensors.get('w')!.data)).toEqual(fits.map(Number));
    expect(parseError(i64([1n, 2147483648n]))).toBe(
      'safetensors: tensor "w" (I64) element 1 = 2147483648 does not fit in int32 [-2147483648, 2147483647]',
    );
    expect(parseError(i64([-2147483649n]))).toContain('element 0 = -2147483649 does not fit in int32');
    expect(parseError(i64([-(2n ** 63n)]))).toContain('= -9223372036854775808 does not fit');
    const u64 = new Uint8Array(new BigUint64Array([2n ** 64n - 1n]).buffer);
    expect(parseError(one({ dtype: 'U64', shape: [1], data_offsets: [0, 8] }, u64))).toContain(
      '(U64) element 0 = 18446744073709551615 does not fit in int32',
    );
    const u32 = new Uint8Array(new Uint32Array([2 ** 31]).buffer);
    expect(parseError(one({ dtype: 'U32', shape: [1], data_offsets: [0, 4] }, u32))).toContain('(U32) element 0 = 2147483648 does not fit');
  });

  it('BOOL bytes other than 0 read as true', () => {
    const got = parseSafetensors(one({ dtype: 'BOOL', shape: [3], data_offsets: [0, 3] }, [0, 1, 7])).tensors.get('w')!;
    expect(Array.from(got.data)).toEqual([0, 1, 1]);
  });
});

describe('safetensors rejects malformed files', () => {
  const f32 = (offsets: unknown, shape: unknown = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });

  it('file shorter than 8 bytes', () => {
    expect(parseError(new Uint8Array(5))).toBe('safetensors: file is 5 bytes; it needs at least 8 (the u64 header length)');
    expect(parseError(new Uint8Array(0))).toContain('file is 0 bytes');
  });

  it('input that is not bytes', () => {
    expect(parseError('abc' as unknown as Uint8Array)).toBe('safetensors: bytes must be an ArrayBuffer or Uint8Array; got string');
  });

  it('header length past the end of the file', () => {
    expect(parseError(file('{}', [], 1000n))).toBe(
      'safetensors: header length 1000 runs past the end of the file (10 bytes, so at most 2)',
    );
    // A huge (but < 2^53) length on a tiny file fails fast without allocating.
    expect(parseError(file('{}', [], 2n ** 40n), { maxHeaderBytes: 2 ** 50 })).toContain('header length 1099511627776 runs past the end');
  });

  it('header over the size limit (default 100 MB, configurable)', () => {
    expect(parseError(file('{}', [], 100_000_001n))).toBe(
      'safetensors: header length 100000001 exceeds the limit of 100000000 bytes (options.maxHeaderBytes)',
    );
    expect(parseError(file({ a: 'b'.repeat(40) }), { maxHeaderBytes: 16 })).toContain('exceeds the limit of 16 bytes');
    expect(() => parseSafetensors(file('{}'), { maxHeaderBytes: -1 })).toThrow('options.maxHeaderBytes=-1 must be an integer ≥ 2');
  });

  it('header length beyond 2^53 (Number precision)', () => {
    expect(parseError(file('{}', [], 2n ** 53n))).toBe(
      'safetensors: header length 9007199254740992 is ≥ 2^53 and cannot be represented exactly (corrupt or not a safetensors file)',
    );
    expect(parseError(file('{}', [], 2n ** 64n - 1n))).toContain('header length 18446744073709551615 is ≥ 2^53');
  });

  it('empty header', () => {
    expect(parseError(file(''))).toBe('safetensors: header is empty (length 0); it must be a JSON object');
  });

  it('header not beginning with "{" (not an object)', () => {
    expect(parseError(file('[1, 2]'))).toBe('safetensors: header must be a JSON object beginning with "{" (0x7B); it begins with byte 0x5B');
    expect(parseError(file('\uFEFF{}'))).toContain('it begins with byte 0xEF');
    expect(parseError(file('    '))).toContain('it begins with only whitespace');
  });

  it('header not valid UTF-8', () => {
    const bytes = file('{"a":"xx"}');
    bytes[8 + 6] = 0xff;
    expect(parseError(bytes)).toBe('safetensors: header (10 bytes) is not valid UTF-8');
  });

  it('header not valid JSON', () => {
    expect(parseError(file('{"a":'))).toMatch(/^safetensors: header is not valid JSON: /);
    expect(parseError(file('{"a": {}} x'))).toMatch(/^safetensors: header is not valid JSON: /);
    expect(parseError(file('{}\0\0\0'))).toMatch(/^safetensors: header is not valid JSON: /);
  });

  it('duplicate keys', () => {
    const dup = '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    expect(parseError(file(dup, [1]))).toBe('safetensors: header has the key "w" twice (duplicate keys are not allowed)');
    // Escapes spelling the same key are the same key; strings containing quotes do not confuse the scan.
    expect(parseError(file('{"a\\"{[,":{}, "\\u0061\\"{[,":{}}'))).toContain('the key "a"{[," twice');
    const dupField = '{"w":{"dtype":"U8","shape":[1],"dtype":"U8","data_offsets":[0,1]}}';
    expect(parseError(file(dupField, [1]))).toBe(
      'safetensors: header has the key "dtype" twice inside "w" (duplicate keys are not allowed)',
    );
    expect(parseError(file('{"__metadata__":{"k":"1","k":"2"}}'))).toContain('the key "k" twice inside "__metadata__"');
  });

  it('__metadata__ not a string map', () => {
    expect(parseError(file('{"__metadata__":[1]}'))).toBe('safetensors: "__metadata__" must be an object of strings; got an array [1] of length 1');
    expect(parseError(file('{"__metadata__":{"epoch":3}}'))).toBe('safetensors: "__metadata__" value of "epoch" must be a string; got number 3');
    expect(parseSafetensors(file('{"__metadata__":null}')).metadata).toBeNull();
  });

  it('entry not an object', () => {
    expect(parseError(file('{"w":5}'))).toBe('safetensors: tensor "w" must be an object {dtype, shape, data_offsets}; got number 5');
  });

  it('entry missing a field', () => {
    expect(parseError(file({ w: { dtype: 'F32', shape: [1] } }))).toBe('safetensors: tensor "w" is missing "data_offsets"');
    expect(parseError(file({ w: { shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toBe('safetensors: tensor "w" is missing "dtype"');
    expect(parseError(file({ w: { dtype: 'F32', data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toBe('safetensors: tensor "w" is missing "shape"');
  });

  it('entry fields of the wrong type', () => {
    expect(parseError(one({ dtype: 4, shape: [1], data_offsets: [0, 4] }))).toBe('safetensors: tensor "w" dtype must be a string; got number 4');
    expect(parseError(one({ dtype: 'F32', shape: '2', data_offsets: [0, 8] }))).toBe(
      'safetensors: tensor "w" shape must be an array of integers; got string "2"',
    );
    expect(parseError(one(f32([0])))).toBe('safetensors: tensor "w" data_offsets must be an array [begin, end]; got an array [0] of length 1');
    expect(parseError(one(f32({ begin: 0, end: 8 })))).toBe(
      'safetensors: tensor "w" data_offsets must be an array [begin, end]; got an object with keys {begin, end}',
    );
    expect(parseError(one(f32([0, '8'])))).toBe('safetensors: tensor "w" data_offsets[1] = string "8" must be a non-negative integer');
  });

  it('unknown dtype, naming it and the supported ones', () => {
    expect(parseError(one({ dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] }, [0]))).toBe(
      'safetensors: tensor "w" has dtype "F8_E4M3"; supported: U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL',
    );
    expect(parseError(one({ dtype: 'toString', shape: [1], data_offsets: [0, 1] }, [0]))).toContain('has dtype "toString"; supported:');
  });

  it('shape with negative, non-integer or unrepresentable dims', () => {
    expect(parseError(one(f32([0, 8], [2, -1])))).toBe('safetensors: tensor "w" shape[1] = number -1 must be a non-negative integer');
    expect(parseError(one(f32([0, 8], [1.5])))).toBe('safetensors: tensor "w" shape[0] = number 1.5 must be a non-negative integer');
    expect(parseError(one(f32([0, 8], [null])))).toBe('safetensors: tensor "w" shape[0] = null must be a non-negative integer');
    expect(parseError(file('{"w":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', new Uint8Array(16)))).toBe(
      'safetensors: tensor "w" shape[1] = 18446744073709552000 exceeds 2^53 − 1 and cannot be represented exactly',
    );
    expect(parseError(one(f32([0, 8], [2 ** 30, 2 ** 30, 2 ** 30])))).toBe(
      'safetensors: tensor "w" shape [1073741824, 1073741824, 1073741824] has more than 2^53 − 1 elements',
    );
    expect(parseError(one({ dtype: 'F64', shape: [2 ** 50], data_offsets: [0, 8] }))).toBe(
      'safetensors: tensor "w" shape [1125899906842624] of F64 is too large to address',
    );
  });

  it('data_offsets negative or past 2^53', () => {
    expect(parseError(one(f32([-8, 0])))).toBe('safetensors: tensor "w" data_offsets[0] = number -8 must be a non-negative integer');
    expect(parseError(file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,9007199254740993]}}'))).toBe(
      'safetensors: tensor "w" data_offsets[1] = 9007199254740992 exceeds 2^53 − 1 and cannot be represented exactly',
    );
  });

  it('data_offsets end before begin', () => {
    expect(parseError(one(f32([8, 0]), new Uint8Array(8)))).toBe('safetensors: tensor "w" data_offsets [8, 0] end before they begin');
  });

  it('data_offsets past the end of the data buffer', () => {
    expect(parseError(one(f32([0, 8]), new Uint8Array(4)))).toBe(
      'safetensors: tensor "w" data_offsets [0, 8] run past the end of the data buffer (4 bytes)',
    );
  });

  it('data size ≠ product(shape) × dtype size', () => {
    expect(parseError(one(f32([0, 4], [2, 2]), new Uint8Array(4)))).toBe(
      'safetensors: tensor "w" data_offsets [0, 4] span 4 bytes but shape [2, 2] of F32 needs 4 × 4 = 16',
    );
  });

  it('overlapping tensors', () => {
    const header = { a: f32([0, 8]), b: f32([4, 12]), c: { dtype: 'U8', shape: [4], data_offsets: [12, 16] } };
    expect(parseError(file(header, new Uint8Array(16)))).toBe(
      'safetensors: tensor "b" data_offsets [4, 12] overlap tensor "a" (which ends at 8)',
    );
    // The same bytes claimed twice (the reference's "JSON attack" test).
    expect(parseError(file({ a: f32([0, 8]), b: f32([0, 8]) }, new Uint8Array(16)))).toContain('overlap tensor "a"');
    // A zero-sized tensor inside another one.
    expect(parseError(file({ a: f32([0, 8]), e: f32([4, 4], [0]) }, new Uint8Array(8)))).toBe(
      'safetensors: tensor "e" data_offsets [4, 4] overlap tensor "a" (which ends at 8)',
    );
  });

  it('holes between tensors', () => {
    expect(parseError(file({ a: f32([0, 8]), b: f32([12, 20]) }, new Uint8Array(20)))).toBe(
      'safetensors: bytes [8, 12) of the data buffer belong to no tensor (a hole before tensor "b"); the tensors must cover the buffer without gaps',
    );
    expect(parseError(file({ b: f32([4, 12]) }, new Uint8Array(12)))).toContain('bytes [0, 4) of the data buffer belong to no tensor');
  });

  it('trailing bytes not covered by any tensor', () => {
    expect(parseError(one(f32([0, 8]), new Uint8Array(10)))).toBe(
      'safetensors: the tensors cover 8 bytes but the data buffer has 10 (2 trailing bytes belong to no tensor)',
    );
    expect(parseError(file('{}', [1]))).toContain('the tensors cover 0 bytes but the data buffer has 1');
  });
});

describe('serializeSafetensors rejects bad input', () => {
  const err = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(SafetensorsError);
      return (e as Error).message;
    }
    throw new Error('expected a throw');
  };

  it('names each problem', () => {
    expect(err(() => serializeSafetensors({ w: { shape: [2, 2], data: [1, 2, 3] } }))).toBe(
      'safetensors: tensor "w" shape [2, 2] has 4 elements but data has 3',
    );
    expect(err(() => serializeSafetensors({ w: { shape: [-1], data: [] } }))).toBe(
      'safetensors: tensor "w" shape[0] = number -1 must be a non-negative integer',
    );
    expect(err(() => serializeSafetensors({ w: { dtype: 'F8' as SafetensorsDtype, shape: [1], data: [1] } }))).toBe(
      'safetensors: tensor "w" has dtype "F8"; supported: U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, I8, U8, BOOL',
    );
    expect(err(() => serializeSafetensors({ w: { dtype: 'I32', shape: [2], data: [1, 2.5] } }))).toBe(
      'safetensors: tensor "w" element 1 = 2.5 is not an integer in [-2147483648, 2147483647] (dtype I32)',
    );
    expect(err(() => serializeSafetensors({ w: { dtype: 'U8', shape: [1], data: [256] } }))).toContain('element 0 = 256 is not an integer in [0, 255]');
    expect(err(() => serializeSafetensors({ w: { dtype: 'BOOL', shape: [1], data: [2] } }))).toBe(
      'safetensors: tensor "w" element 0 = 2 is not 0 or 1 (dtype BOOL)',
    );
    expect(err(() => serializeSafetensors({ __metadata__: { shape: [1], data: [1] } }))).toBe(
      'safetensors: "__metadata__" is reserved for metadata and cannot name a tensor',
    );
    expect(err(() => serializeSafetensors({ ['a\uD800']: { shape: [1], data: [1] } }))).toBe(
      'safetensors: tensor name "a\uD800" contains a lone UTF-16 surrogate, which UTF-8 cannot encode',
    );
    expect(err(() => serializeSafetensors({}, { epoch: 3 as unknown as string }))).toBe(
      'safetensors: metadata value of "epoch" must be a string; got number 3',
    );
    expect(err(() => serializeSafetensors([['a', { shape: [1], data: [1] }], ['a', { shape: [1], data: [2] }]]))).toBe(
      'safetensors: tensor name "a" appears twice in entries',
    );
    expect(err(() => serializeSafetensors({ w: { shape: [1] } as unknown as SafetensorsInput }))).toBe(
      'safetensors: tensor "w" must be {dtype?, shape, data}; got an object with keys {shape}',
    );
  });
});

describeBackends('safetensors ⇄ tf.Tensor', () => {
  it('saves a state dict and loads it back (float32, int32, bool; F16 option)', async () => {
    const w = tf.variable(tf.tensor2d([[1, 2.5], [-3, 4]]), true, 'w');
    const state: Record<string, tf.Tensor> = {
      'layer.w': w,
      'tied.w': w, // a shared variable under two paths is written under both
      'layer.b': tf.tensor1d([0.1, -0.2]),
      steps: tf.scalar(7, 'int32'),
      mask: tf.tensor1d([1, 0, 1], 'bool'),
      ['__proto__']: tf.tensor1d([5]),
    };
    const bytes = await saveSafetensors(state, { metadata: { format: 'weft' } });
    expect(parseSafetensors(bytes).metadata).toEqual({ format: 'weft' });
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(state).sort());
    for (const [name, t] of Object.entries(state)) {
      const back = loaded[name]!;
      expect([name, back.dtype, back.shape]).toEqual([name, t.dtype, t.shape]);
      expect(Array.from(await back.data())).toEqual(Array.from(await t.data()));
    }
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);

    const half = loadSafetensors(await saveSafetensors({ w }, { floatDtype: 'F16' }));
    expect(Array.from(await half.w!.data())).toEqual([1, 2.5, -3, 4]);
    expect(parseSafetensors(await saveSafetensors({ w }, { floatDtype: 'BF16' })).tensors.get('w')!.dtype).toBe('BF16');

    tf.dispose([...Object.values(state), ...Object.values(loaded), ...Object.values(half)]);
  });

  it('loads the PEFT LoRA file into tensors that reproduce merged − base', async () => {
    const { tensors } = parseSafetensors(fixture('peft/lora/adapter_model.safetensors'));
    const t = tensorsFromEntries(tensors);
    const c = JSON.parse(fixture('peft/lora/case.json').toString()) as { base_state_dict: Record<string, number[][]>; merged_state_dict: Record<string, number[][]> };
    const delta = tf.tidy(() => tf.mul(tf.matMul(t['base_model.model.fc1.lora_B.weight']!, t['base_model.model.fc1.lora_A.weight']!), 2));
    const want = tf.sub(tf.tensor2d(c.merged_state_dict['fc1.weight']!), tf.tensor2d(c.base_state_dict['fc1.weight']!));
    const got = await delta.data();
    const expected = await want.data();
    for (let i = 0; i < got.length; i++) expect(got[i]!).toBeCloseTo(expected[i]!, 5);
    tf.dispose([delta, want, ...Object.values(t)]);
  });

  it('rejects what safetensors cannot hold', async () => {
    const c = tf.tensor(['a', 'b']);
    await expect(saveSafetensors({ c })).rejects.toThrow('safetensors: tensor "c" has tf dtype "string"; supported: float32, int32, bool');
    await expect(saveSafetensors({ x: c }, { floatDtype: 'F64' as 'F32' })).rejects.toThrow('options.floatDtype="F64"; allowed: F32, F16, BF16');
    const d = tf.scalar(1);
    d.dispose();
    await expect(saveSafetensors({ d })).rejects.toThrow('safetensors: tensor "d" is disposed');
    c.dispose();
  });
});

describe('hostile headers are refused before they are parsed', () => {
  const withHeader = (header: string) => {
    const h = new TextEncoder().encode(header);
    const out = new Uint8Array(8 + h.length);
    new DataView(out.buffer).setUint32(0, h.length, true);
    out.set(h, 8);
    return out;
  };
  it('a header nested 200,000 levels deep is refused at the fourth level, at once', () => {
    const deep = `{"w":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(() => parseSafetensors(withHeader(deep))).toThrow(/header nests an array at depth 4 \(byte 15\)/);
    const objects = `{"__metadata__":{"a":{"b":{"c":"d"}}}}`;
    expect(() => parseSafetensors(withHeader(objects))).toThrow(/header nests an object at depth 4/);
  });
  it('brackets inside strings (escaped quotes too) do not count as nesting', () => {
    const header = `{"__metadata__":{"note":"[[[[{{{{ \\" [[[["}}`;
    expect(parseSafetensors(withHeader(header)).metadata).toEqual({ note: '[[[[{{{{ " [[[[' });
  });
});
