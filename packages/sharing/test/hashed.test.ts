// Hashed sharing (ROAST, STABLE-RPS): index maps, forward against a dense matmul of the weights
// recovered in JavaScript, the STABLE-RPS gradient scaling, exact recovery of the unshared model at
// compression 1, ledger totals and argument errors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, Rng, parameterLedger } from '@weft/core';
import { formatGradCheck, gradCheck } from '@weft/core/testing';
import { HashedLinear, HashedMLPClassifier, roastMap, stableRpsMap } from '@weft/sharing';

describe('hash maps', () => {
  it('STABLE-RPS is a bijection at compression 1 and balanced below; ROAST collides', () => {
    const n = 1000;
    const s1 = stableRpsMap(n, n, 0, 7);
    expect(new Set(s1.index).size).toBe(n);
    const s8 = stableRpsMap(n, 125, 0, 7);
    const load = new Array(125).fill(0);
    for (const i of s8.index) load[i]++;
    expect(Math.min(...load)).toBe(8);
    expect(Math.max(...load)).toBe(8);
    const r1 = roastMap(n, n, 1, 7);
    const used = new Set(r1.index).size / n;
    expect(used).toBeGreaterThan(0.58); // 1 − 1/e ≈ 0.632 of the slots are hit by a random map
    expect(used).toBeLessThan(0.69);
    expect(r1.sign.every((s) => s === 1 || s === -1)).toBe(true);
    const pos = r1.sign.filter((s) => s > 0).length / n;
    expect(Math.abs(pos - 0.5)).toBeLessThan(0.06);
    const tiles = roastMap(64, 50, 8, 3).index; // ROAST tiles: 8 consecutive weights read 8 consecutive slots
    for (let c = 0; c < 8; c++) for (let o = 1; o < 8; o++) expect(tiles[c * 8 + o]).toBe((tiles[c * 8]! + o) % 50);
  });
});

describe('HashedLinear', () => {
  for (const method of ['roast', 'stable-rps'] as const) {
    it(`${method}: forward equals x·W + b with W read from the memory in JavaScript`, async () => {
      const layer = new HashedLinear({ inFeatures: 6, outFeatures: 5, method, compression: 4, chunkSize: method === 'roast' ? 3 : 1 }, new Rng(1));
      const A = await layer.memory.weight.data();
      const map = method === 'roast' ? roastMap(35, layer.memory.config.size, 3, 0) : stableRpsMap(35, layer.memory.config.size, 0, 0); // hashSeed defaults to 0
      const w = Array.from({ length: 35 }, (_, i) => layer.lambda * map.sign[i]! * A[map.index[i]!]!);
      const x = tf.tensor2d(new Rng(2).normalArray(4 * 6), [4, 6]);
      const [y, ref] = tf.tidy(() => [layer.call(x), tf.add(tf.matMul(x, tf.tensor2d(w.slice(0, 30), [6, 5])), tf.tensor1d(w.slice(30)))]);
      expect((await tf.max(tf.abs(tf.sub(y, ref))).data())[0]).toBeLessThan(1e-5);
      // λ puts the recovered weights at PyTorch's default init bound 1/√in.
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(6) + 1e-6);
      tf.dispose([x, y, ref]);
      layer.dispose();
    });
  }

  it('ROAST gradients match finite differences; STABLE-RPS gradient is ROAST\'s / λ²', async () => {
    const x = tf.tensor2d(new Rng(3).normalArray(3 * 4), [3, 4]);
    const roast = new HashedLinear({ inFeatures: 4, outFeatures: 3, method: 'roast', compression: 2, memoryInit: 0.5 }, new Rng(4));
    const f = () => tf.sum(tf.square(roast.call(x))) as tf.Scalar;
    const res = await gradCheck(f, roast.namedParameters(), { maxEntries: 8 });
    expect(res.ok, formatGradCheck(res)).toBe(true);
    // Same map and memory, 'stable-rps' → scaled gradient: compare ∂L/∂A through weights() of each.
    const stable = new HashedLinear({ inFeatures: 4, outFeatures: 3, method: 'stable-rps', compression: 2, memoryInit: 0.5 }, new Rng(4));
    const plainGrad = tf.tidy(() => tf.grad((a: tf.Tensor) => {
      const { weight, bias } = stable.weightsFrom(a); // the same map, no gradient scaling
      return tf.sum(tf.square(tf.add(tf.matMul(x, weight), bias!)));
    })(stable.memory.weight));
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(stable.call(x))) as tf.Scalar, [stable.memory.weight]);
    const lam2 = stable.lambda ** 2;
    const diff = tf.max(tf.abs(tf.sub(tf.mul(grads[stable.memory.weight.name]!, lam2), plainGrad)));
    expect((await diff.data())[0]).toBeLessThan(1e-4 * Math.max(1, (await tf.max(tf.abs(plainGrad)).data())[0]!));
    tf.dispose([x, plainGrad, value, diff, ...Object.values(grads)]);
    roast.dispose();
    stable.dispose();
  });

  it('STABLE-RPS at compression 1 trains exactly like the unshared Linear (SGD, 30 steps); ROAST at compression 1 does not', async () => {
    const x = tf.tensor2d(new Rng(5).normalArray(16 * 8), [16, 8]);
    const t = tf.tensor2d(new Rng(6).normalArray(16 * 4), [16, 4]);
    const run = async (method: 'roast' | 'stable-rps', memoryInit: number) => {
      const hashed = new HashedLinear({ inFeatures: 8, outFeatures: 4, method, compression: 1, memoryInit }, new Rng(7));
      const dense = new Linear({ inFeatures: 8, outFeatures: 4 }, new Rng(8));
      const { weight, bias } = tf.tidy(() => hashed.weights());
      dense.weight.assign(weight);
      dense.bias!.assign(bias!);
      tf.dispose([weight, bias]);
      const optH = tf.train.sgd(0.05);
      const optD = tf.train.sgd(0.05);
      for (let s = 0; s < 30; s++) {
        tf.dispose(optH.minimize(() => tf.losses.meanSquaredError(t, hashed.call(x)) as tf.Scalar, true));
        tf.dispose(optD.minimize(() => tf.losses.meanSquaredError(t, dense.call(x)) as tf.Scalar, true));
      }
      const rec = tf.tidy(() => hashed.weights().weight);
      const d = tf.max(tf.abs(tf.sub(rec, dense.weight)));
      const gap = (await d.data())[0]!;
      tf.dispose([rec, d]);
      hashed.dispose();
      dense.dispose();
      optH.dispose();
      optD.dispose();
      return { gap };
    };
    const stable = await run('stable-rps', 0.01);
    console.log(`compression 1, 30 SGD steps: max |W_hashed − W_dense| stable-rps ${stable.gap.toExponential(2)}`);
    expect(stable.gap).toBeLessThan(1e-5); // the memory starts at init 0.01 (λ ≈ 35): without the λ⁻² scaling the gap would be ~λ²
    const roast = await run('roast', 1 / Math.sqrt(8)); // λ = 1: any gap is the collisions of the random map
    console.log(`compression 1, 30 SGD steps: max |W_hashed − W_dense| roast ${roast.gap.toExponential(2)}`);
    expect(roast.gap).toBeGreaterThan(1e-2);
    const roastSmallInit = await run('roast', 0.01); // λ ≈ 35: the plain gradient makes SGD steps λ² ≈ 1250× too large
    expect(Number.isFinite(roastSmallInit.gap)).toBe(false);
    tf.dispose([x, t]);
  });

  it('ledger: stored is exactly the array, effective the virtual weights; a global memory is stored once', () => {
    const layer = new HashedLinear({ inFeatures: 16, outFeatures: 8, compression: 8 }, new Rng(9));
    const t = parameterLedger(layer).totals;
    expect(t.stored).toBe(Math.ceil((16 * 8 + 8) / 8));
    expect(t.effective).toBeCloseTo(16 * 8 + 8, 9);
    layer.dispose();
    const mlp = new HashedMLPClassifier({ inFeatures: 2, hidden: [32, 32], numClasses: 3, compression: 10, scope: 'global' }, new Rng(10));
    const n = 2 * 32 + 32 + 32 * 32 + 32 + 32 * 3 + 3;
    const g = parameterLedger(mlp).totals;
    expect(g.stored).toBe(Math.ceil(n / 10));
    expect(g.effective).toBeCloseTo(n, 9);
    expect(mlp.layers.items.every((l) => l.memory === mlp.memory)).toBe(true);
    mlp.dispose();
  });

  it('rejects compression < 1, a hash array larger than the layer, bad methods', () => {
    expect(() => new HashedLinear({ inFeatures: 4, outFeatures: 4, compression: 0.5 })).toThrow(/compression=0.5 must be a finite number ≥ 1/);
    expect(() => new HashedLinear({ inFeatures: 4, outFeatures: 4, memorySize: 100 })).toThrow(/memorySize=100 must be an integer in \[1, 20\].*larger than the layer/);
    expect(() => new HashedLinear({ inFeatures: 4, outFeatures: 4, method: 'bloom' as never })).toThrow(/method="bloom"/);
    expect(() => new HashedMLPClassifier({ inFeatures: 2, numClasses: 2, compression: 0 })).toThrow(/compression=0/);
  });
});
