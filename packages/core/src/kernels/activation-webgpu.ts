// WeftActivation and WeftActivationGrad (activation.ts has the formulas: GELU exact and tanh, SiLU,
// erf by Abramowitz & Stegun 7.1.26) as one WGSL dispatch each way on tfjs webgpu, where exact
// GELU's composition is 5 dispatches forward and about 10 for its gradient. float32 math; tanh's
// argument is clamped to ±20 (tanh is ±1 in float32 there; some tanh implementations give NaN for
// ±Inf); a NaN input gives NaN (tested by bits: WGSL compilers may assume no NaN).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ACTIVATION, ACTIVATION_GRAD, FUSED_ACTIVATIONS, type FusedActivation } from './activation.js';
import { isWebGPU, runFlat } from './webgpu-program.js';

const f = (v: number) => v.toPrecision(10);
const SQRT_2_OVER_PI = f(Math.sqrt(2 / Math.PI));
const INV_SQRT_2PI = f(1 / Math.sqrt(2 * Math.PI));
const SQRT1_2 = f(Math.SQRT1_2);

/** WGSL defining `erfe` (|erf(x/√2)| by A&S) and `g` (e^(−x²/2)) from `v`. */
const ERF = `let a = abs(v) * ${SQRT1_2};
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let g = exp(-a * a);
  let erfe = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * g;
  let erf = select(erfe, -erfe, v < 0.0);`;
const TANH = `let th = tanh(clamp(${SQRT_2_OVER_PI} * (v + 0.044715 * v * v * v), -20.0, 20.0));`;
const SIGMOID = 'let s = 1.0 / (1.0 + exp(-v));';

/** WGSL computing `y` (forward) or `d` (f'(v), backward) from `v`. */
const BODY: Record<FusedActivation, [forward: string, backward: string]> = {
  gelu: [`${ERF} let y = 0.5 * v * (1.0 + erf);`, `${ERF} let d = 0.5 * (1.0 + erf) + v * g * ${INV_SQRT_2PI};`],
  gelu_tanh: [`${TANH} let y = 0.5 * v * (1.0 + th);`, `${TANH} let d = 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * ${SQRT_2_OVER_PI} * (1.0 + 3.0 * 0.044715 * v * v);`],
  silu: [`${SIGMOID} let y = v * s;`, `${SIGMOID} let d = s * (1.0 + v * (1.0 - s));`],
};

/** WGSL: whether the f32 `v` is NaN (exponent all ones, mantissa not zero). */
const IS_NAN = '(bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u';

function fnOf(kernel: string, attrs: unknown): FusedActivation {
  const fn = (attrs as { fn?: string }).fn;
  if (!FUSED_ACTIVATIONS.includes(fn as FusedActivation)) throw new Error(`${kernel}: fn=${String(fn)}; allowed: ${FUSED_ACTIVATIONS.join(', ')}`);
  return fn as FusedActivation;
}

function check(kernel: string, backend: unknown, ts: Record<string, TensorInfo>): asserts backend is Parameters<typeof runFlat>[0] {
  if (!isWebGPU(backend)) throw new Error(`${kernel}: the backend is not tfjs webgpu; this kernel is registered only there`);
  for (const [name, t] of Object.entries(ts)) if (t.dtype !== 'float32') throw new Error(`${kernel}: ${name} has dtype ${t.dtype}; allowed: float32`);
}

const activation: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  check(ACTIVATION, backend, { x });
  const fn = fnOf(ACTIVATION, attrs);
  const n = x.shape.reduce((p, d) => p * d, 1);
  return runFlat(backend, `weft_act_${fn}`, x.shape, n, { x }, [], `let v = x[index]; ${BODY[fn][0]} setOutputAtIndex(index, select(y, v, ${IS_NAN}));`);
};

const activationGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  check(ACTIVATION_GRAD, backend, { dy, x });
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i])) throw new Error(`${ACTIVATION_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have one shape`);
  const fn = fnOf(ACTIVATION_GRAD, attrs);
  const n = x.shape.reduce((p, d) => p * d, 1);
  return runFlat(backend, `weft_act_grad_${fn}`, x.shape, n, { dy, x }, [], `let v = x[index]; ${BODY[fn][1]} setOutputAtIndex(index, select(dy[index] * d, v, ${IS_NAN}));`);
};

/** Weft's fused activation kernels as WGSL programs on tfjs webgpu. */
export const activationWebGPUConfigs: KernelConfig[] = [
  { kernelName: ACTIVATION, backendName: 'webgpu', kernelFunc: activation },
  { kernelName: ACTIVATION_GRAD, backendName: 'webgpu', kernelFunc: activationGrad },
];
