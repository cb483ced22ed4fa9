// Relu, Relu6 and ClipByValue for tfjs wasm that keep NaN. tfjs wasm's kernels (XNNPACK's clamp)
// turn NaN into a bound: Relu maps a negative-sign NaN to 0, Relu6 and ClipByValue map every NaN
// to their lower bound (found by feeding NaN/±Inf to 37 ops on wasm and cpu). A NaN that silently
// becomes a number hides a divergence from the trainer's non-finite guard, so these kernels follow
// cpu and webgl: `x < lo ? lo : x > hi ? hi : x`, which is NaN for NaN.
import { ClipByValue, Relu, Relu6 } from '@tensorflow/tfjs-core';
import type { ClipByValueAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput } from './io.js';

/** A kernel clamping x to [lo, hi] element-wise, NaN kept. */
function clampKernel(name: string, bounds: (attrs: unknown) => [number, number]): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    assertDtype(name, 'x', x, ['float32', 'int32']);
    const [lo, hi] = bounds(attrs);
    return computeOutput(name, backend, x.shape.slice(), x.dtype, [x], (out, xs) => {
      const n = xs!.length;
      for (let i = 0; i < n; i++) {
        const v = xs![i]!;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    });
  };
}

/** Weft's NaN-keeping Relu, Relu6 and ClipByValue for tfjs wasm. */
export const nanKeepingActivationWasmConfigs: KernelConfig[] = [
  { kernelName: Relu, backendName: 'wasm', kernelFunc: clampKernel(Relu, () => [0, Infinity]) },
  { kernelName: Relu6, backendName: 'wasm', kernelFunc: clampKernel(Relu6, () => [0, 6]) },
  {
    kernelName: ClipByValue,
    backendName: 'wasm',
    kernelFunc: clampKernel(ClipByValue, (a) => [(a as ClipByValueAttrs).clipValueMin, (a as ClipByValueAttrs).clipValueMax]),
  },
];
