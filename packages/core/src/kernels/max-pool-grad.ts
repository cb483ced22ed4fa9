// MaxPoolGrad: tfjs wasm has one, but it returns wrong gradients when channels > 1 (measured
// against tfjs cpu and a naive loop); this replaces it. Ties go to the first maximum, as in cpu.
import { backend_util, MaxPoolGrad } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput } from './io.js';

const NAME = 'MaxPoolGrad';

/** `dx[argmax of each pooling window] += dy[window]` (NHWC, float32 out). */
export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertDtype(NAME, 'input', input, ['float32', 'int32']);
  assertRank(NAME, 'input', input, 4);
  assertRank(NAME, 'dy', dy, 4);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = info;
  const { effectiveFilterHeight: KH, effectiveFilterWidth: KW } = info;
  const expectedDy = [B, OH, OW, C];
  if (dy.shape.some((d, i) => d !== expectedDy[i])) {
    throw new Error(`${NAME}: dy has shape [${dy.shape.join(', ')}]; for input [${input.shape.join(', ')}] it must be [${expectedDy.join(', ')}]`);
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  return computeOutput(NAME, backend, input.shape, 'float32', [input, dy], (dx, xs, dys) => {
    const xv = xs!, dv = dys!;
    const bestV = new Float64Array(C);
    const bestI = new Int32Array(C);
    for (let b = 0; b < B; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          bestV.fill(-Infinity);
          bestI.fill(-1);
          for (let kh = 0; kh < KH; kh += DH) {
            const h = oh * SH - top + kh;
            if (h < 0 || h >= H) continue;
            for (let kw = 0; kw < KW; kw += DW) {
              const w = ow * SW - left + kw;
              if (w < 0 || w >= W) continue;
              const xo = ((b * H + h) * W + w) * C;
              for (let c = 0; c < C; c++) {
                const v = xv[xo + c]!;
                if (v > bestV[c]!) {
                  bestV[c] = v;
                  bestI[c] = xo + c;
                }
              }
            }
          }
          const dyo = ((b * OH + oh) * OW + ow) * C;
          for (let c = 0; c < C; c++) {
            const i = bestI[c]!;
            if (i >= 0) dx[i] += dv[dyo + c]!;
          }
        }
      }
    }
  });
};

/** Weft's MaxPoolGrad for tfjs wasm (replaces tfjs's). */
export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
