// Fuzzing the safetensors reader and writer (fast-check, fixed seeds, bounded sizes): random
// tensors of every dtype round-trip exactly (F16/BF16 as rounded), and mutated or random files are
// either read as the format's rules say (safetensors-fuzz.ts's plain reference reading, values
// included) or refused with a SafetensorsError: never another error, never a slow parse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SafetensorsError, parseSafetensors, serializeSafetensors, type ParsedSafetensors, type SafetensorsDtype } from '../src/io/index.js';
import {
  DTYPE_SIZES, DTYPES_WIDEST_FIRST, assemble, entriesArb, metadataArb, mutate, mutationArb, referenceParse, storedValue, wellFormed,
} from './safetensors-fuzz.js';

const ROUND_TRIPS = 300;
const MUTATED = 3000;
const RANDOM = 1500;
/** A parse of these files (≤ 2 kB) takes well under a millisecond; this only catches a hang or a blow-up. */
const SLOW_MS = 1000;

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

/** Runs the reader on `bytes`; rethrows anything but a SafetensorsError; fails on a slow parse. */
function read(bytes: Uint8Array): ParsedSafetensors | SafetensorsError {
  const start = performance.now();
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw e;
  } finally {
    const ms = performance.now() - start;
    if (ms > SLOW_MS) throw new Error(`parseSafetensors took ${ms.toFixed(0)} ms on a ${bytes.length}-byte file`);
  }
}

/** Checks the reader against the reference reading of `bytes`; returns whether the file was read. */
function agreesWithReference(bytes: Uint8Array): boolean {
  const got = read(bytes);
  const ref = referenceParse(bytes);
  if (!ref.ok) {
    expect(got, `the reference refuses the file (${ref.reason}), the reader read it`).toBeInstanceOf(SafetensorsError);
    return false;
  }
  if (got instanceof SafetensorsError) throw new Error(`the reader refused a file the format allows: ${got.message}`);
  expect([...got.tensors.keys()]).toEqual(ref.tensors.map((t) => t.name)); // data order
  for (const t of ref.tensors) {
    const entry = got.tensors.get(t.name)!;
    expect(entry.dtype).toBe(t.dtype);
    expect(entry.shape).toEqual(t.shape);
    expect(same(entry.data, t.values), `values of "${t.name}" (${t.dtype})`).toBe(true);
  }
  expect(got.metadata === null ? null : Object.entries(got.metadata)).toEqual(ref.metadata === null ? null : [...new Map(ref.metadata)]);
  return true;
}

describe('safetensors fuzz', () => {
  it(`safetensors round trip (${ROUND_TRIPS} files)`, () => {
    let written = 0;
    fc.assert(
      fc.property(entriesArb(false), metadataArb(false), (entries, metadata) => {
        const strings = [...entries.map(([n]) => n), ...Object.entries(metadata ?? {}).flat()];
        const refused = entries.some(([n]) => n === '__metadata__') || !strings.every(wellFormed);
        let bytes: Uint8Array;
        try {
          bytes = serializeSafetensors(entries, metadata);
        } catch (e) {
          if (refused && e instanceof SafetensorsError) return;
          throw e;
        }
        expect(refused, 'the writer took a reserved name or a lone surrogate').toBe(false);
        written++;
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect(n % 8, 'header padded to 8 bytes').toBe(0);
        const beyondInt32 = entries.some(([, t]) => ['I64', 'U64', 'U32'].includes(t.dtype) && Array.from(t.data).some((v) => v > 2 ** 31 - 1 || v < -(2 ** 31)));
        const got = read(bytes);
        expect(agreesWithReference(bytes)).toBe(!beyondInt32);
        if (beyondInt32) {
          expect((got as Error).message).toMatch(/does not fit in int32/);
          return;
        }
        const parsed = got as ParsedSafetensors;
        // The reference writer's layout: descending dtype alignment, then name by UTF-8 bytes.
        const order = [...entries].sort(([a, x], [b, y]) => DTYPES_WIDEST_FIRST.indexOf(x.dtype) - DTYPES_WIDEST_FIRST.indexOf(y.dtype) || utf8Order(a, b));
        expect([...parsed.tensors.keys()]).toEqual(order.map(([name]) => name));
        for (const [name, t] of entries) {
          const entry = parsed.tensors.get(name)!;
          expect(entry.dtype).toBe(t.dtype);
          expect(entry.shape).toEqual(t.shape);
          const expected = Array.from(t.data, (v) => storedValue(t.dtype, v));
          expect(same(entry.data, expected), `values of "${name}" (${t.dtype})`).toBe(true);
        }
        expect(parsed.metadata).toEqual(metadata ?? null);
        // The reader's output goes back in unchanged: the same bytes.
        expect(serializeSafetensors(parsed.tensors, parsed.metadata)).toEqual(bytes);
      }),
      { seed: 0x5afe, numRuns: ROUND_TRIPS },
    );
    expect(written).toBeGreaterThan(ROUND_TRIPS / 2);
  });

  it(`safetensors mutated files (${MUTATED} files)`, () => {
    const counts = { read: 0, refused: 0 };
    fc.assert(
      fc.property(entriesArb(true), metadataArb(true), mutationArb, (entries, metadata, mutation) => {
        const bytes = mutate(serializeSafetensors(entries, metadata), mutation);
        counts[agreesWithReference(bytes) ? 'read' : 'refused']++;
      }),
      { seed: 0xf11e, numRuns: MUTATED },
    );
    // Both outcomes are well represented, so neither check above passes vacuously.
    expect(counts.read).toBeGreaterThan(MUTATED / 20);
    expect(counts.refused).toBeGreaterThan(MUTATED / 2);
  });

  it(`safetensors random files (${RANDOM} files)`, () => {
    const counts = { read: 0, refused: 0 };
    const file = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // A random JSON header (or random text) with a right or random length, then random data.
      fc
        .tuple(fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary', maxLength: 40 })), fc.uint8Array({ maxLength: 32 }), fc.option(fc.bigInt({ min: 0n, max: 200n })))
        .map(([text, data, length]) => assemble(text, data, length ?? undefined)),
      // A tensor of a random dtype and shape whose offsets and data size are right or a little off.
      fc
        .tuple(
          fc.constantFrom(...DTYPES_WIDEST_FIRST, 'X'),
          fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
          fc.array(fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1, 2), { minLength: 3, maxLength: 3 }),
          fc.uint8Array({ minLength: 64, maxLength: 64 }),
        )
        .map(([dtype, shape, [dBegin, dEnd, dData], bytes]) => {
          const size = shape.reduce((a, b) => a * b, 1) * (DTYPE_SIZES[dtype as SafetensorsDtype] ?? 1);
          const offsets = [Math.abs(dBegin!), size + dEnd!];
          return assemble(JSON.stringify({ t: { dtype, shape, data_offsets: offsets } }), bytes.subarray(0, Math.max(0, size + dData!)));
        }),
    );
    fc.assert(
      fc.property(file, (bytes) => {
        counts[agreesWithReference(bytes) ? 'read' : 'refused']++;
      }),
      { seed: 0xbad, numRuns: RANDOM },
    );
    expect(counts.read).toBeGreaterThan(RANDOM / 50);
    expect(counts.refused).toBeGreaterThan(RANDOM / 2);
  });
});
