// WeftWeightedSum: Σ_i w_i·v_i over scalars — a training step's task loss plus its weighted aux losses
// (MoE balance and z-loss, ACT ponder cost, …) — and its gradient, one kernel each way on cpu and
// wasm. As tfjs ops that is a Multiply per weight, an AddN and an Add forward, and ~12 kernels backward
// (each Multiply's gradient casts and multiplies both sides; Add reshapes). Float64 sum in input order.
//   WeftWeightedSum      v0 … v{n−1} (scalars, float32); attr weights (n numbers) -> Σ w_i·v_i
//   WeftWeightedSumGrad  dy (scalar); attr weights -> [w_0·dy, …, w_{n−1}·dy]
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput } from './io.js';

/** The kernels' names. */
export const WEIGHTED_SUM = 'WeftWeightedSum';
export const WEIGHTED_SUM_GRAD = 'WeftWeightedSumGrad';

const weightedSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { weights } = attrs as unknown as { weights: number[] };
  const values = weights.map((_, i) => (inputs as Record<string, TensorInfo>)[`v${i}`]);
  values.forEach((v, i) => {
    if (!v || v.shape.length !== 0 || v.dtype !== 'float32') throw new Error(`${WEIGHTED_SUM}: input v${i} must be a float32 scalar (got ${v ? `${v.dtype} [${v.shape}]` : 'none'}; weights has ${weights.length} entries)`);
  });
  return computeOutput(WEIGHTED_SUM, backend, [], 'float32', values as TensorInfo[], (out, ...vs) => {
    let s = 0;
    for (let i = 0; i < vs.length; i++) s += weights[i]! * vs[i]![0]!;
    out[0] = s;
  });
};

const weightedSumGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy } = inputs as { dy: TensorInfo };
  const { weights } = attrs as unknown as { weights: number[] };
  if (dy.shape.length !== 0) throw new Error(`${WEIGHTED_SUM_GRAD}: dy has shape [${dy.shape}]; expected a scalar`);
  return weights.map((w) => computeOutput(WEIGHTED_SUM_GRAD, backend, [], 'float32', [dy], (out, d) => { out[0] = w * d![0]!; }));
};

/** Weft's weighted-sum kernels on `backendName` (cpu or wasm). */
export function weightedSumConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: WEIGHTED_SUM, backendName, kernelFunc: weightedSum },
    { kernelName: WEIGHTED_SUM_GRAD, backendName, kernelFunc: weightedSumGrad },
  ];
}
