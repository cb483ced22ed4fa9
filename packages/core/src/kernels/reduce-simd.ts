// Sum, Mean, Max and Min over any axes on tfjs wasm, as WebAssembly SIMD kernels on the backend's
// heap. tfjs wasm transposes the reduced axes to the end and then reduces rows with a scalar loop:
// a sum over the leading axis of 4096×256 floats (every bias gradient) took 10.6 ms (0.4 GB/s).
// Here the shape is collapsed into runs of kept and reduced axes, and each reduced run is one pass
// over memory in order: `rows` (a reduced run at the end: out[o] = ⊕ x[o, ·], four f32x4
// accumulators) or `cols` (kept axes after it: out[o, ·] = ⊕ₐ x[o, r, ·], rows added four at a time
// into the output row). Max and Min use wasm's min/max, which give NaN for a NaN operand, as tfjs
// cpu does. float32 and int32 (not Mean, whose int32 result tfjs computes in float); other dtypes
// and empty tensors go to tfjs's kernel.
import { Max, Mean, Min, Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, type HeapBackend } from './io.js';
import { F32, FunctionWriter, I32, V128, heapKernels, type Local, f32Bits } from './wasm-module.js';

/** A reduction. */
export type Op = 'sum' | 'max' | 'min';
/** A dtype of the kernels (4-byte elements). */
export type Dtype = 'f32' | 'i32';

/** The instructions of one reduction in one dtype. */
interface Ops {
  /** Combine the two vectors on the stack. */
  vec: (f: FunctionWriter) => void;
  /** Combine scalar local `s` with scalar local `v` into `s`. */
  scalar: (f: FunctionWriter, s: Local, v: Local) => void;
  load: (f: FunctionWriter, offset?: number) => void;
  store: (f: FunctionWriter) => void;
  extract: (f: FunctionWriter, lane: number) => void;
  type: typeof F32 | typeof I32;
}

function opsFor(op: Op, dtype: Dtype): Ops {
  const f32 = dtype === 'f32';
  const vec = {
    sum: (f: FunctionWriter) => (f32 ? f.f32x4Add() : f.i32x4Add()),
    max: (f: FunctionWriter) => (f32 ? f.f32x4Max() : f.i32x4MaxS()),
    min: (f: FunctionWriter) => (f32 ? f.f32x4Min() : f.i32x4MinS()),
  }[op];
  const scalar = (f: FunctionWriter, s: Local, v: Local) => {
    if (op === 'sum') f.get(s).get(v)[f32 ? 'f32Add' : 'add']().set(s);
    else if (f32) f.get(s).get(v)[op === 'max' ? 'f32Max' : 'f32Min']().set(s);
    else f.get(v).get(s).get(v).get(s)[op === 'max' ? 'gt' : 'lt']().select().set(s); // v ⊕ s ? v : s
  };
  return {
    vec,
    scalar,
    load: (f, offset = 0) => (f32 ? f.f32Load(offset) : f.i32Load(offset)),
    store: (f) => (f32 ? f.f32Store() : f.i32Store()),
    extract: (f, lane) => (f32 ? f.f32x4ExtractLane(lane) : f.i32x4ExtractLane(lane)),
    type: f32 ? F32 : I32,
  };
}

/**
 * `rows(x, out, outer, R)`: out[o] = ⊕_{r<R} x[o·R + r] (byte pointers). The first element of each row
 * seeds max/min; sum starts from 0.
 */
function writeRows(op: Op, dtype: Dtype): FunctionWriter {
  const o = opsFor(op, dtype);
  const f = new FunctionWriter(4);
  const [x, out, outer, R] = f.params as [Local, Local, Local, Local];
  const [row, i, p, last16, last4] = Array.from({ length: 5 }, () => f.local(I32));
  const acc = Array.from({ length: 4 }, () => f.local(V128));
  const [s, v] = [f.local(o.type), f.local(o.type)];
  f.get(R).i32(16).sub().set(last16);
  f.get(R).i32(4).sub().set(last4);
  f.get(x).set(p);
  f.i32(0).set(row);
  f.whileLoop(() => f.get(row).get(outer).lt(), () => {
    for (const a of acc) {
      if (op === 'sum') f.v128Zero().set(a);
      else {
        f.get(p);
        o.load(f);
        if (o.type === F32) f.f32x4Splat();
        else f.i32x4Splat();
        f.set(a);
      }
    }
    f.i32(0).set(i);
    f.whileLoop(() => f.get(i).get(last16).le(), () => {
      for (let k = 0; k < 4; k++) f.get(acc[k]!).get(p).v128Load(16 * k), o.vec(f), f.set(acc[k]!);
      f.inc(p, { constant: 64 }).inc(i, { constant: 16 });
    });
    f.whileLoop(() => f.get(i).get(last4).le(), () => {
      f.get(acc[0]!).get(p).v128Load(), o.vec(f), f.set(acc[0]!);
      f.inc(p, { constant: 16 }).inc(i, { constant: 4 });
    });
    f.get(acc[0]!).get(acc[1]!), o.vec(f), f.get(acc[2]!).get(acc[3]!), o.vec(f), o.vec(f), f.set(acc[0]!);
    f.get(acc[0]!), o.extract(f, 0), f.set(s);
    for (let lane = 1; lane < 4; lane++) f.get(acc[0]!), o.extract(f, lane), f.set(v), o.scalar(f, s, v);
    f.whileLoop(() => f.get(i).get(R).lt(), () => {
      f.get(p), o.load(f), f.set(v), o.scalar(f, s, v);
      f.inc(p, { constant: 4 }).inc(i, { constant: 1 });
    });
    f.get(row).i32(2).shl().get(out).add().get(s), o.store(f);
    f.inc(row, { constant: 1 });
  });
  return f;
}

/**
 * `cols(x, out, outer, R, inner)`: out[o, j] = ⊕_{r<R} x[(o·R + r)·inner + j] (byte pointers): the
 * output row starts as the first input row, then takes four rows at a time, then the rest one by one.
 */
function writeCols(op: Op, dtype: Dtype): FunctionWriter {
  const o = opsFor(op, dtype);
  const f = new FunctionWriter(5);
  const [x, out, outer, R, inner] = f.params as [Local, Local, Local, Local, Local];
  const [row, r, j, px, po, rowBytes, last4] = Array.from({ length: 7 }, () => f.local(I32));
  const p = Array.from({ length: 4 }, () => f.local(I32));
  const [s, v] = [f.local(o.type), f.local(o.type)];
  f.get(inner).i32(2).shl().set(rowBytes);
  f.get(inner).i32(4).sub().set(last4);
  /** out[po + ·] ⊕= the `rows` input rows at p[0…rows−1] (or = the row at p[0] when `first`). */
  const addRows = (rows: number, first: boolean) => {
    f.get(po).set(px); // px walks the output row
    f.i32(0).set(j);
    const combineVec = () => {
      for (let k = 1; k < rows; k++) f.get(p[k]!).get(j).i32(2).shl().add().v128Load(), o.vec(f);
    };
    f.whileLoop(() => f.get(j).get(last4).le(), () => {
      f.get(px); // the store's address
      if (!first) f.get(px).v128Load();
      f.get(p[0]!).get(j).i32(2).shl().add().v128Load();
      combineVec();
      if (!first) o.vec(f);
      f.v128Store();
      f.inc(px, { constant: 16 }).inc(j, { constant: 4 });
    });
    f.whileLoop(() => f.get(j).get(inner).lt(), () => {
      f.get(p[0]!).get(j).i32(2).shl().add(), o.load(f), f.set(s);
      for (let k = 1; k < rows; k++) f.get(p[k]!).get(j).i32(2).shl().add(), o.load(f), f.set(v), o.scalar(f, s, v);
      if (!first) f.get(px), o.load(f), f.set(v), o.scalar(f, s, v);
      f.get(px).get(s), o.store(f);
      f.inc(px, { constant: 4 }).inc(j, { constant: 1 });
    });
  };
  f.get(x).set(p[0]!);
  f.get(out).set(po);
  f.i32(0).set(row);
  f.whileLoop(() => f.get(row).get(outer).lt(), () => {
    addRows(1, true);
    f.inc(p[0]!, rowBytes);
    f.i32(1).set(r);
    f.whileLoop(() => f.get(r).i32(4).add().get(R).le(), () => {
      for (let k = 1; k < 4; k++) f.get(p[k - 1]!).get(rowBytes).add().set(p[k]!);
      addRows(4, false);
      f.get(p[3]!).get(rowBytes).add().set(p[0]!);
      f.inc(r, { constant: 4 });
    });
    f.whileLoop(() => f.get(r).get(R).lt(), () => {
      addRows(1, false);
      f.inc(p[0]!, rowBytes).inc(r, { constant: 1 });
    });
    f.inc(po, rowBytes).inc(row, { constant: 1 });
  });
  return f;
}

/** `scale(ptr, n, bits)`: ptr[i] *= the f32 with bits `bits`, for i < n (Mean's 1/N). */
function writeScale(): FunctionWriter {
  const f = new FunctionWriter(3);
  const [ptr, n, bits] = f.params as [Local, Local, Local];
  const [i, last4] = [f.local(I32), f.local(I32)];
  const [k, kv] = [f.local(F32), f.local(V128)];
  f.get(bits).f32FromBits().set(k);
  f.get(k).f32x4Splat().set(kv);
  f.get(n).i32(4).sub().set(last4);
  f.i32(0).set(i);
  f.whileLoop(() => f.get(i).get(last4).le(), () => {
    f.get(ptr).get(ptr).v128Load().get(kv).f32x4Mul().v128Store();
    f.inc(ptr, { constant: 16 }).inc(i, { constant: 4 });
  });
  f.whileLoop(() => f.get(i).get(n).lt(), () => {
    f.get(ptr).get(ptr).f32Load().get(k).f32Mul().f32Store();
    f.inc(ptr, { constant: 4 }).inc(i, { constant: 1 });
  });
  return f;
}

/**
 * The module of one reduction in one dtype: `rows`, `cols` and (f32 sums, for Mean) `scale`. One
 * module each keeps every module under the 4 KB a browser compiles synchronously on its main thread.
 */
export function writeReduceModule(op: Op, dtype: Dtype): Record<string, FunctionWriter> {
  return { rows: writeRows(op, dtype), cols: writeCols(op, dtype), ...(op === 'sum' && dtype === 'f32' ? { scale: writeScale() } : {}) };
}

/**
 * The shape as runs of kept and reduced axes, size-1 axes dropped: `[size, reduced]` pairs, adjacent
 * runs of the same kind merged. `[4, 1, 3, 5]` over axes [2, 3] is [[4, false], [15, true]].
 */
export function reductionRuns(shape: readonly number[], axes: readonly number[]): [number, boolean][] {
  const runs: [number, boolean][] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const reduced = axes.includes(i);
    const last = runs.at(-1);
    if (last && last[1] === reduced) last[0] *= d;
    else runs.push([d, reduced]);
  });
  return runs;
}

const ptr = (backend: HeapBackend, t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;

/** Weft's SIMD kernel for reduction `name`, `original` (tfjs's) for what it does not cover. */
function reduceKernel(name: 'Sum' | 'Mean' | 'Max' | 'Min', original: KernelFunc): KernelFunc {
  const op: Op = name === 'Max' ? 'max' : name === 'Min' ? 'min' : 'sum';
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    // Max names its axes reductionIndices; Sum, Mean and Min name them axis.
    const { axis: axisAttr, reductionIndices, keepDims = false } = (attrs ?? {}) as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean };
    const axis = name === 'Max' ? reductionIndices : axisAttr;
    const dtypes = name === 'Mean' ? ['float32'] : ['float32', 'int32'];
    if (!x || !isHeapBackend(backend) || !dtypes.includes(x.dtype) || util.sizeFromShape(x.shape) === 0) return original(args);
    const axes = util.parseAxisParam(axis ?? [], x.shape);
    const runs = reductionRuns(x.shape, axes);
    if (!runs.some(([, reduced]) => reduced)) return original(args); // only size-1 axes: a copy, tfjs's kernel does it
    const dtype: Dtype = x.dtype === 'float32' ? 'f32' : 'i32';
    const fns = heapKernels(backend, `reduce_${op}_${dtype}`, () => writeReduceModule(op, dtype));
    if (!fns) return original(args);
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
    // One pass per reduced run, innermost first; each pass's output has that run removed.
    let current = x;
    let sizes = runs.slice();
    try {
      while (sizes.some(([, reduced]) => reduced)) {
        const at = sizes.map(([, reduced]) => reduced).lastIndexOf(true);
        const outer = sizes.slice(0, at).reduce((p, [d]) => p * d, 1);
        const inner = sizes.slice(at + 1).reduce((p, [d]) => p * d, 1);
        const R = sizes[at]![0];
        sizes = [...sizes.slice(0, at), ...sizes.slice(at + 1)];
        const lastPass = !sizes.some(([, reduced]) => reduced);
        const out = backend.makeOutput(lastPass ? outShape : [outer * inner], x.dtype);
        if (inner === 1) fns.rows!(ptr(backend, current), ptr(backend, out), outer, R);
        else fns.cols!(ptr(backend, current), ptr(backend, out), outer, R, inner);
        if (current !== x) backend.disposeData(current.dataId);
        current = out;
      }
      if (name === 'Mean') fns.scale!(ptr(backend, current), util.sizeFromShape(outShape), f32Bits(1 / count));
      return current;
    } catch (e) {
      if (current !== x) backend.disposeData(current.dataId);
      throw e;
    }
  };
}

/** Weft's wasm Sum, Mean, Max and Min, each wrapping tfjs's `original` kernel of that name. */
export function reduceWasmConfig(original: KernelConfig): KernelConfig {
  const name = original.kernelName as 'Sum' | 'Mean' | 'Max' | 'Min';
  if (![Sum, Mean, Max, Min].includes(name)) throw new Error(`reduceWasmConfig: kernel ${name}; allowed: Sum, Mean, Max, Min`);
  return { ...original, kernelFunc: reduceKernel(name, original.kernelFunc) };
}
