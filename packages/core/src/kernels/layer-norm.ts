// Fused LayerNorm over the last axis on cpu and wasm ("Layer Normalization", arXiv:1607.06450), and
// RMSNorm (arXiv:1910.07467) with attr center = false (μ = 0, var = mean(x²), no dx mean term):
// one kernel forward, one backward, where tfjs's op-by-op LayerNorm runs 8 kernels forward and
// about 20 for its gradient (mean, subtract, square, mean, add, rsqrt, multiply … and their
// broadcast-reducing gradients). Rows of C values: mean μ, rstd r = 1/√(var + ε) (biased variance),
// x̂ = (x − μ)·r, y = x̂·w + b.
//   WeftLayerNorm: inputs x, and w, b when present (attr eps); outputs
//     [y, mean, rstd] with mean and rstd shaped (…, 1).
//   WeftLayerNormGrad: inputs dy, x, and w when present (attr eps; μ and r recomputed, so the
//     forward saves no statistics); outputs [dx, dw, db], each
//     [C] parameter gradient whether or not the layer has that parameter: g = dy·w (dy without w),
//     dx = r·(g − mean(g) − x̂·mean(g·x̂)), dw = Σ_rows dy·x̂, db = Σ_rows dy.
// Sums run in float64 (JS numbers) and round once per stored value. On wasm, rows whose length is a
// multiple of 4 with a weight run as SIMD kernels instead (kernels/layer-norm-simd.ts).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isArrayBackend, isHeapBackend, type HeapBackend } from './io.js';
import { simdLayerNormBackwardFor, simdLayerNormForwardFor } from './layer-norm-simd.js';
import { f32Bits } from './wasm-module.js';

/** The kernels' names. */
export const LAYER_NORM = 'WeftLayerNorm';
export const LAYER_NORM_GRAD = 'WeftLayerNormGrad';

/**
 * Outputs of `shapes` (float32) on `backend`, filled by `fill(ins, outs)` with the input and output
 * arrays (wasm: heap views taken after every allocation).
 */
function outputs(kernel: string, backend: unknown, inputs: TensorInfo[], shapes: number[][], fill: (ins: Float32Array[], outs: Float32Array[]) => void): TensorInfo[] {
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`${kernel}: an input has dtype ${t.dtype}; allowed: float32`);
  if (isHeapBackend(backend)) {
    const outs = shapes.map((s) => backend.makeOutput(s, 'float32'));
    try {
      fill(inputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array), outs.map((t) => backend.typedArrayFromHeap(t) as Float32Array));
    } catch (e) {
      for (const o of outs) backend.disposeData(o.dataId);
      throw e;
    }
    return outs;
  }
  if (isArrayBackend(backend)) {
    const arrays = shapes.map((s) => new Float32Array(s.reduce((p, d) => p * d, 1)));
    fill(inputs.map((t) => backend.readSync(t.dataId) as Float32Array), arrays);
    return shapes.map((s, i) => backend.makeTensorInfo(s, 'float32', arrays[i]));
  }
  throw new Error(`${kernel}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
}

/** The last axis of `x` (C) and the statistics' shape (…, 1). */
function rowsOf(kernel: string, x: TensorInfo, w?: TensorInfo, b?: TensorInfo): { C: number; statShape: number[] } {
  if (x.shape.length < 1) throw new Error(`${kernel}: x has shape []; expected rank ≥ 1`);
  const C = x.shape[x.shape.length - 1]!;
  for (const [name, p] of [['w', w], ['b', b]] as const) {
    if (p && (p.shape.length !== 1 || p.shape[0] !== C)) throw new Error(`${kernel}: ${name} has shape [${p.shape}]; expected [${C}] (x's last axis)`);
  }
  return { C, statShape: [...x.shape.slice(0, -1), 1] };
}

/**
 * The SIMD function for these inputs on `backend`, or null where the JS loops run (not wasm, C not a
 * multiple of 4, no weight, or no wasm SIMD).
 */
function simdFor<T>(backend: unknown, inputs: TensorInfo[], C: number, w: TensorInfo | undefined, get: (backend: unknown) => T | null): T | null {
  if (!isHeapBackend(backend) || !w || C === 0 || C % 4 !== 0 || inputs.some((t) => t.dtype !== 'float32')) return null;
  return get(backend);
}

/** Byte offsets of `ts` on the heap. */
const offsets = (backend: HeapBackend, ts: TensorInfo[]) => ts.map((t) => backend.typedArrayFromHeap(t).byteOffset);

const layerNorm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, w, b } = inputs as { x: TensorInfo; w?: TensorInfo; b?: TensorInfo };
  const { eps, center = true } = attrs as unknown as { eps: number; center?: boolean };
  const { C, statShape } = rowsOf(LAYER_NORM, x, w, b);
  const lnf = simdFor(backend, [x, w!, ...(b ? [b] : [])], C, w, simdLayerNormForwardFor);
  if (lnf) {
    const heap = backend as HeapBackend;
    const outs = [heap.makeOutput(x.shape.slice(), 'float32'), heap.makeOutput(statShape, 'float32'), heap.makeOutput(statShape, 'float32')];
    const [px, pw, pb] = offsets(heap, [x, w!, b ?? w!]);
    const [py, pm, pr] = offsets(heap, outs);
    lnf(px!, pw!, pb!, py!, pm!, pr!, x.shape.slice(0, -1).reduce((p, d) => p * d, 1), C, f32Bits(eps), f32Bits(1 / C), center ? 1 : 0, b ? 1 : 0);
    return outs;
  }
  const ins = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  return outputs(LAYER_NORM, backend, ins, [x.shape.slice(), statShape, statShape], (arrays, [y, mean, rstd]) => {
    const xs = arrays[0]!;
    const ws = w ? arrays[1]! : null;
    const bs = b ? arrays[w ? 2 : 1]! : null;
    const rows = C === 0 ? 0 : xs.length / C;
    for (let r = 0, o = 0; r < rows; r++, o += C) {
      const [mu, rs] = stats(xs, o, C, eps, center);
      mean![r] = mu;
      rstd![r] = rs;
      for (let c = 0; c < C; c++) {
        const h = (xs[o + c]! - mu) * rs;
        y![o + c] = (ws ? h * ws[c]! : h) + (bs ? bs[c]! : 0);
      }
    }
  });
};

/** Mean (0 unless `center`) and 1/√(var + eps) of the row of C values at offset o. */
function stats(xs: Float32Array, o: number, C: number, eps: number, center: boolean): [number, number] {
  let s = 0;
  if (center) for (let c = 0; c < C; c++) s += xs[o + c]!;
  const mu = s / C;
  let v = 0;
  for (let c = 0; c < C; c++) v += (xs[o + c]! - mu) ** 2;
  return [mu, 1 / Math.sqrt(v / C + eps)];
}

const layerNormGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, w } = inputs as { dy: TensorInfo; x: TensorInfo; w?: TensorInfo };
  const { eps, center = true } = attrs as unknown as { eps: number; center?: boolean };
  const { C } = rowsOf(LAYER_NORM_GRAD, x, w);
  const shapes = [x.shape.slice(), [C], [C]];
  const lnb = simdFor(backend, [dy, x, w!], C, w, simdLayerNormBackwardFor);
  if (lnb) {
    const heap = backend as HeapBackend;
    const outs = shapes.map((sh) => heap.makeOutput(sh, 'float32'));
    const [pdy, px, pw, pdx, pdw, pdb] = offsets(heap, [dy, x, w!, ...outs]);
    lnb(pdy!, px!, pw!, pdx!, pdw!, pdb!, x.shape.slice(0, -1).reduce((p, d) => p * d, 1), C, f32Bits(eps), f32Bits(1 / C), center ? 1 : 0);
    return outs;
  }
  return outputs(LAYER_NORM_GRAD, backend, [dy, x, ...(w ? [w] : [])], shapes, ([dys, xs, ws], [dx, dw, db]) => {
    const rows = C === 0 ? 0 : xs!.length / C;
    const [accW, accB] = [new Float64Array(C), new Float64Array(C)];
    for (let r = 0, o = 0; r < rows; r++, o += C) {
      const [mu, rs] = stats(xs!, o, C, eps, center);
      let sg = 0;
      let sgh = 0;
      for (let c = 0; c < C; c++) {
        const h = (xs![o + c]! - mu) * rs;
        const d = dys![o + c]!;
        const g = ws ? d * ws[c]! : d;
        sg += g;
        sgh += g * h;
        accW[c] += d * h;
        accB[c] += d;
      }
      const [mg, mgh] = [center ? sg / C : 0, sgh / C];
      for (let c = 0; c < C; c++) {
        const h = (xs![o + c]! - mu) * rs;
        const g = ws ? dys![o + c]! * ws[c]! : dys![o + c]!;
        dx![o + c] = rs * (g - mg - h * mgh);
      }
    }
    dw!.set(accW);
    db!.set(accB);
  });
};

/** Weft's fused LayerNorm forward and backward kernels on `backendName` (cpu or wasm). */
export function layerNormConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: LAYER_NORM, backendName, kernelFunc: layerNorm },
    { kernelName: LAYER_NORM_GRAD, backendName, kernelFunc: layerNormGrad },
  ];
}
