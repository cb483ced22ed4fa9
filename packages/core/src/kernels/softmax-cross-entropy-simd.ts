// The row exponentials of the softmax cross-entropy kernels (kernels/softmax-cross-entropy.ts) as
// WebAssembly SIMD on tfjs wasm's heap, rows of any length C: four lanes at a time, then the row's
// last C mod 4 values one by one (each through the same vector exp, lane 0 kept). The JS loops'
// Math.exp was ≈5% of a d=64 TinyTransformer step's CPU time (--cpu-prof, vocabulary 64). exp is
// activation-simd.ts's (Cephes' expf, ≈1e-7 relative); the logarithms (one per row) stay in JS.
//   `xstats(z, stats, rows, C)`: stats[2r] = max of row r, stats[2r + 1] = Σ exp(z − max) (float32).
//   `xexp(z, out, rows, C, stats)`: out[r, c] = stats[2r + 1]·exp(z[r, c] − stats[2r]).
// Pointers are byte offsets.
import { F32, FunctionWriter, I32, V128, heapKernels, type Local } from './wasm-module.js';
import { VectorMath } from './activation-simd.js';

/** Per row: `body(p, rowEnd)` with p the row's first byte; rows advance by 4·C bytes. */
function eachRow(f: FunctionWriter, z: Local, rows: Local, C: Local, body: (row: Local, p: Local, end: Local) => void): void {
  const [r, p, end, rowBytes] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  f.get(C).i32(2).shl().set(rowBytes);
  f.get(z).set(p);
  f.i32(0).set(r);
  f.whileLoop(() => f.get(r).get(rows).lt(), () => {
    f.get(p).get(rowBytes).add().set(end);
    body(r, p, end);
    f.get(end).set(p);
    f.inc(r, { constant: 1 });
  });
}

/** `xstats`. */
export function writeRowStats(): FunctionWriter {
  const f = new FunctionWriter(4);
  const [z, stats, rows, C] = f.params as [Local, Local, Local, Local];
  const m = new VectorMath(f);
  const [q, st] = [f.local(I32), f.local(I32)];
  const [mx, x, e, n, t, acc] = Array.from({ length: 6 }, () => f.local(V128));
  const tail = f.local(F32);
  /** While 4 values are left before `end`: `body`, q advancing by 4 values; then each value left: `one`. */
  const quads = (p: Local, end: Local, body: () => void, one: () => void) => {
    f.get(p).set(q);
    f.whileLoop(() => f.get(q).i32(16).add().get(end).le(), () => { body(); f.inc(q, { constant: 16 }); });
    f.whileLoop(() => f.get(q).get(end).lt(), () => { one(); f.inc(q, { constant: 4 }); });
  };
  eachRow(f, z, rows, C, (r, p, end) => {
    // mx = the row's max in every lane: lane-wise max from the first value, then the lanes folded by two shuffles
    f.get(p).f32Load().f32x4Splat().set(mx);
    quads(p, end, () => f.get(mx).get(q).v128Load().f32x4Max().set(mx), () => f.get(mx).get(q).f32Load().f32x4Splat().f32x4Max().set(mx));
    f.get(mx).get(mx).get(mx).shuffle32([2, 3, 0, 1]).f32x4Max().set(mx);
    f.get(mx).get(mx).get(mx).shuffle32([1, 0, 3, 2]).f32x4Max().set(mx);
    f.v128Zero().set(acc);
    f.f32Zero().set(tail);
    quads(
      p,
      end,
      () => {
        f.get(q).v128Load().get(mx).f32x4Sub().set(x);
        m.exp(x, e, n, t);
        f.get(acc).get(e).f32x4Add().set(acc);
      },
      () => {
        f.get(q).f32Load().f32x4Splat().get(mx).f32x4Sub().set(x);
        m.exp(x, e, n, t);
        f.get(tail).get(e).f32x4ExtractLane(0).f32Add().set(tail);
      },
    );
    f.get(r).i32(3).shl().get(stats).add().set(st);
    f.get(st).get(mx).f32x4ExtractLane(0).f32Store();
    f.get(st).get(acc).f32x4ExtractLane(0).get(acc).f32x4ExtractLane(1).f32Add().get(acc).f32x4ExtractLane(2).f32Add().get(acc).f32x4ExtractLane(3).f32Add().get(tail).f32Add().f32Store(4);
  });
  return f;
}

/** `xexp`. */
export function writeRowExp(): FunctionWriter {
  const f = new FunctionWriter(5);
  const [z, out, rows, C, stats] = f.params as [Local, Local, Local, Local, Local];
  const m = new VectorMath(f);
  const [q, st] = [f.local(I32), f.local(I32)];
  const [shift, scale, x, e, n, t] = Array.from({ length: 6 }, () => f.local(V128));
  eachRow(f, z, rows, C, (r, p, end) => {
    f.get(r).i32(3).shl().get(stats).add().set(st);
    f.get(st).f32Load().f32x4Splat().set(shift);
    f.get(st).f32Load(4).f32x4Splat().set(scale);
    f.get(p).set(q);
    f.whileLoop(() => f.get(q).i32(16).add().get(end).le(), () => {
      f.get(q).v128Load().get(shift).f32x4Sub().set(x);
      m.exp(x, e, n, t);
      f.get(q).get(z).sub().get(out).add().get(e).get(scale).f32x4Mul().v128Store();
      f.inc(q, { constant: 16 });
    });
    f.whileLoop(() => f.get(q).get(end).lt(), () => {
      f.get(q).f32Load().f32x4Splat().get(shift).f32x4Sub().set(x);
      m.exp(x, e, n, t);
      f.get(q).get(z).sub().get(out).add().get(e).get(scale).f32x4Mul().f32x4ExtractLane(0).f32Store();
      f.inc(q, { constant: 4 });
    });
  });
  return f;
}

/** Both functions bound to `backend`'s heap, or null (no SIMD, or a tfjs build that hides its memory). */
export function simdXentFor(backend: unknown): { xstats: (...args: number[]) => void; xexp: (...args: number[]) => void } | null {
  return heapKernels(backend, 'softmax-xent', () => ({ xstats: writeRowStats(), xexp: writeRowExp() }));
}
