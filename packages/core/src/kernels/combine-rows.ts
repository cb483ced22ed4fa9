// WeftCombineRows: a sparse MoE's un-permute — each token's k output rows, weighted by their gates
// and summed — and its gradient, one kernel each way on cpu and wasm. As tfjs ops that is a gather of
// the rows, a broadcast Multiply by the gates and a Sum over k (5 kernels), and ~10 backward (the
// broadcast Multiply's gradient reduces with Casts and a Sum).
//   WeftCombineRows      y (R, D) float32, slot (P,) int32 in [0, R], gate (P,) float32; attr numTokens N
//                        (P = k·N, pair p = s·N + t is token t's s-th choice, slot-major)
//                        -> out (N, D), out[t] = Σ_s gate[p]·y[slot[p]] over s in order; slot R: a
//                        dropped pair (adds nothing)
//   WeftCombineRowsGrad  dout (N, D), y, slot, gate -> dy (R, D): dy[slot[p]] += gate[p]·dout[t];
//                        dgate (P,): dgate[p] = y[slot[p]]·dout[t] (0 for a dropped pair)
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput, computeOutputs, type NumericArray } from './io.js';

/** The kernels' names. */
export const COMBINE_ROWS = 'WeftCombineRows';
export const COMBINE_ROWS_GRAD = 'WeftCombineRowsGrad';

function shapes(kernel: string, y: TensorInfo, slot: TensorInfo, gate: TensorInfo, N: number): { R: number; D: number; P: number } {
  const P = slot.shape[0]!;
  if (y.shape.length !== 2 || slot.shape.length !== 1 || gate.shape.length !== 1 || gate.shape[0] !== P || y.dtype !== 'float32' || slot.dtype !== 'int32' || gate.dtype !== 'float32') {
    throw new Error(`${kernel}: y [${y.shape}] ${y.dtype}, slot [${slot.shape}] ${slot.dtype}, gate [${gate.shape}] ${gate.dtype} must be (R, D) float32, (P,) int32, (P,) float32`);
  }
  if (!(Number.isInteger(N) && N > 0 && P % N === 0)) throw new Error(`${kernel}: numTokens=${N} must be a positive integer dividing the ${P} pairs (k per token)`);
  return { R: y.shape[0]!, D: y.shape[1]!, P };
}

function checkSlots(kernel: string, slot: NumericArray, R: number): void {
  for (let p = 0; p < slot.length; p++) {
    const r = slot[p]!;
    if (!(r >= 0 && r <= R)) throw new Error(`${kernel}: slot[${p}]=${r}; allowed: 0 ≤ slot ≤ ${R} (${R}: a dropped pair)`);
  }
}

const combine: KernelFunc = ({ inputs, backend, attrs }) => {
  const { y, slot, gate } = inputs as { y: TensorInfo; slot: TensorInfo; gate: TensorInfo };
  const { numTokens: N } = attrs as unknown as { numTokens: number };
  const { R, D, P } = shapes(COMBINE_ROWS, y, slot, gate, N);
  return computeOutput(COMBINE_ROWS, backend, [N, D], 'float32', [y, slot, gate], (out, ys, ss, gs) => {
    checkSlots(COMBINE_ROWS, ss!, R);
    for (let p = 0; p < P; p++) {
      const r = ss![p]!;
      if (r === R) continue;
      const [g, o, i] = [gs![p]!, (p % N) * D, r * D];
      for (let j = 0; j < D; j++) out[o + j] += g * ys![i + j]!;
    }
  });
};

/** Fill dy (R, D, zeros on entry) and dgate (P,) from dout, y, slot, gate (arrays of the backend's memory). */
function fillGrad(dy: NumericArray, dgate: NumericArray, dout: NumericArray, ys: NumericArray, ss: NumericArray, gs: NumericArray, R: number, D: number, N: number): void {
  checkSlots(COMBINE_ROWS_GRAD, ss, R);
  for (let p = 0; p < ss.length; p++) {
    const r = ss[p]!;
    if (r === R) {
      dgate[p] = 0;
      continue;
    }
    const [g, o, i] = [gs[p]!, (p % N) * D, r * D];
    let dot = 0;
    for (let j = 0; j < D; j++) {
      const d = dout[o + j]!;
      dy[i + j] += g * d;
      dot += ys[i + j]! * d;
    }
    dgate[p] = dot;
  }
}

const combineGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dout, y, slot, gate } = inputs as { dout: TensorInfo; y: TensorInfo; slot: TensorInfo; gate: TensorInfo };
  const { numTokens: N } = attrs as unknown as { numTokens: number };
  const { R, D, P } = shapes(COMBINE_ROWS_GRAD, y, slot, gate, N);
  if (dout.shape.length !== 2 || dout.shape[0] !== N || dout.shape[1] !== D) throw new Error(`${COMBINE_ROWS_GRAD}: dout [${dout.shape}] must be [${N}, ${D}]`);
  const specs = [{ shape: [R, D], dtype: 'float32' as const }, { shape: [P], dtype: 'float32' as const }];
  return computeOutputs(COMBINE_ROWS_GRAD, backend, specs, [dout, y, slot, gate], ([dy, dg], [d, ys, ss, gs]) => fillGrad(dy!, dg!, d!, ys!, ss!, gs!, R, D, N));
};

/** Weft's combine-rows kernels on `backendName` (cpu or wasm). */
export function combineRowsConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: COMBINE_ROWS, backendName, kernelFunc: combine },
    { kernelName: COMBINE_ROWS_GRAD, backendName, kernelFunc: combineGrad },
  ];
}
