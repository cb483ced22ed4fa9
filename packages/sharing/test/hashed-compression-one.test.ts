// STABLE-RPS at compression 1 is the dense layer it compresses ("In defense of parameter sharing for
// model-compression", arXiv:2310.11611): for the hashed Embedding and Conv2d the map is a bijection
// (the recovered weights are a signed permutation of λ·A), the output equals core's Embedding /
// Conv2d holding those weights, and training follows the dense layer's trajectory —
// - SGD: exactly, through the paper's λ⁻² gradient scaling (5 steps, 1e-5);
// - Adam: Adam's step is invariant to scaling a gradient (up to ε), so the λ⁻² scaling does nothing
//   there and the recovered weights move λ·lr per step; the dense trajectory is recovered exactly by
//   giving the array learning rate lr/λ and ε/λ (ε is in gradient units: the array's gradient is
//   the weights' divided by λ). With lr/λ and the default ε the embedding already drifts by 9e-3 in
//   5 steps (its small gradients make ε matter), so both are needed (5 steps, 1e-5).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Conv2d, Embedding, Rng, type Module } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { HashedConv2d, HashedEmbedding, HashedMemory, type HashedLinear } from '@weft/sharing';

// An array of exactly the layer's size with a small init (0.01), so λ = (1/√in)/0.01 ≫ 1 (23.6 for
// the convolution, 33.3 for the embedding) and a wrong scaling rule would show.
const memory = (n: number, seed: number) => new HashedMemory({ size: n, init: 0.01 }, new Rng(seed));

const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => (await tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)))).data())[0]!;

interface Pair {
  hashed: Module<tf.Tensor, tf.Tensor>;
  lin: HashedLinear;
  dense: Module<tf.Tensor, tf.Tensor>;
  /** The dense layer's weight (and bias) in the hashed layer's [n, out] layout. */
  denseWeights: () => tf.Tensor[];
  x: tf.Tensor;
}

function embeddingPair(): Pair {
  const hashed = new HashedEmbedding({ vocabSize: 9, dim: 5, method: 'stable-rps' }, new Rng(1), memory(9 * 5, 11));
  const dense = new Embedding({ numEmbeddings: 9, embeddingDim: 5 }, new Rng(2));
  const w = hashed.table.weights().weight;
  (dense.parameters()[0]!).assign(w);
  return { hashed, lin: hashed.table, dense, denseWeights: () => [dense.parameters()[0]!], x: tf.tensor2d([[0, 3, 8, 3], [1, 1, 5, 7]], [2, 4], 'int32') };
}

function convPair(): Pair {
  const hashed = new HashedConv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, method: 'stable-rps' }, new Rng(3), memory(18 * 3 + 3, 13));
  const dense = new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'same' }, new Rng(4));
  const { weight, bias } = hashed.kernel.weights();
  dense.weight.assign(tf.reshape(weight, [3, 3, 2, 3])); // (k·k·in, out) -> (k, k, in, out)
  dense.bias!.assign(bias!);
  return {
    hashed, lin: hashed.kernel, dense,
    denseWeights: () => [tf.reshape(dense.weight, [18, 3]), dense.bias!], // (k, k, in, out) -> (k·k·in, out)
    x: tf.tensor(new Rng(5).normalArray(2 * 4 * 4 * 2), [2, 4, 4, 2]),
  };
}

const recovered = (lin: HashedLinear) => {
  const { weight, bias } = lin.weights();
  return bias ? [weight, bias] : [weight];
};

async function train(p: Pair, opt: (hashed: boolean) => tf.Optimizer, steps: number) {
  const target = tf.tidy(() => tf.mul(tf.onesLike(p.dense.call(p.x)), 0.3));
  const oh = opt(true), od = opt(false);
  for (let s = 0; s < steps; s++) {
    oh.minimize(() => tf.losses.meanSquaredError(target, p.hashed.call(p.x)) as tf.Scalar, false, p.hashed.parameters());
    od.minimize(() => tf.losses.meanSquaredError(target, p.dense.call(p.x)) as tf.Scalar, false, p.dense.parameters());
  }
  oh.dispose();
  od.dispose();
}

describeBackends('STABLE-RPS at compression 1 is the dense layer', () => {
  for (const [name, make] of [['HashedEmbedding', embeddingPair], ['HashedConv2d', convPair]] as const) {
    it(`${name}: the map is a bijection and the output equals the dense layer (exact)`, async () => {
      const p = make();
      const A = await p.lin.memory.weight.data();
      const w = (await Promise.all(recovered(p.lin).map((t) => t.data()))).flatMap((d) => Array.from(d));
      expect(A.length).toBe(w.length); // one stored value per weight
      expect(p.lin.lambda).toBeGreaterThan(20);
      const sortAbs = (v: ArrayLike<number>, s: number) => Array.from(v, (x) => Math.abs(x) * s).sort((a, b) => a - b);
      const a = sortAbs(A, p.lin.lambda), b = sortAbs(w, 1);
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / Math.max(1e-6, v)))).toBeLessThan(1e-5); // |w| is a permutation of λ·|A|
      expect(await maxDiff(p.hashed.call(p.x), p.dense.call(p.x))).toBeLessThan(1e-6);
    });

    it(`${name}: SGD through the λ⁻² gradient scaling follows the dense trajectory`, async () => {
      const p = make();
      await train(p, () => tf.train.sgd(0.5), 5);
      const h = recovered(p.lin), d = p.denseWeights();
      for (let i = 0; i < d.length; i++) expect(await maxDiff(h[i]!, d[i]!)).toBeLessThan(1e-5);
      expect(await maxDiff(h[0]!, make().lin.weights().weight)).toBeGreaterThan(1e-3); // it did move (the same seeds rebuild the start)
    });

    it(`${name}: with Adam the dense trajectory needs the array's learning rate and ε divided by λ (the gradient scaling is a no-op for Adam)`, async () => {
      const p = make();
      const lr = 0.05;
      await train(p, (hashed) => tf.train.adam(hashed ? lr / p.lin.lambda : lr, 0.9, 0.999, hashed ? 1e-10 / p.lin.lambda : 1e-10), 5);
      const h = recovered(p.lin), d = p.denseWeights();
      for (let i = 0; i < d.length; i++) expect(await maxDiff(h[i]!, d[i]!)).toBeLessThan(1e-5);
      // The same Adam learning rate on the array moves the weights λ times as far: not the dense trajectory.
      const q = make();
      await train(q, () => tf.train.adam(lr), 5);
      expect(await maxDiff(recovered(q.lin)[0]!, q.denseWeights()[0]!)).toBeGreaterThan(1e-2);
    });
  }
}, { only: ['wasm', 'cpu'] });
