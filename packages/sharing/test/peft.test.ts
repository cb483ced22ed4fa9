// PEFT interop: PEFT 0.21's own outputs (fixtures, LoRA and LoHa) reproduced to 1e-5; DoRA,
// rsLoRA, LoKr (full and factored) and IA3 (feed-forward and not) against a naive dense reference
// of PEFT's formulas on PEFT-format files; save → load round trips; hostile files refused with the
// model unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, serializeSafetensors, stateDict } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import {
  adapterNames, disableAdapters, enableAdapters, loadPeftAdapter, mergeAdapters, mergeAndUnload, savePeftAdapter, unmergeAdapters,
} from '../src/index.js';
import {
  T, Tiny, add, hadamard, kronRef, linearRef, loadTorch, matmul, maxDiff, randMat, readCase, relu, rowNorms, scale, type Mat,
} from './adapters-helpers.js';

const TOL = 1e-5;

describeBackends('PEFT fixtures', () => {
  for (const method of ['lora', 'loha']) {
    it(`${method}: y_adapted, merged state dict, y_merged (1e-5), unmerge round trip, disable == base`, async () => {
      const { files, c } = readCase(method);
      const model = new Tiny(new Rng(1));
      loadTorch(model, c.base_state_dict);
      const x = tf.tensor2d(c.x);
      const yBase = model.call(x);
      expect(await maxDiff(yBase, c.y_base)).toBeLessThan(TOL);
      const paths = loadPeftAdapter(model, files);
      expect(paths).toEqual(['fc1', 'fc2']);
      expect(await maxDiff(model.call(x), c.y_adapted)).toBeLessThan(TOL);
      disableAdapters(model);
      expect(await maxDiff(model.call(x), yBase)).toBe(0); // exactly the base model's output
      enableAdapters(model);
      const before = Object.fromEntries(await Promise.all(Object.entries(stateDict(model)).map(async ([k, v]) => [k, await v.data()])));
      mergeAdapters(model);
      expect(await maxDiff(model.call(x), c.y_merged)).toBeLessThan(TOL);
      const sd = stateDict(model);
      for (const n of ['fc1', 'fc2']) {
        expect(await maxDiff(sd[`${n}.base.weight`]!, T(c.merged_state_dict[`${n}.weight`] as Mat))).toBeLessThan(TOL);
        expect(await maxDiff(sd[`${n}.base.bias`]!, c.merged_state_dict[`${n}.bias`] as number[])).toBeLessThan(TOL);
      }
      unmergeAdapters(model);
      for (const [k, v] of Object.entries(stateDict(model))) expect(await maxDiff(v, tf.tensor(before[k]!))).toBeLessThan(TOL);
      mergeAndUnload(model);
      expect(adapterNames(model)).toEqual([]);
      expect(Object.keys(stateDict(model))).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
      expect(await maxDiff(model.call(x), c.y_merged)).toBeLessThan(TOL);
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
async function check(model: Tiny, files: { config: string; safetensors: Uint8Array }, x: Mat, yRef: Mat, merged: { w1: Mat; w2: Mat; b1?: number[]; b2?: number[] }) {
  loadPeftAdapter(model, files);
  const xt = tf.tensor2d(x);
  expect(await maxDiff(model.call(xt), yRef)).toBeLessThan(TOL);
  mergeAdapters(model);
  expect(await maxDiff(model.call(xt), yRef)).toBeLessThan(TOL);
  const sd = stateDict(model);
  expect(await maxDiff(sd['fc1.base.weight']!, T(merged.w1))).toBeLessThan(TOL);
  expect(await maxDiff(sd['fc2.base.weight']!, T(merged.w2))).toBeLessThan(TOL);
  if (merged.b1) expect(await maxDiff(sd['fc1.base.bias']!, merged.b1)).toBeLessThan(TOL);
  if (merged.b2) expect(await maxDiff(sd['fc2.base.bias']!, merged.b2)).toBeLessThan(TOL);
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
  loadPeftAdapter(again, saved);
  expect(await maxDiff(again.call(xt), yRef)).toBeLessThan(TOL);
  const orig = JSON.parse(files.config) as Record<string, unknown>;
  const back = JSON.parse(saved.config) as Record<string, unknown>;
  for (const k of Object.keys(orig)) if (k !== 'peft_version' && k !== 'init_weights') expect(back[k], k).toEqual(orig[k]);
  again.dispose();
  model.dispose();
}

describe('PEFT formats against a naive dense reference', () => {
  for (const rslora of [false, true]) {
    it(`LoRA${rslora ? ' (rsLoRA: alpha/√r)' : ''} with rank_pattern / alpha_pattern`, async () => {
      const { rng, base, x, model } = setup(3);
      const r1 = 4, r2 = 2, a1 = 8, a2 = 3;
      const t = { A1: randMat(rng, r1, 8), B1: randMat(rng, 16, r1), A2: randMat(rng, r2, 16), B2: randMat(rng, 4, r2) };
      const s = (a: number, r: number) => (rslora ? a / Math.sqrt(r) : a / r);
      const w1 = add(base.w1, scale(matmul(t.B1, t.A1), s(a1, r1)));
      const w2 = add(base.w2, scale(matmul(t.B2, t.A2), s(a2, r2)));
      const y = linearRef(relu(linearRef(x, w1, base.b1)), w2, base.b2);
      const files = peftFiles(
        { peft_type: 'LORA', r: r1, lora_alpha: a1, use_rslora: rslora, rank_pattern: { fc2: r2 }, alpha_pattern: { fc2: a2 }, bias: 'none', use_dora: false, lora_dropout: 0 },
        { 'fc1.lora_A.weight': t.A1, 'fc1.lora_B.weight': t.B1, 'fc2.lora_A.weight': t.A2, 'fc2.lora_B.weight': t.B2 },
      );
      await check(model, files, x, y, { w1, w2 });
    });
  }

  it('DoRA: m ⊙ (W + sBA) / ‖W + sBA‖ (row norms of the [out, in] weight)', async () => {
    const { rng, base, x, model } = setup(4);
    const r = 4, alpha = 6, s = alpha / r;
    const t = { A1: randMat(rng, r, 8), B1: randMat(rng, 16, r), A2: randMat(rng, r, 16), B2: randMat(rng, 4, r), m1: Array.from(rng.uniformArray(16, 0.5, 2)), m2: Array.from(rng.uniformArray(4, 0.5, 2)) };
    const dora = (w: Mat, A: Mat, B: Mat, m: number[]) => {
      const v = add(w, scale(matmul(B, A), s));
      const n = rowNorms(v);
      return v.map((row, i) => row.map((e) => (e * m[i]!) / n[i]!));
    };
    const w1 = dora(base.w1, t.A1, t.B1, t.m1);
    const w2 = dora(base.w2, t.A2, t.B2, t.m2);
    const y = linearRef(relu(linearRef(x, w1, base.b1)), w2, base.b2);
    const files = peftFiles(
      { peft_type: 'LORA', r, lora_alpha: alpha, use_dora: true },
      { 'fc1.lora_A.weight': t.A1, 'fc1.lora_B.weight': t.B1, 'fc1.lora_magnitude_vector': t.m1, 'fc2.lora_A.weight': t.A2, 'fc2.lora_B.weight': t.B2, 'fc2.lora_magnitude_vector': t.m2 },
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

  it('IA3: fc2 feed-forward (input scaled), fc1 not (output and bias scaled)', async () => {
    const { rng, base, x, model } = setup(6);
    const l1 = Array.from(rng.uniformArray(16, 0.5, 1.5));
    const l2 = Array.from(rng.uniformArray(16, 0.5, 1.5));
    const w1 = base.w1.map((row, i) => row.map((v) => v * l1[i]!));
    const b1 = base.b1.map((v, i) => v * l1[i]!);
    const w2 = base.w2.map((row) => row.map((v, j) => v * l2[j]!));
    const y = linearRef(relu(linearRef(x, w1, b1)), w2, base.b2);
    const files = peftFiles(
      { peft_type: 'IA3', feedforward_modules: ['fc2'], fan_in_fan_out: false },
      { 'fc1.ia3_l': l1.map((v) => [v]), 'fc2.ia3_l': [l2] },
    );
    await check(model, files, x, y, { w1, w2, b1, b2: base.b2 });
  });

  it('LoHa: (w1a w1b) ⊙ (w2a w2b) · alpha/r', async () => {
    const { rng, base, x, model } = setup(7);
    const r = 2, alpha = 5;
    const m = (o: number, i: number) => ({ a1: randMat(rng, o, r), b1: randMat(rng, r, i), a2: randMat(rng, o, r), b2: randMat(rng, r, i) });
    const f1 = m(16, 8), f2 = m(4, 16);
    const d = (f: typeof f1) => scale(hadamard(matmul(f.a1, f.b1), matmul(f.a2, f.b2)), alpha / r);
    const w1 = add(base.w1, d(f1));
    const w2 = add(base.w2, d(f2));
    const y = linearRef(relu(linearRef(x, w1, base.b1)), w2, base.b2);
    const files = peftFiles(
      { peft_type: 'LOHA', r, alpha, rank_dropout: 0, module_dropout: 0 },
      Object.fromEntries(['fc1', 'fc2'].flatMap((n, i) => { const f = i ? f2 : f1; return [[`${n}.hada_w1_a`, f.a1], [`${n}.hada_w1_b`, f.b1], [`${n}.hada_w2_a`, f.a2], [`${n}.hada_w2_b`, f.b2]]; })),
    );
    await check(model, files, x, y, { w1, w2 });
  });
});

describe('PEFT: hostile or unsupported files are refused and the model is unchanged', () => {
  const good = readCase('lora').files;
  const cfg = JSON.parse(good.config) as Record<string, unknown>;
  const cases: Array<[string, { config: string; safetensors: Uint8Array }, RegExp]> = [
    ['not JSON', { ...good, config: '{"peft_type": "LORA", ' }, /not valid JSON/],
    ['an array', { ...good, config: '[1,2]' }, /must be a JSON object/],
    ['unknown peft_type', { ...good, config: JSON.stringify({ ...cfg, peft_type: 'VERA' }) }, /peft_type="VERA" is not supported/],
    ['fan_in_fan_out', { ...good, config: JSON.stringify({ ...cfg, fan_in_fan_out: true }) }, /fan_in_fan_out=true is not supported/],
    ['bias "all"', { ...good, config: JSON.stringify({ ...cfg, bias: 'all' }) }, /bias="all" is not supported/],
    ['layers_to_transform', { ...good, config: JSON.stringify({ ...cfg, layers_to_transform: [0] }) }, /layers_to_transform=\[0\] is not supported/],
    ['modules_to_save', { ...good, config: JSON.stringify({ ...cfg, modules_to_save: ['head'] }) }, /modules_to_save/],
    ['r as a string', { ...good, config: JSON.stringify({ ...cfg, r: '4' }) }, /r="4" must be a finite number/],
    ['a huge r', { ...good, config: JSON.stringify({ ...cfg, r: 1e9 }) }, /r=1000000000/],
    ['targets that match nothing', { ...good, config: JSON.stringify({ ...cfg, target_modules: ['q_proj'] }) }, /matched no Linear layer/],
    ['a wrong rank', { ...good, config: JSON.stringify({ ...cfg, r: 2 }) }, /has shape \[4,8\], expected \[2,8\]/],
    ['a truncated file', { ...good, safetensors: good.safetensors.slice(0, 300) }, /safetensors/],
    ['a lying header length', { ...good, safetensors: (() => { const b = good.safetensors.slice(); b[0] = 255; b[1] = 255; b[2] = 255; return b; })() }, /safetensors/],
    ['a missing module', { ...good, safetensors: serializeSafetensors({ 'base_model.model.fc1.lora_A.weight': { shape: [4, 8], data: new Float32Array(32) }, 'base_model.model.fc1.lora_B.weight': { shape: [16, 4], data: new Float32Array(64) } }) }, /no tensors for module "fc2"/],
    ['a foreign tensor', { ...good, safetensors: serializeSafetensors({ 'model.fc1.weight': { shape: [1], data: [1] } }) }, /is not a lora tensor/],
  ];
  for (const [what, files, message] of cases) {
    it(what, async () => {
      const model = new Tiny(new Rng(1));
      const names = Object.keys(stateDict(model));
      const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]]);
      const y0 = await model.call(x).data();
      const tensors = tf.memory().numTensors;
      expect(() => loadPeftAdapter(model, files)).toThrow(message);
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
