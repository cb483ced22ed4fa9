import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, Module, ModuleList, Rng, loadModule, loadStateDict, saveModule, stateDict, type ForwardContext } from '@weft/core';

class Tied extends Module {
  readonly layers: ModuleList<Linear>;
  constructor(rng: Rng) {
    super();
    const a = new Linear({ inFeatures: 3, outFeatures: 3 }, rng);
    const b = new Linear({ inFeatures: 3, outFeatures: 2 }, rng);
    this.layers = this.addModule('layers', new ModuleList([a, a, b]));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.items.reduce((h, l) => l.forward(h, ctx), x);
  }
}

describe('state dict', () => {
  it('stores a shared variable once and round-trips through safetensors to identical outputs', async () => {
    const m1 = new Tied(new Rng(1));
    expect(Object.keys(stateDict(m1))).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
    const bytes = await saveModule(m1);
    const m2 = new Tied(new Rng(2));
    const x = tf.tensor2d([[1, 2, 3], [-1, 0, 0.5]]);
    expect(Array.from(await m2.call(x).data())).not.toEqual(Array.from(await m1.call(x).data()));
    const report = await loadModule(m2, bytes);
    expect(report.loaded).toHaveLength(4);
    expect(Array.from(await m2.call(x).data())).toEqual(Array.from(await m1.call(x).data()));
    m1.dispose();
    m2.dispose();
  });

  it('accepts any path of a shared variable, and rejects mismatches without loading anything', async () => {
    const m = new Tied(new Rng(3));
    const before = Array.from(await m.layers.at(0).weight.data());
    const good = { 'layers.1.weight': tf.ones([3, 3]), 'layers.1.bias': tf.zeros([3]), 'layers.2.weight': tf.ones([3, 2]), 'layers.2.bias': tf.zeros([2]) };
    await loadStateDict(m, good);
    expect(Array.from(await m.layers.at(0).weight.data())).toEqual(new Array(9).fill(1));

    await m.layers.at(0).weight.assign(tf.tensor2d(before, [3, 3]));
    const bad = { ...good, 'layers.2.weight': tf.ones([2, 3]), extra: tf.zeros([1]) };
    const err = loadStateDict(m, bad);
    await expect(err).rejects.toThrow('loadStateDict: "layers.2.weight" has shape [2,3], the model\'s parameter has [3,2]');
    await expect(err).rejects.toThrow('unexpected keys (no such parameter): extra');
    await expect(err).rejects.toThrow('Nothing was loaded.');
    expect(Array.from(await m.layers.at(0).weight.data())).toEqual(before);
    await expect(loadStateDict(m, { 'layers.0.weight': tf.ones([3, 3]), 'layers.1.weight': tf.zeros([3, 3]) }, { strict: false })).rejects.toThrow(
      'are one shared parameter but hold different values',
    );
    await expect(loadStateDict(m, { 'layers.0.weight': tf.ones([3, 3]) })).rejects.toThrow('missing parameters: layers.0.bias, layers.2.weight, layers.2.bias');
    const partial = await loadStateDict(m, { 'layers.0.weight': tf.ones([3, 3]) }, { strict: false });
    expect(partial.missing).toEqual(['layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
    await expect(loadModule(m, new Uint8Array([1, 2, 3]))).rejects.toThrow(/safetensors/);
    m.dispose();
  });
});

describe('non-finite values in a state dict', () => {
  it('are refused by default, naming each tensor and its count, and leave the model untouched; allowNonFinite loads them', async () => {
    const m = new Tied(new Rng(3));
    const before = Object.fromEntries(await Promise.all(Object.entries(stateDict(m)).map(async ([k, v]) => [k, Array.from(await v.data())])));
    const values = Object.fromEntries(Object.entries(stateDict(m)).map(([k, v]) => [k, tf.clone(v)]));
    values['layers.0.bias'] = tf.tensor1d([0, Number.NaN, Infinity]);
    values['layers.2.weight'] = tf.fill([3, 2], -Infinity);
    await expect(loadStateDict(m, values)).rejects.toThrow(
      'loadStateDict: non-finite values (NaN or ±Inf) in "layers.0.bias" (2 of 3 values), "layers.2.weight" (6 of 6 values); pass allowNonFinite: true to load them anyway. Nothing was loaded.',
    );
    for (const [k, v] of Object.entries(stateDict(m))) expect(Array.from(await v.data()), k).toEqual(before[k]);
    await expect(loadStateDict(m, values, { allowNonFinite: true })).resolves.toMatchObject({ loaded: expect.arrayContaining(['layers.0.bias']) });
    expect(Number.isNaN((await m.layers.items[0]!.bias!.data())[1]!)).toBe(true);
    await expect(loadStateDict(m, values, { alowNonFinite: true } as never)).rejects.toThrow("unknown option 'alowNonFinite'; did you mean 'allowNonFinite'?");
    tf.dispose(Object.values(values));
    m.dispose();
  });
});
