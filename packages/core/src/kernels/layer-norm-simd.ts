// LayerNorm and RMSNorm forward and backward (kernels/layer-norm.ts) as WebAssembly SIMD on tfjs
// wasm's heap, four floats at a time, for rows whose length C is a multiple of 4 and a layer with a
// weight (the JS loops took 7.5% of a d=64 TinyTransformer step's CPU time, measured with
// --cpu-prof). Sums run in float32 (four lanes, then the lanes added), where the JS kernels sum in
// float64: rows of C = 64 agree to ≈1e-7 relative, the weight and bias gradients (sums over rows) to
// ≈1e-6 on the fused tests' shapes.
//   `lnf(x, w, b, y, mean, rstd, rows, C, epsBits, invCBits, center, hasB)`: y = x̂·w (+ b),
//     mean and rstd per row (mean 0 unless `center`).
//   `lnb(dy, x, w, dx, dw, db, rows, C, epsBits, invCBits, center)`: dx, and dw = Σ dy·x̂, db = Σ dy
//     over the rows. Pointers are byte offsets; eps and 1/C are passed as the bits of f32s.
import { F32, FunctionWriter, I32, V128, heapKernels, type Local } from './wasm-module.js';

/** Shared pieces of both functions. */
class RowMath {
  constructor(readonly f: FunctionWriter) {}
  /** Push the sum of the four lanes of vector local `v` (an f32). */
  hsum(v: Local): void {
    const f = this.f;
    f.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).f32Add().get(v).f32x4ExtractLane(2).f32Add().get(v).f32x4ExtractLane(3).f32Add();
  }
  /** `for (p = start; p < end; p += 16) body()`, with `off` = p − start. */
  vectors(p: Local, start: Local, end: Local, body: () => void): void {
    const f = this.f;
    f.get(start).set(p);
    f.whileLoop(() => f.get(p).get(end).lt(), () => {
      body();
      f.inc(p, { constant: 16 });
    });
  }
  /**
   * mu (0 unless `center`) and rs = 1/√(mean((x − mu)²) + eps) of the row [px, end), into f32
   * locals, and their splats into vector locals muv, rsv.
   */
  stats(o: { px: Local; end: Local; p: Local; acc: Local; t: Local; mu: Local; rs: Local; muv: Local; rsv: Local; eps: Local; invC: Local; center: Local }): void {
    const f = this.f;
    f.f32Zero().set(o.mu);
    f.ifElse(
      () => f.get(o.center),
      () => {
        f.v128Zero().set(o.acc);
        this.vectors(o.p, o.px, o.end, () => f.get(o.acc).get(o.p).v128Load().f32x4Add().set(o.acc));
        this.hsum(o.acc);
        f.get(o.invC).f32Mul().set(o.mu);
      },
      () => {},
    );
    f.get(o.mu).f32x4Splat().set(o.muv);
    f.v128Zero().set(o.acc);
    this.vectors(o.p, o.px, o.end, () => {
      f.get(o.p).v128Load().get(o.muv).f32x4Sub().set(o.t);
      f.get(o.acc).get(o.t).get(o.t).f32x4Mul().f32x4Add().set(o.acc);
    });
    f.f32Const(1);
    this.hsum(o.acc);
    f.get(o.invC).f32Mul().get(o.eps).f32Add().f32Sqrt().f32Div().set(o.rs);
    f.get(o.rs).f32x4Splat().set(o.rsv);
  }
}

/** Locals both functions use for a row's statistics. */
function statLocals(f: FunctionWriter, eps: Local, invC: Local, center: Local) {
  const [px, end, p] = [f.local(I32), f.local(I32), f.local(I32)];
  const [acc, t, muv, rsv] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const [mu, rs] = [f.local(F32), f.local(F32)];
  return { px, end, p, acc, t, mu, rs, muv, rsv, eps, invC, center };
}

/** The forward function `lnf`. */
export function writeLayerNormForward(): FunctionWriter {
  const f = new FunctionWriter(12);
  const [x, w, b, y, mean, rstd, rows, C, epsBits, invCBits, center, hasB] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const m = new RowMath(f);
  const eps = f.local(F32);
  const invC = f.local(F32);
  const s = statLocals(f, eps, invC, center);
  const [r, rowBytes, off] = [f.local(I32), f.local(I32), f.local(I32)];
  f.get(epsBits).f32FromBits().set(eps);
  f.get(invCBits).f32FromBits().set(invC);
  f.get(C).i32(2).shl().set(rowBytes);
  f.get(x).set(s.px);
  f.i32(0).set(r);
  f.whileLoop(() => f.get(r).get(rows).lt(), () => {
    f.get(s.px).get(rowBytes).add().set(s.end);
    m.stats(s);
    f.get(r).i32(2).shl().set(off);
    f.get(off).get(mean).add().get(s.mu).f32Store();
    f.get(off).get(rstd).add().get(s.rs).f32Store();
    // off = byte offset of the row's element; y = (x − mu)·rs·w (+ b)
    m.vectors(s.p, s.px, s.end, () => {
      f.get(s.p).get(s.px).sub().set(off);
      f.get(s.p).v128Load().get(s.muv).f32x4Sub().get(s.rsv).f32x4Mul().get(off).get(w).add().v128Load().f32x4Mul().set(s.t);
      f.ifElse(() => f.get(hasB), () => f.get(s.t).get(off).get(b).add().v128Load().f32x4Add().set(s.t), () => {});
      f.get(s.p).get(x).sub().get(y).add().get(s.t).v128Store();
    });
    f.get(s.end).set(s.px);
    f.inc(r, { constant: 1 });
  });
  return f;
}

/** The backward function `lnb`. */
export function writeLayerNormBackward(): FunctionWriter {
  const f = new FunctionWriter(11);
  const [dy, x, w, dx, dw, db, rows, C, epsBits, invCBits, center] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const m = new RowMath(f);
  const eps = f.local(F32);
  const invC = f.local(F32);
  const s = statLocals(f, eps, invC, center);
  const [r, rowBytes, off, rowOff] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [h, g, d, sg, sgh, mgv, mghv] = Array.from({ length: 7 }, () => f.local(V128));
  f.get(epsBits).f32FromBits().set(eps);
  f.get(invCBits).f32FromBits().set(invC);
  f.get(C).i32(2).shl().set(rowBytes);
  // dw = db = 0
  f.i32(0).set(off);
  f.whileLoop(() => f.get(off).get(rowBytes).lt(), () => {
    f.get(off).get(dw).add().v128Zero().v128Store();
    f.get(off).get(db).add().v128Zero().v128Store();
    f.inc(off, { constant: 16 });
  });
  f.get(x).set(s.px);
  f.i32(0).set(r);
  /** h = (x − mu)·rs, d = dy, g = d·w at the row element whose byte offset in x is p. */
  const load = () => {
    f.get(s.p).get(s.px).sub().set(off); // offset within the row
    f.get(s.p).get(x).sub().set(rowOff); // offset within the tensor
    f.get(s.p).v128Load().get(s.muv).f32x4Sub().get(s.rsv).f32x4Mul().set(h);
    f.get(rowOff).get(dy).add().v128Load().set(d);
    f.get(d).get(off).get(w).add().v128Load().f32x4Mul().set(g);
  };
  f.whileLoop(() => f.get(r).get(rows).lt(), () => {
    f.get(s.px).get(rowBytes).add().set(s.end);
    m.stats(s);
    f.v128Zero().set(sg);
    f.v128Zero().set(sgh);
    m.vectors(s.p, s.px, s.end, () => {
      load();
      f.get(sg).get(g).f32x4Add().set(sg);
      f.get(sgh).get(g).get(h).f32x4Mul().f32x4Add().set(sgh);
      f.get(off).get(dw).add().get(off).get(dw).add().v128Load().get(d).get(h).f32x4Mul().f32x4Add().v128Store();
      f.get(off).get(db).add().get(off).get(db).add().v128Load().get(d).f32x4Add().v128Store();
    });
    // mg = mean(g) (0 unless center), mgh = mean(g·x̂)
    f.ifElse(() => f.get(center), () => { m.hsum(sg); f.get(invC).f32Mul().f32x4Splat().set(mgv); }, () => f.v128Zero().set(mgv));
    m.hsum(sgh);
    f.get(invC).f32Mul().f32x4Splat().set(mghv);
    m.vectors(s.p, s.px, s.end, () => {
      load();
      f.get(rowOff).get(dx).add().get(g).get(mgv).f32x4Sub().get(h).get(mghv).f32x4Mul().f32x4Sub().get(s.rsv).f32x4Mul().v128Store();
    });
    f.get(s.end).set(s.px);
    f.inc(r, { constant: 1 });
  });
  return f;
}

/** `lnf` bound to `backend`'s heap, or null (no SIMD, or a tfjs build that hides its memory). */
export function simdLayerNormForwardFor(backend: unknown): ((...args: number[]) => void) | null {
  return heapKernels(backend, 'layer-norm-fwd', () => ({ lnf: writeLayerNormForward() }))?.lnf ?? null;
}

/** `lnb` bound to `backend`'s heap, or null. */
export function simdLayerNormBackwardFor(backend: unknown): ((...args: number[]) => void) | null {
  return heapKernels(backend, 'layer-norm-bwd', () => ({ lnb: writeLayerNormBackward() }))?.lnb ?? null;
}
