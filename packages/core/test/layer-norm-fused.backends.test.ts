// The fused LayerNorm and RMSNorm (ops/layer-norm.ts; kernels/layer-norm.ts on cpu and wasm) on every backend:
// forward and gradients (x, weight, bias) equal the op-by-op composition and its autodiff, and the
// gradients equal central finite differences of a float64 LayerNorm written out in JS (the
// published formula, arXiv:1607.06450). Shapes: rank 2 and 3, C = 1, 5, 64; with weight and bias,
// weight only, bias only, neither. Tolerances: forward 1e-5, gradients vs autodiff 1e-4 (float32
// sums in another order), vs finite differences (h = 1e-3, float64) 2e-3 absolute. No tensor leaks;
// on cpu, wasm and webgpu the forward is one kernel and the backward one more (webgpu: 3 and 4 WGSL dispatches).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { Rng } from '@weft/core';
import { layerNorm, layerNormUnfused, rmsNorm, rmsNormUnfused } from '../src/ops/layer-norm.js';

const EPS = 1e-5;

/** Σ y·r of a float64 LayerNorm (RMSNorm when not `center`) over the last axis (the finite-difference reference). */
function lossF64(x: Float64Array, w: Float64Array | null, b: Float64Array | null, r: Float64Array, C: number, center = true): number {
  let loss = 0;
  for (let o = 0; o < x.length; o += C) {
    let mu = 0;
    if (center) for (let c = 0; c < C; c++) mu += x[o + c]!;
    mu /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[o + c]! - mu) ** 2;
    const rs = 1 / Math.sqrt(v / C + EPS);
    for (let c = 0; c < C; c++) loss += (((x[o + c]! - mu) * rs) * (w ? w[c]! : 1) + (b ? b[c]! : 0)) * r[o + c]!;
  }
  return loss;
}

/** Central differences of lossF64 with respect to every entry of `which`. */
function numericGrad(which: Float64Array, f: () => number, h = 1e-3): Float64Array {
  return which.map((v, i) => {
    which[i] = v + h;
    const up = f();
    which[i] = v - h;
    const down = f();
    which[i] = v;
    return (up - down) / (2 * h);
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Count the WebGPU programs the webgpu backend runs (its dispatches) until `stop()`; 0 elsewhere. */
function countDispatches(): { stop(): number } {
  const b = tf.backend() as unknown as { runWebGPUProgram?: (...a: unknown[]) => unknown };
  const original = b.runWebGPUProgram;
  let n = 0;
  if (original) b.runWebGPUProgram = (...a: unknown[]) => (n++, original.apply(b, a));
  return { stop: () => (original && (b.runWebGPUProgram = original), n) };
}

describeBackends('fused LayerNorm and RMSNorm', (backend) => {
  const shapes = [[6, 5], [2, 3, 64], [4, 1], [3, 7, 5], [5, 8]]; // C = 64 and 8 with a weight: the SIMD kernels on wasm
  for (const shape of shapes) {
    for (const [hasW, hasB] of [[true, true], [true, false], [false, true], [false, false]] as const) {
      it(`[${shape}] weight=${hasW} bias=${hasB}: forward and gradients equal the composition and finite differences`, async () => {
        const rng = new Rng(shape.reduce((p, d) => p * 31 + d, 7));
        const C = shape.at(-1)!;
        const n = shape.reduce((p, d) => p * d, 1);
        const xs = Float64Array.from(rng.normalArray(n), (v, i) => v * 2 + (i % C)); // rows with a mean ≠ 0
        const ws = hasW ? Float64Array.from(rng.normalArray(C), (v) => 1 + 0.5 * v) : null;
        const bs = hasB ? Float64Array.from(rng.normalArray(C)) : null;
        const rs = Float64Array.from(rng.normalArray(n));
        const [x, r] = [tf.tensor(Float32Array.from(xs), shape), tf.tensor(Float32Array.from(rs), shape)];
        const w = ws ? tf.tensor1d(Float32Array.from(ws)) : null;
        const b = bs ? tf.tensor1d(Float32Array.from(bs)) : null;
        const params = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
        const loss = (fn: typeof layerNorm) => (...p: tf.Tensor[]) => tf.sum(tf.mul(fn(p[0]!, hasW ? p[1]! : null, hasB ? p[hasW ? 2 : 1]! : null, EPS), r));
        const before = tf.memory().numTensors;
        const [yF, yU] = [layerNorm(x, w, b, EPS), layerNormUnfused(x, w, b, EPS)];
        expect(maxDiff(await yF.data(), await yU.data()), 'forward').toBeLessThanOrEqual(1e-5);
        const gF = tf.grads(loss(layerNorm))(params);
        const gU = tf.grads(loss(layerNormUnfused))(params);
        const names = ['x', 'weight', 'bias'].filter((_, i) => i === 0 || (i === 1 ? hasW : hasB));
        const refs = [xs, ws, bs].filter((a): a is Float64Array => a !== null);
        for (let i = 0; i < params.length; i++) {
          const got = await gF[i]!.data();
          expect(maxDiff(got, await gU[i]!.data()), `d${names[i]} vs autodiff`).toBeLessThanOrEqual(1e-4);
          const numeric = numericGrad(refs[i]!, () => lossF64(xs, ws, bs, rs, C));
          expect(maxDiff(got, numeric), `d${names[i]} vs finite differences`).toBeLessThanOrEqual(2e-3);
        }
        tf.dispose([yF, yU, ...gF, ...gU]);
        expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
        if (['cpu', 'wasm', 'webgpu'].includes(backend)) {
          const dispatches = countDispatches();
          const profile = await tf.profile(() => {
            const g = tf.grads((p: tf.Tensor) => tf.sum(layerNorm(p, w, b, EPS)))([x]);
            tf.dispose(g);
          });
          const names2 = profile.kernels.map((k) => k.name);
          expect(names2.filter((k) => k === 'WeftLayerNorm').length).toBe(1);
          expect(names2.filter((k) => k === 'WeftLayerNormGrad').length).toBe(1);
          expect(names2.filter((k) => ['Mean', 'Rsqrt', 'Square'].includes(k))).toEqual([]);
          dispatches.stop();
          if (backend === 'webgpu') {
            // kernels/layer-norm-webgpu.ts: 3 WGSL dispatches forward, 4 backward (tfjs: 8 and about 20).
            const ins = { x, ...(w ? { w } : {}), ...(b ? { b } : {}) };
            const forward = countDispatches();
            tf.dispose(tf.engine().runKernel('WeftLayerNorm', ins, { eps: EPS }) as unknown as tf.Tensor[]);
            expect(forward.stop(), 'forward dispatches').toBe(3);
            const backward = countDispatches();
            tf.dispose(tf.engine().runKernel('WeftLayerNormGrad', { dy: r, x, ...(w ? { w } : {}) }, { eps: EPS }) as unknown as tf.Tensor[]);
            expect(backward.stop(), 'backward dispatches').toBe(4);
          }
        }
        tf.dispose([...params, r]);
      });
    }
  }
  for (const shape of [[6, 5], [2, 3, 64], [4, 1]]) {
    for (const hasW of [true, false]) {
      it(`RMSNorm [${shape}] weight=${hasW}: forward and gradients equal the composition and finite differences`, async () => {
        const rng = new Rng(shape.reduce((p, d) => p * 17 + d, 3));
        const C = shape.at(-1)!;
        const n = shape.reduce((p, d) => p * d, 1);
        const xs = Float64Array.from(rng.normalArray(n), (v, i) => v * 2 + (i % C) * 0.3);
        const ws = hasW ? Float64Array.from(rng.normalArray(C), (v) => 1 + 0.5 * v) : null;
        const rs = Float64Array.from(rng.normalArray(n));
        const [x, r] = [tf.tensor(Float32Array.from(xs), shape), tf.tensor(Float32Array.from(rs), shape)];
        const w = ws ? tf.tensor1d(Float32Array.from(ws)) : null;
        const params = [x, ...(w ? [w] : [])];
        const eps = 1e-6;
        const loss = (fn: typeof rmsNorm) => (...p: tf.Tensor[]) => tf.sum(tf.mul(fn(p[0]!, hasW ? p[1]! : null, eps), r));
        const before = tf.memory().numTensors;
        const [yF, yU] = [rmsNorm(x, w, eps), rmsNormUnfused(x, w, eps)];
        expect(maxDiff(await yF.data(), await yU.data()), 'forward').toBeLessThanOrEqual(1e-5);
        const gF = tf.grads(loss(rmsNorm))(params);
        const gU = tf.grads(loss(rmsNormUnfused))(params);
        const refs = [xs, ws].filter((a): a is Float64Array => a !== null);
        for (let i = 0; i < params.length; i++) {
          const got = await gF[i]!.data();
          expect(maxDiff(got, await gU[i]!.data()), `grad ${i} vs autodiff`).toBeLessThanOrEqual(1e-4);
          const numeric = numericGrad(refs[i]!, () => lossF64(xs, ws, null, rs, C, false));
          expect(maxDiff(got, numeric), `grad ${i} vs finite differences`).toBeLessThanOrEqual(2e-3);
        }
        tf.dispose([yF, yU, ...gF, ...gU]);
        expect(tf.memory().numTensors, 'no tensor left behind').toBe(before);
        tf.dispose([...params, r]);
      });
    }
  }
});
