// Attention's softmax with its scale and masks as one kernel forward and one backward, on cpu and
// wasm: y = softmax(scale·s + bias + keyBias) over the last axis, where tfjs ran a multiply, one or
// two adds (and the key mask's cast, subtract, multiply, reshape) and a softmax forward, and their
// gradients backward.
//   WeftMaskedSoftmax: inputs s (…, Tq, Tk) with R rows, bias (Tq, Tk) added to row r at r mod Tq,
//     keyBias (B, Tk) added to row r at ⌊r/(R/B)⌋ (B = s.shape[0]); attr scale. Output y like s.
//   WeftMaskedSoftmaxGrad: inputs dy, y; attr scale. Output ds = scale·y·(dy − Σₖ dy·y).
// A bias that is absent is passed as zeros. On wasm the rows run as SIMD (three passes: scaled and
// masked scores with their max, exp(z − max) with its sum (Cephes expf as in activation-simd.ts),
// times 1/sum), four keys at a time and the last Tk mod 4 one at a time (a short row such as the
// sharing page's T = 10 fell back to JS loops: 0.6 ms per 64×4×10×10 call, most of a step's
// softmax); on cpu JS loops. A row holding NaN or +Inf is NaN, as tfjs's softmax gives.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { computeOutput, isHeapBackend, type HeapBackend } from './io.js';
import { F32, FunctionWriter, I32, V128, heapKernels, type Local, f32Bits } from './wasm-module.js';
import { VectorMath } from './activation-simd.js';

/** The kernels' names. */
export const MASKED_SOFTMAX = 'WeftMaskedSoftmax';
export const MASKED_SOFTMAX_GRAD = 'WeftMaskedSoftmaxGrad';

/**
 * `fwd(s, bias, biasStride, keyBias, keyStride, out, rows, Tk, Tq, rowsPerBatch, scaleBits)`: byte
 * pointers; strides in bytes per bias row (0 repeats one row); any Tk ≥ 1.
 */
function writeForward(): FunctionWriter {
  const f = new FunctionWriter(11);
  const [s, bias, biasStride, keyBias, keyStride, out, rows, Tk, Tq, rowsPerBatch, scaleBits] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const [r, k, ps, pb, pk, po, rowBytes, Tv] = Array.from({ length: 8 }, () => f.local(I32));
  const [z, mx, sum, scale, n, t] = Array.from({ length: 6 }, () => f.local(V128));
  const [m1, acc, s1, e1] = [f.local(F32), f.local(F32), f.local(F32), f.local(F32)];
  const m = new VectorMath(f);
  f.get(Tk).i32(2).shl().set(rowBytes);
  f.get(Tk).i32(4).divU().i32(4).mul().set(Tv); // keys in whole vectors; the last Tk − Tv one at a time
  f.get(scaleBits).f32FromBits().set(s1);
  f.get(s1).f32x4Splat().set(scale);
  f.i32(0).set(r);
  f.whileLoop(() => f.get(r).get(rows).lt(), () => {
    f.get(r).get(rowBytes).mul().get(s).add().set(ps);
    f.get(r).get(rowBytes).mul().get(out).add().set(po);
    // pb = bias + (r mod Tq)·biasStride; pk = keyBias + ⌊r / rowsPerBatch⌋·keyStride
    f.get(r).get(r).get(Tq).divU().get(Tq).mul().sub().get(biasStride).mul().get(bias).add().set(pb);
    f.get(r).get(rowsPerBatch).divU().get(keyStride).mul().get(keyBias).add().set(pk);
    m.k(-Infinity);
    f.set(mx);
    f.i32(0).set(k);
    f.whileLoop(() => f.get(k).get(Tv).lt(), () => {
      f.get(ps).v128Load().get(scale).f32x4Mul().get(pb).v128Load().f32x4Add().get(pk).v128Load().f32x4Add().set(z);
      f.get(po).get(z).v128Store();
      f.get(mx).get(z).f32x4Max().set(mx);
      f.inc(ps, { constant: 16 }).inc(pb, { constant: 16 }).inc(pk, { constant: 16 }).inc(po, { constant: 16 }).inc(k, { constant: 4 });
    });
    // mx = splat(max of its lanes and of the tail's scores)
    f.get(mx).f32x4ExtractLane(0).set(m1);
    for (let lane = 1; lane < 4; lane++) f.get(m1).get(mx).f32x4ExtractLane(lane).f32Max().set(m1);
    f.whileLoop(() => f.get(k).get(Tk).lt(), () => {
      f.get(ps).f32Load().get(s1).f32Mul().get(pb).f32Load().f32Add().get(pk).f32Load().f32Add().set(e1);
      f.get(po).get(e1).f32Store();
      f.get(m1).get(e1).f32Max().set(m1);
      f.inc(ps, { constant: 4 }).inc(pb, { constant: 4 }).inc(pk, { constant: 4 }).inc(po, { constant: 4 }).inc(k, { constant: 1 });
    });
    f.get(m1).f32x4Splat().set(mx);
    f.v128Zero().set(sum);
    f.get(r).get(rowBytes).mul().get(out).add().set(po);
    f.i32(0).set(k);
    f.whileLoop(() => f.get(k).get(Tv).lt(), () => {
      f.get(po).v128Load().get(mx).f32x4Sub().set(z);
      m.exp(z, z, n, t);
      f.get(po).get(z).v128Store();
      f.get(sum).get(z).f32x4Add().set(sum);
      f.inc(po, { constant: 16 }).inc(k, { constant: 4 });
    });
    f.get(sum).f32x4ExtractLane(0).set(acc);
    for (let lane = 1; lane < 4; lane++) f.get(acc).get(sum).f32x4ExtractLane(lane).f32Add().set(acc);
    // The tail: one key per vector exp (lane 0).
    f.whileLoop(() => f.get(k).get(Tk).lt(), () => {
      f.get(po).f32Load().get(m1).f32Sub().f32x4Splat().set(z);
      m.exp(z, z, n, t);
      f.get(z).f32x4ExtractLane(0).set(e1);
      f.get(po).get(e1).f32Store();
      f.get(acc).get(e1).f32Add().set(acc);
      f.inc(po, { constant: 4 }).inc(k, { constant: 1 });
    });
    m.k(1);
    f.get(acc).f32x4Splat().f32x4Div().set(sum); // 1/Σ
    f.get(sum).f32x4ExtractLane(0).set(acc);
    f.get(r).get(rowBytes).mul().get(out).add().set(po);
    f.i32(0).set(k);
    f.whileLoop(() => f.get(k).get(Tv).lt(), () => {
      f.get(po).get(po).v128Load().get(sum).f32x4Mul().v128Store();
      f.inc(po, { constant: 16 }).inc(k, { constant: 4 });
    });
    f.whileLoop(() => f.get(k).get(Tk).lt(), () => {
      f.get(po).get(po).f32Load().get(acc).f32Mul().f32Store();
      f.inc(po, { constant: 4 }).inc(k, { constant: 1 });
    });
    f.inc(r, { constant: 1 });
  });
  return f;
}

/** `bwd(dy, y, ds, rows, Tk, scaleBits)`: ds = scale·y·(dy − Σ dy·y) per row; any Tk ≥ 1. */
function writeBackward(): FunctionWriter {
  const f = new FunctionWriter(6);
  const [dy, y, ds, rows, Tk, scaleBits] = f.params as [Local, Local, Local, Local, Local, Local];
  const [r, k, pd, py, po, Tv] = Array.from({ length: 6 }, () => f.local(I32));
  const [dot, scale] = [f.local(V128), f.local(V128)];
  const [acc, s1] = [f.local(F32), f.local(F32)];
  f.get(Tk).i32(4).divU().i32(4).mul().set(Tv); // keys in whole vectors; the last Tk − Tv one at a time
  f.get(scaleBits).f32FromBits().set(s1);
  f.get(s1).f32x4Splat().set(scale);
  f.get(dy).set(pd);
  f.get(y).set(py);
  f.get(ds).set(po);
  f.i32(0).set(r);
  f.whileLoop(() => f.get(r).get(rows).lt(), () => {
    f.v128Zero().set(dot);
    f.i32(0).set(k);
    f.whileLoop(() => f.get(k).get(Tv).lt(), () => {
      f.get(dot).get(pd).get(k).i32(2).shl().add().v128Load().get(py).get(k).i32(2).shl().add().v128Load().f32x4Mul().f32x4Add().set(dot);
      f.inc(k, { constant: 4 });
    });
    f.get(dot).f32x4ExtractLane(0).set(acc);
    for (let lane = 1; lane < 4; lane++) f.get(acc).get(dot).f32x4ExtractLane(lane).f32Add().set(acc);
    f.whileLoop(() => f.get(k).get(Tk).lt(), () => {
      f.get(acc).get(pd).get(k).i32(2).shl().add().f32Load().get(py).get(k).i32(2).shl().add().f32Load().f32Mul().f32Add().set(acc);
      f.inc(k, { constant: 1 });
    });
    f.get(acc).f32x4Splat().set(dot);
    f.i32(0).set(k);
    f.whileLoop(() => f.get(k).get(Tv).lt(), () => {
      f.get(po).get(pd).v128Load().get(dot).f32x4Sub().get(py).v128Load().f32x4Mul().get(scale).f32x4Mul().v128Store();
      f.inc(pd, { constant: 16 }).inc(py, { constant: 16 }).inc(po, { constant: 16 }).inc(k, { constant: 4 });
    });
    f.whileLoop(() => f.get(k).get(Tk).lt(), () => {
      f.get(po).get(pd).f32Load().get(acc).f32Sub().get(py).f32Load().f32Mul().get(s1).f32Mul().f32Store();
      f.inc(pd, { constant: 4 }).inc(py, { constant: 4 }).inc(po, { constant: 4 }).inc(k, { constant: 1 });
    });
    f.inc(r, { constant: 1 });
  });
  return f;
}

/** The SIMD module (`fwd`, `bwd`). */
export function writeMaskedSoftmaxModule(): Record<'fwd' | 'bwd', FunctionWriter> {
  return { fwd: writeForward(), bwd: writeBackward() };
}


/** Check `s`, `bias`, `keyBias` shapes; returns rows R, Tq, Tk, B (the WGSL kernel checks with it too). */
export function maskedSoftmaxGeometry(s: TensorInfo, bias?: TensorInfo, keyBias?: TensorInfo) {
  if (s.shape.length < 2) throw new Error(`${MASKED_SOFTMAX}: s has shape [${s.shape}]; expected rank ≥ 2 (…, Tq, Tk)`);
  const [Tq, Tk] = s.shape.slice(-2) as [number, number];
  const B = s.shape[0]!;
  const R = s.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  if (bias && (bias.shape.length !== 2 || bias.shape[0] !== Tq || bias.shape[1] !== Tk)) throw new Error(`${MASKED_SOFTMAX}: bias has shape [${bias.shape}]; expected [${Tq}, ${Tk}]`);
  if (keyBias && (keyBias.shape.length !== 2 || keyBias.shape[0] !== B || keyBias.shape[1] !== Tk)) throw new Error(`${MASKED_SOFTMAX}: keyBias has shape [${keyBias.shape}]; expected [${B}, ${Tk}]`);
  return { R, Tq, Tk, B };
}

const simd = (backend: unknown, Tk: number) => (isHeapBackend(backend) && Tk > 0 ? heapKernels(backend, 'masked_softmax', writeMaskedSoftmaxModule) : null);

const maskedSoftmax: KernelFunc = ({ inputs, backend, attrs }) => {
  const { s, bias, keyBias } = inputs as { s: TensorInfo; bias?: TensorInfo; keyBias?: TensorInfo };
  const { scale } = attrs as unknown as { scale: number };
  const { R, Tq, Tk, B } = maskedSoftmaxGeometry(s, bias, keyBias);
  const fns = R > 0 ? simd(backend, Tk) : null;
  if (fns && isHeapBackend(backend)) {
    const hb = backend as HeapBackend;
    const zeros = bias && keyBias ? null : hb.makeOutput([Tk], 'float32'); // the absent bias: one zero row
    const out = hb.makeOutput(s.shape.slice(), 'float32');
    try {
      const ptr = (t: TensorInfo) => hb.typedArrayFromHeap(t).byteOffset;
      if (zeros) hb.typedArrayFromHeap(zeros).fill(0);
      fns.fwd(ptr(s), ptr(bias ?? zeros!), bias ? 4 * Tk : 0, ptr(keyBias ?? zeros!), keyBias ? 4 * Tk : 0, ptr(out), R, Tk, Tq, R / B, f32Bits(scale));
    } finally {
      if (zeros) hb.disposeData(zeros.dataId);
    }
    return out;
  }
  const ins = [s, ...(bias ? [bias] : []), ...(keyBias ? [keyBias] : [])];
  return computeOutput(MASKED_SOFTMAX, backend, s.shape.slice(), 'float32', ins, (out, xs, ...rest) => {
    const bs = bias ? rest[0]! : null;
    const ks = keyBias ? rest[bias ? 1 : 0]! : null;
    const perBatch = R / B;
    for (let r = 0; r < R; r++) {
      const o = r * Tk;
      const [bo, ko] = [(r % Tq) * Tk, Math.floor(r / perBatch) * Tk];
      let mx = -Infinity;
      for (let k = 0; k < Tk; k++) {
        const z = Math.fround(Math.fround(scale * xs![o + k]!) + (bs ? bs[bo + k]! : 0)) + (ks ? ks[ko + k]! : 0);
        out[o + k] = z;
        mx = Math.max(mx, z);
      }
      let sum = 0;
      for (let k = 0; k < Tk; k++) sum += out[o + k] = Math.exp(out[o + k]! - mx);
      for (let k = 0; k < Tk; k++) out[o + k] = out[o + k]! / sum;
    }
  });
};

const maskedSoftmaxGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const { scale } = attrs as unknown as { scale: number };
  const Tk = y.shape[y.shape.length - 1]!;
  const R = Tk === 0 ? 0 : y.shape.reduce((p, d) => p * d, 1) / Tk;
  const fns = R > 0 ? simd(backend, Tk) : null;
  if (fns && isHeapBackend(backend)) {
    const out = backend.makeOutput(y.shape.slice(), 'float32');
    const ptr = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
    fns.bwd(ptr(dy), ptr(y), ptr(out), R, Tk, f32Bits(scale));
    return out;
  }
  return computeOutput(MASKED_SOFTMAX_GRAD, backend, y.shape.slice(), 'float32', [dy, y], (out, dys, ys) => {
    for (let o = 0; o < R * Tk; o += Tk) {
      let dot = 0;
      for (let k = 0; k < Tk; k++) dot += dys![o + k]! * ys![o + k]!;
      for (let k = 0; k < Tk; k++) out[o + k] = scale * ys![o + k]! * (dys![o + k]! - dot);
    }
  });
};

/** Weft's masked softmax kernels on `backendName` (cpu or wasm). */
export function maskedSoftmaxConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: MASKED_SOFTMAX, backendName, kernelFunc: maskedSoftmax },
    { kernelName: MASKED_SOFTMAX_GRAD, backendName, kernelFunc: maskedSoftmaxGrad },
  ];
}
