// Fused Linear (y = x·W + b over the last axis) on cpu and wasm: one kernel forward and one for the
// parameter gradients, where the op-by-op Linear runs Reshape, BatchMatMul, Add, Reshape forward (and
// the engine clones five tensors for their gradients) and Reshape, BatchMatMul ×2, Reshape, Sum,
// Reshape ×3 backward. Leading axes are flattened in place (rows = size / K): no reshapes.
//   WeftLinear           x (…, K), w (K, N), b (N) when present -> y (…, N).
//     wasm: the output rows start as b and the SIMD product accumulates x·W onto them (one pass);
//     products that kernels/batch-mat-mul-simd.ts leaves to XNNPACK (fewer than 4 rows, very large
//     or threaded) run as its BatchMatMul with the bias added after.
//   WeftLinearParamGrad  x (…, K), dy (…, N) -> [dw (K, N), db (N)]: dw = xᵀ·dy (x read transposed
//     in place), db = Σ_rows dy (on wasm the SIMD product of a row of ones, read as one float with
//     stride 0, and dy). The input gradient dy·Wᵀ is a plain BatchMatMul (ops/linear.ts).
// cpu (and wasm without SIMD) run plain loops with float64 sums.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SINGLE_PRODUCT_MAX, SINGLE_PRODUCT_MAX_THREADED, TRANSPOSE_A_MIN_COLUMNS as TRANSPOSE_X_MIN_COLUMNS, TRANSPOSE_A_MIN_WORK as TRANSPOSE_X_MIN_WORK, simdBatchMatMulFor } from './batch-mat-mul-simd.js';
import { isArrayBackend, isHeapBackend, runBackendKernel, type HeapBackend } from './io.js';

/** The kernels' names. */
export const LINEAR = 'WeftLinear';
export const LINEAR_PARAM_GRAD = 'WeftLinearParamGrad';

/** Rows (product of the leading axes), K and N of x (…, K) with w (K, N); throws on a mismatch. */
function dims(kernel: string, x: TensorInfo, w: TensorInfo, b?: TensorInfo): { rows: number; K: number; N: number } {
  for (const [name, t] of [['x', x], ['w', w], ['b', b]] as const) {
    if (t && t.dtype !== 'float32') throw new Error(`${kernel}: ${name} has dtype ${t.dtype}; allowed: float32`);
  }
  if (x.shape.length < 1 || w.shape.length !== 2 || x.shape[x.shape.length - 1] !== w.shape[0]) {
    throw new Error(`${kernel}: x [${x.shape}] and w [${w.shape}] must be (…, K) and (K, N)`);
  }
  const [K, N] = w.shape as [number, number];
  if (b && (b.shape.length !== 1 || b.shape[0] !== N)) throw new Error(`${kernel}: b has shape [${b.shape}]; expected [${N}]`);
  return { rows: x.shape.slice(0, -1).reduce((p, d) => p * d, 1), K, N };
}

/** XNNPACK's thread count on `backend` (1 when the build has no threads). */
function threadsOf(backend: unknown): number {
  const n = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' && n > 1 ? n : 1;
}

/** The SIMD product for an (M, K)·(K, N) product on `backend`, or null where BatchMatMul's own routing should run it. */
export function simdProduct(backend: HeapBackend, M: number, K: number, N: number) {
  if (M < 4 || M * K * N > (threadsOf(backend) > 1 ? SINGLE_PRODUCT_MAX_THREADED : SINGLE_PRODUCT_MAX)) return null;
  return simdBatchMatMulFor(backend);
}

/** A view of `t` with another shape of the same size (wasm: same data, no copy). */
const view = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });

const offset = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;

/** y (rows, N) = x (rows, K)·w (K, N) + b, float64 sums (cpu, and wasm without SIMD). */
function linearLoops(xs: Float32Array, ws: Float32Array, bs: Float32Array | null, y: Float32Array, rows: number, K: number, N: number): void {
  const acc = new Float64Array(N);
  for (let r = 0; r < rows; r++) {
    if (bs) for (let j = 0; j < N; j++) acc[j] = bs[j]!;
    else acc.fill(0);
    for (let k = 0; k < K; k++) {
      const v = xs[r * K + k]!;
      if (v === 0) continue;
      for (let j = 0, o = k * N; j < N; j++) acc[j] += v * ws[o + j]!;
    }
    y.set(acc, r * N);
  }
}

/** dw (K, N) = xᵀ·dy and db (N) = Σ_rows dy, float64 sums. */
function paramGradLoops(xs: Float32Array, dys: Float32Array, dw: Float32Array, db: Float32Array, rows: number, K: number, N: number): void {
  const accW = new Float64Array(K * N);
  const accB = new Float64Array(N);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < N; j++) accB[j] += dys[r * N + j]!;
    for (let k = 0; k < K; k++) {
      const v = xs[r * K + k]!;
      if (v === 0) continue;
      for (let j = 0, o = k * N; j < N; j++) accW[o + j] += v * dys[r * N + j]!;
    }
  }
  dw.set(accW);
  db.set(accB);
}

const linear: KernelFunc = ({ inputs, backend }) => {
  const { x, w, b } = inputs as { x: TensorInfo; w: TensorInfo; b?: TensorInfo };
  const { rows, K, N } = dims(LINEAR, x, w, b);
  const shape = [...x.shape.slice(0, -1), N];
  if (isHeapBackend(backend)) {
    const bmm = simdProduct(backend, rows, K, N);
    if (bmm) {
      const out = backend.makeOutput(shape, 'float32');
      if (b) {
        const [y, bias] = [backend.typedArrayFromHeap(out) as Float32Array, backend.typedArrayFromHeap(b) as Float32Array];
        // rows start as b: the first row, then copies of the rows filled so far (log₂ rows calls, not rows)
        y.set(bias);
        for (let filled = N; filled < y.length; filled *= 2) y.copyWithin(filled, 0, Math.min(filled, y.length - filled));
      }
      // (rows, K)·(K, N), accumulated onto the bias rows (or written) in one pass
      bmm(offset(backend, x), offset(backend, w), offset(backend, out), 1, rows, K, N, 0, 0, K, 1, b ? 1 : 0);
      return out;
    }
    const product = runBackendKernel('BatchMatMul', 'wasm', backend, { a: view(x, [rows, K]), b: w }, { transposeA: false, transposeB: false }); // (rows, N)
    if (b) {
      const [y, bias] = [backend.typedArrayFromHeap(product) as Float32Array, backend.typedArrayFromHeap(b) as Float32Array];
      for (let r = 0, o = 0; r < rows; r++, o += N) for (let j = 0; j < N; j++) y[o + j] += bias[j]!;
    }
    return view(product, shape); // (rows, N) -> (…, N): the same data
  }
  if (isArrayBackend(backend)) {
    const y = new Float32Array(rows * N);
    const read = (t: TensorInfo) => backend.readSync(t.dataId) as Float32Array;
    linearLoops(read(x), read(w), b ? read(b) : null, y, rows, K, N);
    return backend.makeTensorInfo(shape, 'float32', y);
  }
  throw new Error(`${LINEAR}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
};

const linearParamGrad: KernelFunc = ({ inputs, backend }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const K = x.shape[x.shape.length - 1]!;
  const N = dy.shape[dy.shape.length - 1]!;
  const { rows } = dims(LINEAR_PARAM_GRAD, x, { dataId: dy.dataId, shape: [K, N], dtype: 'float32' });
  if (dy.dtype !== 'float32' || dy.shape.length !== x.shape.length || dy.shape.some((d, i) => i < dy.shape.length - 1 && d !== x.shape[i])) {
    throw new Error(`${LINEAR_PARAM_GRAD}: dy [${dy.shape}] (${dy.dtype}) must be float32 with x's leading axes [${x.shape.slice(0, -1)}]`);
  }
  if (isHeapBackend(backend)) {
    const bmm = simdProduct(backend, K, rows, N); // dw is (K, N): K rows
    const dw = bmm ? backend.makeOutput([K, N], 'float32') : runBackendKernel('BatchMatMul', 'wasm', backend, { a: view(x, [rows, K]), b: view(dy, [rows, N]) }, { transposeA: true, transposeB: false });
    const db = backend.makeOutput([N], 'float32');
    const simd = simdBatchMatMulFor(backend);
    if (bmm && N >= TRANSPOSE_X_MIN_COLUMNS && K * rows * N >= TRANSPOSE_X_MIN_WORK) {
      // A large product reads xᵀ row-major after one transpose (read in place, one scalar per row K
      // floats apart, it ran at 0.89 of the row-major speed: the SIMD product's transposed-A rule).
      const xt = runBackendKernel('Transpose', 'wasm', backend, { x: view(x, [rows, K]) }, { perm: [1, 0] }); // (rows, K) -> (K, rows)
      bmm(offset(backend, xt), offset(backend, dy), offset(backend, dw), 1, K, rows, N, 0, 0, rows, 1, 0);
      backend.disposeData(xt.dataId);
    } else if (bmm) bmm(offset(backend, x), offset(backend, dy), offset(backend, dw), 1, K, rows, N, 0, 0, 1, K, 0); // xᵀ read in place: A(i, r) = x[r, i]
    if (simd && rows > 0) {
      const one = backend.makeOutput([1], 'float32');
      (backend.typedArrayFromHeap(one) as Float32Array)[0] = 1;
      simd(offset(backend, one), offset(backend, dy), offset(backend, db), 1, 1, rows, N, 0, 0, 0, 0, 0); // (1, rows) of ones · dy: the column sums
      backend.disposeData(one.dataId);
    } else {
      const [dys, sums] = [backend.typedArrayFromHeap(dy) as Float32Array, new Float64Array(N)];
      for (let r = 0, o = 0; r < rows; r++, o += N) for (let j = 0; j < N; j++) sums[j] += dys[o + j]!;
      (backend.typedArrayFromHeap(db) as Float32Array).set(sums);
    }
    return [dw, db];
  }
  if (isArrayBackend(backend)) {
    const [dw, db] = [new Float32Array(K * N), new Float32Array(N)];
    paramGradLoops(backend.readSync(x.dataId) as Float32Array, backend.readSync(dy.dataId) as Float32Array, dw, db, rows, K, N);
    return [backend.makeTensorInfo([K, N], 'float32', dw), backend.makeTensorInfo([N], 'float32', db)];
  }
  throw new Error(`${LINEAR_PARAM_GRAD}: the backend is neither tfjs wasm nor tfjs cpu; Weft registers this kernel only there`);
};

/** Weft's fused Linear forward and parameter-gradient kernels on `backendName` (cpu or wasm). */
export function linearConfigs(backendName: 'cpu' | 'wasm'): KernelConfig[] {
  return [
    { kernelName: LINEAR, backendName, kernelFunc: linear },
    { kernelName: LINEAR_PARAM_GRAD, backendName, kernelFunc: linearParamGrad },
  ];
}
