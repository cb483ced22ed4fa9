// Mean softmax cross-entropy over integer labels as one kernel forward and one backward, on cpu and
// wasm, where the op-by-op loss (logSoftmax, oneHot, multiply, sum, notEqual, cast, maximum, …) ran
// about 10 kernels forward and as many for its gradient.
//   WeftSoftmaxXent: inputs logits (…, C) float32, labels (…) int32; attrs ignoreIndex, hasIgnore.
//     Output the scalar −Σ_scored log softmax(z)[y] / max(#scored, 1); a row is scored unless its
//     label equals ignoreIndex (when hasIgnore); a label outside [0, C) scores 0 (as a one-hot of it).
//   WeftSoftmaxXentGrad: inputs dy (scalar), logits, labels; same attrs. Output dz = dy·(softmax(z) −
//     onehot(y))/max(#scored, 1) on scored rows with a label in [0, C), 0 elsewhere.
// Row math in float64 (max-shifted log-sum-exp), rounded once per stored value. On wasm, rows take
// their exponentials from SIMD kernels (softmax-cross-entropy-simd.ts; float32 sums, ≈1e-7
// relative), the per-row logarithms and the labels staying here.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput, isHeapBackend, type HeapBackend } from './io.js';
import { simdXentFor } from './softmax-cross-entropy-simd.js';

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

/**
 * With the SIMD kernels (wasm): `use(simd, stats, statsPtr, heap)` with a heap
 * scratch of 2 floats per row holding [max, Σ exp(z − max)] per row of `logits`; null where the JS
 * loops run.
 */
function withRowStats<T>(backend: unknown, logits: TensorInfo, rows: number, C: number, use: (simd: NonNullable<ReturnType<typeof simdXentFor>>, stats: Float32Array, statsPtr: number, heap: HeapBackend) => T): T | null {
  if (!isHeapBackend(backend) || C === 0 || rows === 0) return null;
  const simd = simdXentFor(backend);
  if (!simd) return null;
  const scratch = backend.makeOutput([rows, 2], 'float32');
  try {
    const ptr = backend.typedArrayFromHeap(scratch).byteOffset;
    simd.xstats(backend.typedArrayFromHeap(logits).byteOffset, ptr, rows, C);
    return use(simd, backend.typedArrayFromHeap(scratch) as Float32Array, ptr, backend);
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

const xent: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, labels } = inputs as { logits: TensorInfo; labels: TensorInfo };
  const a = attrs as unknown as XentAttrs;
  const { rows, C } = check(SOFTMAX_XENT, logits, labels);
  const mean = (z: ArrayLike<number>, ys: ArrayLike<number>, lse: (r: number) => number) => {
    let total = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const y = ys[r]!;
      if (!scored(y, a)) continue;
      count++;
      if (y >= 0 && y < C) total += lse(r) - z[r * C + y]!;
    }
    return total / Math.max(count, 1);
  };
  const simd = withRowStats(backend, logits, rows, C, (_, stats, __, heap) => {
    const [z, ys] = [heap.typedArrayFromHeap(logits), heap.typedArrayFromHeap(labels)];
    const loss = mean(z, ys, (r) => stats[2 * r]! + Math.log(stats[2 * r + 1]!));
    return computeOutput(SOFTMAX_XENT, backend, [], 'float32', [], (out) => { out[0] = loss; });
  });
  if (simd) return simd;
  return computeOutput(SOFTMAX_XENT, backend, [], 'float32', [logits, labels], (out, z, ys) => {
    out[0] = mean(z!, ys!, (r) => logSumExp(z!, r * C, C));
  });
};

const xentGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, logits, labels } = inputs as { dy: TensorInfo; logits: TensorInfo; labels: TensorInfo };
  const a = attrs as unknown as XentAttrs;
  const { rows, C } = check(SOFTMAX_XENT_GRAD, logits, labels);
  const simd = withRowStats(backend, logits, rows, C, ({ xexp }, stats, statsPtr, heap) => {
    const [d, ys] = [heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(labels)];
    let count = 0;
    for (let r = 0; r < rows; r++) if (scored(ys[r]!, a)) count++;
    const k = d[0]! / Math.max(count, 1);
    // stats row r becomes [shift, scale] = [log-sum-exp, k] (scale 0 for rows that get no gradient)
    for (let r = 0; r < rows; r++) {
      const y = ys[r]!;
      const on = scored(y, a) && y >= 0 && y < C;
      stats[2 * r] = stats[2 * r]! + Math.log(stats[2 * r + 1]!);
      stats[2 * r + 1] = on ? k : 0;
    }
    const out = heap.makeOutput(logits.shape.slice(), 'float32');
    xexp(heap.typedArrayFromHeap(logits).byteOffset, heap.typedArrayFromHeap(out).byteOffset, rows, C, statsPtr);
    const [o, ys2] = [heap.typedArrayFromHeap(out), heap.typedArrayFromHeap(labels)]; // views taken again: makeOutput may grow the heap
    for (let r = 0; r < rows; r++) {
      const y = ys2[r]!;
      if (scored(y, a) && y >= 0 && y < C) o[r * C + y] = o[r * C + y]! - k;
      else o.fill(0, r * C, (r + 1) * C); // 0, not 0·exp(z) (NaN where z is)
    }
    return out;
  });
  if (simd) return simd;
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
