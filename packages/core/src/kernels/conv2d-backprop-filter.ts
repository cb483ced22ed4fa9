// Conv2DBackpropFilter (conv2d's filter gradient): tfjs wasm has none; here im2col into the
// wasm heap and the backend's own XNNPACK BatchMatMul (≈30× the naive 7-deep JS loop).
import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, isHeapBackend, kernelLimits, runBackendKernel, type HeapBackend } from './io.js';

const NAME = 'Conv2DBackpropFilter';

/**
 * `dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh − top + kh, ow·sw − left + kw, ci] · dy[b, oh, ow, co]`,
 * computed as `colsᵀ (K × N) @ dy (N × CO)` with `K = KH·KW·CI`, `N = B·OH·OW`.
 */
export const conv2DBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (!isHeapBackend(backend)) throw new Error(`${NAME}: Weft registers this kernel for the wasm backend only`);
  assertDtype(NAME, 'x', x, ['float32', 'int32']);
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertRank(NAME, 'x', x, 4);
  assertRank(NAME, 'dy', dy, 4);
  if (filterShape?.length !== 4) throw new Error(`${NAME}: filterShape=[${filterShape}] must have length 4`);
  const format = backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const expectedDy = format === 'channelsLast' ? [B, OH, OW, CO] : [B, CO, OH, OW];
  if (dy.shape.some((d, i) => d !== expectedDy[i])) {
    throw new Error(
      `${NAME}: dy has shape [${dy.shape.join(', ')}]; for x [${x.shape.join(', ')}] and filter [${filterShape.join(', ')}] it must be [${expectedDy.join(', ')}]`,
    );
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = KH * KW * CI;
  const out = backend.makeOutput([KH, KW, CI, CO], 'float32');
  if (K * CO === 0) return out;
  if (B * OH * OW === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const temps: TensorInfo[] = [];
  const free = (t: TensorInfo) => {
    backend.disposeData(t.dataId);
    temps.splice(temps.indexOf(t), 1);
  };
  try {
    // (B, H, W, CI) or (B, CI, H, W) -> (CI, B, H, W): one im2col row reads one contiguous plane.
    const perm = format === 'channelsLast' ? [3, 0, 1, 2] : [1, 0, 2, 3];
    const xT = runBackendKernel('Transpose', 'wasm', backend, { x }, { perm });
    temps.push(xT);
    let dyRows = dy; // read as (B·OH·OW, CO), NHWC order
    if (format === 'channelsFirst') {
      dyRows = runBackendKernel('Transpose', 'wasm', backend, { x: dy }, { perm: [0, 2, 3, 1] });
      temps.push(dyRows);
    }
    const plane = OH * OW;
    const chunk = Math.max(1, Math.min(B, Math.floor(kernelLimits.im2colFloats / (K * plane))));
    const whole = chunk === B && dyRows.dtype === 'float32';
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0);
      const n = nb * plane;
      const cols = backend.makeOutput([K, n], 'float32');
      temps.push(cols);
      let dyChunk: TensorInfo = { dataId: dyRows.dataId, shape: [n, CO], dtype: 'float32' };
      if (!whole) {
        dyChunk = backend.makeOutput([n, CO], 'float32');
        temps.push(dyChunk);
        const src = backend.typedArrayFromHeap(dyRows);
        backend.typedArrayFromHeap(dyChunk).set(src.subarray(b0 * plane * CO, (b0 + nb) * plane * CO));
      }
      fillCols(backend, cols, xT, { b0, nb, B, H, W, CI, OH, OW, KH, KW, SH, SW, top, left });
      // (K, n) @ (n, CO) -> (K, CO)
      const part = runBackendKernel('BatchMatMul', 'wasm', backend, { a: cols, b: dyChunk }, {
        transposeA: false,
        transposeB: false,
      });
      temps.push(part);
      const acc = backend.typedArrayFromHeap(out);
      const add = backend.typedArrayFromHeap(part);
      if (b0 === 0) acc.set(add);
      else for (let i = 0; i < acc.length; i++) acc[i] += add[i]!;
      free(part);
      free(cols);
      if (!whole) free(dyChunk);
    }
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
  return out;
};

interface ColsGeometry {
  b0: number; nb: number; B: number; H: number; W: number; CI: number; OH: number; OW: number;
  KH: number; KW: number; SH: number; SW: number; top: number; left: number;
}

/** colsᵀ[(kh·KW + kw)·CI + ci, (b − b0)·OH·OW + oh·OW + ow] = xT[ci, b, oh·SH − top + kh, ow·SW − left + kw] (0 outside). */
function fillCols(backend: HeapBackend, cols: TensorInfo, xT: TensorInfo, g: ColsGeometry): void {
  const { b0, nb, B, H, W, CI, OH, OW, KH, KW, SH, SW, top, left } = g;
  const c = backend.typedArrayFromHeap(cols);
  const xs = backend.typedArrayFromHeap(xT);
  const n = nb * OH * OW;
  let row = 0;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // output columns whose input column is inside the image: ow ∈ [owLo, owHi)
      const owLo = Math.min(OW, Math.max(0, Math.ceil((left - kw) / SW)));
      const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 + left - kw) / SW) + 1));
      for (let ci = 0; ci < CI; ci++, row++) {
        let o = row * n;
        for (let b = b0; b < b0 + nb; b++) {
          const planeBase = (ci * B + b) * H * W;
          for (let oh = 0; oh < OH; oh++) {
            const h = oh * SH - top + kh;
            if (h < 0 || h >= H) {
              c.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            const rowBase = planeBase + h * W - left + kw;
            if (owLo > 0) c.fill(0, o, o + owLo);
            // (a plain loop: faster than subarray/set for the short rows of toy images)
            for (let ow = owLo; ow < owHi; ow++) c[o + ow] = xs[rowBase + ow * SW]!;
            if (owHi < OW) c.fill(0, o + owHi, o + OW);
            o += OW;
          }
        }
      }
    }
  }
}

/** Weft's Conv2DBackpropFilter for tfjs wasm. */
export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm,
};
