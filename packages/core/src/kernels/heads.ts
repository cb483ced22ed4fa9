// Attention's head split and merge on cpu and wasm as one kernel each, where tfjs runs Reshape and
// Transpose (and the engine clones the reshaped tensor for Reshape's gradient):
//   WeftHeads  attr split = true:  x (B, T, h·D) -> (B, h, T, D)   (attr heads = h)
//              attr split = false: x (B, h, T, D) -> (B, T, h·D)
// Both are one transpose of a (B, ·, ·, D) view of the same data, run by the backend's own Transpose
// kernel (Weft's SIMD one on wasm); the gradient of one is the other (ops/heads.ts).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runBackendKernel } from './io.js';

/** The kernel's name. */
export const HEADS = 'WeftHeads';

/** Attributes of {@link HEADS}. */
export interface HeadsAttrs {
  /** Split (B, T, h·D) into (B, h, T, D), or merge back. */
  split: boolean;
  /** h, the number of heads (split only; merge reads it from x). */
  heads: number;
}

/** The (B, T, h, D) or (B, h, T, D) view to transpose and the output shape, checked. */
export function headsShapes(x: { shape: number[] }, attrs: HeadsAttrs): { view: number[]; out: number[] } {
  const { split, heads } = attrs;
  if (split) {
    const [B, T, C] = x.shape as [number, number, number];
    if (x.shape.length !== 3 || !(Number.isInteger(heads) && heads > 0) || C % heads !== 0) {
      throw new Error(`${HEADS}: x has shape [${x.shape}] and heads=${heads}; expected (B, T, heads·D)`);
    }
    return { view: [B, T, heads, C / heads], out: [B, heads, T, C / heads] };
  }
  if (x.shape.length !== 4) throw new Error(`${HEADS}: x has shape [${x.shape}]; expected (B, h, T, D) to merge`);
  const [B, h, T, D] = x.shape as [number, number, number, number];
  return { view: x.shape.slice(), out: [B, T, h * D] };
}

function headsKernel(backendName: 'cpu' | 'wasm'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    if (x.dtype !== 'float32') throw new Error(`${HEADS}: x has dtype ${x.dtype}; allowed: float32`);
    const { view, out } = headsShapes(x, attrs as unknown as HeadsAttrs);
    // (B, T, h, D) <-> (B, h, T, D); the input and output are views of the same data with the caller's shapes
    const y = runBackendKernel('Transpose', backendName, backend, { x: { dataId: x.dataId, shape: view, dtype: 'float32' } }, { perm: [0, 2, 1, 3] });
    return { dataId: y.dataId, shape: out, dtype: 'float32' };
  };
}

/** Weft's head split/merge kernel on `backendName` (cpu or wasm). */
export function headsConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [{ kernelName: HEADS, backendName, kernelFunc: headsKernel(backendName) }];
}
