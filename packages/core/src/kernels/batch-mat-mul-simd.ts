// BatchMatMul with a batch > 1 on tfjs wasm, as a WebAssembly SIMD kernel that works in place on
// the backend's heap. tfjs wasm runs XNNPACK only for one matrix pair; for a batch it falls back
// to a scalar loop (≈1.5 GFLOP/s), and splitting the batch into XNNPACK calls costs ≈1–2.5 ms of
// setup per call, so stacked small products — MoE experts `[E, C, d] × [E, d, h]`, per-block
// weights — were slow either way. This kernel tiles 4 rows × 8 columns in eight f32x4 registers
// (each A value one broadcasting load, v128.load32_splat: 12% faster than f32.load + splat), reads
// A through strides (a broadcast A costs nothing; a large transposed A is transposed first, see
// below) and B row-major (a transposed B is transposed once with Weft's Transpose kernel, O(size));
// the last N mod 4 columns are one 4-column tile too (a 256×256×10 product: 130 → 43 µs, was a
// scalar loop per column). One product (batch 1) goes
// to it too up to SINGLE_PRODUCT_MAX multiply-adds: there it beat tfjs's XNNPACK call, whose setup
// dominates small products (process CPU time per call, Node, one thread: 256×64×64 62 vs 174 µs,
// 8×64×64 2 vs 16 µs, 256³ 1.11 vs 1.19 ms, 512×256×256 2.32 vs 2.46 ms); from 512³ (10.8 vs 9.0 ms)
// XNNPACK's cache blocking wins, and only it can use the threaded build's threads. Measured speeds
// are in bench/results.json (`core.batch_matmul_*`).
import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { batchShapes } from './batch-mat-mul-broadcast.js';
import { isHeapBackend, runBackendKernel, type HeapBackend } from './io.js';
import { F32, FunctionWriter, I32, V128, heapKernels, type Local } from './wasm-module.js';

/** Largest M·K·N of one product (batch 1) that runs here rather than on XNNPACK (2^25, e.g. 512×256×256). */
export const SINGLE_PRODUCT_MAX = 1 << 25;
/**
 * The same limit when tfjs runs its threaded build with more than one thread (2^21, 128³): this
 * kernel runs on one thread, XNNPACK splits a product over its pool, so it wins from a smaller size
 * (estimated from the one-thread times above halved; not measured in a browser).
 */
export const SINGLE_PRODUCT_MAX_THREADED = 1 << 21;

/** Fewest rows of one product with a transposed B that run here (fewer go to XNNPACK; see simdBatchMatMul). */
export const SINGLE_PRODUCT_TRANSPOSED_MIN_ROWS = 16;

/** XNNPACK's thread count on `backend` (1 when the build has no threads or does not say). */
function threadsOf(backend: unknown): number {
  const n = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' && n > 1 ? n : 1;
}

/** Fewest columns N of C for which a transposed A is transposed once rather than read through strides … */
export const TRANSPOSE_A_MIN_COLUMNS = 64;
/** Fewest multiply-adds M·K·N of one product for that (below it the transpose kernel's fixed cost wins). */
export const TRANSPOSE_A_MIN_WORK = 1 << 20;

/** Rows × f32x4 vectors per register tile of the main loop. */
const TILE_ROWS = 4;
const TILE_VECTORS = 2;

/**
 * `bmm(aPtr, bPtr, cPtr, batch, M, K, N, aBatchStride, bBatchStride, aRowStride, aColStride, accumulate)`:
 * for each batch entry, C(M, N) = A(M, K) · B(K, N), or C += A · B when `accumulate` is 1. Pointers
 * are byte offsets; strides count floats: A(i, k) is at aPtr + 4·(b·aBatchStride + i·aRowStride +
 * k·aColStride), B(k, j) at bPtr + 4·(b·bBatchStride + k·N + j), C is contiguous (batch, M, N).
 */
export function writeBatchMatMul(): FunctionWriter {
  const f = new FunctionWriter(12);
  const [aPtr, bPtr, cPtr, batch, M, K, N, aBS, bBS, aRS, aCS, accumulate] = f.params as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const [b, i, j, k, pb, pc, aBase, bBase, cBase, rowBytes, matBytes, lastRowTile, lastTile8, lastTile4, overRead] = Array.from({ length: 15 }, () => f.local(I32));
  const pa = Array.from({ length: TILE_ROWS }, () => f.local(I32));
  const acc = Array.from({ length: TILE_ROWS * TILE_VECTORS }, () => f.local(V128));
  const bv = Array.from({ length: TILE_VECTORS }, () => f.local(V128));
  const av = f.local(V128);
  const s = f.local(F32);
  const one = { constant: 1 };

  /** pa[r] = aBase + (i + r)·aRowStride for r < rows. */
  const rowPointers = (rows: number) => {
    for (let r = 0; r < rows; r++) {
      f.get(i);
      if (r) f.i32(r).add();
      f.get(aRS).mul().get(aBase).add().set(pa[r]!);
    }
  };
  /** A rows × (4·vectors) tile of C at (i, j), accumulated over k in registers. */
  const tile = (rows: number, vectors: number) => {
    rowPointers(rows);
    f.get(j).i32(2).shl().get(bBase).add().set(pb);
    // pc = cBase + i·rowBytes + 4·j: the tile's first row of C (accumulators start from it or from 0).
    f.get(i).get(rowBytes).mul().get(cBase).add().get(j).i32(2).shl().add().set(pc);
    f.ifElse(
      () => f.get(accumulate),
      () => {
        for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) f.get(pc).get(rowBytes).i32(r).mul().add().v128Load(16 * v).set(acc[r * TILE_VECTORS + v]!);
      },
      () => {
        for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) f.v128Zero().set(acc[r * TILE_VECTORS + v]!);
      },
    );
    f.get(K).set(k);
    f.whileLoop(() => f.i32(0).get(k).lt(), () => {
      for (let v = 0; v < vectors; v++) f.get(pb).v128Load(16 * v).set(bv[v]!);
      for (let r = 0; r < rows; r++) {
        f.get(pa[r]!).v128Load32Splat().set(av);
        for (let v = 0; v < vectors; v++) {
          const a = acc[r * TILE_VECTORS + v]!;
          f.get(a).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(a);
        }
        f.inc(pa[r]!, aCS);
      }
      f.inc(pb, rowBytes).inc(k, { constant: -1 });
    });
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vectors; v++) f.get(pc).get(acc[r * TILE_VECTORS + v]!).v128Store(16 * v);
      f.inc(pc, rowBytes);
    }
  };
  /**
   * The last N − j < 4 columns of C for rows i … i + rows − 1 as one 4-column tile: B is read four
   * floats at a time past its row's end (the extra lanes hold the next row's values and are never
   * stored), and only the first N − j lanes are written. Used when those reads stay inside memory.
   */
  const partialTile = (rows: number) => {
    rowPointers(rows);
    f.get(j).i32(2).shl().get(bBase).add().set(pb);
    f.get(i).get(rowBytes).mul().get(cBase).add().get(j).i32(2).shl().add().set(pc);
    for (let r = 0; r < rows; r++) f.v128Zero().set(acc[r * TILE_VECTORS]!);
    f.get(K).set(k);
    f.whileLoop(() => f.i32(0).get(k).lt(), () => {
      f.get(pb).v128Load().set(bv[0]!);
      for (let r = 0; r < rows; r++) {
        f.get(pa[r]!).v128Load32Splat().set(av);
        const a = acc[r * TILE_VECTORS]!;
        f.get(a).get(av).get(bv[0]!).f32x4Mul().f32x4Add().set(a);
        f.inc(pa[r]!, aCS);
      }
      f.inc(pb, rowBytes).inc(k, { constant: -1 });
    });
    for (let r = 0; r < rows; r++) {
      for (let lane = 0; lane < 3; lane++) {
        // C(i + r, j + lane) = the lane (+ its old value when accumulating), for lane < N − j.
        f.ifElse(() => f.i32(lane).get(N).get(j).sub().lt(), () => {
          f.get(pc).get(acc[r * TILE_VECTORS]!).f32x4ExtractLane(lane);
          f.get(pc).f32Load(4 * lane).f32Zero().get(accumulate).select().f32Add().f32Store(4 * lane);
        }, () => {});
      }
      f.inc(pc, rowBytes);
    }
  };
  /** Column j of C for rows i … i + rows − 1 (the last N mod 4 columns), one scalar dot product each. */
  const scalarColumn = (rows: number) => {
    rowPointers(rows);
    f.get(i).get(rowBytes).mul().get(cBase).add().get(j).i32(2).shl().add().set(pc);
    for (let r = 0; r < rows; r++) {
      f.get(j).i32(2).shl().get(bBase).add().set(pb);
      f.ifElse(() => f.get(accumulate), () => f.get(pc).f32Load().set(s), () => f.f32Zero().set(s));
      f.get(K).set(k);
      f.whileLoop(() => f.i32(0).get(k).lt(), () => {
        f.get(s).get(pa[r]!).f32Load().get(pb).f32Load().f32Mul().f32Add().set(s);
        f.inc(pa[r]!, aCS).inc(pb, rowBytes).inc(k, { constant: -1 });
      });
      f.get(pc).get(s).f32Store();
      f.inc(pc, rowBytes);
    }
  };
  /** All columns of C for rows i … i + rows − 1. */
  const columns = (rows: number) => {
    f.i32(0).set(j);
    f.whileLoop(() => f.get(j).get(lastTile8).le(), () => { tile(rows, 2); f.inc(j, { constant: 8 }); });
    f.whileLoop(() => f.get(j).get(lastTile4).le(), () => { tile(rows, 1); f.inc(j, { constant: 4 }); });
    f.ifElse(() => f.get(j).get(N).lt().get(overRead).mul(), () => partialTile(rows), () => {
      f.whileLoop(() => f.get(j).get(N).lt(), () => { scalarColumn(rows); f.inc(j, one); });
    });
  };

  for (const stride of [aBS, bBS, aRS, aCS]) f.get(stride).i32(2).shl().set(stride); // floats -> bytes
  f.get(N).i32(2).shl().set(rowBytes);
  f.get(M).get(rowBytes).mul().set(matBytes);
  f.get(M).i32(TILE_ROWS).sub().set(lastRowTile);
  f.get(N).i32(8).sub().set(lastTile8);
  // overRead = 1 when reading 16 bytes past the end of the last batch entry's B stays inside memory.
  f.get(batch).i32(1).sub().get(bBS).mul().get(bPtr).add().get(K).get(rowBytes).mul().add().i32(16).add().i32(16).shrU().memorySize().ltU().set(overRead);
  f.get(N).i32(4).sub().set(lastTile4);
  f.i32(0).set(b);
  f.whileLoop(() => f.get(b).get(batch).lt(), () => {
    f.get(b).get(aBS).mul().get(aPtr).add().set(aBase);
    f.get(b).get(bBS).mul().get(bPtr).add().set(bBase);
    f.get(b).get(matBytes).mul().get(cPtr).add().set(cBase);
    f.i32(0).set(i);
    f.whileLoop(() => f.get(i).get(lastRowTile).le(), () => { columns(TILE_ROWS); f.inc(i, { constant: TILE_ROWS }); });
    f.whileLoop(() => f.get(i).get(M).lt(), () => { columns(1); f.inc(i, one); });
    f.inc(b, one);
  });
  return f;
}

type Bmm = (...args: number[]) => void;

/** The kernel bound to `backend`'s heap, or null (no SIMD, or a tfjs build that hides its memory). */
export function simdBatchMatMulFor(backend: unknown): Bmm | null {
  return heapKernels(backend, 'bmm', () => ({ bmm: writeBatchMatMul() }))?.bmm ?? null;
}

/** Byte offset of `t`'s data on the heap. */
const heapOffset = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;

/**
 * BatchMatMul for batches of products (any rank; equal batch shapes, or one operand without batch)
 * and for one product up to {@link SINGLE_PRODUCT_MAX} on the SIMD kernel; larger single products,
 * other dtypes and other broadcasts go to `inner`.
 */
export function simdBatchMatMul(inner: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    const { transposeA = false, transposeB = false } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!a || !b || !isHeapBackend(backend) || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return inner(args);
    // Batch dimensions, padded to one rank: equal, or all 1 on one side (then that operand is reused).
    const [sa, sb] = batchShapes(a, b);
    const [aBatch, bBatch] = [sa.reduce((p, d) => p * d, 1), sb.reduce((p, d) => p * d, 1)];
    const batch = Math.max(aBatch, bBatch);
    const same = sa.every((d, i) => d === sb[i]);
    if (!(same || aBatch === 1 || bBatch === 1)) return inner(args);
    const outBatch = aBatch === 1 ? sb : sa;
    const [aRows, aCols] = a.shape.slice(-2) as [number, number];
    const [bRows, bCols] = b.shape.slice(-2) as [number, number];
    const [M, K] = transposeA ? [aCols, aRows] : [aRows, aCols];
    const N = transposeB ? bRows : bCols;
    if ((transposeB ? bCols : bRows) !== K) return inner(args); // tfjs's kernel reports the mismatch
    if (batch <= 1 && M * K * N > (threadsOf(backend) > 1 ? SINGLE_PRODUCT_MAX_THREADED : SINGLE_PRODUCT_MAX)) return inner(args);
    // A transposed B is transposed here once per call, K·N work: for one product of few rows (a decode
    // step's tied vocabulary head, 1 × d · (V × d)ᵀ) that is as much as the product itself, and XNNPACK
    // reads the transposed layout directly (hf.decode_tokens_per_s fell from 409 to 219 without this).
    if (batch <= 1 && (M < TILE_ROWS || (transposeB && M < SINGLE_PRODUCT_TRANSPOSED_MIN_ROWS))) return inner(args);
    const bmm = simdBatchMatMulFor(backend);
    if (!bmm) return inner(args);
    /** (…, R, C) -> (…, C, R) with Weft's Transpose kernel. */
    const swapLast = (t: TensorInfo) => {
      const r = t.shape.length;
      return runBackendKernel('Transpose', 'wasm', backend, { x: t }, { perm: [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2] });
    };
    // B is read row-major: (…, N, K) -> (…, K, N). A transposed A is read through strides, one
    // scalar per row M floats apart, which misses the cache (a 256×256×256 product ran at 0.89 of
    // the row-major speed); from N ≥ 64 columns and 2^20 multiply-adds per product, one O(M·K)
    // transpose costs less than that (64×256×256, CPU time under load: 259 vs 323–350 µs).
    const bRowMajor = transposeB ? swapLast(b) : b;
    const aRowMajor = transposeA && N >= TRANSPOSE_A_MIN_COLUMNS && M * K * N >= TRANSPOSE_A_MIN_WORK ? swapLast(a) : a;
    const strided = aRowMajor === a && transposeA;
    try {
      const out = backend.makeOutput([...outBatch, M, N], 'float32');
      bmm(
        heapOffset(backend, aRowMajor), heapOffset(backend, bRowMajor), heapOffset(backend, out), batch, M, K, N,
        aBatch === 1 ? 0 : M * K, bBatch === 1 ? 0 : K * N,
        strided ? 1 : K, strided ? M : 1, 0,
      );
      return out;
    } finally {
      if (bRowMajor !== b) backend.disposeData(bRowMajor.dataId);
      if (aRowMajor !== a) backend.disposeData(aRowMajor.dataId);
    }
  };
}

/** Weft's wrapper of the (already wrapped) wasm BatchMatMul: batches go to the SIMD kernel. */
export function simdBatchMatMulWasmConfig(wrapped: KernelConfig): KernelConfig {
  return { ...wrapped, kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: simdBatchMatMul(wrapped.kernelFunc) };
}
