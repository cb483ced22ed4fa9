// WeftReluGrad: Relu's gradient as one kernel on cpu and wasm, dx = dy·step(x) with tfjs cpu's step
// (1 for x > 0, NaN for a NaN x, else 0; so dy = ±Inf or NaN at x ≤ 0 gives NaN, as dy·0 does). tfjs's
// gradient runs Step, Cast and Multiply: three kernels and three passes over the activations, for
// each Relu of every training step. On wasm the float32 kernel is SIMD: the step is built from two
// lane masks, (x > 0) & 1.0 | (x ≠ x) & NaN, then one multiply.
//   inputs dy, x (same shape, float32); output dx (float32).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput, isHeapBackend } from './io.js';
import { F32, FunctionWriter, I32, V128, heapKernels, type Local } from './wasm-module.js';

/** The kernel's name. */
export const RELU_GRAD = 'WeftReluGrad';

/** tfjs cpu's step(x) for Relu: 1, NaN or 0. */
const step = (v: number) => (v > 0 ? 1 : v !== v ? NaN : 0);

/** `reluGrad(dy, x, dx, n)`: dx[i] = dy[i]·step(x[i]) for i < n (byte pointers; four floats at a time, then one). */
export function writeReluGrad(): FunctionWriter {
  const f = new FunctionWriter(4);
  const [dy, x, dx, n] = f.params as [Local, Local, Local, Local];
  const [i, v, one, nan] = [f.local(I32), f.local(V128), f.local(V128), f.local(V128)];
  const s = f.local(F32);
  f.f32Const(1).f32x4Splat().set(one);
  f.f32Const(NaN).f32x4Splat().set(nan);
  f.i32(0).set(i);
  f.whileLoop(() => f.get(i).i32(4).add().get(n).le(), () => {
    f.get(x).v128Load().set(v);
    f.get(dx).get(dy).v128Load();
    f.get(v).v128Zero().f32x4Gt().get(one).v128And();
    f.get(v).get(v).f32x4Ne().get(nan).v128And().v128Or();
    f.f32x4Mul().v128Store();
    f.inc(dy, { constant: 16 }).inc(x, { constant: 16 }).inc(dx, { constant: 16 }).inc(i, { constant: 4 });
  });
  f.whileLoop(() => f.get(i).get(n).lt(), () => {
    f.get(x).f32Load().set(s);
    // step = x > 0 ? 1 : (x ≠ x ? NaN : 0)
    f.get(dx).get(dy).f32Load();
    f.f32Const(1).f32Const(NaN).f32Zero().get(s).get(s).f32Ne().select().get(s).f32Zero().f32Gt().select();
    f.f32Mul().f32Store();
    f.inc(dy, { constant: 4 }).inc(x, { constant: 4 }).inc(dx, { constant: 4 }).inc(i, { constant: 1 });
  });
  return f;
}

const reluGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  assertDtype(RELU_GRAD, 'dy', dy, ['float32']);
  assertDtype(RELU_GRAD, 'x', x, ['float32']);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`${RELU_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have one shape`);
  }
  const simd = isHeapBackend(backend) ? heapKernels(backend, 'reluGrad', () => ({ reluGrad: writeReluGrad() })) : null;
  if (simd && isHeapBackend(backend)) {
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const [g, xs, o] = [dy, x, out].map((t) => backend.typedArrayFromHeap(t));
    simd.reluGrad(g!.byteOffset, xs!.byteOffset, o!.byteOffset, xs!.length);
    return out;
  }
  return computeOutput(RELU_GRAD, backend, x.shape.slice(), 'float32', [dy, x], (out, g, xs) => {
    for (let i = 0; i < out.length; i++) out[i] = g![i]! * step(xs![i]!);
  });
};

/** Weft's WeftReluGrad on `backendName` (cpu or wasm). */
export function reluGradConfig(backendName: 'cpu' | 'wasm'): KernelConfig {
  return { kernelName: RELU_GRAD, backendName, kernelFunc: reluGrad };
}
