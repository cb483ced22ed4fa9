// WeftAllFinite (all-finite.ts: a bool scalar, true when no input holds a NaN or ±Inf) as WGSL on
// tfjs webgpu. Without it the trainer's guard sums every gradient (a dispatch each: 38 for a 2-block
// TinyTransformer's loss and gradients), stacks the sums and sums them again. Here PARTIALS threads
// each check a strided share of up to CHUNK tensors per dispatch and AND their verdicts into the
// previous dispatch's (a shader stage reads at most 8 storage buffers: CHUNK tensors, the previous
// verdicts, the output); a last dispatch ANDs the PARTIALS verdicts into the scalar. A float is
// non-finite when its exponent bits are all ones (bit test: WGSL compilers may assume no NaN).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ALL_FINITE } from './all-finite.js';
import { isWebGPU, runFlat, type Uniform } from './webgpu-program.js';

/** Float tensors checked per dispatch. */
export const CHUNK = 6;
/** Threads, and verdicts carried from dispatch to dispatch. */
export const PARTIALS = 256;

const allFinite: KernelFunc = ({ inputs, backend, attrs }) => {
  if (!isWebGPU(backend)) throw new Error(`${ALL_FINITE}: the backend is not tfjs webgpu; this kernel is registered only there`);
  const { count } = attrs as unknown as { count: number };
  const ins = Array.from({ length: count }, (_, i) => {
    const t = (inputs as Record<string, TensorInfo>)[`t${i}`];
    if (!t) throw new Error(`${ALL_FINITE}: input t${i} is missing (count=${count})`);
    return t;
  });
  const size = (t: TensorInfo) => t.shape.reduce((p, d) => p * d, 1);
  const floats = ins.filter((t) => t.dtype === 'float32' && size(t) > 0); // int32 and bool are always finite
  let prev: TensorInfo | null = null;
  for (let start = 0; start < floats.length; start += CHUNK) {
    const chunk = floats.slice(start, start + CHUNK);
    const tensors = Object.fromEntries(chunk.map((t, j) => [`t${j}`, t]));
    const sizes: Uniform[] = chunk.map((t, j) => [`n${j}`, 'i32', size(t)]);
    const checks = chunk.map((_, j) => `for (var k = index; k < uniforms.n${j}; k = k + ${PARTIALS}) { if ((bitcast<u32>(t${j}[k]) & 0x7f800000u) == 0x7f800000u) { ok = 0; } }`);
    const next = runFlat(backend, `weft_all_finite_${chunk.length}_${prev ? 'p' : ''}`, [PARTIALS], PARTIALS, { ...(prev ? { prev } : {}), ...tensors }, sizes, `var ok = ${prev ? 'prev[index]' : '1'};\n${checks.join('\n')}\nresult[index] = ok;`, 'int32');
    if (prev) backend.disposeData(prev.dataId);
    prev = next;
  }
  const body = prev ? `var ok = 1; for (var k = 0; k < ${PARTIALS}; k = k + 1) { ok = ok & prev[k]; } result[0] = ok;` : 'result[0] = 1;';
  const out = runFlat(backend, `weft_all_finite_end_${prev ? 'p' : ''}`, [], 1, prev ? { prev } : {}, [], body, 'bool');
  if (prev) backend.disposeData(prev.dataId);
  return out;
};

/** Weft's WeftAllFinite as WGSL programs on tfjs webgpu. */
export const allFiniteWebGPUConfig: KernelConfig = { kernelName: ALL_FINITE, backendName: 'webgpu', kernelFunc: allFinite };
