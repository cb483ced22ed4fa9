// WeftLayerNorm and WeftLayerNormGrad (layer-norm.ts has the formulas, the attrs and the cpu/wasm
// kernels; LayerNorm arXiv:1607.06450, RMSNorm arXiv:1910.07467 with center = false) as WGSL on
// tfjs webgpu, where the op-by-op LayerNorm is 8 dispatches forward and about 20 backward.
// Forward, 3 dispatches: mean and rstd (a thread per row), then y (a thread per element).
// Backward, 4: the rows' [mean, rstd] (a thread per row), dx (a thread per row: its sums of g and
// g·x̂, then the row), dw and db (a thread per column, summing over the rows in row order).
// Sums run in float32.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { LAYER_NORM, LAYER_NORM_GRAD } from './layer-norm.js';
import { isWebGPU, runFlat, type Uniform, type WebGPUBackendLike } from './webgpu-program.js';

/** The backend, rows R and columns C of `x`, with `w` and `b` checked against C. */
function check(kernel: string, backend: unknown, ts: Record<string, TensorInfo | undefined>): { gpu: WebGPUBackendLike; R: number; C: number } {
  if (!isWebGPU(backend)) throw new Error(`${kernel}: the backend is not tfjs webgpu; this kernel is registered only there`);
  for (const [name, t] of Object.entries(ts)) if (t && t.dtype !== 'float32') throw new Error(`${kernel}: input ${name} has dtype ${t.dtype}; allowed: float32`);
  const x = ts.x!;
  if (x.shape.length < 1) throw new Error(`${kernel}: x has shape []; expected rank ≥ 1`);
  const C = x.shape[x.shape.length - 1]!;
  for (const name of ['w', 'b']) {
    const p = ts[name];
    if (p && (p.shape.length !== 1 || p.shape[0] !== C)) throw new Error(`${kernel}: ${name} has shape [${p.shape}]; expected [${C}] (x's last axis)`);
  }
  const dy = ts.dy;
  if (dy && (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i]))) throw new Error(`${kernel}: dy has shape [${dy.shape}]; expected [${x.shape}] like x`);
  return { gpu: backend, R: C === 0 ? 0 : x.shape.reduce((p, d) => p * d, 1) / C, C };
}

/** WGSL: `mu` and `rs` (mean and 1/√(var + eps)) of row `row` of x (mu = 0 unless center). */
const rowStats = (center: boolean) => `
  let o = row * uniforms.C;
  var s = 0.0;
  ${center ? 'for (var c = 0; c < uniforms.C; c = c + 1) { s = s + x[o + c]; }' : ''}
  let mu = s * uniforms.invC;
  var q = 0.0;
  for (var c = 0; c < uniforms.C; c = c + 1) { let d = x[o + c] - mu; q = q + d * d; }
  let rs = inverseSqrt(q * uniforms.invC + uniforms.eps);`;

const layerNorm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, w, b } = inputs as { x: TensorInfo; w?: TensorInfo; b?: TensorInfo };
  const { eps, center = true } = attrs as unknown as { eps: number; center?: boolean };
  const { gpu, R, C } = check(LAYER_NORM, backend, { x, w, b });
  const statShape = [...x.shape.slice(0, -1), 1];
  const u: Uniform[] = [['C', 'i32', C], ['invC', 'f32', 1 / C], ['eps', 'f32', eps]];
  const key = center ? 'ln' : 'rms';
  const mean = runFlat(gpu, `weft_${key}_mean`, statShape, R, { x }, u, `let row = index; ${rowStats(center)} setOutputAtIndex(row, mu);`);
  const rstd = runFlat(gpu, `weft_${key}_rstd`, statShape, R, { x }, u, `let row = index; ${rowStats(center)} setOutputAtIndex(row, rs);`);
  const y = runFlat(
    gpu, `weft_ln_y_${w ? 'w' : ''}${b ? 'b' : ''}`, x.shape, R * C, { x, mean, rstd, ...(w ? { w } : {}), ...(b ? { b } : {}) }, [['C', 'i32', C]],
    `let row = index / uniforms.C;
     let c = index - row * uniforms.C;
     let h = (x[index] - mean[row]) * rstd[row];
     setOutputAtIndex(index, h${w ? ' * w[c]' : ''}${b ? ' + b[c]' : ''});`,
  );
  return [y, mean, rstd];
};

const layerNormGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, w } = inputs as { dy: TensorInfo; x: TensorInfo; w?: TensorInfo };
  const { eps, center = true } = attrs as unknown as { eps: number; center?: boolean };
  const { gpu, R, C } = check(LAYER_NORM_GRAD, backend, { dy, x, w });
  const u: Uniform[] = [['C', 'i32', C], ['invC', 'f32', 1 / C], ['eps', 'f32', eps]];
  const key = center ? 'ln' : 'rms';
  const stats = runFlat(gpu, `weft_${key}_stats`, [R, 2], R, { x }, u, `let row = index; ${rowStats(center)} setOutputAtIndex(2 * row, mu); setOutputAtIndex(2 * row + 1, rs);`);
  const g = (i: string) => (w ? `dy[${i}] * w[c]` : `dy[${i}]`);
  const dx = runFlat(
    gpu, `weft_${key}_dx_${w ? 'w' : ''}`, x.shape, R, { dy, x, stats, ...(w ? { w } : {}) }, u,
    `let row = index;
     let o = row * uniforms.C;
     let mu = stats[2 * row];
     let rs = stats[2 * row + 1];
     var sg = 0.0;
     var sgh = 0.0;
     for (var c = 0; c < uniforms.C; c = c + 1) { let gc = ${g('o + c')}; sg = sg + gc; sgh = sgh + gc * (x[o + c] - mu) * rs; }
     let mg = ${center ? 'sg * uniforms.invC' : '0.0'};
     let mgh = sgh * uniforms.invC;
     for (var c = 0; c < uniforms.C; c = c + 1) {
       let h = (x[o + c] - mu) * rs;
       setOutputAtIndex(o + c, rs * (${g('o + c')} - mg - h * mgh));
     }`,
  );
  const rows: Uniform[] = [['C', 'i32', C], ['R', 'i32', R]];
  const dw = runFlat(
    gpu, 'weft_ln_dw', [C], C, { dy, x, stats }, rows,
    `var acc = 0.0;
     for (var r = 0; r < uniforms.R; r = r + 1) { let k = r * uniforms.C + index; acc = acc + dy[k] * (x[k] - stats[2 * r]) * stats[2 * r + 1]; }
     setOutputAtIndex(index, acc);`,
  );
  const db = runFlat(
    gpu, 'weft_ln_db', [C], C, { dy }, rows,
    `var acc = 0.0;
     for (var r = 0; r < uniforms.R; r = r + 1) { acc = acc + dy[r * uniforms.C + index]; }
     setOutputAtIndex(index, acc);`,
  );
  gpu.disposeData(stats.dataId);
  return [dx, dw, db];
};

/** Weft's fused LayerNorm/RMSNorm forward and backward as WGSL programs on tfjs webgpu. */
export const layerNormWebGPUConfigs: KernelConfig[] = [
  { kernelName: LAYER_NORM, backendName: 'webgpu', kernelFunc: layerNorm },
  { kernelName: LAYER_NORM_GRAD, backendName: 'webgpu', kernelFunc: layerNormGrad },
];
