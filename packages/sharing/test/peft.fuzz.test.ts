// Fuzzing loadPeftAdapter's adapter_config.json (fast-check, fixed seed, bounded sizes): PEFT's own
// fixture files of every method Weft has a codec for, their config with options set to hostile
// values, dropped or added, given as an object or as (sometimes garbled) JSON text, at times with
// another method's tensors. Each load either refuses with a plain Error from the loader (never a
// TypeError or RangeError), leaving the model as it was and no tensor behind, or attaches an
// adapter that savePeftAdapter writes and loadPeftAdapter reads back to the same outputs.
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, stateDict } from '@weft/core';
import { adapterMethod, adapterMethodNames, adapterNames, loadPeftAdapter, savePeftAdapter } from '../src/index.js';
import { Tiny, loadTorch, peftCaseNames, readCase } from './adapters-helpers.js';

const CONFIGS = 1000;

/** The fixture cases whose peft_type has a codec in the registry. */
const TYPES = new Set(adapterMethodNames().flatMap((n) => adapterMethod(n).peft?.type ?? []));
const CASES = peftCaseNames()
  .map((name) => ({ name, ...readCase(name) }))
  .filter((c) => TYPES.has(String(c.config['peft_type'])) && c.name !== 'lora-bias');

/** Every option the fixtures' configs have. */
const KEYS = [...new Set(CASES.flatMap((c) => Object.keys(c.config)))];

const numberArb = fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constantFrom(0, 0.5, -0, 1e-45, 1e38, 1e39, 1e308, 2 ** 31, 2 ** 53, 4096, 65536));
const targetsArb = fc.oneof(
  fc.array(fc.constantFrom('fc1', 'fc2', 'fc3', '', 'fc', '1'), { maxLength: 3 }),
  fc.constantFrom('fc[12]', 'fc.*', '.*', 'fc1', '(', '[', 'fc\\d', 'all-linear', ''),
);
const patternArb = fc.dictionary(fc.constantFrom('fc1', 'fc2', 'fc.*', '(', '', '__proto__', 'constructor'), fc.oneof(numberArb, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 3 });
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: numberArb },
  { weight: 2, arbitrary: targetsArb },
  { weight: 1, arbitrary: patternArb },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 'none', 'all', 'lora_only', 'LORA', 'LOHA', 'LOKR', 'IA3', 'VERA', 'lora', '__proto__') },
);
const keyArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...KEYS) }, fc.constantFrom('__proto__', 'constructor', 'toString'), fc.string({ maxLength: 6 }));
type Edit = { set: string; value: unknown } | { drop: string };
const editArb: fc.Arbitrary<Edit> = fc.oneof(fc.record({ set: keyArb, value: valueArb }), fc.record({ drop: keyArb }));

const caseArb = fc.record({
  fixture: fc.nat(CASES.length - 1),
  edits: fc.array(editArb, { maxLength: 3 }),
  // The config as an object, as JSON text, or as JSON text with a few characters changed.
  form: fc.oneof(
    fc.constant<'object' | 'text'>('object'),
    fc.constant<'object' | 'text'>('text'),
    fc.array(fc.record({ at: fc.nat(), cut: fc.integer({ min: 0, max: 2 }), insert: fc.string({ maxLength: 2 }) }), { minLength: 1, maxLength: 2 }),
  ),
  // Another fixture's tensors, at times.
  tensorsOf: fc.option(fc.nat(CASES.length - 1), { freq: 4 }),
  allowNonFinite: fc.option(fc.boolean(), { nil: undefined }),
});

/** The adapter_config.json of a case, edited (own keys, as JSON.parse makes them). */
function configOf(c: Case): string | Record<string, unknown> {
  const config = structuredClone(CASES[c.fixture]!.config);
  for (const e of c.edits) {
    if ('drop' in e) delete config[e.drop];
    else Object.defineProperty(config, e.set, { value: e.value, enumerable: true, writable: true, configurable: true });
  }
  if (c.form === 'object') return config;
  let text = JSON.stringify(config, null, 2);
  if (c.form === 'text') return text;
  for (const e of c.form) {
    const at = e.at % (text.length + 1);
    text = text.slice(0, at) + e.insert + text.slice(at + e.cut);
  }
  return text;
}
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** A fixture's base model. */
function baseModel(): Tiny {
  const model = new Tiny(new Rng(1));
  loadTorch(model, CASES[0]!.c.base_state_dict);
  return model;
}

describe('PEFT fuzz', () => {
  it(`loadPeftAdapter of mutated adapter_config.json (${CONFIGS} configs)`, async () => {
    const x = tf.tensor2d(CASES[0]!.c.x);
    const counts = { loaded: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const model = baseModel();
        const names = Object.keys(stateDict(model));
        const y0 = tf.tidy(() => model.call(x));
        const tensors = tf.memory().numTensors;
        const files = { config: configOf(c), safetensors: CASES[c.tensorsOf ?? c.fixture]!.files.safetensors };
        const options = c.allowNonFinite === undefined ? {} : { allowNonFinite: c.allowNonFinite };
        try {
          let paths: string[];
          try {
            paths = await loadPeftAdapter(model, files, options);
          } catch (e) {
            expect(Object.getPrototypeOf(e), `not a plain Error: ${String(e)}`).toBe(Error.prototype);
            const message = (e as Error).message;
            // "where: what". Most start "PEFT: "; a method's own config check ("LoRA config: dropout=5 …")
            // and injectAdapter's target check still speak of Weft's option names, not the file's.
            expect(message).toMatch(/^[^:]+: \S/);
            expect(adapterNames(model)).toEqual([]);
            expect(Object.keys(stateDict(model))).toEqual(names);
            expect(tf.memory().numTensors, 'tensors left behind by a refused load').toBe(tensors);
            const y1 = tf.tidy(() => model.call(x));
            expect(Array.from(await y1.data())).toEqual(Array.from(await y0.data()));
            y1.dispose();
            counts.refused++;
            return;
          }
          expect(adapterNames(model)).toEqual(['default']);
          expect(paths.length).toBeGreaterThan(0);
          // What was loaded saves and loads back to the same outputs.
          const saved = await savePeftAdapter(model);
          const again = baseModel();
          try {
            expect(await loadPeftAdapter(again, saved, { allowNonFinite: true })).toEqual(paths);
            const [y1, y2] = tf.tidy(() => [model.call(x), again.call(x)]);
            const [a, b] = [await y1!.data(), await y2!.data()];
            tf.dispose([y1!, y2!]);
            expect(Array.from(b, (v, i) => Object.is(v, a[i]) || Math.abs(v - a[i]!) <= 1e-5 * (1 + Math.abs(a[i]!)))).not.toContain(false);
          } finally {
            again.dispose();
          }
          counts.loaded++;
        } finally {
          y0.dispose();
          model.dispose();
        }
      }),
      { seed: 0x9ef7, numRuns: CONFIGS },
    );
    expect(counts.loaded).toBeGreaterThan(CONFIGS / 10);
    expect(counts.refused).toBeGreaterThan(CONFIGS / 4);
    x.dispose();
  });
});
