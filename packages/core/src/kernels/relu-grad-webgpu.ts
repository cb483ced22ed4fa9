// WeftReluGrad (relu-grad.ts has the definition: dx = dy·step(x), step NaN for a NaN x) as one WGSL
// dispatch on tfjs webgpu, where tfjs's gradient runs Step, Cast and Multiply as three. NaN is
// tested by its bits (WGSL compilers may assume no NaN).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { RELU_GRAD } from './relu-grad.js';
import { isWebGPU, runFlat } from './webgpu-program.js';

const reluGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  if (!isWebGPU(backend)) throw new Error(`${RELU_GRAD}: the backend is not tfjs webgpu; this kernel is registered only there`);
  for (const [name, t] of Object.entries({ dy, x })) if (t.dtype !== 'float32') throw new Error(`${RELU_GRAD}: ${name} has dtype ${t.dtype}; allowed: float32`);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) throw new Error(`${RELU_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have one shape`);
  const n = x.shape.reduce((p, d) => p * d, 1);
  // step = 1 for x > 0, else 0; NaN (x itself) for a NaN x. dy·0 keeps IEEE's NaN for an infinite dy.
  return runFlat(backend, 'weft_relu_grad', x.shape, n, { dy, x }, [], `let v = x[index];
    let s = select(select(0.0, 1.0, v > 0.0), v, (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u);
    setOutputAtIndex(index, dy[index] * s);`);
};

/** Weft's WeftReluGrad as a WGSL program on tfjs webgpu. */
export const reluGradWebGPUConfig: KernelConfig = { kernelName: RELU_GRAD, backendName: 'webgpu', kernelFunc: reluGrad };
