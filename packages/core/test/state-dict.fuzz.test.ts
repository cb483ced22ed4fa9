// Fuzzing loadModule (fast-check, fixed seed, bounded sizes): state dicts of a model with a shared
// layer, saved as F32/F16/BF16 from models of the same or another shape, under any subset of the
// model's paths (a shared layer's second path included), sometimes with NaN/Inf put in, sometimes
// mutated as bytes or as header JSON. loadModule must do what the rules of loadStateDict say for
// the file as parseSafetensors reads it: load exactly those values, or throw a Weft error (a
// SafetensorsError, or an Error from loadStateDict/loadModule) and leave every weight as it was.
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Linear, Module, ModuleList, Rng, type ForwardContext } from '../src/index.js';
import {
  SafetensorsError, loadModule, parseSafetensors, serializeSafetensors, stateDict, type LoadStateDictOptions, type SafetensorsEntry, type SafetensorsInput,
} from '../src/io/index.js';
import { mutate, mutationArb } from './safetensors-fuzz.js';

const FILES = 1000;

/** Linear(n, n) used twice (paths layers.0 and layers.1), then Linear(n, m). */
class Net extends Module {
  readonly layers: ModuleList<Linear>;
  constructor(n: number, m: number, rng: Rng) {
    super();
    const a = new Linear({ inFeatures: n, outFeatures: n }, rng);
    this.layers = this.addModule('layers', new ModuleList([a, a, new Linear({ inFeatures: n, outFeatures: m }, rng)]));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.items.reduce((h, l) => l.forward(h, ctx), x);
  }
}

const PATHS = ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias'];

const caseArb = fc.record({
  seed: fc.nat(),
  shape: fc.constantFrom([3, 2], [3, 2], [3, 2], [3, 3], [2, 2]),
  floatDtype: fc.constantFrom('F32', 'F16', 'BF16', 'F64') as fc.Arbitrary<'F32' | 'F16' | 'BF16' | 'F64'>,
  // The keys written: a subset of the model's paths, at times one it does not have.
  keys: fc.subarray([...PATHS, 'layers.3.weight'], { minLength: 0 }),
  // A non-finite or huge value put in one written tensor, or a changed value in one (a shared
  // layer's two paths then disagree, unless the change is made under both).
  poison: fc.option(fc.record({ key: fc.nat(), at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity, 1e300, 0.5), bothPaths: fc.boolean() }), { freq: 3 }),
  mutation: fc.option(mutationArb, { freq: 2 }),
  options: fc.record({ strict: fc.boolean(), allowNonFinite: fc.boolean() }, { requiredKeys: [] }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** The bytes of a case: the source model's values under `keys`, changed as the case says. */
async function fileOf(c: Case): Promise<Uint8Array> {
  const source = new Net(c.shape[0]!, c.shape[1]!, new Rng(c.seed));
  const byPath = new Map(source.namedParameters());
  const vars = c.keys.map((key) => byPath.get(key) ?? byPath.get('layers.2.bias')!);
  const poisoned = c.poison ? vars[c.poison.key % vars.length] : undefined;
  const entries = await Promise.all(
    c.keys.map(async (key, i): Promise<[string, SafetensorsInput]> => {
      const v = vars[i]!;
      const data = Array.from(await v.data());
      if (c.poison && (i === c.poison.key % vars.length || (c.poison.bothPaths && v === poisoned))) data[c.poison.at % data.length] = c.poison.value;
      return [key, { dtype: c.floatDtype, shape: v.shape, data }];
    }),
  );
  source.dispose();
  const bytes = serializeSafetensors(entries);
  return c.mutation === null ? bytes : mutate(bytes, c.mutation);
}

/**
 * What loadStateDict's rules say for `tensors` (as parsed) on `model`: null when the file must be
 * refused, else the values each variable must end with.
 */
function expectedLoad(model: Module<any, any>, tensors: Map<string, SafetensorsEntry>, options: LoadStateDictOptions): Map<tf.Variable, Float32Array> | null {
  const byPath = new Map(model.namedParameters());
  const values = new Map<tf.Variable, Float32Array>();
  let unexpected = false;
  for (const [key, entry] of tensors) {
    const v = byPath.get(key);
    if (!v) {
      unexpected = true;
      continue;
    }
    if (entry.dtype === 'BOOL' || entry.data instanceof Int32Array) return null; // not float32
    if (entry.shape.length !== v.shape.length || entry.shape.some((d, i) => d !== v.shape[i])) return null;
    const data = Float32Array.from(entry.data);
    const prior = values.get(v);
    if (prior && !prior.every((x, i) => Object.is(x, data[i]))) return null; // one variable, two values
    values.set(v, data);
  }
  const strict = options.strict ?? true;
  if (strict && (unexpected || values.size !== Object.keys(stateDict(model)).length)) return null;
  if (!options.allowNonFinite && [...values.values()].some((d) => d.some((x) => !Number.isFinite(x)))) return null;
  return values;
}

async function snapshot(model: Module<any, any>): Promise<Map<tf.Variable, Float32Array>> {
  const vars = Object.values(stateDict(model));
  return new Map(await Promise.all(vars.map(async (v) => [v, (await v.data()) as Float32Array] as const)));
}

const sameValues = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe('state dict fuzz', () => {
  it(`loadModule of saved, mutated state dicts (${FILES} files)`, async () => {
    const model = new Net(3, 2, new Rng(12345));
    const original = await snapshot(model);
    const counts = { loaded: 0, refused: 0 };
    const tensorsBefore = tf.memory().numTensors;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const bytes = await fileOf(c);
        let parsed: Map<string, SafetensorsEntry> | null = null;
        try {
          parsed = parseSafetensors(bytes).tensors;
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
        }
        const expected = parsed && expectedLoad(model, parsed, c.options);
        let error: unknown = null;
        try {
          await loadModule(model, bytes, c.options);
        } catch (e) {
          error = e;
        }
        const after = await snapshot(model);
        if (expected === null) {
          expect(error, 'the file breaks a rule, yet it loaded').not.toBeNull();
          const weft = error instanceof SafetensorsError || (Object.getPrototypeOf(error) === Error.prototype && /^(loadStateDict|loadModule): /.test((error as Error).message));
          expect(weft, `not a Weft error: ${String(error)}`).toBe(true);
          for (const [v, before] of original) expect(sameValues(after.get(v)!, before), `${v.name} changed by a refused file`).toBe(true);
          counts.refused++;
          return;
        }
        if (error) throw new Error(`loadModule refused a file the rules allow: ${(error as Error).message}`);
        for (const [v, before] of original) expect(sameValues(after.get(v)!, expected.get(v) ?? before), `${v.name} after loading`).toBe(true);
        counts.loaded++;
        tf.tidy(() => original.forEach((before, v) => v.assign(tf.tensor(before, v.shape))));
      }),
      { seed: 0x57a7e, numRuns: FILES },
    );
    expect(counts.loaded).toBeGreaterThan(FILES / 10);
    expect(counts.refused).toBeGreaterThan(FILES / 4);
    expect(tf.memory().numTensors, 'tensors leaked').toBe(tensorsBefore);
    model.dispose();
  });
});
