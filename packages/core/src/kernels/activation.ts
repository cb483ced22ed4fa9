// Fused GELU (exact and tanh) and SiLU on cpu and wasm: one kernel forward, one backward, where
// the op-by-op forms run 5–9 kernels forward and about twice that for their gradients (exact GELU:
// multiply, erf, add, multiply, multiply; tfjs wasm's Erf alone took 15.4 ms per 4096×256).
//   WeftActivation: input x, attr fn ('gelu' | 'gelu_tanh' | 'silu'); output y.
//   WeftActivationGrad: inputs dy, x, attr fn; output dx = dy·f'(x).
// Formulas ("Gaussian Error Linear Units (GELUs)", arXiv:1606.08415; SiLU, arXiv:1702.03118):
//   gelu       y = ½x(1 + erf(x/√2)),            y' = ½(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π)
//   gelu_tanh  y = ½x(1 + t), t = tanh(u), u = √(2/π)(x + 0.044715x³),
//              y' = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
//   silu       y = x·s, s = σ(x),                 y' = s(1 + x(1 − s))
// erf is Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), the approximation tfjs's Erf uses. On wasm
// the kernels are SIMD (activation-simd.ts, float32 math); on cpu JS loops in float64. NaN propagates.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput, isHeapBackend } from './io.js';
import { heapKernels } from './wasm-module.js';
import { writeActivationModule } from './activation-simd.js';

/** The kernels' names. */
export const ACTIVATION = 'WeftActivation';
export const ACTIVATION_GRAD = 'WeftActivationGrad';

/** The activations the kernels compute. */
export const FUSED_ACTIVATIONS = ['gelu', 'gelu_tanh', 'silu'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const C = 0.044715;

type Loop = (out: Float32Array, x: Float32Array, dy?: Float32Array) => void;

// One monomorphic loop per activation and direction (a shared closure per element ran 2× slower).
// Exact GELU shares one exp between erf(x/√2) (A&S 7.1.26 needs e^(−x²/2)) and the Gaussian density.
const FORWARD: Record<FusedActivation, Loop> = {
  gelu: (out, x) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const a = Math.abs(v) * Math.SQRT1_2;
      const t = 1 / (1 + 0.3275911 * a);
      const e = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-a * a);
      out[i] = 0.5 * v * (1 + (v < 0 ? -e : e));
    }
  },
  gelu_tanh: (out, x) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + C * v * v * v)));
    }
  },
  silu: (out, x) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = v / (1 + Math.exp(-v));
    }
  },
};

const BACKWARD: Record<FusedActivation, Loop> = {
  gelu: (out, x, dy) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const a = Math.abs(v) * Math.SQRT1_2;
      const t = 1 / (1 + 0.3275911 * a);
      const g = Math.exp(-a * a); // e^(−x²/2)
      const e = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * g;
      out[i] = dy![i]! * (0.5 * (1 + (v < 0 ? -e : e)) + v * g * INV_SQRT_2PI);
    }
  },
  gelu_tanh: (out, x, dy) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const t = Math.tanh(SQRT_2_OVER_PI * (v + C * v * v * v));
      out[i] = dy![i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * C * v * v));
    }
  },
  silu: (out, x, dy) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const s = 1 / (1 + Math.exp(-v));
      out[i] = dy![i]! * s * (1 + v * (1 - s));
    }
  },
};

function fnOf(kernel: string, attrs: unknown): FusedActivation {
  const fn = (attrs as { fn?: string }).fn;
  if (!FUSED_ACTIVATIONS.includes(fn as FusedActivation)) throw new Error(`${kernel}: fn=${String(fn)}; allowed: ${FUSED_ACTIVATIONS.join(', ')}`);
  return fn as FusedActivation;
}

/** The SIMD module of `fn` on `backend`'s heap, or null (not wasm, or no SIMD). */
const simdFor = (backend: unknown, fn: FusedActivation) => (isHeapBackend(backend) ? heapKernels(backend, `activation_${fn}`, () => writeActivationModule(fn)) : null);

const activation: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  assertDtype(ACTIVATION, 'x', x, ['float32']);
  const fn = fnOf(ACTIVATION, attrs);
  const loop = FORWARD[fn];
  const simd = simdFor(backend, fn);
  if (simd && isHeapBackend(backend)) {
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const [xs, ys] = [backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array];
    const body = xs.length - (xs.length % 4);
    simd.fwd(xs.byteOffset, ys.byteOffset, xs.length);
    loop(ys.subarray(body), xs.subarray(body));
    return out;
  }
  return computeOutput(ACTIVATION, backend, x.shape.slice(), 'float32', [x], (out, xs) => loop(out as Float32Array, xs as Float32Array));
};

const activationGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  assertDtype(ACTIVATION_GRAD, 'x', x, ['float32']);
  assertDtype(ACTIVATION_GRAD, 'dy', dy, ['float32']);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) throw new Error(`${ACTIVATION_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have one shape`);
  const fn = fnOf(ACTIVATION_GRAD, attrs);
  const loop = BACKWARD[fn];
  const simd = simdFor(backend, fn);
  if (simd && isHeapBackend(backend)) {
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const [xs, dys, dxs] = [backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(dy) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array];
    const body = xs.length - (xs.length % 4);
    simd.bwd(xs.byteOffset, dys.byteOffset, dxs.byteOffset, xs.length);
    loop(dxs.subarray(body), xs.subarray(body), dys.subarray(body));
    return out;
  }
  return computeOutput(ACTIVATION_GRAD, backend, x.shape.slice(), 'float32', [dy, x], (out, dys, xs) => loop(out as Float32Array, xs as Float32Array, dys as Float32Array));
};

/** Weft's fused activation kernels on `backendName` (cpu or wasm). */
export function activationConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: ACTIVATION, backendName, kernelFunc: activation },
    { kernelName: ACTIVATION_GRAD, backendName, kernelFunc: activationGrad },
  ];
}
