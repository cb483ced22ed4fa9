// Multi-tensor optimizer updates (as PyTorch's foreach/fused optimizers): one kernel call per step
// updates every parameter, on cpu and wasm. tfjs's Adam runs 14 kernels per parameter per step
// (518 of a 2-block TinyTransformer's 1,435), each a pass over memory plus the engine's bookkeeping.
//   WeftAdamUpdate: inputs x{i}, g{i}, m{i}, v{i} (i < count) and acc = [β1^t, β2^t]; attrs
//     learningRate, beta1, beta2, epsilon, weightDecay. Outputs [x0', m0', v0', x1', …, acc'] with
//     m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g², x' = x − lr·wd·x − lr·(m'/(1 − β1^t)) / (√(v'/(1 − β2^t)) + ε)
//     (tfjs's Adam when wd = 0; decoupled weight decay, AdamW, as in PyTorch, otherwise) and
//     acc' = acc·(β1, β2).
//   WeftSgdUpdate: inputs x{i}, g{i}; attr learningRate. Outputs [x0', …] with x' = x − lr·g.
// On wasm the Adam update runs as SIMD in float32 (optimizer-update-simd.ts); on cpu as JS in
// float64 with the moments m', v' rounded to float32 before x' uses them, as tfjs stores them.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isArrayBackend, isHeapBackend } from './io.js';
import { heapKernels, f32Bits } from './wasm-module.js';
import { writeAdamModule } from './optimizer-update-simd.js';


/** The kernels' names. */
export const ADAM_UPDATE = 'WeftAdamUpdate';
export const SGD_UPDATE = 'WeftSgdUpdate';

/** Attributes of {@link ADAM_UPDATE}. */
export interface AdamUpdateAttrs {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/**
 * Allocate outputs shaped like `like`, then call `fill` with the input arrays and the output arrays
 * (wasm: heap views taken after every allocation, so none is detached by a heap growth).
 */
function multiOutput(kernel: string, backend: unknown, inputs: TensorInfo[], like: TensorInfo[], fill: (ins: Float32Array[], outs: Float32Array[]) => void): TensorInfo[] {
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`${kernel}: an input has dtype ${t.dtype}; allowed: float32`);
  if (isHeapBackend(backend)) {
    const outs = like.map((t) => backend.makeOutput(t.shape.slice(), 'float32'));
    try {
      fill(inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array), outs.map((t) => backend.typedArrayFromHeap(t) as Float32Array));
    } catch (e) {
      for (const o of outs) backend.disposeData(o.dataId);
      throw e;
    }
    return outs;
  }
  if (isArrayBackend(backend)) {
    const arrays = like.map((t) => new Float32Array(t.shape.reduce((p, d) => p * d, 1)));
    fill(inputs.map((t) => backend.readSync(t.dataId) as Float32Array), arrays);
    return like.map((t, i) => backend.makeTensorInfo(t.shape.slice(), 'float32', arrays[i]));
  }
  throw new Error(`${kernel}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
}

/** The i-th input named `prefix{i}` for i < count, checked to have `shape`. */
function take(kernel: string, inputs: Record<string, TensorInfo>, prefix: string, count: number, shapes?: number[][]): TensorInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const t = inputs[`${prefix}${i}`];
    if (!t) throw new Error(`${kernel}: input ${prefix}${i} is missing (count=${count})`);
    if (shapes && (t.shape.length !== shapes[i]!.length || t.shape.some((d, k) => d !== shapes[i]![k]))) {
      throw new Error(`${kernel}: input ${prefix}${i} has shape [${t.shape}]; expected [${shapes[i]}] like x${i}`);
    }
    return t;
  });
}

const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const { count, learningRate: lr, beta1, beta2, epsilon, weightDecay } = attrs as unknown as AdamUpdateAttrs;
  const xs = take(ADAM_UPDATE, ins, 'x', count);
  const shapes = xs.map((t) => t.shape);
  const [gs, ms, vs] = ['g', 'm', 'v'].map((p) => take(ADAM_UPDATE, ins, p, count, shapes)) as [TensorInfo[], TensorInfo[], TensorInfo[]];
  const acc = ins.acc;
  if (!acc || acc.shape.length !== 1 || acc.shape[0] !== 2) throw new Error(`${ADAM_UPDATE}: input acc must have shape [2] ([β1^t, β2^t]); got ${acc ? `[${acc.shape}]` : 'none'}`);
  const like = [...xs.flatMap((x, i) => [x, ms[i]!, vs[i]!]), acc];
  const simd = isHeapBackend(backend) ? heapKernels(backend, 'adam', writeAdamModule) : null;
  return multiOutput(ADAM_UPDATE, backend, [...xs, ...gs, ...ms, ...vs, acc], like, (arrays, outs) => {
    const a = arrays[4 * count]!;
    const [c1, c2] = [1 - a[0]!, 1 - a[1]!];
    const decay = 1 - lr * weightDecay;
    const constants = simd ? [lr, beta1, beta2, c1, c2, epsilon, decay].map(f32Bits) : [];
    for (let i = 0; i < count; i++) {
      const [x, g, m, v] = [arrays[i]!, arrays[count + i]!, arrays[2 * count + i]!, arrays[3 * count + i]!];
      const [xo, mo, vo] = [outs[3 * i]!, outs[3 * i + 1]!, outs[3 * i + 2]!];
      let start = 0;
      if (simd) {
        simd.adam(x.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, xo.byteOffset, mo.byteOffset, vo.byteOffset, x.length, ...constants);
        start = x.length - (x.length % 4);
      }
      for (let k = start; k < x.length; k++) {
        const gk = g[k]!;
        const mk = Math.fround(beta1 * m[k]! + (1 - beta1) * gk);
        const vk = Math.fround(beta2 * v[k]! + (1 - beta2) * gk * gk);
        mo[k] = mk;
        vo[k] = vk;
        xo[k] = (weightDecay === 0 ? x[k]! : decay * x[k]!) - (lr * (mk / c1)) / (Math.sqrt(vk / c2) + epsilon);
      }
    }
    const ao = outs[3 * count]!;
    ao[0] = a[0]! * beta1;
    ao[1] = a[1]! * beta2;
  });
};

const sgdUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const { count, learningRate: lr } = attrs as unknown as { count: number; learningRate: number };
  const xs = take(SGD_UPDATE, ins, 'x', count);
  const gs = take(SGD_UPDATE, ins, 'g', count, xs.map((t) => t.shape));
  return multiOutput(SGD_UPDATE, backend, [...xs, ...gs], xs, (arrays, outs) => {
    for (let i = 0; i < count; i++) {
      const [x, g, xo] = [arrays[i]!, arrays[count + i]!, outs[i]!];
      for (let k = 0; k < x.length; k++) xo[k] = x[k]! - lr * g[k]!;
    }
  });
};

/** Weft's multi-tensor Adam/AdamW and SGD updates on `backendName` (cpu or wasm). */
export function optimizerUpdateConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: ADAM_UPDATE, backendName, kernelFunc: adamUpdate },
    { kernelName: SGD_UPDATE, backendName, kernelFunc: sgdUpdate },
  ];
}
