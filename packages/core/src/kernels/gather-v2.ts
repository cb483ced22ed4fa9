// GatherV2: tfjs wasm has one, but with batchDims > 0 it gathers from the wrong rows (measured
// against tfjs cpu); this wraps it: batchDims = 0 still runs tfjs's kernel, batchDims > 0 a JS copy.
import { backend_util, GatherV2, util } from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput } from './io.js';

const NAME = 'GatherV2';

/** `out[b, o, i, s] = x[b, o, indices[b, i], s]` for the batched case (batchDims > 0). */
export const gatherV2Batched: KernelFunc = ({ inputs, backend, attrs }) => {
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

/**
 * Weft's GatherV2 for tfjs wasm: tfjs's kernel (`original`, whose setup/dispose hooks are kept)
 * for batchDims = 0 with slices of more than one element (embedding rows), a JS copy otherwise:
 * batchDims > 0 (tfjs gathers wrong rows) and element gathers (slice size 1, e.g. hashed weight
 * sharing reading 10⁵–10⁶ single values), where tfjs's kernel took ≈9× Weft's scatter-add of the
 * same size (262,144 reads from 32,768 values: 293 ms vs 31 ms, measured on a loaded machine).
 */
export function gatherV2WasmConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as GatherV2Attrs | undefined;
    const batchDims = attrs?.batchDims ?? 0;
    if (batchDims !== 0) return gatherV2Batched(args);
    const x = (args.inputs as { x: TensorInfo }).x;
    const axis = util.parseAxisParam(attrs?.axis ?? 0, x.shape)[0]!;
    return util.sizeFromShape(x.shape.slice(axis + 1)) === 1 ? gatherV2Batched(args) : original.kernelFunc(args);
  };
  return { ...original, kernelName: GatherV2, backendName: 'wasm', kernelFunc };
}
