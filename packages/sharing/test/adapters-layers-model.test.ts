// Adapters in a user's tfjs LayersModel (Dense and Conv2D): the adapted output equals a plain tfjs
// model holding W + ΔW (ΔW built independently from A and B), merge == unmerged, disable == base
// exactly, training moves only the adapters (Weft's trainer, and tfjs's own compile/fit), model.save /
// tf.loadLayersModel keep the adapters (same outputs to 1e-6, same adapter weights exactly), unload
// restores the layer, bad input refused.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { Rng, makeOptimizer, train } from '@weft/core';
import {
  LoraLayer, adapterNames, layersModelAdapters, registerTfjsAdaptedLayers, type AdapterConfigBase, disableAdapters, enableAdapters, injectIntoLayersModel, mergeAdapters, unmergeAdapters, type LayersModelAdapters,
} from '../src/index.js';
import { maxDiff } from './adapters-helpers.js';

function build(seed: number): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.randomNormal({ stddev: 0.3, seed: seed * 10 + s });
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ name: 'conv', inputShape: [6, 6, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1), biasInitializer: init(2) }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ name: 'hidden', units: 8, activation: 'tanh', kernelInitializer: init(3), biasInitializer: init(4) }),
      tfl.layers.dense({ name: 'out', units: 3, kernelInitializer: init(5) }),
    ],
  });
  return m;
}

const x = () => tf.tensor4d(new Rng(7).normalArray(5 * 6 * 6 * 2), [5, 6, 6, 2]);

describe('adapters in a tfjs LayersModel', () => {
  it('LoRA on Conv2D and Dense equals a tfjs model holding W + s·AB; merge == unmerged; disable == base exactly', async () => {
    const model = build(1);
    const xs = x();
    const y0 = model.predict(xs) as tf.Tensor;
    const handle = injectIntoLayersModel(model, 'a', { method: 'lora', targets: '.*', r: 2, alpha: 3, initWeights: false }, { rng: new Rng(2) });
    expect([...handle.adapted.keys()]).toEqual(['conv', 'hidden', 'out']);
    const y = model.predict(xs) as tf.Tensor;
    expect(await maxDiff(y, y0)).toBeGreaterThan(1e-3);

    // Reference: same architecture, kernels W + s · reshape(A B).
    const ref = build(1);
    for (const name of ['conv', 'hidden', 'out']) {
      const lora = handle.adapted.get(name)!.wrapper.adapter('a') as LoraLayer;
      const k = ref.getLayer(name).getWeights()[0]!;
      const d = tf.reshape(tf.mul(tf.matMul(lora.loraA, lora.loraB), 1.5), k.shape);
      ref.getLayer(name).setWeights([tf.add(k, d), ...ref.getLayer(name).getWeights().slice(1)]);
    }
    expect(await maxDiff(y, ref.predict(xs) as tf.Tensor)).toBeLessThan(1e-5);

    mergeAdapters(handle);
    expect(await maxDiff(model.predict(xs) as tf.Tensor, y)).toBeLessThan(1e-5);
    unmergeAdapters(handle);
    disableAdapters(handle);
    expect(await maxDiff(model.predict(xs) as tf.Tensor, y0)).toBeLessThan(1e-6);
    enableAdapters(handle);
    handle.unload();
    expect(await maxDiff(model.predict(xs) as tf.Tensor, y0)).toBeLessThan(1e-6);
    expect(adapterNames(handle)).toEqual([]);
  });

  it('fine-tunes with the Weft trainer: loss falls, base kernels unchanged, only adapter variables train', async () => {
    const model = build(2);
    const handle: LayersModelAdapters = injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['hidden', 'out', 'conv'], r: 2 }, { rng: new Rng(3) });
    injectIntoLayersModel(model, 'ia', { method: 'ia3', targets: ['hidden'], feedforward: ['hidden'] }, { activate: false });
    expect(adapterNames(handle)).toEqual(['a', 'ia']);
    // model.getWeights() lists every weight model.save writes — the adapters' too (as a PyTorch
    // state_dict holds lora_A): the base weights are those outside the adapters' names.
    const baseWeights = () => model.weights.filter((w) => !/\/(a|ia)\//.test(w.originalName)).map((w) => w.read());
    expect(baseWeights().length).toBe(6);
    expect(model.getWeights().length).toBe(6 + 6 + 1);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['conv/a/lora_A', 'conv/a/lora_B', 'hidden/a/lora_A', 'hidden/a/lora_B', 'out/a/lora_A', 'out/a/lora_B']);
    const kernels = await Promise.all(baseWeights().map((w) => w.data()));
    const xs = x();
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
    const losses: number[] = [];
    const trainable = handle.trainableParameters();
    expect(trainable.length).toBe(6);
    await train({
      model: handle, optimizer: makeOptimizer({ name: 'adam', learningRate: 0.05 }), steps: 40, reportEvery: 1,
      batch: () => ({ x: xs, y: labels }), loss: (out, b) => tf.losses.softmaxCrossEntropy(b.y, out) as tf.Scalar,
      onProgress: (p) => { losses.push(p.loss); },
    });
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    const after = await Promise.all(baseWeights().map((w) => w.data()));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(kernels[i]!)));
    handle.unload();
  });

  it("trains with tfjs's own compile/fit: only the adapters move (untargeted layers too stay bit-identical), loss falls", async () => {
    const model = build(4);
    const handle = injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['hidden'], r: 2 }, { rng: new Rng(5) });
    const adapterVars = () => model.weights.filter((w) => w.originalName.startsWith('hidden/a/')).map((w) => w.read());
    const baseVars = () => model.weights.filter((w) => !w.originalName.startsWith('hidden/a/')).map((w) => w.read());
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['hidden/a/lora_A', 'hidden/a/lora_B']);
    const base0 = await Promise.all(baseVars().map((w) => w.data()));
    const ad0 = await Promise.all(adapterVars().map((w) => w.data()));
    expect(base0.length).toBe(6); // kernel and bias of conv, hidden and out
    const xs = x();
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
    model.compile({ optimizer: tf.train.adam(0.05), loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) }); // the model outputs logits
    const before = tf.memory().numTensors;
    const h = await model.fit(xs, labels, { epochs: 40, batchSize: 5, verbose: 0 });
    const losses = h.history['loss'] as number[];
    expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!);
    const base1 = await Promise.all(baseVars().map((w) => w.data()));
    base1.forEach((b, i) => expect(Array.from(b)).toEqual(Array.from(base0[i]!)));
    const ad1 = await Promise.all(adapterVars().map((w) => w.data()));
    expect(ad1.some((a, i) => Array.from(a).some((v, j) => v !== ad0[i]![j]))).toBe(true);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 8); // fit's optimizer slots (adam: 2 per adapter variable + step counters), no growth per epoch
    handle.unload();
  });

  it('model.save / tf.loadLayersModel keep the adapters: same outputs, adapter weights and active set; the loaded model gets a handle and trains', async () => {
    registerTfjsAdaptedLayers(tfl);
    const model = build(5);
    injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['conv', 'out'], r: 2, alpha: 3, initWeights: false }, { rng: new Rng(6) });
    injectIntoLayersModel(model, 'b', { method: 'ia3', targets: ['hidden'], feedforward: ['hidden'] }, { activate: false });
    const xs = x();
    const y = await (model.predict(xs) as tf.Tensor).data();
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const names = (artifacts!.weightSpecs ?? []).map((w) => w.name).sort();
    expect(names).toEqual(['conv/a/lora_A', 'conv/a/lora_B', 'conv/bias', 'conv/kernel', 'hidden/b/ia3_l', 'hidden/bias', 'hidden/kernel', 'out/a/lora_A', 'out/a/lora_B', 'out/bias', 'out/kernel']);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.getLayer('conv').getClassName()).toBe('WeftAdaptedConv2D');
    expect(loaded.getLayer('flat').getClassName()).toBe('Flatten');
    expect(await maxDiff(loaded.predict(xs) as tf.Tensor, tf.tensor(y, [5, 3]))).toBeLessThan(1e-6);
    const byName = (m: tfl.LayersModel) => new Map(m.weights.map((w) => [w.originalName, w.read()]));
    const [w0, w1] = [byName(model), byName(loaded)];
    for (const [n, v] of w0) expect(Array.from(await w1.get(n)!.data())).toEqual(Array.from(await v.data()));
    // The loaded adapters behave as adapters: a handle finds them, 'a' active, base frozen, fit moves only 'a'.
    const handle = layersModelAdapters(loaded);
    expect(adapterNames(handle)).toEqual(['a', 'b']);
    expect(loaded.trainableWeights.map((w) => w.originalName).sort()).toEqual(['conv/a/lora_A', 'conv/a/lora_B', 'out/a/lora_A', 'out/a/lora_B']);
    const kernel0 = await w1.get('conv/kernel')!.data();
    const b0 = await w1.get('out/a/lora_B')!.data();
    loaded.compile({ optimizer: tf.train.sgd(0.1), loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) });
    await loaded.fit(xs, tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3), { epochs: 3, batchSize: 5, verbose: 0 });
    expect(Array.from(await w1.get('conv/kernel')!.data())).toEqual(Array.from(kernel0));
    expect(Array.from(await w1.get('out/a/lora_B')!.data())).not.toEqual(Array.from(b0));
    disableAdapters(handle);
    const base = build(5);
    expect(await maxDiff(loaded.predict(xs) as tf.Tensor, base.predict(xs) as tf.Tensor)).toBeLessThan(1e-6);
    enableAdapters(handle);
    handle.unload();
  });

  it('refuses targets that match nothing, unsupported methods on conv, and a duplicate name, leaving the model unchanged', async () => {
    const model = build(3);
    const xs = x();
    const y0 = await (model.predict(xs) as tf.Tensor).data();
    expect(() => injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['flat'] })).toThrow(/matched no Dense or Conv2D layer; the model's are: conv, hidden, out/);
    expect(() => injectIntoLayersModel(model, 'a', { method: 'poly', targets: ['conv', 'out'], r: 1 } as AdapterConfigBase)).toThrow(/Poly: "conv" is a conv2d layer/);
    expect(() => injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['out'], r: 9 })).toThrow(/r=9 at "out" must be an integer in 1\.\.3/);
    expect(Array.from(await (model.predict(xs) as tf.Tensor).data())).toEqual(Array.from(y0));
    const h = injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['out'], r: 2 });
    expect(() => injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['hidden'], r: 2 })).toThrow(/already has an adapter "a"/);
    h.unload();
  });
});
