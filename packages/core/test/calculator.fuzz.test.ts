// Fuzzing the parameter calculator (fast-check, fixed seeds, bounded sizes): the presets' configs
// with fields set to hostile values, deleted or added, under random options (heads, sharing plans,
// adapters), and mutated or random config.json texts. Each must give a CalculatorError or a report
// whose numbers agree (rows sum to the totals, stored = total + adapter, active ≤ effective, bytes
// from stored, exact integers), the same from countParams and from countParamsFromJson; an adapter
// never changes the base total. Never another error type.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CalculatorError, PRESETS, PRESET_NAMES, SHARING_PLANS, SUPPORTED_MODEL_TYPES, adapterCountNames, countParams, countParamsFromJson,
  type CountOptions, type ModelConfig, type ParamReport,
} from '../src/index.js';

const CONFIGS = 2000;
const TEXTS = 1500;

/** Every field a preset has, and the optional fields the calculator reads. */
const FIELDS = [
  ...new Set(PRESET_NAMES.flatMap((n) => Object.keys(PRESETS[n].config))),
  'architectures', 'tie_word_embeddings', 'head_dim', 'num_key_value_heads', 'attention_bias', 'mlp_bias', 'qkv_bias',
  'position_embedding_type', 'decoder_sparse_step', 'mlp_only_layers', 'n_shared_experts', 'first_k_dense_replace', 'moe_layer_freq',
];

const numberArb = fc.oneof(
  fc.integer({ min: -2, max: 70 }),
  fc.constantFrom(0, 1, 2, 3, 7, 8, 64, 128, 1024, 1025, 4096, 65536, 65537, 2 ** 20, 2 ** 22, 2 ** 22 + 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e308, -0, 0.5, 1.5),
);
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: numberArb },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -1, max: 40 }), { maxLength: 5 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null, true, false, '12', '', 'absolute', 'relative_key', ...SUPPORTED_MODEL_TYPES, ['LlamaForCausalLM'], ['constructorForCausalLM'],
      ['MixtralForCausalLM'], '__proto__', 'constructor',
    ),
  },
);
/** A key a config.json might have: a known field, a prototype name, or anything. */
const keyArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIELDS) }, fc.constantFrom('__proto__', 'constructor', 'toString'), fc.string({ maxLength: 6 }));

type Edit = { set: string; value: unknown } | { drop: string };
const editsArb: fc.Arbitrary<Edit[]> = fc.array(fc.oneof(fc.record({ set: keyArb, value: valueArb }), fc.record({ drop: keyArb })), { maxLength: 4 });

/** A preset's config with `edits` applied (own keys, as JSON.parse makes them, "__proto__" included). */
function edited(preset: (typeof PRESET_NAMES)[number], edits: Edit[]): Record<string, unknown> {
  const config = structuredClone(PRESETS[preset].config) as Record<string, unknown>;
  for (const e of edits) {
    if ('drop' in e) delete config[e.drop];
    else Object.defineProperty(config, e.set, { value: e.value, enumerable: true, writable: true, configurable: true });
  }
  return config;
}

const planNames = [...Object.keys(SHARING_PLANS), 'nope', '__proto__', 'constructor'];
const sharingArb = fc.oneof(
  fc.constantFrom(...planNames),
  fc.record(
    { name: fc.constantFrom(...planNames), groups: numberArb, unique: numberArb, repeat: numberArb, map: fc.array(fc.integer({ min: -1, max: 30 }), { maxLength: 40 }) },
    { requiredKeys: ['name'] },
  ),
);
const targetsArb = fc.oneof(
  fc.array(fc.constantFrom('q_proj', 'v_proj', 'query', 'value', 'down_proj', 'gate_proj', 'experts', '0', 'mlp', 'embed_tokens', 'word_embeddings', 'lm_head', 'output.dense'), { maxLength: 4 }),
  fc.constantFrom('.*', '.*q_proj', '(', '', '.*\\.1\\..*', 'model\\.layers\\.0\\..*', '.*experts\\.[0-3]\\..*'),
  fc.jsonValue({ maxDepth: 1 }),
);
const adapterArb = fc.record(
  {
    method: fc.constantFrom(...adapterCountNames(), 'nope', '__proto__', 'constructor'),
    r: numberArb,
    targetModules: targetsArb,
    feedforwardModules: targetsArb,
    dora: fc.oneof(fc.boolean(), valueArb),
    decomposeBoth: fc.boolean(),
    decomposeFactor: numberArb,
  },
  { requiredKeys: ['method'] },
);
const optionsArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    head: fc.constantFrom('none', 'lm', 'classifier', 'mlm', null),
    pooler: fc.oneof(fc.boolean(), valueArb),
    numLabels: numberArb,
    sharing: sharingArb,
    adapter: adapterArb,
    sharding: fc.constant(true), // not an option
  },
  { requiredKeys: [] },
);

const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const sum = (rows: ParamReport['rows'], k: 'stored' | 'effective' | 'trainable' | 'activePerToken') => rows.reduce((s, r) => s + r[k], 0);

/** The report's numbers agree with each other. */
function checkReport(r: ParamReport): void {
  for (const k of ['total', 'stored', 'effective', 'trainable', 'activePerToken', 'slots', 'uniqueBlocks'] as const) expect(isCount(r[k]), k).toBe(true);
  for (const row of r.rows) {
    for (const k of ['stored', 'effective', 'trainable', 'activePerToken'] as const) expect(isCount(row[k]), `${row.name} ${k}`).toBe(true);
    expect(row.activePerToken, `${row.name}: active ≤ effective`).toBeLessThanOrEqual(row.effective);
    expect(row.stored, `${row.name}: stored ≤ effective`).toBeLessThanOrEqual(row.effective);
  }
  const base = r.rows.filter((row) => row.component !== 'adapters');
  expect(r.total).toBeGreaterThan(0);
  expect(sum(base, 'stored')).toBe(r.total);
  expect(r.stored).toBe(r.total + (r.adapter?.params ?? 0));
  expect(sum(r.rows, 'stored')).toBe(r.stored);
  expect(sum(r.rows, 'effective')).toBe(r.effective);
  expect(sum(r.rows, 'activePerToken')).toBe(r.activePerToken);
  expect(sum(r.rows, 'trainable')).toBe(r.trainable);
  expect(r.trainable).toBe(r.adapter ? r.adapter.params : r.stored);
  expect(r.effective).toBeGreaterThanOrEqual(r.stored);
  expect(r.uniqueBlocks).toBeLessThanOrEqual(r.slots);
  expect(r.bytes).toEqual({ fp32: 4 * r.stored, fp16: 2 * r.stored, bf16: 2 * r.stored, int8: r.stored, int4: Math.ceil(r.stored / 2) });
  if (r.adapter) expect(r.adapter.targetedModules).toBeGreaterThan(0);
}

/** The report, or the CalculatorError thrown; any other error is rethrown (a bug). */
function attempt(f: () => ParamReport): ParamReport | CalculatorError {
  try {
    return f();
  } catch (e) {
    if (e instanceof CalculatorError) return e;
    throw e;
  }
}

describe('calculator fuzz', () => {
  it(`countParams of mutated preset configs under random options (${CONFIGS} configs)`, () => {
    const counts = { counted: 0, refused: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...PRESET_NAMES), editsArb, fc.option(optionsArb, { freq: 2 }), (preset, edits, options) => {
        const config = edited(preset, edits);
        const opts = (options ?? undefined) as CountOptions | undefined;
        const report = attempt(() => countParams(config as unknown as ModelConfig, opts));
        const fromJson = attempt(() => countParamsFromJson(JSON.stringify(config), opts));
        if (report instanceof CalculatorError) {
          expect(report.message).toMatch(/^(config|options|adapter|sharing|calculator)\b/);
          expect(fromJson, 'countParamsFromJson counted a config countParams refuses').toBeInstanceOf(CalculatorError);
          counts.refused++;
          return;
        }
        checkReport(report);
        expect(fromJson).toEqual(report);
        if (opts?.adapter !== undefined) {
          const base = attempt(() => countParams(config as unknown as ModelConfig, { ...opts, adapter: undefined }));
          expect((base as ParamReport).total, 'an adapter changed the base total').toBe(report.total);
        }
        counts.counted++;
      }),
      { seed: 0xca1c, numRuns: CONFIGS },
    );
    expect(counts.counted).toBeGreaterThan(CONFIGS / 10);
    expect(counts.refused).toBeGreaterThan(CONFIGS / 4);
  });

  it(`countParamsFromJson of mutated and random config.json texts (${TEXTS} texts)`, () => {
    const counts = { counted: 0, refused: 0 };
    // Small edits of the text: often still JSON (a digit for a digit, a sign, an exponent, a space), often not.
    const insert = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 4 }), fc.constantFrom('0', '1', '9', '-', '.5', 'e3', ' ', '\n', 'null', '"'));
    const edit = fc.record({ at: fc.nat(), cut: fc.integer({ min: 0, max: 2 }), insert });
    const text = fc.oneof(
      fc.tuple(fc.constantFrom(...PRESET_NAMES), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([preset, edits]) => {
        let s = JSON.stringify(PRESETS[preset].config, null, 2);
        for (const e of edits) {
          const at = e.at % (s.length + 1);
          s = s.slice(0, at) + e.insert + s.slice(at + e.cut);
        }
        return s;
      }),
      fc.json({ maxDepth: 3 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, (s) => {
        const report = attempt(() => countParamsFromJson(s));
        if (report instanceof CalculatorError) {
          expect(report.message).toMatch(/^config\.json: /);
          counts.refused++;
        } else {
          checkReport(report);
          counts.counted++;
        }
      }),
      { seed: 0x7e47, numRuns: TEXTS },
    );
    // Few edited texts still count: an edit inside a key makes a field the calculator does not know, refused.
    expect(counts.counted).toBeGreaterThan(TEXTS / 100);
    expect(counts.refused).toBeGreaterThan(TEXTS / 2);
  });
});
