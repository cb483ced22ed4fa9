// WeftMaskedSoftmax and WeftMaskedSoftmaxGrad (masked-softmax.ts has the formulas and the inputs:
// y = softmax(scale·s + bias + keyBias) over the last axis; ds = scale·y·(dy − Σₖ dy·y)) as one
// WGSL dispatch each way on tfjs webgpu, a thread per row, where the composition is a multiply, one
// or two adds and a softmax (and their gradients). float32 math. A row holding NaN or +Inf is NaN,
// as tfjs's softmax gives (tested by bits: WGSL compilers may assume no NaN).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD, maskedSoftmaxGeometry } from './masked-softmax.js';
import { isWebGPU, runFlat, type Uniform } from './webgpu-program.js';

function check(kernel: string, backend: unknown, ts: Record<string, TensorInfo | undefined>): asserts backend is Parameters<typeof runFlat>[0] {
  if (!isWebGPU(backend)) throw new Error(`${kernel}: the backend is not tfjs webgpu; this kernel is registered only there`);
  for (const [name, t] of Object.entries(ts)) if (t && t.dtype !== 'float32') throw new Error(`${kernel}: ${name} has dtype ${t.dtype}; allowed: float32`);
}

/** WGSL: a quiet NaN made at run time (WGSL refuses a constant NaN or Inf). */
const NAN = 'bitcast<f32>(u32(uniforms.Tk) * 0u + 0x7fc00000u)';

const maskedSoftmax: KernelFunc = ({ inputs, backend, attrs }) => {
  const { s, bias, keyBias } = inputs as { s: TensorInfo; bias?: TensorInfo; keyBias?: TensorInfo };
  const { scale } = attrs as unknown as { scale: number };
  check(MASKED_SOFTMAX, backend, { s, bias, keyBias });
  const { R, Tq, Tk, B } = maskedSoftmaxGeometry(s, bias, keyBias);
  const u: Uniform[] = [['Tk', 'i32', Tk], ['Tq', 'i32', Tq], ['perBatch', 'i32', B === 0 ? 1 : R / B], ['scale', 'f32', scale]];
  const z = `scale * s[o + k]${bias ? ' + bias[bo + k]' : ''}${keyBias ? ' + keyBias[ko + k]' : ''}`;
  return runFlat(
    backend, `weft_masked_softmax_${bias ? 'b' : ''}${keyBias ? 'k' : ''}`, s.shape, R, { s, ...(bias ? { bias } : {}), ...(keyBias ? { keyBias } : {}) }, u,
    `let o = index * uniforms.Tk;
     let bo = (index % uniforms.Tq) * uniforms.Tk;
     let ko = (index / uniforms.perBatch) * uniforms.Tk;
     let scale = uniforms.scale;
     var mx = bitcast<f32>(u32(uniforms.Tk) * 0u + 0xff800000u); // −Inf (at run time, as NAN)
     var bad = false;
     for (var k = 0; k < uniforms.Tk; k = k + 1) {
       let z = ${z};
       let bits = bitcast<u32>(z);
       bad = bad || (bits & 0x7fffffffu) > 0x7f800000u || bits == 0x7f800000u;
       mx = max(mx, z);
     }
     var sum = 0.0;
     for (var k = 0; k < uniforms.Tk; k = k + 1) {
       let e = exp(${z} - mx);
       sum = sum + e;
       setOutputAtIndex(o + k, e);
     }
     let inv = 1.0 / sum;
     for (var k = 0; k < uniforms.Tk; k = k + 1) {
       setOutputAtIndex(o + k, select(result[o + k] * inv, ${NAN}, bad));
     }`,
  );
};

const maskedSoftmaxGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const { scale } = attrs as unknown as { scale: number };
  check(MASKED_SOFTMAX_GRAD, backend, { dy, y });
  if (y.shape.length < 1 || dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i])) throw new Error(`${MASKED_SOFTMAX_GRAD}: dy [${dy.shape}] and y [${y.shape}] must have one shape of rank ≥ 1`);
  const Tk = y.shape[y.shape.length - 1]!;
  const R = Tk === 0 ? 0 : y.shape.reduce((p, d) => p * d, 1) / Tk;
  return runFlat(
    backend, 'weft_masked_softmax_grad', y.shape, R, { dy, y }, [['Tk', 'i32', Tk], ['scale', 'f32', scale]],
    `let o = index * uniforms.Tk;
     var dot = 0.0;
     for (var k = 0; k < uniforms.Tk; k = k + 1) { dot = dot + dy[o + k] * y[o + k]; }
     for (var k = 0; k < uniforms.Tk; k = k + 1) { setOutputAtIndex(o + k, uniforms.scale * y[o + k] * (dy[o + k] - dot)); }`,
  );
};

/** Weft's masked softmax kernels as WGSL programs on tfjs webgpu. */
export const maskedSoftmaxWebGPUConfigs: KernelConfig[] = [
  { kernelName: MASKED_SOFTMAX, backendName: 'webgpu', kernelFunc: maskedSoftmax },
  { kernelName: MASKED_SOFTMAX_GRAD, backendName: 'webgpu', kernelFunc: maskedSoftmaxGrad },
];
