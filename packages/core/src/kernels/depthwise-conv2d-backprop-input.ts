// DepthwiseConv2dNativeBackpropInput (depthwise conv's input gradient): tfjs wasm has none. Stride 1
// runs as wasm's own (XNNPACK) depthwise conv with the flipped filter; other strides as a JS scatter.
import { backend_util, DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs-core';
import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, computeOutput, isHeapBackend, runBackendKernel, type HeapBackend } from './io.js';

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
  // Stride 1: dx is a depthwise convolution of dy with the flipped filter (effective size E = (K − 1)·d + 1,
  // padding E − 1 − pad before and the rest after; negative only for pads ≥ E).
  const pads = [(KH - 1) * DH - top, H - OH + top, (KW - 1) * DW - left, W - OW + left];
  if (isHeapBackend(backend) && SH === 1 && SW === 1 && pads.every((p) => p >= 0)) {
    return viaFlippedConv(backend, dy, filter, { B, H, W, C, M, KH, KW, DH, DW, pads });
  }
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

interface FlippedGeometry {
  B: number; H: number; W: number; C: number; M: number; KH: number; KW: number; DH: number; DW: number; pads: number[];
}

/**
 * dx = depthwiseConv(dy, flip(f)) on wasm: dy's C·M channels each convolved with their own flipped
 * tap (multiplier 1), then the M channels of each input channel summed.
 */
function viaFlippedConv(backend: HeapBackend, dy: TensorInfo, filter: TensorInfo, g: FlippedGeometry): TensorInfo {
  const { B, H, W, C, M, KH, KW, DH, DW, pads } = g;
  const CM = C * M;
  const temps: TensorInfo[] = [];
  try {
    let dyf = dy;
    if (dy.dtype !== 'float32') {
      dyf = runBackendKernel('Cast', 'wasm', backend, { x: dy }, { dtype: 'float32' });
      temps.push(dyf);
    }
    const flipped = backend.makeOutput([KH, KW, CM, 1], 'float32');
    temps.push(flipped);
    const fl = backend.typedArrayFromHeap(flipped);
    const fv = backend.typedArrayFromHeap(filter);
    // flipped[kh, kw, c·M + m, 0] = f[KH−1−kh, KW−1−kw, c, m]
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CM;
        const dst = (kh * KW + kw) * CM;
        for (let j = 0; j < CM; j++) fl[dst + j] = fv[src + j]!;
      }
    }
    const full = runBackendKernel('DepthwiseConv2dNative', 'wasm', backend, { x: dyf, filter: flipped }, {
      strides: [1, 1],
      pad: [[0, 0], [pads[0]!, pads[1]!], [pads[2]!, pads[3]!], [0, 0]],
      dilations: [DH, DW],
    }); // (B, H, W, C·M)
    if (M === 1) return full;
    temps.push(full);
    const dx = backend.makeOutput([B, H, W, C], 'float32');
    const out = backend.typedArrayFromHeap(dx);
    const src = backend.typedArrayFromHeap(full);
    // (B, H, W, C, M) summed over M
    for (let p = 0, q = 0; p < out.length; p++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += src[q++]!;
      out[p] = s;
    }
    return dx;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Weft's DepthwiseConv2dNativeBackpropInput for tfjs wasm. */
export const depthwiseConv2dNativeBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
