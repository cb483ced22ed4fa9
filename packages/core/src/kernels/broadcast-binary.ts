// Broadcasting binary kernels on tfjs wasm. tfjs wasm runs its binary kernels outside XNNPACK
// (comparisons, logical ops, Maximum/Minimum, and int32 Add/Sub/Mul) through a generic C++ loop
// when the operands' shapes differ: it rebuilds each element's index vector, ~100 ns per element
// (5 ms for MoE's z-loss Max gradient, Equal of [512, 64] with [512, 1]; same shapes or a scalar
// take tfjs's fast loop, 1–5 ns). Here the broadcast case runs in JS on the heap: the dimensions are
// simplified (size-1 axes dropped, neighbours broadcast alike merged), and each innermost run goes
// through the op's own loop (one function per op, so each loop stays monomorphic). Same shapes and
// scalars run here too (2–4 ns per element, tfjs's loop 5 ns); dtypes outside the op's list and
// empty operands go to tfjs's kernel. The element results are those of
// tfjs wasm's C++ (std::max/std::min order for NaN and ±0, int32 wrap-around), tested against it.
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, type NumericArray } from './io.js';

/** out[o + t] = a[ia + t·sa] ⊙ b[ib + t·sb] for t < n. */
type RunLoop = (out: NumericArray, a: NumericArray, b: NumericArray, o: number, ia: number, sa: number, ib: number, sb: number, n: number) => void;

/** The ops Weft broadcasts, the dtypes it takes them for, and whether they return bool. */
interface BinaryOp {
  loop: RunLoop;
  dtypes: readonly string[];
  bool: boolean;
}

const ALL = ['float32', 'int32', 'bool'] as const;
const cmp = (loop: RunLoop): BinaryOp => ({ loop, dtypes: ALL, bool: true });

const OPS: Record<string, BinaryOp> = {
  Equal: cmp((o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! === b[ib]! ? 1 : 0; }),
  NotEqual: cmp((o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! !== b[ib]! ? 1 : 0; }),
  Less: cmp((o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! < b[ib]! ? 1 : 0; }),
  LessEqual: cmp((o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! <= b[ib]! ? 1 : 0; }),
  Greater: cmp((o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! > b[ib]! ? 1 : 0; }),
  GreaterEqual: cmp((o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! >= b[ib]! ? 1 : 0; }),
  LogicalAnd: { dtypes: ['bool'], bool: true, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! && b[ib]! ? 1 : 0; } },
  LogicalOr: { dtypes: ['bool'], bool: true, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! || b[ib]! ? 1 : 0; } },
  // std::max(a, b) = a < b ? b : a; std::min(a, b) = b < a ? b : a (a NaN `a` wins, a NaN `b` loses).
  Maximum: { dtypes: ['float32', 'int32'], bool: false, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) { const x = a[ia]!, y = b[ib]!; o[k] = x < y ? y : x; } } },
  Minimum: { dtypes: ['float32', 'int32'], bool: false, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) { const x = a[ia]!, y = b[ib]!; o[k] = y < x ? y : x; } } },
  // int32 only: float32 Add/Sub/Mul broadcast in XNNPACK at memory speed. Stores into an Int32Array wrap as C++ does.
  Add: { dtypes: ['int32'], bool: false, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! + b[ib]!; } },
  Sub: { dtypes: ['int32'], bool: false, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = a[ia]! - b[ib]!; } },
  Multiply: { dtypes: ['int32'], bool: false, loop: (o, a, b, k, ia, sa, ib, sb, n) => { for (const e = k + n; k < e; k++, ia += sa, ib += sb) o[k] = Math.imul(a[ia]!, b[ib]!); } },
};

/** The kernel names Weft broadcasts on wasm. */
export const BROADCAST_BINARY_KERNELS = Object.keys(OPS);

/** A broadcast as runs: output dims and each operand's element strides (0 where it repeats). */
export interface BroadcastRuns {
  dims: number[];
  aStrides: number[];
  bStrides: number[];
}

/**
 * Simplify the broadcast of shapes `a` and `b` (padded on the left to the output's rank): drop
 * size-1 output axes, merge neighbouring axes that each operand either spans or repeats alike.
 */
export function broadcastRuns(a: readonly number[], b: readonly number[]): BroadcastRuns {
  const out = backend_util.assertAndGetBroadcastShape(a as number[], b as number[]);
  const r = out.length;
  const pa = [...new Array<number>(r - a.length).fill(1), ...a];
  const pb = [...new Array<number>(r - b.length).fill(1), ...b];
  // Per kept axis: size and whether each operand spans it (size > 1) or repeats over it.
  const axes: Array<{ n: number; ua: boolean; ub: boolean }> = [];
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue;
    const ax = { n: out[i]!, ua: pa[i] !== 1, ub: pb[i] !== 1 };
    const last = axes[axes.length - 1];
    if (last && last.ua === ax.ua && last.ub === ax.ub) last.n *= ax.n;
    else axes.push(ax);
  }
  const dims = axes.map((x) => x.n);
  const strides = (uses: (x: { ua: boolean; ub: boolean }) => boolean) => {
    const s = new Array<number>(axes.length).fill(0);
    let step = 1;
    for (let i = axes.length - 1; i >= 0; i--) {
      if (uses(axes[i]!)) {
        s[i] = step;
        step *= axes[i]!.n;
      }
    }
    return s;
  };
  return { dims, aStrides: strides((x) => x.ua), bStrides: strides((x) => x.ub) };
}

/** out = a ⊙ b over the runs: an odometer over the outer axes, the op's loop over the last. */
export function broadcastInto(loop: RunLoop, out: NumericArray, a: NumericArray, b: NumericArray, runs: BroadcastRuns): void {
  const { dims, aStrides, bStrides } = runs;
  const r = dims.length;
  if (r === 0) {
    loop(out, a, b, 0, 0, 0, 0, 0, 1);
    return;
  }
  const n = dims[r - 1]!;
  const [sa, sb] = [aStrides[r - 1]!, bStrides[r - 1]!];
  const idx = new Array<number>(r - 1).fill(0);
  let [ia, ib] = [0, 0];
  for (let o = 0; o < out.length; o += n) {
    loop(out, a, b, o, ia, sa, ib, sb, n);
    // Next outer index: increment the last outer axis, carrying into the earlier ones.
    for (let d = r - 2; d >= 0; d--) {
      ia += aStrides[d]!;
      ib += bStrides[d]!;
      if (++idx[d]! < dims[d]!) break;
      ia -= aStrides[d]! * dims[d]!;
      ib -= bStrides[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
}

/** Weft's wasm kernel for binary op `name`: broadcasts in JS, `original` (tfjs's) otherwise. */
function broadcastKernel(name: string, original: KernelFunc): KernelFunc {
  const op = OPS[name]!;
  return (args) => {
    const { inputs, backend } = args;
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    if (!a || !b || !isHeapBackend(backend) || a.dtype !== b.dtype || !op.dtypes.includes(a.dtype)) return original(args);
    if (util.sizeFromShape(a.shape) === 0 || util.sizeFromShape(b.shape) === 0) return original(args);
    const runs = broadcastRuns(a.shape, b.shape);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = backend.makeOutput(outShape, op.bool ? 'bool' : a.dtype);
    // Views after the allocation: it can grow the heap and detach older ones.
    broadcastInto(op.loop, backend.typedArrayFromHeap(out), backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), runs);
    return out;
  };
}

/** Weft's wasm kernel wrapping tfjs's `original` binary kernel (one of {@link BROADCAST_BINARY_KERNELS}). */
export function broadcastBinaryWasmConfig(original: KernelConfig): KernelConfig {
  return { ...original, kernelFunc: broadcastKernel(original.kernelName, original.kernelFunc) };
}
