// WeftAdamUpdate and WeftSgdUpdate (optimizer-update.ts has the formulas and the cpu/wasm kernels)
// as WGSL on tfjs webgpu. tfjs's Adam is 14 kernels, each a dispatch, per parameter per step; here
// each output is one dispatch — m', v', then x' from the stored m', v' (as on cpu: x' uses the
// moments rounded to float32) — so Adam is 3 per parameter plus 1 for [β1^t, β2^t], SGD 1 per
// parameter. A WebGPU program writes one output buffer, and a shader stage reads at most 8 storage
// buffers, which is why the parameters are not all updated by one dispatch.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, SGD_UPDATE, type AdamUpdateAttrs } from './optimizer-update.js';
import { isWebGPU, runFlat, type WebGPUBackendLike } from './webgpu-program.js';

/** The i-th input named `prefix{i}` for i < count, float32 and shaped like `like[i]` when given. */
function take(kernel: string, inputs: Record<string, TensorInfo>, prefix: string, count: number, like?: TensorInfo[]): TensorInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const t = inputs[`${prefix}${i}`];
    if (!t) throw new Error(`${kernel}: input ${prefix}${i} is missing (count=${count})`);
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input ${prefix}${i} has dtype ${t.dtype}; allowed: float32`);
    const s = like?.[i]?.shape;
    if (s && (t.shape.length !== s.length || t.shape.some((d, k) => d !== s[k]))) {
      throw new Error(`${kernel}: input ${prefix}${i} has shape [${t.shape}]; expected [${s}] like x${i}`);
    }
    return t;
  });
}

function webgpuOf(kernel: string, backend: unknown): WebGPUBackendLike {
  if (!isWebGPU(backend)) throw new Error(`${kernel}: the backend is not tfjs webgpu; this kernel is registered only there`);
  return backend;
}

const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const gpu = webgpuOf(ADAM_UPDATE, backend);
  const { count, learningRate: lr, beta1, beta2, epsilon, weightDecay } = attrs as unknown as AdamUpdateAttrs;
  const xs = take(ADAM_UPDATE, ins, 'x', count);
  const [gs, ms, vs] = ['g', 'm', 'v'].map((p) => take(ADAM_UPDATE, ins, p, count, xs)) as [TensorInfo[], TensorInfo[], TensorInfo[]];
  const acc = ins.acc;
  if (!acc || acc.dtype !== 'float32' || acc.shape.length !== 1 || acc.shape[0] !== 2) throw new Error(`${ADAM_UPDATE}: input acc must be float32 with shape [2] ([β1^t, β2^t]); got ${acc ? `${acc.dtype} [${acc.shape}]` : 'none'}`);
  const outs: TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const n = xs[i]!.shape.reduce((p, d) => p * d, 1);
    const shape = xs[i]!.shape;
    const m = runFlat(gpu, 'weft_adam_m', shape, n, { g: gs[i]!, m: ms[i]! }, [['beta', 'f32', beta1], ['rest', 'f32', 1 - beta1]], 'setOutputAtIndex(index, uniforms.beta * m[index] + uniforms.rest * g[index]);');
    const v = runFlat(gpu, 'weft_adam_v', shape, n, { g: gs[i]!, v: vs[i]! }, [['beta', 'f32', beta2], ['rest', 'f32', 1 - beta2]], 'let gi = g[index]; setOutputAtIndex(index, uniforms.beta * v[index] + uniforms.rest * gi * gi);');
    const x = runFlat(
      gpu, 'weft_adam_x', shape, n, { x: xs[i]!, m, v, acc },
      [['lr', 'f32', lr], ['decay', 'f32', 1 - lr * weightDecay], ['eps', 'f32', epsilon]],
      // decay = 1 when weightDecay = 0: 1·x is x exactly, so Adam is tfjs's Adam.
      `let mHat = m[index] / (1.0 - acc[0]);
       let vHat = v[index] / (1.0 - acc[1]);
       setOutputAtIndex(index, uniforms.decay * x[index] - uniforms.lr * mHat / (sqrt(vHat) + uniforms.eps));`,
    );
    outs.push(x, m, v);
  }
  outs.push(runFlat(gpu, 'weft_adam_acc', [2], 2, { acc }, [['beta1', 'f32', beta1], ['beta2', 'f32', beta2]], 'setOutputAtIndex(index, acc[index] * select(uniforms.beta2, uniforms.beta1, index == 0));'));
  return outs;
};

const sgdUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const gpu = webgpuOf(SGD_UPDATE, backend);
  const { count, learningRate: lr } = attrs as unknown as { count: number; learningRate: number };
  const xs = take(SGD_UPDATE, ins, 'x', count);
  const gs = take(SGD_UPDATE, ins, 'g', count, xs);
  return xs.map((x, i) => runFlat(gpu, 'weft_sgd', x.shape, x.shape.reduce((p, d) => p * d, 1), { x, g: gs[i]! }, [['lr', 'f32', lr]], 'setOutputAtIndex(index, x[index] - uniforms.lr * g[index]);'));
};

/** Weft's multi-tensor Adam/AdamW and SGD updates as WGSL programs on tfjs webgpu. */
export const optimizerUpdateWebGPUConfigs: KernelConfig[] = [
  { kernelName: ADAM_UPDATE, backendName: 'webgpu', kernelFunc: adamUpdate },
  { kernelName: SGD_UPDATE, backendName: 'webgpu', kernelFunc: sgdUpdate },
];
