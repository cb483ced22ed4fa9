// GatherV2 on tfjs wasm, as a copy of whole slices (one `TypedArray.set` per gathered slice).
// tfjs wasm's own kernel gathers from the wrong rows when batchDims > 0 (measured against tfjs cpu)
// and copies element by element otherwise, 4–200× slower than this (measured, batchDims 0:
// 79 slices of 64×256 floats, MoE's dropless per-block expert weights, 65.9 ms vs 0.33 ms;
// 4096 embedding rows of 64: 10.1 vs 0.27 ms; 20,000 rows of 8: 8.2 vs 1.9 ms; 1024 rows of 16: 0.65 vs 0.10 ms).
import { backend_util, GatherV2, util } from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput } from './io.js';

const NAME = 'GatherV2';

/** `out[b, o, i, s] = x[b, o, indices[b, i], s]` (b: the batchDims axes, o: axes before `axis`, s: after it). */
export const gatherV2: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = attrs as unknown as GatherV2Attrs;
  assertDtype(NAME, 'x', x, ['float32', 'int32', 'bool']);
  assertDtype(NAME, 'indices', indices, ['int32']);
  const parsedAxis = util.parseAxisParam(axis, x.shape)[0]!;
  const info = backend_util.segment_util.collectGatherOpShapeInfo(
    x as unknown as Parameters<typeof backend_util.segment_util.collectGatherOpShapeInfo>[0],
    indices as unknown as Parameters<typeof backend_util.segment_util.collectGatherOpShapeInfo>[1],
    parsedAxis,
    batchDims,
  );
  const { batchSize, outerSize, dimSize, sliceSize, outputShape } = info;
  const perBatch = util.sizeFromShape(indices.shape) / batchSize;
  return computeOutput(NAME, backend, outputShape, x.dtype, [x, indices], (out, xs, idx) => {
    const xv = xs!, iv = idx!;
    for (let i = 0; i < iv.length; i++) {
      const v = iv[i]!;
      if (v < 0 || v >= dimSize) throw new Error(`${NAME}: the index value ${v} is not in [0, ${dimSize - 1}]`);
    }
    // x: (batch, outer, dim, slice) -> out: (batch, outer, perBatch, slice)
    let o = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let q = 0; q < outerSize; q++) {
        const xBase = (b * outerSize + q) * dimSize;
        if (sliceSize === 1) {
          for (let i = 0; i < perBatch; i++) out[o++] = xv[xBase + iv[b * perBatch + i]!]!;
          continue;
        }
        for (let i = 0; i < perBatch; i++) {
          const src = (xBase + iv[b * perBatch + i]!) * sliceSize;
          out.set(xv.subarray(src, src + sliceSize), o);
          o += sliceSize;
        }
      }
    }
  });
};

/** Weft's GatherV2 for tfjs wasm (`original`'s setup/dispose hooks are kept). */
export function gatherV2WasmConfig(original: KernelConfig): KernelConfig {
  return { ...original, kernelName: GatherV2, backendName: 'wasm', kernelFunc: gatherV2 };
}
