// layerNorm(x, weight, bias, eps) over the last axis ("Layer Normalization", arXiv:1607.06450),
// with the biased variance as PyTorch's nn.LayerNorm: one fused kernel forward and one backward on
// cpu, wasm and webgpu (kernels/layer-norm.ts, layer-norm-webgpu.ts), tfjs ops (and their autodiff) elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../kernels/layer-norm.js';

/** The op-by-op LayerNorm (the reference, and the path on backends without the fused kernels). */
export function layerNormUnfused(x: tf.Tensor, weight: tf.Tensor | null, bias: tf.Tensor | null, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // (..., C) -> (..., 1)
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true); // (..., 1)
    let y = tf.mul(xc, tf.rsqrt(tf.add(variance, eps)));
    if (weight) y = tf.mul(y, weight);
    if (bias) y = tf.add(y, bias);
    return y;
  });
}

/** The op-by-op RMSNorm (the reference, and the path on backends without the fused kernels). */
export function rmsNormUnfused(x: tf.Tensor, weight: tf.Tensor | null, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const ms = tf.mean(tf.square(x), -1, true); // (..., C) -> (..., 1)
    const y = tf.mul(x, tf.rsqrt(tf.add(ms, eps)));
    return weight ? tf.mul(y, weight) : y;
  });
}

/** The fused op without a weight (tf.customGrad: the registered gradient's saved w would be missing), for one combination of present parameters. */
function fusedOp(hasWeight: boolean, hasBias: boolean, eps: number, center = true) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, ...params] = args as tf.Tensor[];
    const w = hasWeight ? params[0]! : undefined;
    const inputs: tf.NamedTensorMap = { x: x!, ...(w ? { w } : {}), ...(hasBias ? { b: params[hasWeight ? 1 : 0]! } : {}) };
    const [y] = tf.engine().runKernel(LAYER_NORM, inputs, { eps, center }) as unknown as tf.Tensor[]; // (y, mean, rstd): the tidy frees the statistics
    save([x!, ...(w ? [w] : [])]); // the backward recomputes mean and rstd: fewer tensors kept per step
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved;
        const [dx, dw, db] = tf.engine().runKernel(LAYER_NORM_GRAD, { dy, x: sx!, ...(sw ? { w: sw } : {}) }, { eps, center }) as unknown as tf.Tensor[];
        const out = [dx!, ...(hasWeight ? [dw!] : []), ...(hasBias ? [db!] : [])];
        tf.dispose([dw!, db!].filter((t) => !out.includes(t)));
        return out;
      },
    };
  });
}

/**
 * The fused kernel with a weight, differentiated by {@link layerNormGrad} (no tf.customGrad wrapper:
 * one engine call fewer per use); the statistics it also returns are freed at once.
 */
function withWeight(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, eps: number, center: boolean): tf.Tensor {
  const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM, { x, w, ...(b ? { b } : {}) }, { eps, center }) as unknown as tf.Tensor[];
  tf.dispose([mean!, rstd!]);
  return y!;
}

/** The gradient of WeftLayerNorm with a weight (the backward recomputes mean and rstd). Registered with Weft's gradient fixes. */
export const layerNormGrad: GradConfig = {
  kernelName: LAYER_NORM,
  inputsToSave: ['x', 'w'],
  gradFunc: (dys, [x, w], attrs) => {
    const [dx, dw, db] = tf.engine().runKernel(LAYER_NORM_GRAD, { dy: (dys as tf.Tensor[])[0]!, x: x!, w: w! }, attrs as tf.NamedAttrMap) as unknown as tf.Tensor[];
    return { x: () => dx!, w: () => dw!, b: () => db! };
  },
};

const fusedHere = (x: tf.Tensor) => x.dtype === 'float32' && !!tf.getKernel(LAYER_NORM, tf.getBackend()) && !!tf.getKernel(LAYER_NORM_GRAD, tf.getBackend());

/**
 * LayerNorm of `x` over its last axis: (x − mean)/√(var + eps) · weight + bias (weight, bias [C] or
 * null). Fused on cpu, wasm and webgpu (one kernel forward, one backward), tfjs ops elsewhere.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor | null, bias: tf.Tensor | null, eps: number): tf.Tensor {
  if (!fusedHere(x)) return layerNormUnfused(x, weight, bias, eps);
  if (weight) return withWeight(x, weight, bias, eps, true);
  const op = fusedOp(false, bias !== null, eps) as unknown as (...t: tf.Tensor[]) => tf.Tensor;
  return op(x, ...(bias ? [bias] : []));
}

/** RMSNorm of `x` over its last axis: x/√(mean(x²) + eps) · weight (weight [C] or null). Fused on cpu, wasm and webgpu. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor | null, eps: number): tf.Tensor {
  if (!fusedHere(x)) return rmsNormUnfused(x, weight, eps);
  if (weight) return withWeight(x, weight, null, eps, false);
  const op = fusedOp(false, false, eps, false) as unknown as (...t: tf.Tensor[]) => tf.Tensor;
  return op(x);
}
