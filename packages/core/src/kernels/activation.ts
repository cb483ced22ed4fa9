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
// erf is Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), the approximation tfjs's Erf uses; math in
// float64, rounded once per stored value. NaN propagates.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput } from './io.js';

/** The kernels' names. */
export const ACTIVATION = 'WeftActivation';
export const ACTIVATION_GRAD = 'WeftActivationGrad';

/** The activations the kernels compute. */
export const FUSED_ACTIVATIONS = ['gelu', 'gelu_tanh', 'silu'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/** erf(x) by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7). */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const C = 0.044715;

/** f(x) and f'(x) of each activation. */
const FNS: Record<FusedActivation, { f: (x: number) => number; df: (x: number) => number }> = {
  gelu: {
    f: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
    df: (x) => 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI,
  },
  gelu_tanh: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + C * x * x * x))),
    df: (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * C * x * x);
    },
  },
  silu: {
    f: (x) => x / (1 + Math.exp(-x)),
    df: (x) => {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 + x * (1 - s));
    },
  },
};

function fnOf(kernel: string, attrs: unknown): { f: (x: number) => number; df: (x: number) => number } {
  const fn = (attrs as { fn?: string }).fn;
  if (!FUSED_ACTIVATIONS.includes(fn as FusedActivation)) throw new Error(`${kernel}: fn=${String(fn)}; allowed: ${FUSED_ACTIVATIONS.join(', ')}`);
  return FNS[fn as FusedActivation];
}

const activation: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  assertDtype(ACTIVATION, 'x', x, ['float32']);
  const { f } = fnOf(ACTIVATION, attrs);
  return computeOutput(ACTIVATION, backend, x.shape.slice(), 'float32', [x], (out, xs) => {
    for (let i = 0; i < xs!.length; i++) out[i] = f(xs![i]!);
  });
};

const activationGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  assertDtype(ACTIVATION_GRAD, 'x', x, ['float32']);
  assertDtype(ACTIVATION_GRAD, 'dy', dy, ['float32']);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) throw new Error(`${ACTIVATION_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have one shape`);
  const { df } = fnOf(ACTIVATION_GRAD, attrs);
  return computeOutput(ACTIVATION_GRAD, backend, x.shape.slice(), 'float32', [dy, x], (out, dys, xs) => {
    for (let i = 0; i < xs!.length; i++) out[i] = dys![i]! * df(xs![i]!);
  });
};

/** Weft's fused activation kernels on `backendName` (cpu or wasm). */
export function activationConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: ACTIVATION, backendName, kernelFunc: activation },
    { kernelName: ACTIVATION_GRAD, backendName, kernelFunc: activationGrad },
  ];
}
