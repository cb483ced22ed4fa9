// PEFT interop. Every case of test/fixtures/peft (PEFT 0.21.0's own files and outputs) whose
// peft_type has a codec in Weft's adapter registry: load → PEFT's y_adapted, merge → PEFT's merged
// weights and y_merged, unmerge → the base, save → PEFT's tensor names, shapes and values and PEFT's
// config keys, and the saved files load back to the same outputs. Cases Weft cannot take are listed
// with the reason and must be refused cleanly. Combinations the fixtures lack (rsLoRA with patterns,
// LoKr's factored w1_a/w1_b and w2_a/w2_b) are checked against a naive dense reference of PEFT's
// formulas; hostile files are refused with the model unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ForwardContext, Rng, parseSafetensors, serializeSafetensors, stateDict, type SafetensorsInput } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import {
  adapterMethod, adapterMethodNames, adapterNames, disableAdapters, enableAdapters, loadPeftAdapter, mergeAdapters, mergeAndUnload, savePeftAdapter,
  unmergeAdapters, withTaskIds,
} from '../src/index.js';
import {
  T, Tiny, add, kronRef, linearRef, loadTorch, matmul, maxDiff, peftCaseNames, randMat, readCase, relu, scale, type Mat,
} from './adapters-helpers.js';

/** Absolute tolerance on outputs and weights (float32 on both sides; observed errors are ≤ 1e-6). */
const TOL = 1e-5;

/** Registered PEFT codecs by peft_type, with their Weft method names. */
const CODECS = new Map(adapterMethodNames().flatMap((n) => {
  const codec = adapterMethod(n).peft;
  return codec ? [[codec.type, { method: n, codec }] as const] : [];
}));

/**
 * Fixture types without a codec in Weft, and why. Only consulted for a type that has no codec: a
 * codec added to the registry makes its cases run below without editing this list.
 */
const NOT_IN_WEFT: Record<string, string> = {
  VERA: 'not implemented in Weft yet (VeRA)',
  HRA: 'not implemented in Weft yet (HRA)',
  OFT: 'not implemented in Weft yet (OFT)',
  BOFT: 'not implemented in Weft yet (BOFT)',
  FOURIERFT: 'not implemented in Weft yet (FourierFT)',
};

/**
 * Cases of a supported type whose options Weft refuses, with the error: bias='lora_only' makes the
 * adapted layers' own biases trainable and saves them in the adapter file (base_layer.bias), while a
 * Weft adapter leaves its base layer frozen.
 */
const REFUSED: Record<string, RegExp> = {
  'lora-bias': /adapter_config\.json: option bias="lora_only" is not supported by Weft/,
};

const CASES = peftCaseNames().map((name) => ({ name, type: String(readCase(name).config['peft_type']) }));
const COVERED = CASES.filter((c) => CODECS.has(c.type) && !(c.name in REFUSED));

/** Options that describe the file or the initial values (the weights come from the file), not the adapter. */
const FILE_ONLY = new Set(['peft_version', 'auto_mapping', 'init_lora_weights', 'init_weights', 'init_ia3_weights']);

describe('PEFT fixtures: coverage', () => {
  it('every case is tested, refused with its reason, or its type is listed as not in Weft', () => {
    const unexplained = CASES.filter((c) => !CODECS.has(c.type) && !(c.type in NOT_IN_WEFT)).map((c) => `${c.name} (${c.type})`);
    expect(unexplained, 'fixture types without a codec need a reason in NOT_IN_WEFT').toEqual([]);
    for (const name of Object.keys(REFUSED)) expect(CODECS.has(CASES.find((c) => c.name === name)!.type), name).toBe(true);
    // The methods Weft has today stay covered (a codec lost from the registry shows up here).
    const covered = COVERED.map((c) => c.name);
    for (const name of ['ia3', 'loha', 'lokr', 'lokr-decompose-both', 'lora', 'lora-dora', 'lora-patterns', 'lora-rslora']) expect(covered).toContain(name);
  });
});

describeBackends('PEFT 0.21 fixtures', () => {
  for (const { name, type } of COVERED) {
    const { method, codec } = CODECS.get(type)!;
    it(`${name} (${type} → ${method}): load, merge, unmerge, save and reload match PEFT to ${TOL.toExponential()}`, async () => {
      const { files, config, c } = readCase(name);
      const err: Record<string, number> = {};
      const x = tf.tensor(c.x);
      // Task-routed methods (Poly/MHR) get PEFT's task_ids per example, in eval mode (in training Poly samples its router).
      const ids = (c as { task_ids?: number[] }).task_ids;
      const adapted = (m: Tiny) => (ids ? withTaskIds(m, ids, () => m.forward(x, new ForwardContext({ training: false }))) : m.call(x));
      const model = new Tiny(new Rng(1));
      loadTorch(model, c.base_state_dict);
      const yBase = model.call(x);
      err['y_base'] = await maxDiff(yBase, c.y_base);
      expect(await loadPeftAdapter(model, files)).toEqual(['fc1', 'fc2']);
      err['y_adapted'] = await maxDiff(adapted(model), c.y_adapted);
      disableAdapters(model);
      expect(await maxDiff(model.call(x), yBase)).toBe(0); // exactly the base model's output
      enableAdapters(model);

      // Save: PEFT's tensor names and shapes, the loaded values bit for bit, and PEFT's config keys.
      const saved = await savePeftAdapter(model);
      const want = parseSafetensors(files.safetensors).tensors;
      const got = parseSafetensors(saved.safetensors).tensors;
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, t] of want) {
        const g = got.get(k)!;
        expect([g.dtype, g.shape], k).toEqual([t.dtype, t.shape]);
        expect(g.data, k).toEqual(t.data);
      }
      const back = JSON.parse(saved.config) as Record<string, unknown>;
      for (const [k, v] of Object.entries(back)) {
        expect(Object.keys(config), `Weft writes "${k}", which PEFT 0.21 does not write for ${type}`).toContain(k);
        if (!FILE_ONLY.has(k)) expect(v, k).toEqual(config[k]);
      }
      for (const k of codec.options) if (k in config) expect(Object.keys(back), `option ${k}`).toContain(k);
      const again = new Tiny(new Rng(2));
      loadTorch(again, c.base_state_dict);
      await loadPeftAdapter(again, saved);
      err['y_adapted (saved, reloaded)'] = await maxDiff(adapted(again), c.y_adapted);
      again.dispose();

      if (c.merged_state_dict && c.y_merged) {
        const before = Object.fromEntries(await Promise.all(Object.entries(stateDict(model)).map(async ([k, v]) => [k, await v.data()])));
        mergeAdapters(model);
        err['y_merged'] = await maxDiff(model.call(x), c.y_merged);
        const sd = stateDict(model);
        err['merged_state_dict'] = 0;
        for (const n of ['fc1', 'fc2']) {
          err['merged_state_dict'] = Math.max(
            err['merged_state_dict'],
            await maxDiff(sd[`${n}.base.weight`]!, T(c.merged_state_dict[`${n}.weight`] as Mat)),
            await maxDiff(sd[`${n}.base.bias`]!, c.merged_state_dict[`${n}.bias`] as number[]),
          );
        }
        unmergeAdapters(model);
        err['unmerged'] = 0;
        for (const [k, v] of Object.entries(stateDict(model))) err['unmerged'] = Math.max(err['unmerged'], await maxDiff(v, tf.tensor(before[k]!)));
        mergeAndUnload(model);
        expect(adapterNames(model)).toEqual([]);
        expect(Object.keys(stateDict(model))).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
        err['y_merged (unloaded)'] = await maxDiff(model.call(x), c.y_merged);
      }
      for (const [what, e] of Object.entries(err)) expect(e, `${name}: ${what}`).toBeLessThan(TOL);
      model.dispose();
    });
  }
});

/** Build a PEFT adapter directory in memory from PyTorch-layout matrices. */
function peftFiles(config: Record<string, unknown>, tensors: Record<string, Mat | number[]>) {
  const entries: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [k, v] of Object.entries(tensors)) {
    const m = Array.isArray(v[0]) ? (v as Mat) : null;
    entries[`base_model.model.${k}`] = m ? { shape: [m.length, m[0]!.length], data: m.flat() } : { shape: [v.length], data: v as number[] };
  }
  return { config: JSON.stringify({ peft_version: '0.21.0', target_modules: ['fc1', 'fc2'], ...config }), safetensors: serializeSafetensors(entries, { format: 'pt' }) };
}

function setup(seed: number) {
  const rng = new Rng(seed);
  const base = { w1: randMat(rng, 16, 8), b1: Array.from(rng.normalArray(16, 0, 0.1)), w2: randMat(rng, 4, 16), b2: Array.from(rng.normalArray(4, 0, 0.1)) };
  const x = randMat(rng, 5, 8, 1);
  const model = new Tiny(new Rng(seed + 1));
  loadTorch(model, { 'fc1.weight': base.w1, 'fc1.bias': base.b1, 'fc2.weight': base.w2, 'fc2.bias': base.b2 });
  return { rng, base, x, model };
}

/** Check a loaded adapter against the reference output and merged weights, then merge/unmerge/save/load. */
async function check(model: Tiny, files: { config: string; safetensors: Uint8Array }, x: Mat, yRef: Mat, merged: { w1: Mat; w2: Mat }) {
  await loadPeftAdapter(model, files);
  const xt = tf.tensor2d(x);
  expect(await maxDiff(model.call(xt), yRef)).toBeLessThan(TOL);
  mergeAdapters(model);
  expect(await maxDiff(model.call(xt), yRef)).toBeLessThan(TOL);
  const sd = stateDict(model);
  expect(await maxDiff(sd['fc1.base.weight']!, T(merged.w1))).toBeLessThan(TOL);
  expect(await maxDiff(sd['fc2.base.weight']!, T(merged.w2))).toBeLessThan(TOL);
  unmergeAdapters(model);
  // Save in PEFT format and load into a fresh copy of the base: same outputs, same config semantics.
  const saved = await savePeftAdapter(model);
  const again = new Tiny(new Rng(99));
  disableAdapters(model);
  for (const n of ['fc1', 'fc2'] as const) {
    again[n].weight.assign((model[n] as unknown as { base: { weight: tf.Variable } }).base.weight);
    again[n].bias!.assign((model[n] as unknown as { base: { bias: tf.Variable } }).base.bias);
  }
  enableAdapters(model);
  await loadPeftAdapter(again, saved);
  expect(await maxDiff(again.call(xt), yRef)).toBeLessThan(TOL);
  const orig = JSON.parse(files.config) as Record<string, unknown>;
  const back = JSON.parse(saved.config) as Record<string, unknown>;
  for (const k of Object.keys(orig)) if (k !== 'peft_version' && k !== 'init_weights') expect(back[k], k).toEqual(orig[k]);
  again.dispose();
  model.dispose();
}

describe('PEFT forms the fixtures lack, against a naive dense reference', () => {
  it('rsLoRA (alpha/√r) with rank_pattern and alpha_pattern on the same layer', async () => {
    const { rng, base, x, model } = setup(3);
    const r1 = 4, r2 = 2, a1 = 8, a2 = 3;
    const t = { A1: randMat(rng, r1, 8), B1: randMat(rng, 16, r1), A2: randMat(rng, r2, 16), B2: randMat(rng, 4, r2) };
    const s = (a: number, r: number) => a / Math.sqrt(r);
    const w1 = add(base.w1, scale(matmul(t.B1, t.A1), s(a1, r1)));
    const w2 = add(base.w2, scale(matmul(t.B2, t.A2), s(a2, r2)));
    const y = linearRef(relu(linearRef(x, w1, base.b1)), w2, base.b2);
    const files = peftFiles(
      { peft_type: 'LORA', r: r1, lora_alpha: a1, use_rslora: true, rank_pattern: { fc2: r2 }, alpha_pattern: { fc2: a2 }, bias: 'none', use_dora: false, lora_dropout: 0 },
      { 'fc1.lora_A.weight': t.A1, 'fc1.lora_B.weight': t.B1, 'fc2.lora_A.weight': t.A2, 'fc2.lora_B.weight': t.B2 },
    );
    await check(model, files, x, y, { w1, w2 });
  });

  it('LoKr: kron(w1, w2)·alpha/r — full w1/w2 on fc1 (r large), factored w2 on fc2 (r small), decompose_both', async () => {
    // fc1 8→16: factorization(16) = (4, 4), factorization(8) = (2, 4); shape ((4,4),(2,4)).
    // r = 2 with decompose_both: w1 factored iff 2 < max(4,2)/2 = 2 → no, full w1 [4,2]; w2 factored iff 2 < max(4,4)/2 = 2 → no, full w2 [4,4].
    // fc2 16→4 with rank_pattern r = 1: shape ((2,2),(4,4)); w1: 1 < max(2,4)/2 = 2 → factored [2,1]·[1,4]; w2: 1 < 2 → factored [2,1]·[1,4].
    const { rng, base, x, model } = setup(5);
    const alpha = 3;
    const t = {
      w1: randMat(rng, 4, 2), w2: randMat(rng, 4, 4),
      w1a: randMat(rng, 2, 1), w1b: randMat(rng, 1, 4), w2a: randMat(rng, 2, 1), w2b: randMat(rng, 1, 4),
    };
    const d1 = scale(kronRef(t.w1, t.w2), alpha / 2);
    const d2 = scale(kronRef(matmul(t.w1a, t.w1b), matmul(t.w2a, t.w2b)), alpha / 1);
    const w1 = add(base.w1, d1);
    const w2 = add(base.w2, d2);
    const y = linearRef(relu(linearRef(x, w1, base.b1)), w2, base.b2);
    const files = peftFiles(
      { peft_type: 'LOKR', r: 2, alpha, decompose_both: true, decompose_factor: -1, rank_pattern: { fc2: 1 }, rank_dropout: 0, module_dropout: 0, rank_dropout_scale: false },
      { 'fc1.lokr_w1': t.w1, 'fc1.lokr_w2': t.w2, 'fc2.lokr_w1_a': t.w1a, 'fc2.lokr_w1_b': t.w1b, 'fc2.lokr_w2_a': t.w2a, 'fc2.lokr_w2_b': t.w2b },
    );
    await check(model, files, x, y, { w1, w2 });
  });
});

describe('PEFT: hostile or unsupported files are refused and the model is unchanged', () => {
  const good = readCase('lora').files;
  const cfg = JSON.parse(good.config) as Record<string, unknown>;
  type Refusal = [what: string, files: { config: string | Record<string, unknown>; safetensors: Uint8Array }, message: RegExp];
  /** The good file with some of its tensors (by name after "base_model.model.") changed. */
  const withTensors = (edit: Record<string, Partial<SafetensorsInput>>, config: string = good.config) => {
    const entries: Record<string, SafetensorsInput> = {};
    for (const [k, e] of parseSafetensors(good.safetensors).tensors) entries[k] = { dtype: e.dtype, shape: e.shape, data: Array.from(e.data) };
    for (const [k, v] of Object.entries(edit)) entries[`base_model.model.${k}`] = { ...entries[`base_model.model.${k}`]!, ...v };
    return { config, safetensors: serializeSafetensors(entries, { format: 'pt' }) };
  };
  const valued = (name: string, i: number, v: number) => {
    const data = Array.from(parseSafetensors(good.safetensors).tensors.get(`base_model.model.${name}`)!.data);
    data[i] = v;
    return withTensors({ [name]: { data } });
  };
  /** 100,000 nested arrays in the JSON text in place of option `key`'s value (JSON.stringify of it overflowed the stack). */
  const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const deep = (key: string) => ({ ...good, config: JSON.stringify({ ...cfg, [key]: 'DEEP' }).replace('"DEEP"', DEEP) });
  const NESTED = String.raw`\[\[\[\[…\]\]\]\]`;
  const cases: Refusal[] = [
    ['not JSON', { ...good, config: '{"peft_type": "LORA", ' }, /not valid JSON/],
    ['an array', { ...good, config: '[1,2]' }, /must be a JSON object/],
    ['unknown peft_type', { ...good, config: JSON.stringify({ ...cfg, peft_type: 'NOT_A_METHOD' }) }, /peft_type="NOT_A_METHOD" is not supported; allowed: LORA, /],
    ['fan_in_fan_out not a boolean', { ...good, config: JSON.stringify({ ...cfg, fan_in_fan_out: 'yes' }) }, /fan_in_fan_out="yes" must be true or false/],
    ['bias "all"', { ...good, config: JSON.stringify({ ...cfg, bias: 'all' }) }, /bias="all" is not supported/],
    ['layers_to_transform on a model without layer indices', { ...good, config: JSON.stringify({ ...cfg, layers_to_transform: [0] }) }, /layers_to_transform=\[0\] selects no Linear layer of this model/],
    ['modules_to_save', { ...good, config: JSON.stringify({ ...cfg, modules_to_save: ['head'] }) }, /modules_to_save/],
    ['r as a string', { ...good, config: JSON.stringify({ ...cfg, r: '4' }) }, /r="4" must be a finite number/],
    ['a huge r', { ...good, config: JSON.stringify({ ...cfg, r: 1e9 }) }, /r=1000000000/],
    ['targets that match nothing', { ...good, config: JSON.stringify({ ...cfg, target_modules: ['q_proj'] }) }, /matched no Linear layer/],
    ['a wrong rank', { ...good, config: JSON.stringify({ ...cfg, r: 2 }) }, /has shape \[4,8\], expected \[2,8\]/],
    ['a truncated file', { ...good, safetensors: good.safetensors.slice(0, 300) }, /safetensors/],
    ['a lying header length', { ...good, safetensors: (() => { const b = good.safetensors.slice(); b[0] = 255; b[1] = 255; b[2] = 255; return b; })() }, /safetensors/],
    ['a missing module', { ...good, safetensors: serializeSafetensors({ 'base_model.model.fc1.lora_A.weight': { shape: [4, 8], data: new Float32Array(32) }, 'base_model.model.fc1.lora_B.weight': { shape: [16, 4], data: new Float32Array(64) } }) }, /no tensors for module "fc2"/],
    ['a foreign tensor', { ...good, safetensors: serializeSafetensors({ 'model.fc1.weight': { shape: [1], data: [1] } }) }, /is not a lora tensor/],
    // Values: non-finite tensors, tensors that are not floats, scales beyond float32 (each loaded silently before, every output NaN).
    ['a NaN in lora_A', valued('fc1.lora_A.weight', 3, NaN), /non-finite values \(NaN or ±Inf, or beyond float32's range\) in "base_model\.model\.fc1\.lora_A\.weight" \(1 of 32 values\); pass allowNonFinite: true to load them anyway/],
    ['+Infinity in lora_B', valued('fc2.lora_B.weight', 0, Infinity), /non-finite values .* in "base_model\.model\.fc2\.lora_B\.weight" \(1 of 16 values\)/],
    ['an F64 value beyond float32', withTensors({ 'fc1.lora_B.weight': { dtype: 'F64', data: new Array<number>(64).fill(1e300) } }), /non-finite values .* in "base_model\.model\.fc1\.lora_B\.weight" \(64 of 64 values\)/],
    ['an I32 tensor', withTensors({ 'fc1.lora_A.weight': { dtype: 'I32', data: new Array<number>(32).fill(1) } }), /tensor "base_model\.model\.fc1\.lora_A\.weight" has dtype I32; adapter weights must be floating point \(F32, F16, BF16, F64\)/],
    ['a BOOL tensor', withTensors({ 'fc2.lora_A.weight': { dtype: 'BOOL', data: new Array<number>(64).fill(1) } }), /tensor "base_model\.model\.fc2\.lora_A\.weight" has dtype BOOL; adapter weights must be floating point/],
    ['lora_alpha 1e308', { ...good, config: JSON.stringify({ ...cfg, lora_alpha: 1e308 }) }, /lora_alpha=1e\+308 is beyond float32's range \(\|x\| ≤ 3\.4028234663852886e\+38\)/],
    ['lora_alpha NaN (a config object)', { ...good, config: { ...cfg, lora_alpha: NaN } }, /lora_alpha=NaN must be a finite number/],
    ['alpha_pattern beyond float32', { ...good, config: JSON.stringify({ ...cfg, alpha_pattern: { fc1: -1e39 } }) }, /alpha_pattern\["fc1"\]=-1e\+39 is beyond float32's range/],
    [
      'finite tensors whose product with lora_alpha overflows',
      withTensors(
        Object.fromEntries(['fc1.lora_A.weight', 'fc1.lora_B.weight', 'fc2.lora_A.weight', 'fc2.lora_B.weight'].map((k) => [k, { data: new Array<number>(k === 'fc1.lora_A.weight' ? 32 : k === 'fc1.lora_B.weight' ? 64 : k === 'fc2.lora_A.weight' ? 64 : 16).fill(10) }])),
        JSON.stringify({ ...cfg, lora_alpha: 1e37 }),
      ),
      /the weight update of module "fc1" \(128 of 128 values\), module "fc2" \(64 of 64 values\) overflows float32 \(NaN or ±Inf\) although every tensor is finite .*; pass allowNonFinite: true to load it anyway/,
    ],
    // Deeply nested values are described in a few characters (JSON.stringify threw RangeError: Maximum call stack size exceeded).
    ['a deeply nested peft_type', deep('peft_type'), new RegExp(`peft_type=${NESTED} is not supported; allowed: LORA`)],
    ['a deeply nested option', deep('fan_in_fan_out'), new RegExp(`fan_in_fan_out=${NESTED} must be true or false`)],
    ['a deeply nested r', deep('r'), new RegExp(`r=${NESTED} must be a finite number`)],
    ['a deeply nested use_rslora', deep('use_rslora'), new RegExp(`use_rslora=${NESTED} must be true or false`)],
    ['deeply nested target_modules', deep('target_modules'), new RegExp(`target_modules=${NESTED} must be a string \\(regex\\) or a list of module names`)],
    ['a deeply nested bias', deep('bias'), new RegExp(`option bias=${NESTED} is not supported by Weft`)],
    ['a deeply nested rank_pattern', deep('rank_pattern'), new RegExp(`rank_pattern=${NESTED} must be an object`)],
    // PEFT's own files that Weft cannot take (see NOT_IN_WEFT and REFUSED above).
    ...CASES.filter((c) => !CODECS.has(c.type)).map(({ name, type }): Refusal =>
      [`fixture ${name}: ${NOT_IN_WEFT[type]}`, readCase(name).files, new RegExp(`peft_type="${type}" is not supported; allowed: `)]),
    ...Object.entries(REFUSED).map(([name, message]): Refusal => [`fixture ${name}`, readCase(name).files, message]),
  ];
  for (const [what, files, message] of cases) {
    it(what, async () => {
      const model = new Tiny(new Rng(1));
      const names = Object.keys(stateDict(model));
      const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]]);
      const y0 = await model.call(x).data();
      const tensors = tf.memory().numTensors;
      await expect(loadPeftAdapter(model, files)).rejects.toThrow(message);
      expect(Object.keys(stateDict(model))).toEqual(names);
      expect(adapterNames(model)).toEqual([]);
      const y1 = tf.tidy(() => model.call(x));
      expect(Array.from(await y1.data())).toEqual(Array.from(y0));
      y1.dispose();
      expect(tf.memory().numTensors).toBe(tensors + 0);
      model.dispose();
    });
  }
});

describe('PEFT: allowNonFinite loads what the checks refuse', () => {
  const good = readCase('lora').files;
  const cfg = JSON.parse(good.config) as Record<string, unknown>;
  const tensors = () => new Map([...parseSafetensors(good.safetensors).tensors].map(([k, e]) => [k, { shape: e.shape, data: Array.from(e.data) }]));

  it('a NaN tensor loads with allowNonFinite: true, and the outputs are NaN', async () => {
    const t = tensors();
    t.get('base_model.model.fc1.lora_A.weight')!.data[0] = NaN;
    const files = { config: good.config, safetensors: serializeSafetensors(t) };
    const model = new Tiny(new Rng(1));
    await expect(loadPeftAdapter(model, files)).rejects.toThrow(/non-finite values/);
    expect(await loadPeftAdapter(model, files, { allowNonFinite: true })).toEqual(['fc1', 'fc2']);
    const y = tf.tidy(() => model.call(tf.ones([1, 8])));
    expect(Array.from(await y.data()).some(Number.isNaN)).toBe(true);
    y.dispose();
    model.dispose();
  });

  it('finite tensors times a huge lora_alpha load with allowNonFinite: true, and the weight update is ±Infinity', async () => {
    const t = tensors();
    for (const e of t.values()) e.data.fill(10);
    const files = { config: JSON.stringify({ ...cfg, lora_alpha: 1e37 }), safetensors: serializeSafetensors(t) };
    const model = new Tiny(new Rng(1));
    const before = tf.memory().numTensors;
    await expect(loadPeftAdapter(model, files)).rejects.toThrow(/overflows float32/);
    expect(tf.memory().numTensors).toBe(before);
    await loadPeftAdapter(model, files, { allowNonFinite: true });
    mergeAdapters(model);
    const w = await stateDict(model)['fc1.base.weight']!.data();
    expect(Array.from(w).every((v) => v === Infinity)).toBe(true);
    model.dispose();
  });
});
