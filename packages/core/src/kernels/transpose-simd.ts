// Transpose on tfjs wasm as WebAssembly SIMD kernels on the backend's heap. tfjs wasm's Transpose
// ran at 0.8 GB/s on 4096×256 floats (9.9 ms, memcpy 0.13 ms), and it runs for every transposed
// matmul operand and attention's head split. The permutation is first simplified (size-1 axes
// dropped, axes that stay neighbours merged); what remains is almost always a batch of 2-D
// transposes of elements of E floats, (B, X, Y, E) → (B, Y, X, E): with E = 1 as 4×4 blocks
// transposed in registers (four loads, eight shuffles, four stores), in tiles that keep the rows in
// flight in cache; with E > 1 as copies of E-float runs. float32 and int32 (bit
// copies); other dtypes and permutations (e.g. a rank-3 reversal) go to tfjs's kernel.
import { Transpose } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import { isHeapBackend, type HeapBackend } from './io.js';
import { FunctionWriter, I32, V128, heapKernels, type Local } from './wasm-module.js';

/**
 * `t2d(src, dst, batch, X, Y, tileRows, tileColumns)`: dst[b][y][x] = src[b][x][y] (byte pointers,
 * 4-byte elements), in tiles of tileRows × tileColumns (multiples of 4) of src.
 */
export function writeTranspose2d(): FunctionWriter {
  const f = new FunctionWriter(7);
  const [src, dst, batch, X, Y, tileRows, tileColumns] = f.params as [Local, Local, Local, Local, Local, Local, Local];
  const [b, x, y, xt, xEnd, yt, yEnd, sb, db, xb, yb, ps, pd, matBytes] = Array.from({ length: 14 }, () => f.local(I32));
  const r = Array.from({ length: 4 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  /** dst(y, x + k) = src(x + k, y) for k < rows, scalar (bit copies). */
  const scalarColumn = (rows: number) => {
    for (let kk = 0; kk < rows; kk++) {
      f.get(y).get(xb).mul().get(db).add().get(x).i32(kk).add().i32(2).shl().add(); // &dst[y][x + kk]
      f.get(x).i32(kk).add().get(yb).mul().get(sb).add().get(y).i32(2).shl().add().i32Load(); // src[x + kk][y]
      f.i32Store();
    }
  };
  f.get(X).i32(2).shl().set(xb);
  f.get(Y).i32(2).shl().set(yb);
  f.get(X).get(yb).mul().set(matBytes);
  f.i32(0).set(b);
  f.whileLoop(() => f.get(b).get(batch).lt(), () => {
    f.get(b).get(matBytes).mul().get(src).add().set(sb);
    f.get(b).get(matBytes).mul().get(dst).add().set(db);
    f.i32(0).set(yt);
    f.whileLoop(() => f.get(yt).get(Y).lt(), () => {
      // yEnd = min(yt + tileColumns, Y)
      f.get(yt).get(tileColumns).add().get(Y).get(yt).get(tileColumns).add().get(Y).lt().select().set(yEnd);
      f.i32(0).set(x);
      f.i32(0).set(xt);
      f.whileLoop(() => f.get(xt).i32(4).add().get(X).le(), () => {
      // xEnd = min(xt + tileRows, X); the 4-row blocks of this tile, then x is where they stopped
      f.get(xt).get(tileRows).add().get(X).get(xt).get(tileRows).add().get(X).lt().select().set(xEnd);
      f.get(xt).set(x);
      f.whileLoop(() => f.get(x).i32(4).add().get(xEnd).le(), () => {
        f.get(yt).set(y);
        f.whileLoop(() => f.get(y).i32(4).add().get(yEnd).le(), () => {
          f.get(x).get(yb).mul().get(sb).add().get(y).i32(2).shl().add().set(ps);
          for (let i = 0; i < 4; i++) {
            f.get(ps).v128Load().set(r[i]!);
            if (i < 3) f.inc(ps, yb);
          }
          f.get(r[0]!).get(r[1]!).shuffle32([0, 4, 1, 5]).set(t[0]!);
          f.get(r[0]!).get(r[1]!).shuffle32([2, 6, 3, 7]).set(t[1]!);
          f.get(r[2]!).get(r[3]!).shuffle32([0, 4, 1, 5]).set(t[2]!);
          f.get(r[2]!).get(r[3]!).shuffle32([2, 6, 3, 7]).set(t[3]!);
          f.get(y).get(xb).mul().get(db).add().get(x).i32(2).shl().add().set(pd);
          const out: [Local, Local, [number, number, number, number]][] = [
            [t[0]!, t[2]!, [0, 1, 4, 5]], [t[0]!, t[2]!, [2, 3, 6, 7]], [t[1]!, t[3]!, [0, 1, 4, 5]], [t[1]!, t[3]!, [2, 3, 6, 7]],
          ];
          out.forEach(([a, c, lanes], i) => {
            f.get(pd).get(a).get(c).shuffle32(lanes).v128Store();
            if (i < 3) f.inc(pd, xb);
          });
          f.inc(y, { constant: 4 });
        });
        f.whileLoop(() => f.get(y).get(yEnd).lt(), () => { scalarColumn(4); f.inc(y, { constant: 1 }); });
        f.inc(x, { constant: 4 });
      });
      f.get(x).set(xt);
      });
      f.whileLoop(() => f.get(x).get(X).lt(), () => {
        f.get(yt).set(y);
        f.whileLoop(() => f.get(y).get(yEnd).lt(), () => { scalarColumn(1); f.inc(y, { constant: 1 }); });
        f.inc(x, { constant: 1 });
      });
      f.get(yEnd).set(yt);
    });
    f.inc(b, { constant: 1 });
  });
  return f;
}

/** `tchunk(src, dst, batch, X, Y, E)`: dst[b][y][x][e] = src[b][x][y][e] (byte pointers, 4-byte elements). */
function writeTransposeChunks(): FunctionWriter {
  const f = new FunctionWriter(6);
  const [src, dst, batch, X, Y, E] = f.params as [Local, Local, Local, Local, Local, Local];
  const [b, x, y, e, ps, pd, eb, dstRow, db, last4] = Array.from({ length: 10 }, () => f.local(I32));
  f.get(E).i32(2).shl().set(eb);
  f.get(X).get(eb).mul().set(dstRow); // bytes per dst (b, y) row of X elements
  f.get(E).i32(4).sub().set(last4);
  f.get(src).set(ps);
  f.i32(0).set(b);
  f.whileLoop(() => f.get(b).get(batch).lt(), () => {
    f.get(b).get(Y).mul().get(dstRow).mul().get(dst).add().set(db);
    f.i32(0).set(x);
    f.whileLoop(() => f.get(x).get(X).lt(), () => {
      f.i32(0).set(y);
      f.whileLoop(() => f.get(y).get(Y).lt(), () => {
        f.get(y).get(dstRow).mul().get(db).add().get(x).get(eb).mul().add().set(pd);
        f.i32(0).set(e);
        f.whileLoop(() => f.get(e).get(last4).le(), () => {
          f.get(pd).get(ps).v128Load().v128Store();
          f.inc(pd, { constant: 16 }).inc(ps, { constant: 16 }).inc(e, { constant: 4 });
        });
        f.whileLoop(() => f.get(e).get(E).lt(), () => {
          f.get(pd).get(ps).i32Load().i32Store();
          f.inc(pd, { constant: 4 }).inc(ps, { constant: 4 }).inc(e, { constant: 1 });
        });
        f.inc(y, { constant: 1 });
      });
      f.inc(x, { constant: 1 });
    });
    f.inc(b, { constant: 1 });
  });
  return f;
}

/** The transpose module's functions. */
export function writeTransposeModule(): Record<'t2d' | 'tchunk', FunctionWriter> {
  return { t2d: writeTranspose2d(), tchunk: writeTransposeChunks() };
}

/**
 * `perm` of `shape` simplified: size-1 axes dropped, axes that stay neighbours in the output merged.
 * Returns the simplified input shape and permutation; ([2, 3, 4], [0, 2, 1]) stays, ([2, 3, 4], [1, 2, 0])
 * is ([2, 12], [1, 0]).
 */
export function simplifyPermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const rename = new Map(kept.map((a, i) => [a, i]));
  const p = perm.filter((a) => shape[a] !== 1).map((a) => rename.get(a)!);
  const groups: number[][] = [];
  for (const a of p) {
    const last = groups.at(-1);
    if (last && last.at(-1)! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const inputOrder = [...groups].sort((g, h) => g[0]! - h[0]!);
  return {
    shape: inputOrder.map((g) => g.reduce((s, a) => s * shape[kept[a]!]!, 1)),
    perm: groups.map((g) => inputOrder.indexOf(g)),
  };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const ptr = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;

/** The transposes as (B, X, Y, E) → (B, Y, X, E), or null for a permutation that is not one. */
function asBatchedTranspose(shape: number[], perm: number[]): [number, number, number, number] | null {
  if (same(perm, [1, 0])) return [1, shape[0]!, shape[1]!, 1];
  if (same(perm, [0, 2, 1])) return [shape[0]!, shape[1]!, shape[2]!, 1];
  if (same(perm, [1, 0, 2])) return [1, shape[0]!, shape[1]!, shape[2]!];
  if (same(perm, [0, 2, 1, 3])) return [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
  return null;
}

/** Weft's SIMD Transpose, `original` (tfjs's) for what it does not cover. */
function transposeKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { perm } = attrs as unknown as TransposeAttrs;
    if (!x || !isHeapBackend(backend) || !['float32', 'int32'].includes(x.dtype) || x.shape.length !== perm.length || x.shape.some((d) => d === 0)) return original(args);
    const simple = simplifyPermutation(x.shape, perm);
    const outShape = perm.map((a) => x.shape[a]!);
    if (simple.perm.length <= 1) {
      const out = backend.makeOutput(outShape, x.dtype);
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x)); // the same order: a copy
      return out;
    }
    const bxye = asBatchedTranspose(simple.shape, simple.perm);
    const fns = bxye ? heapKernels(backend, 'transpose', writeTransposeModule) : null;
    if (!bxye || !fns) return original(args);
    const [B, X, Y, E] = bxye;
    const out = backend.makeOutput(outShape, x.dtype);
    // Tiles that keep few rows of the array with the longer rows in flight (power-of-two row strides
    // map to one cache set): measured on 4096×256, 256×4096 and 1024×1024 (23–31, 17–26, 21 GB/s).
    const [tileRows, tileColumns] = Y > X ? [16, 64] : [64, 8];
    if (E === 1) fns.t2d(ptr(backend, x), ptr(backend, out), B, X, Y, tileRows, tileColumns);
    else fns.tchunk(ptr(backend, x), ptr(backend, out), B, X, Y, E);
    return out;
  };
}

/** Weft's wasm Transpose, wrapping tfjs's `original`. */
export function transposeWasmConfig(original: KernelConfig): KernelConfig {
  if (original.kernelName !== Transpose) throw new Error(`transposeWasmConfig: kernel ${original.kernelName}; expected Transpose`);
  return { ...original, kernelFunc: transposeKernel(original.kernelFunc) };
}
