// DepthwiseConv2dNativeBackpropFilter (depthwise conv's filter gradient): tfjs wasm has none.
// A direct channel-innermost loop: depthwise work is small (no reduction over channels).
import { backend_util, DepthwiseConv2dNativeBackpropFilter } from '@tensorflow/tfjs-core';
import type { DepthwiseConv2dNativeBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput } from './io.js';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

/**
 * `dW[kh, kw, c, m] = Σ_{b, oh, ow} x[b, oh·sh − top + kh·dh, ow·sw − left + kw·dw, c] · dy[b, oh, ow, c·M + m]`
 * (NHWC, the only layout tfjs's depthwise conv has). Accumulates in float64.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  assertDtype(NAME, 'x', x, ['float32', 'int32']);
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertRank(NAME, 'x', x, 4);
  assertRank(NAME, 'dy', dy, 4);
  if (filterShape?.length !== 4) throw new Error(`${NAME}: filterShape=[${filterShape}] must have length 4`);
  if (filterShape[2] !== x.shape[3]) {
    throw new Error(`${NAME}: filterShape=[${filterShape.join(', ')}] has ${filterShape[2]} input channels; x [${x.shape.join(', ')}] has ${x.shape[3]}`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
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
    throw new Error(`${NAME}: dy has shape [${dy.shape.join(', ')}]; for x [${x.shape.join(', ')}] and filter [${filterShape.join(', ')}] it must be [${expectedDy.join(', ')}]`);
  }
  const M = CM / C;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  return computeOutput(NAME, backend, [KH, KW, C, M], 'float32', [x, dy], (out, xs, dys) => {
    const xv = xs!, dv = dys!;
    const acc = new Float64Array(out.length);
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
                for (let c = 0; c < C; c++) acc[fo + c] += xv[xo + c]! * dv[dyo + c]!;
              } else {
                for (let c = 0; c < C; c++) {
                  const v = xv[xo + c]!;
                  const base = c * M;
                  for (let m = 0; m < M; m++) acc[fo + base + m] += v * dv[dyo + base + m]!;
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

/** Weft's DepthwiseConv2dNativeBackpropFilter for tfjs wasm. */
export const depthwiseConv2dNativeBackpropFilterWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
