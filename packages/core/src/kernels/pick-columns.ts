// WeftPickColumns: one value per (row, choice) — a router's gates, m[n, idx[n, j]] — optionally
// renormalised over each row's choices (Mixtral, DeepSeek), and its gradient, one kernel each way on
// cpu and wasm (WGSL on webgpu: pick-columns-webgpu.ts). As tfjs ops the pick is a flat GatherV2 with
// its offsets (Range, Mul, Reshape, Add, Reshape ×3: 8 kernels; 7 backward) and the renormalisation a
// Sum and a broadcast RealDiv (13 kernels backward).
//   WeftPickColumns      m (N, E) float32, idx (N, k) int32 in [0, E); attr normalize
//                        -> v (N, k), v[n, j] = m[n, idx[n, j]] (/ Σ_j' m[n, idx[n, j']] if normalize)
//   WeftPickColumnsGrad  dy (N, k), m, idx; attr normalize -> dm (N, E): dm[n, idx[n, j]] += g[n, j],
//                        g = dy, or (dy_j − Σ_i dy_i·v_i)/S with S the row's sum (normalize)
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput, type NumericArray } from './io.js';

/** The kernels' names. */
export const PICK_COLUMNS = 'WeftPickColumns';
export const PICK_COLUMNS_GRAD = 'WeftPickColumnsGrad';

/** Check m (N, E) float32 and idx (N, k) int32; returns N, E, k. */
export function pickColumnsShapes(kernel: string, m: TensorInfo, idx: TensorInfo): { N: number; E: number; k: number } {
  if (m.shape.length !== 2 || idx.shape.length !== 2 || m.shape[0] !== idx.shape[0] || m.dtype !== 'float32' || idx.dtype !== 'int32') {
    throw new Error(`${kernel}: m [${m.shape}] ${m.dtype} and idx [${idx.shape}] ${idx.dtype} must be (N, E) float32 and (N, k) int32`);
  }
  return { N: m.shape[0]!, E: m.shape[1]!, k: idx.shape[1]! };
}

function checkIdx(kernel: string, idx: NumericArray, E: number): void {
  for (let i = 0; i < idx.length; i++) {
    const e = idx[i]!;
    if (!(e >= 0 && e < E)) throw new Error(`${kernel}: idx[${i}]=${e}; allowed: 0 ≤ idx < ${E} (m's columns)`);
  }
}

const pick: KernelFunc = ({ inputs, backend, attrs }) => {
  const { m, idx } = inputs as { m: TensorInfo; idx: TensorInfo };
  const { normalize } = attrs as unknown as { normalize: boolean };
  const { N, E, k } = pickColumnsShapes(PICK_COLUMNS, m, idx);
  return computeOutput(PICK_COLUMNS, backend, [N, k], 'float32', [m, idx], (out, ms, is) => {
    checkIdx(PICK_COLUMNS, is!, E);
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += out[n * k + j] = ms![n * E + is![n * k + j]!]!;
      if (normalize) for (let j = 0; j < k; j++) out[n * k + j] = out[n * k + j]! / s;
    }
  });
};

const pickGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, m, idx } = inputs as { dy: TensorInfo; m: TensorInfo; idx: TensorInfo };
  const { normalize } = attrs as unknown as { normalize: boolean };
  const { N, E, k } = pickColumnsShapes(PICK_COLUMNS_GRAD, m, idx);
  return computeOutput(PICK_COLUMNS_GRAD, backend, [N, E], 'float32', [dy, m, idx], (out, d, ms, is) => {
    checkIdx(PICK_COLUMNS_GRAD, is!, E);
    for (let n = 0; n < N; n++) {
      const [r, o] = [n * k, n * E];
      if (!normalize) {
        for (let j = 0; j < k; j++) out[o + is![r + j]!] += d![r + j]!;
        continue;
      }
      let s = 0;
      for (let j = 0; j < k; j++) s += ms![o + is![r + j]!]!;
      let dot = 0; // Σ_i dy_i·v_i, v_i = m_i/s
      for (let j = 0; j < k; j++) dot += d![r + j]! * (ms![o + is![r + j]!]! / s);
      for (let j = 0; j < k; j++) out[o + is![r + j]!] += (d![r + j]! - dot) / s;
    }
  });
};

/** Weft's pick-columns kernels on `backendName` (cpu or wasm). */
export function pickColumnsConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: PICK_COLUMNS, backendName, kernelFunc: pick },
    { kernelName: PICK_COLUMNS_GRAD, backendName, kernelFunc: pickGrad },
  ];
}
