// WeftPickColumns and its gradient (pick-columns.ts) as one WGSL dispatch each on tfjs webgpu: one
// thread per output value; the gradient's thread (n, e) sums the choices of row n that name e, in
// choice order (no atomics: the same bits every run). A shader cannot throw: an index outside [0, E)
// reads 0 forward and gets no gradient.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { PICK_COLUMNS, PICK_COLUMNS_GRAD, pickColumnsShapes } from './pick-columns.js';
import { isWebGPU, runFlat } from './webgpu-program.js';

/** WGSL: value of choice j of row n (0 for an index outside [0, E)). */
const valueOf = `
          fn picked(n : i32, j : i32) -> f32 {
            let e = idx[n * uniforms.K + j];
            if (e < 0 || e >= uniforms.E) { return 0.0; }
            return f32(m[n * uniforms.E + e]);
          }
          fn rowSum(n : i32) -> f32 {
            var s = 0.0;
            for (var j = 0; j < uniforms.K; j = j + 1) { s = s + picked(n, j); }
            return s;
          }`;

const pick: KernelFunc = ({ inputs, backend, attrs }) => {
  const { m, idx } = inputs as { m: TensorInfo; idx: TensorInfo };
  const { normalize } = attrs as unknown as { normalize: boolean };
  if (!isWebGPU(backend)) throw new Error(`${PICK_COLUMNS}: the backend is not tfjs webgpu; this kernel is registered only there`);
  const { N, E, k } = pickColumnsShapes(PICK_COLUMNS, m, idx);
  const body = `
          let n = index / uniforms.K;
          let v = picked(n, index % uniforms.K);
          setOutputAtIndex(index, ${normalize ? 'v / rowSum(n)' : 'v'});`;
  return runFlat(backend, `weft_pick_columns_${normalize ? 'n' : 'p'}`, [N, k], N * k, { m, idx }, [['E', 'i32', E], ['K', 'i32', k]], body, 'float32', valueOf);
};

const pickGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, m, idx } = inputs as { dy: TensorInfo; m: TensorInfo; idx: TensorInfo };
  const { normalize } = attrs as unknown as { normalize: boolean };
  if (!isWebGPU(backend)) throw new Error(`${PICK_COLUMNS_GRAD}: the backend is not tfjs webgpu; this kernel is registered only there`);
  const { N, E, k } = pickColumnsShapes(PICK_COLUMNS_GRAD, m, idx);
  const body = `
          let n = index / uniforms.E;
          let e = index % uniforms.E;
          let r = n * uniforms.K;
          ${normalize ? 'let s = rowSum(n);\n          var dot = 0.0;\n          for (var j = 0; j < uniforms.K; j = j + 1) { dot = dot + f32(dy[r + j]) * (picked(n, j) / s); }' : ''}
          var acc = 0.0;
          for (var j = 0; j < uniforms.K; j = j + 1) {
            if (idx[r + j] == e) { acc = acc + ${normalize ? '(f32(dy[r + j]) - dot) / s' : 'f32(dy[r + j])'}; }
          }
          setOutputAtIndex(index, acc);`;
  // Without normalize the shader reads no m: a binding it does not use would be dropped from its layout.
  const ins: Record<string, TensorInfo> = normalize ? { dy, m, idx } : { dy, idx };
  return runFlat(backend, `weft_pick_columns_grad_${normalize ? 'n' : 'p'}`, [N, E], N * E, ins, [['E', 'i32', E], ['K', 'i32', k]], body, 'float32', normalize ? valueOf : '');
};

/** Weft's pick-columns kernels as WGSL programs on tfjs webgpu. */
export const pickColumnsWebGPUConfigs: KernelConfig[] = [
  { kernelName: PICK_COLUMNS, backendName: 'webgpu', kernelFunc: pick },
  { kernelName: PICK_COLUMNS_GRAD, backendName: 'webgpu', kernelFunc: pickGrad },
];
