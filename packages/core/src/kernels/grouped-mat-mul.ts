// The kernels of Weft's grouped matrix product (the op and its gradient: ops/grouped-mat-mul.ts),
// registered on every backend:
//   WeftGroupedMatMul            x (G, b, K), w (E, K, N), group (G,) int32 -> y (G, b, N), y[g] = x[g]·w[group[g]];
//                                with an optional bias (E, N), y[g] = x[g]·w[group[g]] + bias[group[g]] (each row);
//                                with attr transposeW, w (E, N, K) and y[g] = x[g]·w[group[g]]ᵀ (the gradient for x; no bias)
//   WeftGroupedMatMulWeightGrad  x (G, b, K), dy (G, b, N), group (G,) -> dw (E, K, N), dw[e] = Σ_{group[g]=e} x[g]ᵀ·dy[g]
//   WeftGroupedBiasGrad          dy (G, b, N), group (G,) -> db (E, N), db[e] = Σ_{group[g]=e} Σ_i dy[g, i]
// The bias is fused because the composition it replaces — gather bias[group] (G, 1, N), a broadcast
// Add, and in the gradient a Sum over the block rows plus an UnsortedSegmentSum — was slow where
// blocks are short: tfjs wasm's broadcast Add of (304, 4, 256) + (304, 1, 256) took 1.7 ms (process
// CPU time; (19, 64, 256) + (19, 1, 256): 0.16 ms), a dropless MoE step at E=64 paid it per expert layer.
// wasm runs each run of consecutive blocks of one expert as one SIMD product in place (no weight copies; with transposeW,
// the expert's matrix or — for a run shorter than it — the run's rows are transposed in cache); cpu runs plain loops; webgpu
// runs two WGSL programs that read each block's expert matrix in place (one thread per output
// element; the weight gradient loops over the blocks in order, so it is deterministic, no atomics);
// webgl runs its own GatherV2 + BatchMatMul (and BatchMatMul + UnsortedSegmentSum) kernels.
// On webgpu the group indices are not read back: a block naming no expert gives NaN rows (forward)
// and adds to no expert (weight gradient).
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { simdBatchMatMulFor } from './batch-mat-mul-simd.js';
import { assertDtype, computeOutput, isHeapBackend, runBackendKernel, type HeapBackend, type NumericArray } from './io.js';
import { writeTransposeModule } from './transpose-simd.js';
import { heapKernels } from './wasm-module.js';
import { isWebGPU, type WebGPUBackendLike, type WebGPUProgramLike } from './webgpu-program.js';

export const GROUPED_MAT_MUL = 'WeftGroupedMatMul';
export const GROUPED_MAT_MUL_WEIGHT_GRAD = 'WeftGroupedMatMulWeightGrad';
export const GROUPED_BIAS_GRAD = 'WeftGroupedBiasGrad';

/** Throw unless every group index lies in [0, e). */
function checkGroups(kernel: string, groups: ArrayLike<number>, e: number): void {
  for (let g = 0; g < groups.length; g++) {
    const v = groups[g]!;
    if (!(v >= 0 && v < e)) throw new Error(`${kernel}: group[${g}]=${v} is not in [0, ${e - 1}]`);
  }
}

/** Call `f(g, r)` for each run of r consecutive blocks g … g + r − 1 naming the same group. */
function forRuns(groups: ArrayLike<number>, f: (g: number, r: number) => void): void {
  for (let g = 0; g < groups.length; ) {
    let r = 1;
    while (g + r < groups.length && groups[g + r] === groups[g]) r++;
    f(g, r);
    g += r;
  }
}

/** Write `row` into `rows` consecutive rows of `out` from `start` (one copy, then doubling copies within `out`). */
function fillRows(out: NumericArray, start: number, row: NumericArray, rows: number): void {
  const n = row.length;
  out.set(row, start);
  for (let filled = 1; filled < rows; ) {
    const c = Math.min(filled, rows - filled);
    out.copyWithin(start + filled * n, start, start + c * n);
    filled += c;
  }
}

const offset = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;

/** Forward on the composite path: w[group] gathered, then one batched product (+ bias[group] gathered, added per block). */
function forwardComposite(backendName: string, backend: unknown, x: TensorInfo, w: TensorInfo, group: TensorInfo, bias: TensorInfo | undefined): TensorInfo {
  const run = (name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>) => runBackendKernel(name, backendName, backend, inputs, attrs as NamedAttrMap);
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temps.push(t), t);
  try {
    const picked = keep(run('GatherV2', { x: w, indices: group }, { axis: 0, batchDims: 0 })); // (G, K, N)
    const y = run('BatchMatMul', { a: x, b: picked }, { transposeA: false, transposeB: false });
    if (!bias) return y;
    keep(y);
    const rows = keep(run('GatherV2', { x: bias, indices: group }, { axis: 0, batchDims: 0 })); // (G, N)
    const shaped = keep(run('Reshape', { x: rows }, { shape: [rows.shape[0], 1, rows.shape[1]] })); // (G, N) -> (G, 1, N)
    return run('Add', { a: y, b: shaped }, {});
  } finally {
    for (const t of temps) (backend as KernelBackend).disposeData(t.dataId);
  }
}

/** Bias gradient on the composite path: dy summed over each block's rows, then per group. */
function biasGradComposite(backendName: string, backend: unknown, dy: TensorInfo, group: TensorInfo, e: number): TensorInfo {
  const perBlock = runBackendKernel('Sum', backendName, backend, { x: dy }, { axis: [1], keepDims: false }); // (G, N)
  try {
    return runBackendKernel('UnsortedSegmentSum', backendName, backend, { x: perBlock, segmentIds: group }, { numSegments: e });
  } finally {
    (backend as KernelBackend).disposeData(perBlock.dataId);
  }
}

/** Weight gradient on the composite path: per-block x[g]ᵀ·dy[g], summed per group. */
function weightGradComposite(backendName: string, backend: unknown, x: TensorInfo, dy: TensorInfo, group: TensorInfo, e: number): TensorInfo {
  const perBlock = runBackendKernel('BatchMatMul', backendName, backend, { a: x, b: dy }, { transposeA: true, transposeB: false }); // (G, K, N)
  try {
    return runBackendKernel('UnsortedSegmentSum', backendName, backend, { x: perBlock, segmentIds: group }, { numSegments: e });
  } finally {
    (backend as KernelBackend).disposeData(perBlock.dataId);
  }
}

const WORKGROUP = 64;

/** A one-thread-per-output WGSL program over `outputShape` reading `inputs`, with int uniforms `names`. */
function wgslProgram(key: string, outputShape: number[], inputs: string[], names: string[], body: string): WebGPUProgramLike {
  const size = outputShape.reduce((a, c) => a * c, 1);
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    variableNames: inputs,
    uniforms: names.map((n) => `${n} : i32,`).join(' '),
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

const ints = (...v: number[]) => v.map((d) => ({ type: 'int32', data: [d] }));

/** y[g, i, n] = Σ_k x[g, i, k] · w[group[g], k, n] (+ bias[group[g], n]), reading w in place. */
function forwardWebGPU(backend: WebGPUBackendLike, x: TensorInfo, w: TensorInfo, group: TensorInfo, bias: TensorInfo | undefined, G: number, b: number, K: number, E: number, N: number): TensorInfo {
  const body = `
          let n = index % uniforms.N;
          let row = index / uniforms.N;
          let e = group[row / uniforms.B];
          if (e < 0 || e >= uniforms.E) { setOutputAtIndex(index, bitcast<f32>(u32(uniforms.E) * 0u + 0x7fc00000u)); return; } // NaN (runtime: WGSL refuses a constant NaN)
          let xo = row * uniforms.K;
          let wo = e * uniforms.K * uniforms.N + n;
          var acc = ${bias ? 'f32(bias[e * uniforms.N + n])' : '0.0'};
          for (var k = 0; k < uniforms.K; k = k + 1) {
            acc = acc + f32(x[xo + k]) * f32(w[wo + k * uniforms.N]);
          }
          setOutputAtIndex(index, acc);`;
  const names = bias ? ['x', 'w', 'group', 'bias'] : ['x', 'w', 'group'];
  const program = wgslProgram(bias ? 'weft_grouped_mat_mul_bias' : 'weft_grouped_mat_mul', [G, b, N], names, ['B', 'K', 'N', 'E'], body);
  return backend.runWebGPUProgram(program, bias ? [x, w, group, bias] : [x, w, group], 'float32', ints(b, K, N, E));
}

/** dw[e, k, n] = Σ over blocks g of expert e, in order, of Σ_i x[g, i, k] · dy[g, i, n]. */
function weightGradWebGPU(backend: WebGPUBackendLike, x: TensorInfo, dy: TensorInfo, group: TensorInfo, G: number, b: number, K: number, E: number, N: number): TensorInfo {
  const body = `
          let n = index % uniforms.N;
          let k = (index / uniforms.N) % uniforms.K;
          let e = index / (uniforms.N * uniforms.K);
          var acc = 0.0;
          for (var g = 0; g < uniforms.G; g = g + 1) {
            if (group[g] == e) {
              for (var i = 0; i < uniforms.B; i = i + 1) {
                let row = g * uniforms.B + i;
                acc = acc + f32(x[row * uniforms.K + k]) * f32(dy[row * uniforms.N + n]);
              }
            }
          }
          setOutputAtIndex(index, acc);`;
  const program = wgslProgram('weft_grouped_mat_mul_weight_grad', [E, K, N], ['x', 'dy', 'group'], ['G', 'B', 'K', 'N'], body);
  return backend.runWebGPUProgram(program, [x, dy, group], 'float32', ints(G, b, K, N));
}

/** db[e, n] = Σ over blocks g of expert e, in order, of Σ_i dy[g, i, n]. */
function biasGradWebGPU(backend: WebGPUBackendLike, dy: TensorInfo, group: TensorInfo, G: number, b: number, E: number, N: number): TensorInfo {
  const body = `
          let n = index % uniforms.N;
          let e = index / uniforms.N;
          var acc = 0.0;
          for (var g = 0; g < uniforms.G; g = g + 1) {
            if (group[g] == e) {
              for (var i = 0; i < uniforms.B; i = i + 1) {
                acc = acc + f32(dy[(g * uniforms.B + i) * uniforms.N + n]);
              }
            }
          }
          setOutputAtIndex(index, acc);`;
  const program = wgslProgram('weft_grouped_bias_grad', [E, N], ['dy', 'group'], ['G', 'B', 'N'], body);
  return backend.runWebGPUProgram(program, [dy, group], 'float32', ints(G, b, N));
}

function shapes(kernel: string, x: TensorInfo, other: TensorInfo, group: TensorInfo) {
  assertDtype(kernel, 'x', x, ['float32']);
  assertDtype(kernel, 'group', group, ['int32']);
  const [G, b, K] = x.shape as [number, number, number];
  return { G, b, K, other: other.shape as [number, number, number] };
}

function forwardKernel(backendName: string): KernelFunc {
  const kernel: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, w, group, bias } = inputs as { x: TensorInfo; w: TensorInfo; group: TensorInfo; bias?: TensorInfo };
    const transposeW = !!(attrs as { transposeW?: boolean } | undefined)?.transposeW;
    const { G, b, K, other } = shapes(GROUPED_MAT_MUL, x, w, group);
    const [E, , N] = transposeW ? [other[0], other[2], other[1]] : other; // w (E, K, N), or (E, N, K) read transposed
    if (bias) {
      if (transposeW) throw new Error(`${GROUPED_MAT_MUL}: a bias with transposeW is not supported (transposeW computes the x gradient, which has none)`);
      assertDtype(GROUPED_MAT_MUL, 'bias', bias, ['float32']);
      if (bias.shape.length !== 2 || bias.shape[0] !== E || bias.shape[1] !== N) throw new Error(`${GROUPED_MAT_MUL}: bias has shape [${bias.shape}]; expected [${E}, ${N}] (E, N)`);
    }
    const bmm = isHeapBackend(backend) ? simdBatchMatMulFor(backend) : null;
    const t2d = isHeapBackend(backend) && transposeW ? heapKernels(backend, 'transpose', writeTransposeModule)?.t2d : undefined;
    if (isHeapBackend(backend) && bmm && (!transposeW || t2d)) {
      const out = backend.makeOutput([G, b, N], 'float32');
      // transposeW: two K×N scratches (in cache) for the transposes of each run (see below).
      const scratch = transposeW ? [backend.makeOutput([K, N], 'float32'), backend.makeOutput([K, N], 'float32')] : [];
      try {
        const groups = backend.typedArrayFromHeap(group);
        checkGroups(GROUPED_MAT_MUL, groups, E);
        const [xp, wp, yp] = [offset(backend, x), offset(backend, w), offset(backend, out)];
        const [sp, sq] = scratch.map((t) => offset(backend, t));
        // With a bias, each row of y starts as its expert's bias row and the product adds to it.
        const [y32, b32] = bias ? [backend.typedArrayFromHeap(out), backend.typedArrayFromHeap(bias)] : [];
        // t2d's tiles for a (rows, cols) source: wide sources in 16×64 tiles, others in 64×8.
        const tiles = (rows: number, cols: number): [number, number] => (cols > rows ? [16, 64] : [64, 8]);
        // A run of consecutive blocks of one expert is one product of run·b rows (dropless plans give each expert consecutive blocks).
        forRuns(groups, (g, r) => {
          const m = r * b;
          const [xr, we, yr] = [xp + 4 * g * b * K, wp + 4 * groups[g]! * K * N, yp + 4 * g * b * N];
          if (y32 && b32) {
            fillRows(y32, g * b * N, b32.subarray(groups[g]! * N, (groups[g]! + 1) * N), m);
            return bmm(xr, we, yr, 1, m, K, N, 0, 0, K, 1, 1);
          }
          if (!t2d) return bmm(xr, we, yr, 1, m, K, N, 0, 0, K, 1, 0);
          if (N > K && m * (K + N) < K * N) {
            // A short run (many experts, few rows each) into wide rows: yᵀ = w[e]·xᵀ, transposing the run's
            // rows in and out (m·(K + N) floats) instead of the expert's matrix (K·N); the sums over k run in
            // the same order. Measured at the dropless E=64 shapes (runs of 16 rows, K=64, N=256): 1.47 ms
            // for the weight-transposing 1.87; for N < K (K=256, N=64) it gained nothing (1.87 vs 1.83).
            t2d(xr, sp!, 1, m, K, ...tiles(m, K)); // x run (m, K) -> (K, m)
            bmm(we, sp!, sq!, 1, N, K, m, 0, 0, K, 1, 0); // w[e] (N, K) · (K, m) -> (N, m)
            return t2d(sq!, yr, 1, N, m, ...tiles(N, m)); // (N, m) -> (m, N)
          }
          t2d(we, sp!, 1, N, K, ...tiles(N, K)); // w[e] (N, K) -> (K, N)
          bmm(xr, sp!, yr, 1, m, K, N, 0, 0, K, 1, 0);
        });
      } catch (e) {
        backend.disposeData(out.dataId);
        throw e;
      } finally {
        for (const t of scratch) backend.disposeData(t.dataId);
      }
      return out;
    }
    if (transposeW) {
      // Other backends: the transposed weights as a tensor, then the plain kernel.
      const wT = runBackendKernel('Transpose', backendName, backend, { x: w }, { perm: [0, 2, 1] });
      try {
        return kernel({ inputs: { x, w: wT, group }, backend, attrs: {} }) as TensorInfo;
      } finally {
        (backend as KernelBackend).disposeData(wT.dataId);
      }
    }
    if (backendName === 'cpu') {
      return computeOutput(GROUPED_MAT_MUL, backend, [G, b, N], 'float32', bias ? [x, w, group, bias] : [x, w, group], (out, xs, ws, gs, bs) => {
        checkGroups(GROUPED_MAT_MUL, gs!, E);
        for (let g = 0; g < G; g++) {
          const wo = gs![g]! * K * N;
          if (bs) fillRows(out, g * b * N, bs.subarray(gs![g]! * N, (gs![g]! + 1) * N), b);
          for (let i = 0; i < b; i++) {
            const xo = (g * b + i) * K;
            const yo = (g * b + i) * N;
            for (let k = 0; k < K; k++) {
              const a = xs![xo + k]!;
              for (let j = 0; j < N; j++) out[yo + j] += a * ws![wo + k * N + j]!;
            }
          }
        }
      });
    }
    if (backendName === 'webgpu' && isWebGPU(backend) && G * b * N > 0) return forwardWebGPU(backend, x, w, group, bias, G, b, K, E, N);
    return forwardComposite(backendName, backend, x, w, group, bias);
  };
  return kernel;
}

function weightGradKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy, group } = inputs as { x: TensorInfo; dy: TensorInfo; group: TensorInfo };
    const E = (attrs as { numGroups: number }).numGroups;
    const { G, b, K, other: [, , N] } = shapes(GROUPED_MAT_MUL_WEIGHT_GRAD, x, dy, group);
    const bmm = isHeapBackend(backend) ? simdBatchMatMulFor(backend) : null;
    if (isHeapBackend(backend) && bmm) {
      const out = backend.makeOutput([E, K, N], 'float32');
      try {
        const groups = backend.typedArrayFromHeap(group);
        checkGroups(GROUPED_MAT_MUL_WEIGHT_GRAD, groups, E);
        const [xp, dp, wp] = [offset(backend, x), offset(backend, dy), offset(backend, out)];
        // dw[group[g]] (+)= x[g]ᵀ·dy[g]: A = x[g]ᵀ read through strides (row i of A is column i of x[g]).
        // An expert's first run writes its matrix, later runs add to it; experts with no block are zeroed (no fill of all E first).
        const written = new Uint8Array(E);
        forRuns(groups, (g, r) => {
          const e = groups[g]!;
          bmm(xp + 4 * g * b * K, dp + 4 * g * b * N, wp + 4 * e * K * N, 1, K, r * b, N, 0, 0, 1, K, written[e]!);
          written[e] = 1;
        });
        const dw = backend.typedArrayFromHeap(out);
        for (let e = 0; e < E; e++) if (!written[e]) dw.fill(0, e * K * N, (e + 1) * K * N);
      } catch (e) {
        backend.disposeData(out.dataId);
        throw e;
      }
      return out;
    }
    if (backendName === 'cpu') {
      return computeOutput(GROUPED_MAT_MUL_WEIGHT_GRAD, backend, [E, K, N], 'float32', [x, dy, group], (out, xs, ds, gs) => {
        checkGroups(GROUPED_MAT_MUL_WEIGHT_GRAD, gs!, E);
        for (let g = 0; g < G; g++) {
          const wo = gs![g]! * K * N;
          for (let i = 0; i < b; i++) {
            const xo = (g * b + i) * K;
            const dof = (g * b + i) * N;
            for (let k = 0; k < K; k++) {
              const a = xs![xo + k]!;
              for (let j = 0; j < N; j++) out[wo + k * N + j] += a * ds![dof + j]!;
            }
          }
        }
      });
    }
    if (backendName === 'webgpu' && isWebGPU(backend) && E * K * N > 0) return weightGradWebGPU(backend, x, dy, group, G, b, K, E, N);
    return weightGradComposite(backendName, backend, x, dy, group, E);
  };
}

function biasGradKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, group } = inputs as { dy: TensorInfo; group: TensorInfo };
    const E = (attrs as { numGroups: number }).numGroups;
    assertDtype(GROUPED_BIAS_GRAD, 'dy', dy, ['float32']);
    assertDtype(GROUPED_BIAS_GRAD, 'group', group, ['int32']);
    const [G, b, N] = dy.shape as [number, number, number];
    const bmm = isHeapBackend(backend) ? simdBatchMatMulFor(backend) : null;
    if (isHeapBackend(backend) && bmm) {
      // db[e] (+)= 1·dy_run: a one-row product whose A is a single 1.0 read with strides 0 (a SIMD column sum of the run's rows).
      const one = backend.makeOutput([1], 'float32');
      const out = backend.makeOutput([E, N], 'float32');
      try {
        backend.typedArrayFromHeap(one)[0] = 1;
        const groups = backend.typedArrayFromHeap(group);
        checkGroups(GROUPED_BIAS_GRAD, groups, E);
        const [op, dp, bp] = [offset(backend, one), offset(backend, dy), offset(backend, out)];
        const written = new Uint8Array(E);
        forRuns(groups, (g, r) => {
          const e = groups[g]!;
          bmm(op, dp + 4 * g * b * N, bp + 4 * e * N, 1, 1, r * b, N, 0, 0, 0, 0, written[e]!);
          written[e] = 1;
        });
        const db = backend.typedArrayFromHeap(out);
        for (let e = 0; e < E; e++) if (!written[e]) db.fill(0, e * N, (e + 1) * N);
      } catch (e) {
        backend.disposeData(out.dataId);
        throw e;
      } finally {
        backend.disposeData(one.dataId);
      }
      return out;
    }
    if (backendName === 'cpu') {
      return computeOutput(GROUPED_BIAS_GRAD, backend, [E, N], 'float32', [dy, group], (out, ds, gs) => {
        checkGroups(GROUPED_BIAS_GRAD, gs!, E);
        for (let g = 0; g < G; g++) {
          const o = gs![g]! * N;
          for (let i = 0; i < b; i++) {
            const d = (g * b + i) * N;
            for (let j = 0; j < N; j++) out[o + j] += ds![d + j]!;
          }
        }
      });
    }
    if (backendName === 'webgpu' && isWebGPU(backend) && E * N > 0) return biasGradWebGPU(backend, dy, group, G, b, E, N);
    return biasGradComposite(backendName, backend, dy, group, E);
  };
}

/** The grouped-product kernels of `backendName` (wasm, cpu, webgl, webgpu). */
export function groupedMatMulConfigs(backendName: string): KernelConfig[] {
  return [
    { kernelName: GROUPED_MAT_MUL, backendName, kernelFunc: forwardKernel(backendName) },
    { kernelName: GROUPED_MAT_MUL_WEIGHT_GRAD, backendName, kernelFunc: weightGradKernel(backendName) },
    { kernelName: GROUPED_BIAS_GRAD, backendName, kernelFunc: biasGradKernel(backendName) },
  ];
}
