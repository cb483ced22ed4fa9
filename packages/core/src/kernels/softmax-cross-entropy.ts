// Mean softmax cross-entropy over integer labels as one kernel forward and one backward, on cpu and
// wasm, where the op-by-op loss (logSoftmax, oneHot, multiply, sum, notEqual, cast, maximum, …) ran
// about 10 kernels forward and as many for its gradient.
//   WeftSoftmaxXent: inputs logits (…, C) float32, labels (…) int32; attrs ignoreIndex, hasIgnore.
//     Output the scalar −Σ_scored log softmax(z)[y] / max(#scored, 1); a row is scored unless its
//     label equals ignoreIndex (when hasIgnore); a label outside [0, C) scores 0 (as a one-hot of it).
//   WeftSoftmaxXentGrad: inputs dy (scalar), logits, labels; same attrs. Output dz = dy·(softmax(z) −
//     onehot(y))/max(#scored, 1) on scored rows with a label in [0, C), 0 elsewhere.
// Row math in float64 (max-shifted log-sum-exp), rounded once per stored value.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput } from './io.js';

/** The kernels' names. */
export const SOFTMAX_XENT = 'WeftSoftmaxXent';
export const SOFTMAX_XENT_GRAD = 'WeftSoftmaxXentGrad';

interface XentAttrs {
  ignoreIndex: number;
  hasIgnore: boolean;
}

function check(kernel: string, logits: TensorInfo, labels: TensorInfo): { rows: number; C: number } {
  if (logits.dtype !== 'float32' || labels.dtype !== 'int32') throw new Error(`${kernel}: logits ${logits.dtype} and labels ${labels.dtype}; expected float32 and int32`);
  const C = logits.shape[logits.shape.length - 1] ?? 0;
  const lead = logits.shape.slice(0, -1);
  if (labels.shape.length !== lead.length || labels.shape.some((d, i) => d !== lead[i])) throw new Error(`${kernel}: labels [${labels.shape}] must be logits [${logits.shape}] without its last axis`);
  return { rows: lead.reduce((p, d) => p * d, 1), C };
}

/** log Σ exp over the row at offset o, max-shifted. */
function logSumExp(z: ArrayLike<number>, o: number, C: number): number {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) mx = Math.max(mx, z[o + c]!);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[o + c]! - mx);
  return mx + Math.log(s);
}

const scored = (y: number, a: XentAttrs) => !(a.hasIgnore && y === a.ignoreIndex);

const xent: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, labels } = inputs as { logits: TensorInfo; labels: TensorInfo };
  const a = attrs as unknown as XentAttrs;
  const { rows, C } = check(SOFTMAX_XENT, logits, labels);
  return computeOutput(SOFTMAX_XENT, backend, [], 'float32', [logits, labels], (out, z, ys) => {
    let total = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const y = ys![r]!;
      if (!scored(y, a)) continue;
      count++;
      if (y >= 0 && y < C) total += logSumExp(z!, r * C, C) - z![r * C + y]!;
    }
    out[0] = total / Math.max(count, 1);
  });
};

const xentGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, logits, labels } = inputs as { dy: TensorInfo; logits: TensorInfo; labels: TensorInfo };
  const a = attrs as unknown as XentAttrs;
  const { rows, C } = check(SOFTMAX_XENT_GRAD, logits, labels);
  return computeOutput(SOFTMAX_XENT_GRAD, backend, logits.shape.slice(), 'float32', [dy, logits, labels], (out, d, z, ys) => {
    let count = 0;
    for (let r = 0; r < rows; r++) if (scored(ys![r]!, a)) count++;
    const k = d![0]! / Math.max(count, 1);
    for (let r = 0; r < rows; r++) {
      const y = ys![r]!;
      if (!scored(y, a) || y < 0 || y >= C) continue; // out stays 0
      const o = r * C;
      const lse = logSumExp(z!, o, C);
      for (let c = 0; c < C; c++) out[o + c] = k * (Math.exp(z![o + c]! - lse) - (c === y ? 1 : 0));
    }
  });
};

/** Weft's softmax cross-entropy kernels on `backendName` (cpu or wasm). */
export function softmaxCrossEntropyConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: SOFTMAX_XENT, backendName, kernelFunc: xent },
    { kernelName: SOFTMAX_XENT_GRAD, backendName, kernelFunc: xentGrad },
  ];
}
