// DepthwiseConv2dNativeBackpropInput (depthwise conv's input gradient): tfjs wasm has none.
// A direct scatter over output pixels with the channel loop innermost.
import { backend_util, DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs-core';
import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput } from './io.js';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

/**
 * `dx[b, h, w, c] = Σ dy[b, oh, ow, c·M + m] · f[kh, kw, c, m]` over the (oh, ow, kh, kw, m) with
 * `h = oh·sh − top + kh·dh`, `w = ow·sw − left + kw·dw` (NHWC).
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertDtype(NAME, 'filter', filter, ['float32', 'int32']);
  assertRank(NAME, 'dy', dy, 4);
  assertRank(NAME, 'filter', filter, 4);
  if (inputShape?.length !== 4) throw new Error(`${NAME}: inputShape=[${inputShape}] must have length 4`);
  if (filter.shape[2] !== inputShape[3]) {
    throw new Error(`${NAME}: filter [${filter.shape.join(', ')}] has ${filter.shape[2]} input channels; inputShape [${inputShape.join(', ')}] has ${inputShape[3]}`);
  }
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CM } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = info;
  const expectedDy = [B, OH, OW, CM];
  if (dy.shape.some((d, i) => d !== expectedDy[i])) {
    throw new Error(`${NAME}: dy has shape [${dy.shape.join(', ')}]; for inputShape [${inputShape.join(', ')}] and filter [${filter.shape.join(', ')}] it must be [${expectedDy.join(', ')}]`);
  }
  const M = CM / C;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  return computeOutput(NAME, backend, [B, H, W, C], 'float32', [dy, filter], (dx, dys, fs) => {
    const dv = dys!, fv = fs!;
    for (let b = 0; b < B; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let kh = 0; kh < KH; kh++) {
          const h = oh * SH - top + kh * DH;
          if (h < 0 || h >= H) continue;
          for (let ow = 0; ow < OW; ow++) {
            const dyo = ((b * OH + oh) * OW + ow) * CM;
            for (let kw = 0; kw < KW; kw++) {
              const w = ow * SW - left + kw * DW;
              if (w < 0 || w >= W) continue;
              const xo = ((b * H + h) * W + w) * C;
              const fo = (kh * KW + kw) * CM;
              if (M === 1) {
                for (let c = 0; c < C; c++) dx[xo + c] += dv[dyo + c]! * fv[fo + c]!;
              } else {
                for (let c = 0; c < C; c++) {
                  const base = c * M;
                  let s = 0;
                  for (let m = 0; m < M; m++) s += dv[dyo + base + m]! * fv[fo + base + m]!;
                  dx[xo + c] += s;
                }
              }
            }
          }
        }
      }
    }
  });
};

/** Weft's DepthwiseConv2dNativeBackpropInput for tfjs wasm. */
export const depthwiseConv2dNativeBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
