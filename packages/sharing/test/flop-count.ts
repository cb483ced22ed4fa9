// A counted FLOP reference for the adapter cost model (cost.test.ts): run a forward under tf.profile
// and add up every kernel it ran. Convention (the cost model's): a contraction (MatMul, BatchMatMul,
// Conv2D) costs 2 FLOPs per multiply-add; a reduction costs one FLOP per input element; any other
// arithmetic kernel one FLOP per output element; data movement (reshape, slice, gather, concat,
// transpose, tile, cast, select, fill) costs nothing.
import * as tf from '@tensorflow/tfjs-core';

const MOVEMENT = new Set([
  'Reshape', 'Transpose', 'Slice', 'StridedSlice', 'Concat', 'GatherV2', 'Tile', 'Cast', 'Identity', 'Pack', 'Unpack', 'SplitV', 'ExpandDims',
  'Fill', 'ZerosLike', 'OnesLike', 'Select', 'Squeeze', 'Pad', 'Reverse', 'Range', 'Clone', 'WeftEmbedding', 'WeftHeads',
  '', // a tf.customGrad wrapper: the kernels inside it are counted
]);
const REDUCTIONS = new Set(['Sum', 'Max', 'Min', 'Prod', 'Mean', 'All', 'Any', 'ArgMax', 'ArgMin']);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** FLOPs of one kernel from its name and shapes. */
export function kernelFlops(name: string, inputs: number[][], outputs: number[][]): number {
  if (MOVEMENT.has(name)) return 0;
  const out = size(outputs[0] ?? []);
  // Weft's fused Linear (core's ops/linear.ts): x (…, K)·w (K, N), plus one add per output with a bias b (N)
  if (name === 'WeftLinear') return 2 * out * inputs[1]![0]! + (inputs.length === 3 ? out : 0);
  // Weft's fused attention projections (core's ops/qkv.ts): x (B, T, C)·wq, wk, wv (C, N·), plus the biases' adds
  if (name === 'WeftQkv') return [1, 2, 3].reduce((f, i) => f + (size(inputs[0]!) / inputs[0]!.at(-1)!) * inputs[i]![1]! * (2 * inputs[0]!.at(-1)! + (inputs.length === 7 ? 1 : 0)), 0);
  if (name === 'BatchMatMul' || name === '_FusedMatMul' || name === 'MatMul') {
    // a (…, m, k) · b (…, k, n) -> (…, m, n): k² = |a|·|b| / (|out|·batch)
    const o = outputs[0]!;
    const batch = size(o.slice(0, -2));
    const k = Math.round(Math.sqrt((size(inputs[0]!) * size(inputs[1]!)) / (out * batch)));
    return 2 * out * k;
  }
  if (name === 'Conv2D') {
    const f = inputs[1]!; // [kh, kw, in, out]
    return 2 * out * f[0]! * f[1]! * f[2]!;
  }
  if (REDUCTIONS.has(name)) return size(inputs[0]!);
  return out;
}

/** FLOPs `fn` runs (its kernels, counted as {@link kernelFlops}), and the kernels by name. */
export async function countFlops(fn: () => tf.Tensor): Promise<{ flops: number; kernels: Record<string, number> }> {
  const info = await tf.profile(() => fn());
  const kernels: Record<string, number> = {};
  let flops = 0;
  for (const k of info.kernels) {
    const f = kernelFlops(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
    kernels[k.name] = (kernels[k.name] ?? 0) + f;
    flops += f;
  }
  return { flops, kernels };
}
