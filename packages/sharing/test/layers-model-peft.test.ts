// A PEFT adapter loads onto a tfjs LayersModel without a placeholder adapter: layersModelAdapters
// wraps its Dense and Conv2D layers (outputs unchanged to 1e-6: tfjs fuses the bias into its matmul,
// the wrapper adds it after), and loadPeftAdapter injects and fills the file's adapter; the result
// equals the model the file was saved from (1e-6), and survives model.save / tf.loadLayersModel (1e-6).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import { adaptedLayers, injectIntoLayersModel, layersModelAdapters, loadPeftAdapter, registerTfjsAdaptedLayers, savePeftAdapter } from '../src/index.js';

function build(): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.randomNormal({ stddev: 0.3, seed: s });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ name: 'conv', inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), biasInitializer: init(2) }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ name: 'hidden', units: 8, activation: 'tanh', kernelInitializer: init(3), biasInitializer: init(4) }),
      tfl.layers.dense({ name: 'out', units: 3, kernelInitializer: init(5) }),
    ],
  });
}

describe('PEFT onto a tfjs LayersModel', () => {
  it('loads without a placeholder adapter and reproduces the saved model', async () => {
    const xs = tf.tensor4d(new Rng(7).normalArray(5 * 6 * 6 * 2), [5, 6, 6, 2]);
    const a = build();
    const handleA = injectIntoLayersModel(a, 'default', { method: 'lora', targets: ['hidden', 'out', 'conv'], r: 2, alpha: 4, initWeights: false }, { rng: new Rng(2) });
    const want = await (a.predict(xs) as tf.Tensor).data();
    const files = await savePeftAdapter(handleA);

    const b = build();
    const base = await (b.predict(xs) as tf.Tensor).data();
    const handle = layersModelAdapters(b);
    expect(adaptedLayers(handle).map(([p]) => p)).toEqual(['conv', 'hidden', 'out']);
    const wrapped = await (b.predict(xs) as tf.Tensor).data();
    expect(Math.max(...Array.from(wrapped, (v, i) => Math.abs(v - base[i]!)))).toBeLessThan(1e-6); // wrapping alone changes nothing
    expect(await loadPeftAdapter(handle, files)).toEqual(['conv', 'hidden', 'out']);
    const got = await (b.predict(xs) as tf.Tensor).data();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-6);
    // The PEFT-loaded adapters are tfjs weights too: model.save / tf.loadLayersModel keep them.
    registerTfjsAdaptedLayers(tfl);
    let saved: tf.io.ModelArtifacts | null = null;
    await b.save(tf.io.withSaveHandler(async (m) => ((saved = m), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const c = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const again = await (c.predict(xs) as tf.Tensor).data();
    expect(Math.max(...Array.from(again, (v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-6);
    expect(() => layersModelAdapters({} as tfl.LayersModel)).toThrow(/layersModelAdapters: model must be a tf\.LayersModel/);
  });
});
