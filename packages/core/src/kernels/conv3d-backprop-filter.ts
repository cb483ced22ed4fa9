// Conv3DBackpropFilterV2 (conv3d's filter gradient): tfjs wasm has one, but it is wrong with
// stride 2 (measured against tfjs cpu); this replaces it with a direct loop.
import { backend_util, Conv3DBackpropFilterV2 } from '@tensorflow/tfjs-core';
import type { Conv3DBackpropFilterV2Attrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput } from './io.js';

const NAME = 'Conv3DBackpropFilterV2';

/**
 * `dW[kd, kh, kw, ci, co] = Σ x[b, od·sd − front + kd, oh·sh − top + kh, ow·sw − left + kw, ci] · dy[b, od, oh, ow, co]`
 * (NDHWC, float32 out, accumulated in float64).
 */
export const conv3DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, filterShape } = attrs as unknown as Conv3DBackpropFilterV2Attrs;
  assertDtype(NAME, 'x', x, ['float32', 'int32']);
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertRank(NAME, 'x', x, 5);
  assertRank(NAME, 'dy', dy, 5);
  if (filterShape?.length !== 5) throw new Error(`${NAME}: filterShape=[${filterShape}] must have length 5`);
  const info = backend_util.computeConv3DInfo(x.shape as [number, number, number, number, number], filterShape, strides, 1, pad);
  const { batchSize: B, inDepth: D, inHeight: H, inWidth: W, inChannels: CI } = info;
  const { outDepth: OD, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterDepth: KD, filterHeight: KH, filterWidth: KW, strideDepth: SD, strideHeight: SH, strideWidth: SW } = info;
  const expectedDy = [B, OD, OH, OW, CO];
  if (dy.shape.some((d, i) => d !== expectedDy[i])) {
    throw new Error(`${NAME}: dy has shape [${dy.shape.join(', ')}]; for x [${x.shape.join(', ')}] and filter [${filterShape.join(', ')}] it must be [${expectedDy.join(', ')}]`);
  }
  const { front, top, left } = info.padInfo;
  return computeOutput(NAME, backend, filterShape, 'float32', [x, dy], (out, xs, dys) => {
    const xv = xs!, dv = dys!;
    const acc = new Float64Array(out.length);
    for (let b = 0; b < B; b++) {
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const dyo = (((b * OD + od) * OH + oh) * OW + ow) * CO;
            for (let kd = 0; kd < KD; kd++) {
              const d = od * SD - front + kd;
              if (d < 0 || d >= D) continue;
              for (let kh = 0; kh < KH; kh++) {
                const h = oh * SH - top + kh;
                if (h < 0 || h >= H) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const w = ow * SW - left + kw;
                  if (w < 0 || w >= W) continue;
                  const xo = (((b * D + d) * H + h) * W + w) * CI;
                  const fo = ((kd * KH + kh) * KW + kw) * CI * CO;
                  for (let ci = 0; ci < CI; ci++) {
                    const v = xv[xo + ci]!;
                    const f = fo + ci * CO;
                    for (let co = 0; co < CO; co++) acc[f + co] += v * dv[dyo + co]!;
                  }
                }
              }
            }
          }
        }
      }
    }
    out.set(acc);
  });
};

/** Weft's Conv3DBackpropFilterV2 for tfjs wasm (replaces tfjs's). */
export const conv3DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv3DBackpropFilterV2,
  backendName: 'wasm',
  kernelFunc: conv3DBackpropFilter,
};
