// Conv2DBackpropInput (conv2d's input gradient): tfjs wasm has one, but it is a direct C++ loop, up
// to ~5× slower than XNNPACK: stride 1 runs as XNNPACK Conv2D; else BatchMatMul (dy @ Wᵀ) + col2im.
import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, assertRank, isHeapBackend, kernelLimits, runBackendKernel } from './io.js';

const NAME = 'Conv2DBackpropInput';

/**
 * `dx[b, oh·sh − top + kh, ow·sw − left + kw, ci] += Σ_co dy[b, oh, ow, co] · f[kh, kw, ci, co]`.
 * Stride 1: a convolution of dy with the flipped filter. Otherwise `colsGrad (N × K) = dy (N × CO)
 * @ fᵀ (CO × K)` scattered back (col2im), with `K = KH·KW·CI`, `N = B·OH·OW`.
 */
export const conv2DBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  if (!isHeapBackend(backend)) throw new Error(`${NAME}: Weft registers this kernel for the wasm backend only`);
  assertDtype(NAME, 'dy', dy, ['float32', 'int32']);
  assertDtype(NAME, 'filter', filter, ['float32', 'int32']);
  assertRank(NAME, 'dy', dy, 4);
  assertRank(NAME, 'filter', filter, 4);
  if (inputShape?.length !== 4) throw new Error(`${NAME}: inputShape=[${inputShape}] must have length 4`);
  const format = backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
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
  if (filter.shape[2] !== CI || dy.shape.some((d, i) => d !== expectedDy[i])) {
    throw new Error(
      `${NAME}: dy [${dy.shape.join(', ')}] and filter [${filter.shape.join(', ')}] do not fit inputShape [${inputShape.join(', ')}]; dy must be [${expectedDy.join(', ')}]`,
    );
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = KH * KW * CI;
  const plane = OH * OW;
  const temps: TensorInfo[] = [];
  const free = (t: TensorInfo) => {
    backend.disposeData(t.dataId);
    temps.splice(temps.indexOf(t), 1);
  };
  /** (B, H, W, CI) -> the caller's layout. */
  const reorder = (t: TensorInfo): TensorInfo => {
    if (format === 'channelsLast') return t;
    temps.push(t);
    return runBackendKernel('Transpose', 'wasm', backend, { x: t }, { perm: [0, 3, 1, 2] });
  };
  if (K * CO * B * plane === 0) {
    const zeros = backend.makeOutput([B, H, W, CI], 'float32');
    backend.typedArrayFromHeap(zeros).fill(0);
    try {
      return reorder(zeros);
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }
  try {
    let dyRows = dy; // (B, OH, OW, CO), read as (B·OH·OW, CO)
    if (dy.dtype !== 'float32') {
      dyRows = runBackendKernel('Cast', 'wasm', backend, { x: dy }, { dtype: 'float32' });
      temps.push(dyRows);
    }
    if (format === 'channelsFirst') {
      dyRows = runBackendKernel('Transpose', 'wasm', backend, { x: dyRows }, { perm: [0, 2, 3, 1] });
      temps.push(dyRows);
    }
    let f = filter;
    if (filter.dtype !== 'float32') {
      f = runBackendKernel('Cast', 'wasm', backend, { x: filter }, { dtype: 'float32' });
      temps.push(f);
    }
    // Stride 1: dx is a plain ("full") convolution of dy with the flipped, transposed filter, which
    // XNNPACK runs directly (padding K − 1 − pad on each side; negative only for pads ≥ K).
    const pads = [KH - 1 - top, H - OH + top, KW - 1 - left, W - OW + left]; // top, bottom, left, right
    if (SH === 1 && SW === 1 && pads.every((p) => p >= 0)) {
      const flipped = backend.makeOutput([KH, KW, CO, CI], 'float32');
      temps.push(flipped);
      const fl = backend.typedArrayFromHeap(flipped);
      const fv = backend.typedArrayFromHeap(f);
      // flipped[kh, kw, co, ci] = f[KH−1−kh, KW−1−kw, ci, co]
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * CI * CO;
          const dst = (kh * KW + kw) * CO * CI;
          for (let ci = 0; ci < CI; ci++) for (let co = 0; co < CO; co++) fl[dst + co * CI + ci] = fv[src + ci * CO + co]!;
        }
      }
      const dyNHWC: TensorInfo = { dataId: dyRows.dataId, shape: [B, OH, OW, CO], dtype: 'float32' };
      const dx = runBackendKernel('Conv2D', 'wasm', backend, { x: dyNHWC, filter: flipped }, {
        strides: [1, 1],
        pad: [[0, 0], [pads[0]!, pads[1]!], [pads[2]!, pads[3]!], [0, 0]],
        dilations: [1, 1],
        dataFormat: 'NHWC',
      });
      return reorder(dx);
    }
    const dx = backend.makeOutput([B, H, W, CI], 'float32');
    temps.push(dx);
    backend.typedArrayFromHeap(dx).fill(0);
    // (KH, KW, CI, CO) -> (K, CO) -> (CO, K): wasm's BatchMatMul is ~20× slower with transposeB.
    const wT = runBackendKernel('Transpose', 'wasm', backend, { x: { ...f, shape: [K, CO] } }, { perm: [1, 0] });
    temps.push(wT);
    const chunk = Math.max(1, Math.min(B, Math.floor(kernelLimits.im2colFloats / (K * plane))));
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0);
      const n = nb * plane;
      let dyChunk: TensorInfo = { dataId: dyRows.dataId, shape: [n, CO], dtype: 'float32' };
      if (chunk < B) {
        dyChunk = backend.makeOutput([n, CO], 'float32');
        temps.push(dyChunk);
        const src = backend.typedArrayFromHeap(dyRows);
        backend.typedArrayFromHeap(dyChunk).set(src.subarray(b0 * plane * CO, (b0 + nb) * plane * CO));
      }
      // (n, CO) @ (CO, K) -> (n, K)
      const cols = runBackendKernel('BatchMatMul', 'wasm', backend, { a: dyChunk, b: wT }, {
        transposeA: false,
        transposeB: false,
      });
      temps.push(cols);
      const g = backend.typedArrayFromHeap(cols);
      const out = backend.typedArrayFromHeap(dx);
      let row = 0;
      for (let b = b0; b < b0 + nb; b++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++, row++) {
            for (let kh = 0; kh < KH; kh++) {
              const h = oh * SH - top + kh;
              if (h < 0 || h >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const w = ow * SW - left + kw;
                if (w < 0 || w >= W) continue;
                const xo = ((b * H + h) * W + w) * CI;
                const go = row * K + (kh * KW + kw) * CI;
                for (let ci = 0; ci < CI; ci++) out[xo + ci] += g[go + ci]!;
              }
            }
          }
        }
      }
      free(cols);
      if (chunk < B) free(dyChunk);
    }
    temps.splice(temps.indexOf(dx), 1);
    return reorder(dx);
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
};

/** Weft's Conv2DBackpropInput for tfjs wasm (replaces tfjs's). */
export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm,
};
