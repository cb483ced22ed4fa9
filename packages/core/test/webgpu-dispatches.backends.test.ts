// Dispatches per training step on webgpu: a 2-block TinyTransformer (d=64, T=32, 4 heads; Weft's
// trainer with makeOptimizer's Adam and its non-finite guard, as the pages train it) with Weft's WGSL
// kernels (kernels/*-webgpu.ts: multi-tensor Adam, LayerNorm, GELU, masked softmax, cross-entropy,
// the guard's finite check and selects). Counted as tfjs-backend-webgpu's program runs with a
// non-empty output (each one compute dispatch). Measured on Dawn + SwiftShader (batch 8):
// 1,169 dispatches per step with these kernels unregistered, 408 with them; batch 2 here: 396 (tfjs
// runs a few of the smallest ops on the CPU). A regression guard, not a timing: SwiftShader times are
// not GPU times.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng, TinyTransformer, makeOptimizer, softmaxCrossEntropy, train, type Module } from '@weft/core';

describeBackends('dispatches per step', (backend) => {
  // WebGPU only (shown as skipped elsewhere: no dispatches to count).
  it.runIf(backend === 'webgpu')('a 2-block TinyTransformer Adam step is at most 410 WebGPU dispatches', async () => {
    const model = new TinyTransformer({ vocabSize: 64, maxLen: 32, dim: 64, depth: 2, numHeads: 4 }, new Rng(1));
    const [x, y] = [tf.randomUniform([2, 32], 0, 64, 'int32', 2), tf.randomUniform([2, 32], 0, 64, 'int32', 3)];
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
    const step = () => train({ model: model as unknown as Module<tf.Tensor, tf.Tensor>, optimizer, steps: 1, batch: () => ({ x, y }), loss: (out, b) => softmaxCrossEntropy(out, b.y), reportEvery: 1 });
    await step(); // creates the optimizer's moments
    const b = tf.backend() as unknown as { runWebGPUProgram: (...a: unknown[]) => unknown };
    const original = b.runWebGPUProgram;
    let n = 0;
    b.runWebGPUProgram = (...a: unknown[]) => ((a[0] as { outputShape: number[] }).outputShape.reduce((p, d) => p * d, 1) > 0 && n++, original.apply(b, a));
    const before = tf.memory().numTensors;
    try {
      await step();
    } finally {
      b.runWebGPUProgram = original;
    }
    expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
    expect(n).toBeGreaterThan(100); // the counter saw the step
    expect(n).toBeLessThanOrEqual(410);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
