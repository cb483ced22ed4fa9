// UnsortedSegmentSum (gather's gradient): tfjs wasm has none, and tfjs cpu's loops over segments
// with a full mask each (O(numSegments · size), ≈30 s for 2048×64 into 1024 segments); one pass here.
import { UnsortedSegmentSum } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput } from './io.js';

const NAME = 'UnsortedSegmentSum';

/**
 * `out[s, ...] = Σ x[p, ...]` over the positions `p` of `segmentIds` with `segmentIds[p] = s`.
 * Ids outside `[0, numSegments)` are dropped, as tfjs does. `x` is float32 or int32 (the output
 * keeps x's dtype); `segmentIds`' shape must be a prefix of x's shape.
 */
export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  assertDtype(NAME, 'x', x, ['float32', 'int32']);
  assertDtype(NAME, 'segmentIds', segmentIds, ['int32']);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`${NAME}: numSegments=${numSegments} must be a non-negative integer`);
  }
  const idRank = segmentIds.shape.length;
  if (idRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `${NAME}: segmentIds has shape [${segmentIds.shape.join(', ')}]; it must be a prefix of x's shape [${x.shape.join(', ')}]`,
    );
  }
  const inner = x.shape.slice(idRank);
  // (…ids, …inner) -> (numIds, innerSize) summed into (numSegments, innerSize)
  const innerSize = inner.reduce((a, b) => a * b, 1);
  return computeOutput(NAME, backend, [numSegments, ...inner], x.dtype, [x, segmentIds], (out, xs, ids) => {
    const n = ids!.length;
    for (let i = 0; i < n; i++) {
      const s = ids![i]!;
      if (s < 0 || s >= numSegments) continue;
      const src = i * innerSize;
      const dst = s * innerSize;
      for (let j = 0; j < innerSize; j++) out[dst + j] += xs![src + j]!;
    }
  });
};

/** Weft's UnsortedSegmentSum for `backendName` (`wasm` or `cpu`). */
export function unsortedSegmentSumConfig(backendName: string): KernelConfig {
  return { kernelName: UnsortedSegmentSum, backendName, kernelFunc: unsortedSegmentSum };
}
