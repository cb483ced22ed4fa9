// Tile on tfjs wasm as block copies on the heap. tfjs wasm's Tile computes each output element's
// source index with a division per axis, 60–100 ns per element (CPU time, Node: [512, 1] × [1, 64]
// 1,960 µs, [64, 256] × [4, 1] 3,538 µs; here 101 and 36 µs). Each input row is copied once, then
// every block is repeated by doubling copies (copyWithin: memmove speed).
// float32, int32 and bool (bit copies); other dtypes go to tfjs's kernel.
import { Tile } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, TileAttrs } from '@tensorflow/tfjs-core';
import { isHeapBackend, type NumericArray } from './io.js';

/** `out[0, n·count)` = `count` copies of `out[0, n)`, by doubling. */
function repeatPrefix(out: NumericArray, start: number, n: number, count: number): void {
  let filled = n;
  const total = n * count;
  while (filled < total) {
    const len = Math.min(filled, total - filled);
    out.copyWithin(start + filled, start, start + len);
    filled += len;
  }
}

/**
 * x (shape) tiled `reps` times into out: out has shape[k]·reps[k] along each axis. Writes block by
 * block: axis k's block is shape[k] sub-blocks (axis k + 1), then repeated reps[k] times.
 */
export function tileInto(x: NumericArray, shape: readonly number[], reps: readonly number[], out: NumericArray): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  // inStride[k]: input elements per index of axis k; outBlock[k]: output elements of one tiled block of axes ≥ k.
  const inStride = new Array<number>(rank).fill(1);
  const outBlock = new Array<number>(rank + 1).fill(1);
  for (let k = rank - 1; k >= 0; k--) {
    inStride[k] = k === rank - 1 ? 1 : inStride[k + 1]! * shape[k + 1]!;
    outBlock[k] = outBlock[k + 1]! * shape[k]! * reps[k]!;
  }
  const fill = (outOffset: number, inOffset: number, k: number): void => {
    const d = shape[k]!;
    if (k === rank - 1) {
      out.set(x.subarray(inOffset, inOffset + d), outOffset);
    } else {
      for (let i = 0; i < d; i++) fill(outOffset + i * outBlock[k + 1]!, inOffset + i * inStride[k]!, k + 1);
    }
    repeatPrefix(out, outOffset, d * outBlock[k + 1]!, reps[k]!);
  };
  fill(0, 0, 0);
}

/** Weft's Tile for tfjs wasm over `original` (tfjs's, for dtypes other than float32, int32, bool). */
export function tileWasmConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as TileAttrs;
    if (!isHeapBackend(backend) || !['float32', 'int32', 'bool'].includes(x.dtype) || reps.length !== x.shape.length) return original.kernelFunc(args);
    const outShape = x.shape.map((d, k) => d * reps[k]!);
    const out = backend.makeOutput(outShape, x.dtype);
    if (outShape.some((d) => d === 0)) return out;
    tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
    return out;
  };
  return { ...original, kernelName: Tile, backendName: 'wasm', kernelFunc };
}
