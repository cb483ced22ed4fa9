// Activations that keep NaN on every backend. On wasm: Relu, Relu6 and ClipByValue. tfjs wasm's kernels (XNNPACK's clamp)
// turn NaN into a bound: Relu maps a negative-sign NaN to 0, Relu6 and ClipByValue map every NaN
// to their lower bound (found by feeding NaN/±Inf to 37 ops on wasm and cpu). A NaN that silently
// becomes a number hides a divergence from the trainer's non-finite guard, so these kernels follow
// cpu and webgl: `x < lo ? lo : x > hi ? hi : x`, which is NaN for NaN — for float32 as wasm SIMD's
// pmax/pmin, which compute exactly that at memory speed (the JS loop took 2.8 ms per 256×256 Relu
// in a profile of an MLP step on a busy machine).
import { ClipByValue, Relu, Relu6 } from '@tensorflow/tfjs-core';
import type { ClipByValueAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput, isHeapBackend, runBackendKernel } from './io.js';
import { FunctionWriter, I32, V128, heapKernels, type Local, f32Bits } from './wasm-module.js';

/**
 * `clamp(src, dst, n, loBits, hiBits)`: for i < n − n mod 4, four floats at a time (lo, hi are f32
 * bits), dst[i] = pmin(pmax(src[i], lo), hi), i.e. `v < lo ? lo : v > hi ? hi : v` (tfjs cpu's
 * ClipByValue: NaN and −0 kept) or, when `ieee`, min(max(src[i], lo), hi) with IEEE min/max
 * (`Math.min(Math.max(v, lo), hi)`, tfjs cpu's Relu and Relu6: NaN kept, max(−0, 0) = 0).
 */
export function writeClamp(ieee = false): FunctionWriter {
  const f = new FunctionWriter(5);
  const [src, dst, n, loBits, hiBits] = f.params as [Local, Local, Local, Local, Local];
  const [i, lo, hi] = [f.local(I32), f.local(V128), f.local(V128)];
  f.get(loBits).f32FromBits().f32x4Splat().set(lo);
  f.get(hiBits).f32FromBits().f32x4Splat().set(hi);
  f.i32(0).set(i);
  f.whileLoop(() => f.get(i).i32(4).add().get(n).le(), () => {
    f.get(dst).get(src).v128Load().get(lo);
    if (ieee) f.f32x4Max().get(hi).f32x4Min();
    else f.f32x4PMax().get(hi).f32x4PMin();
    f.v128Store();
    f.inc(src, { constant: 16 }).inc(dst, { constant: 16 }).inc(i, { constant: 4 });
  });
  return f;
}


/**
 * A kernel clamping x to [lo, hi] element-wise, NaN kept (wasm SIMD for float32 on the heap): with
 * IEEE min/max when `ieee` (Relu, Relu6), else by comparisons (ClipByValue), as tfjs cpu does.
 */
function clampKernel(name: string, bounds: (attrs: unknown) => [number, number], ieee = false): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    assertDtype(name, 'x', x, ['float32', 'int32']);
    const [lo, hi] = bounds(attrs);
    const simd = x.dtype === 'float32' && isHeapBackend(backend) ? heapKernels(backend, 'clamp', () => ({ clamp: writeClamp(), clampIeee: writeClamp(true) })) : null;
    if (simd && isHeapBackend(backend)) {
      const out = backend.makeOutput(x.shape.slice(), 'float32');
      const [xs, ys] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
      const n = xs.length;
      (ieee ? simd.clampIeee : simd.clamp)(xs.byteOffset, ys.byteOffset, n, f32Bits(lo), f32Bits(hi));
      for (let i = n - (n % 4); i < n; i++) {
        const v = xs[i]!;
        ys[i] = ieee ? Math.min(Math.max(v, lo), hi) : v < lo ? lo : v > hi ? hi : v;
      }
      return out;
    }
    return computeOutput(name, backend, x.shape.slice(), x.dtype, [x], (out, xs) => {
      const n = xs!.length;
      for (let i = 0; i < n; i++) {
        const v = xs![i]!;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    });
  };
}

/** Weft's NaN-keeping Relu, Relu6 and ClipByValue for tfjs wasm. */
export const nanKeepingActivationWasmConfigs: KernelConfig[] = [
  { kernelName: Relu, backendName: 'wasm', kernelFunc: clampKernel(Relu, () => [0, Infinity], true) },
  { kernelName: Relu6, backendName: 'wasm', kernelFunc: clampKernel(Relu6, () => [0, 6], true) },
  {
    kernelName: ClipByValue,
    backendName: 'wasm',
    kernelFunc: clampKernel(ClipByValue, (a) => [(a as ClipByValueAttrs).clipValueMin, (a as ClipByValueAttrs).clipValueMax]),
  },
];

/**
 * `original`, then NaN written back wherever the input was NaN (IsNan + Select, both exact on
 * every backend): for element-wise kernels whose shader loses NaN. WGSL lets a compiler assume no
 * NaN, and tfjs webgpu on SwiftShader returns relu6(NaN) = 0, sigmoid(NaN) = 0, elu(NaN) = exp(NaN) = Inf.
 */
export function nanKeepingUnaryConfig(original: KernelConfig): KernelConfig {
  return {
    ...original,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: TensorInfo };
      const backend = args.backend as { disposeData(id: object): void };
      const y = original.kernelFunc(args) as TensorInfo;
      const nan = runBackendKernel('IsNan', original.backendName, backend, { x });
      const out = runBackendKernel('Select', original.backendName, backend, { condition: nan, t: x, e: y });
      backend.disposeData(y.dataId);
      backend.disposeData(nan.dataId);
      return out;
    },
  };
}

/**
 * Softmax whose row is NaN when the row holds a NaN or an infinity (as on cpu): `original + (s − s)`
 * with `s` the row sum, which is 0 for a finite row and NaN otherwise. tfjs webgpu's softmax gives
 * [0, NaN, 0] for the row [1, NaN, 3].
 */
export function nanKeepingSoftmaxConfig(original: KernelConfig): KernelConfig {
  return {
    ...original,
    kernelFunc: (args) => {
      const { logits } = args.inputs as { logits: TensorInfo };
      const { dim } = args.attrs as unknown as { dim: number };
      const backend = args.backend as { disposeData(id: object): void };
      const name = original.backendName;
      const y = original.kernelFunc(args) as TensorInfo;
      const s = runBackendKernel('Sum', name, backend, { x: logits }, { axis: [dim], keepDims: true }); // (..., 1)
      const zero = runBackendKernel('Sub', name, backend, { a: s, b: s }); // 0, or NaN for a non-finite row
      const out = runBackendKernel('Add', name, backend, { a: y, b: zero });
      for (const t of [y, s, zero]) backend.disposeData(t.dataId);
      return out;
    },
  };
}

/**
 * Relu and Relu6 as ClipByValue (one kernel, exact for NaN and ±Inf): tfjs webgl's packed shaders
 * multiply by a 0/1 mask, so relu(−Inf) = 0 · −Inf = NaN.
 */
export function clipActivationConfig(original: KernelConfig, lo: number, hi: number): KernelConfig {
  return {
    ...original,
    kernelFunc: ({ inputs, backend }) =>
      runBackendKernel('ClipByValue', original.backendName, backend, { x: (inputs as { x: TensorInfo }).x }, { clipValueMin: lo, clipValueMax: hi }),
  };
}

/** LeakyRelu as `x < 0 ? αx : x` (Less, Multiply, Select): tfjs webgl's packed mask gives NaN for +Inf. */
export function selectLeakyReluConfig(original: KernelConfig): KernelConfig {
  return {
    ...original,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: TensorInfo };
      const { alpha } = attrs as unknown as { alpha: number };
      const b = backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo; disposeData(id: object): void };
      const name = original.backendName;
      const a = b.makeTensorInfo([], 'float32', new Float32Array([alpha]));
      const zero = b.makeTensorInfo([], 'float32', new Float32Array([0]));
      const negative = runBackendKernel('Less', name, backend, { a: x, b: zero });
      const scaled = runBackendKernel('Multiply', name, backend, { a: x, b: a });
      const out = runBackendKernel('Select', name, backend, { condition: negative, t: scaled, e: x });
      for (const t of [a, zero, negative, scaled]) b.disposeData(t.dataId);
      return out;
    },
  };
}
