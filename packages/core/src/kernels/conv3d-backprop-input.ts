// Conv3DBackpropInputV2 (conv3d's input gradient): tfjs wasm has one, but it is wrong when the
// input has more than one channel (measured against tfjs cpu and a naive loop); this replaces it.
import { backend_util, Conv3DBackpropInputV2 } from '@tensorflow/tfjs-core';
import type { Conv3DBackpropInputV2Attrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput } from './io.js';

const NAME = 'Conv3DBackpropInputV2';

/**
 * `dx[b, d, h, w, ci] = Σ dy[b, od, oh, ow, co] · f[kd, kh, kw, ci, co]` over the (od, oh, ow, kd,
 * kh, kw, co) with `d = od·sd − front + kd` (and likewise h, w); NDHWC, float32 out.
 */
export const conv3DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, inputShape } = attrs as unknown as Conv3DBackpropInputV2Attrs;
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertDtype(NAME, 'filter', filter, ['float32', 'int32']);
  assertRank(NAME, 'dy', dy, 5);
  assertRank(NAME, 'filter', filter, 5);
  if (inputShape?.length !== 5) throw new Error(`${NAME}: inputShape=[${inputShape}] must have length 5`);
  const info = backend_util.computeConv3DInfo(
    inputShape,
    filter.shape as [number, number, number, number, number],
    strides,
    1,
    pad,
  );
  const { batchSize: B, inDepth: D, inHeight: H, inWidth: W, inChannels: CI } = info;
  const { outDepth: OD, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterDepth: KD, filterHeight: KH, filterWidth: KW, strideDepth: SD, strideHeight: SH, strideWidth: SW } = info;
  const expectedDy = [B, OD, OH, OW, CO];
  if (filter.shape[3] !== CI || dy.shape.some((d, i) => d !== expectedDy[i])) {
    throw new Error(`${NAME}: dy [${dy.shape.join(', ')}] and filter [${filter.shape.join(', ')}] do not fit inputShape [${inputShape.join(', ')}]; dy must be [${expectedDy.join(', ')}]`);
  }
  const { front, top, left } = info.padInfo;
  return computeOutput(NAME, backend, inputShape, 'float32', [dy, filter], (dx, dys, fs) => {
    const dv = dys!, fv = fs!;
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
                    const fci = fo + ci * CO;
                    let s = 0;
                    for (let co = 0; co < CO; co++) s += dv[dyo + co]! * fv[fci + co]!;
                    dx[xo + ci] += s;
                  }
                }
              }
            }
          }
        }
      }
    }
  });
};

/** Weft's Conv3DBackpropInputV2 for tfjs wasm (replaces tfjs's). */
export const conv3DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv3DBackpropInputV2,
  backendName: 'wasm',
  kernelFunc: conv3DBackpropInput,
};
