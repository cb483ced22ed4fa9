// The fused activations of kernels/activation.ts as WebAssembly SIMD on tfjs wasm's heap, four
// floats at a time (a JS loop with Math.exp ran at ≈25 ns per element, slower than tfjs's own
// op-by-op kernels). exp is Cephes' expf: n = round(x·log₂e), r = x − n·ln2 (in two parts), a
// degree-6 polynomial of r, times 2ⁿ built in the exponent bits; x is clamped to [−87.3, 89] first
// (89 gives 2¹²⁸ = +Inf, so exp(+large) = +Inf as Math.exp; NaN stays NaN). erf is Abramowitz &
// Stegun 7.1.26 as in activation.ts, tanh(u) = 1 − 2/(e^(2u) + 1).
//   `{fn}_fwd(x, y, n)`: y = f(x); `{fn}_bwd(x, dy, dx, n)`: dx = dy·f'(x), for i < n − n mod 4
//   (byte pointers); the caller does the last n mod 4 elements.
import { FunctionWriter, I32, V128, type Local } from './wasm-module.js';
import type { FusedActivation } from './activation.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const C = 0.044715;
/** 1.5·2²³: adding it rounds a float of magnitude < 2²² to an integer; its bits are 0x4B400000. */
const ROUNDER = 12582912;
const ROUNDER_BITS = 0x4b400000;

/** Emits the vector math of one function: constants as splats, exp. */
export class VectorMath {
  constructor(readonly f: FunctionWriter) {}
  /** Push splat(v). */
  k(v: number): this {
    this.f.f32Const(v).f32x4Splat();
    return this;
  }
  /** exp of the vector in local `x`, into local `out` (uses locals `n`, `r`). */
  exp(x: Local, out: Local, n: Local, r: Local): void {
    const f = this.f;
    f.get(x);
    this.k(-87.3);
    f.f32x4PMax();
    this.k(89);
    f.f32x4PMin().set(r); // r = clamp(x); pmin/pmax keep a NaN x (one instruction each; min/max are several)
    // n = round(x·log2e) by the 1.5·2²³ trick: t = x·log2e + 1.5·2²³ rounds to an integer, and t's bits
    // are 0x4B400000 + n (|n| ≤ 128); t is kept in `out`, which x is not read from again
    f.get(r);
    this.k(Math.LOG2E);
    f.f32x4Mul();
    this.k(ROUNDER);
    f.f32x4Add().set(out);
    f.get(out);
    this.k(ROUNDER);
    f.f32x4Sub().set(n); // n as floats
    f.get(r).get(n);
    this.k(0.693359375);
    f.f32x4Mul().f32x4Sub().get(n);
    this.k(-2.12194440e-4);
    f.f32x4Mul().f32x4Sub().set(r); // r = x − n·ln2
    // p = ((((c0·r + c1)·r + c2)·r + c3)·r + c4)·r + c5
    const c = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
    this.k(c[0]!);
    for (const ci of c.slice(1)) {
      f.get(r).f32x4Mul();
      this.k(ci);
      f.f32x4Add();
    }
    f.get(r).get(r).f32x4Mul().f32x4Mul().get(r).f32x4Add();
    this.k(1);
    f.f32x4Add(); // p·r² + r + 1
    f.get(out).i32(127 - ROUNDER_BITS).i32x4Splat().i32x4Add().i32(23).i32x4Shl(); // 2ⁿ's bits: (n + 127) << 23
    f.f32x4Mul().set(out);
  }
}

/** Locals every function needs. */
function locals(f: FunctionWriter) {
  const v = () => f.local(V128);
  return { i: f.local(I32), x: v(), a: v(), t: v(), g: v(), e: v(), n: v(), r: v() };
}

/** e = erf(x/√2) with x's sign (locals a, t, g, e; g = e^(−x²/2) afterwards). */
function erfHalf(m: VectorMath, L: ReturnType<typeof locals>): void {
  const f = m.f;
  f.get(L.x).f32x4Abs();
  m.k(Math.SQRT1_2);
  f.f32x4Mul().set(L.a);
  m.k(1);
  m.k(1);
  m.k(0.3275911);
  f.get(L.a).f32x4Mul().f32x4Add().f32x4Div().set(L.t); // t = 1/(1 + p·a)
  f.get(L.a).get(L.a).f32x4Mul();
  m.k(-1);
  f.f32x4Mul().set(L.e);
  m.exp(L.e, L.g, L.n, L.r); // g = e^(−a²)
  m.k(1.061405429);
  for (const ci of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) {
    f.get(L.t).f32x4Mul();
    m.k(ci);
    f.f32x4Add();
  }
  f.get(L.t).f32x4Mul().get(L.g).f32x4Mul().set(L.e);
  m.k(1);
  f.get(L.e).f32x4Sub(); // 1 − poly·g ≥ 0
  f.get(L.x).i32(-0x80000000).i32x4Splat().v128And().v128Or().set(L.e); // with x's sign bit
}

/** t = tanh(√(2/π)(x + C·x³)) (locals a, t, g, n, r). */
function tanhInner(m: VectorMath, L: ReturnType<typeof locals>): void {
  const f = m.f;
  f.get(L.x).get(L.x).f32x4Mul().get(L.x).f32x4Mul();
  m.k(C);
  f.f32x4Mul().get(L.x).f32x4Add();
  m.k(2 * SQRT_2_OVER_PI);
  f.f32x4Mul().set(L.a); // 2u
  m.exp(L.a, L.g, L.n, L.r);
  m.k(1);
  m.k(2);
  f.get(L.g);
  m.k(1);
  f.f32x4Add().f32x4Div().f32x4Sub().set(L.t); // 1 − 2/(e^(2u) + 1)
}

/** s = σ(x) = 1/(1 + e^(−x)) into local t (locals a, g, n, r). */
function sigmoid(m: VectorMath, L: ReturnType<typeof locals>): void {
  const f = m.f;
  m.k(0);
  f.get(L.x).f32x4Sub().set(L.a);
  m.exp(L.a, L.g, L.n, L.r);
  m.k(1);
  m.k(1);
  f.get(L.g).f32x4Add().f32x4Div().set(L.t);
}

/** The value (forward) or derivative factor (backward) of `fn` at local x, left on the stack. */
function body(fn: FusedActivation, backward: boolean, m: VectorMath, L: ReturnType<typeof locals>): void {
  const f = m.f;
  if (fn === 'gelu') {
    erfHalf(m, L);
    if (!backward) {
      m.k(0.5);
      f.get(L.x).f32x4Mul();
      m.k(1);
      f.get(L.e).f32x4Add().f32x4Mul();
    } else {
      m.k(0.5);
      m.k(1);
      f.get(L.e).f32x4Add().f32x4Mul(); // ½(1 + erf)
      f.get(L.x).get(L.g).f32x4Mul();
      m.k(INV_SQRT_2PI);
      f.f32x4Mul().f32x4Add(); // + x·φ(x)
    }
  } else if (fn === 'gelu_tanh') {
    tanhInner(m, L);
    if (!backward) {
      m.k(0.5);
      f.get(L.x).f32x4Mul();
      m.k(1);
      f.get(L.t).f32x4Add().f32x4Mul();
    } else {
      m.k(0.5);
      m.k(1);
      f.get(L.t).f32x4Add().f32x4Mul(); // ½(1 + t)
      m.k(0.5);
      f.get(L.x).f32x4Mul();
      m.k(1);
      f.get(L.t).get(L.t).f32x4Mul().f32x4Sub().f32x4Mul(); // ½x(1 − t²)
      m.k(3 * C);
      f.get(L.x).f32x4Mul().get(L.x).f32x4Mul();
      m.k(1);
      f.f32x4Add();
      m.k(SQRT_2_OVER_PI);
      f.f32x4Mul().f32x4Mul().f32x4Add();
    }
  } else {
    sigmoid(m, L);
    if (!backward) f.get(L.x).get(L.t).f32x4Mul();
    else {
      m.k(1);
      f.get(L.t).f32x4Sub().get(L.x).f32x4Mul();
      m.k(1);
      f.f32x4Add().get(L.t).f32x4Mul(); // s(1 + x(1 − s))
    }
  }
}

function writeForward(fn: FusedActivation): FunctionWriter {
  const f = new FunctionWriter(3);
  const [xp, yp, n] = f.params as [Local, Local, Local];
  const L = locals(f);
  const m = new VectorMath(f);
  f.i32(0).set(L.i);
  f.whileLoop(() => f.get(L.i).i32(4).add().get(n).le(), () => {
    f.get(xp).v128Load().set(L.x);
    f.get(yp);
    body(fn, false, m, L);
    f.v128Store();
    f.inc(xp, { constant: 16 }).inc(yp, { constant: 16 }).inc(L.i, { constant: 4 });
  });
  return f;
}

function writeBackward(fn: FusedActivation): FunctionWriter {
  const f = new FunctionWriter(4);
  const [xp, dyp, dxp, n] = f.params as [Local, Local, Local, Local];
  const L = locals(f);
  const m = new VectorMath(f);
  f.i32(0).set(L.i);
  f.whileLoop(() => f.get(L.i).i32(4).add().get(n).le(), () => {
    f.get(xp).v128Load().set(L.x);
    f.get(dxp);
    body(fn, true, m, L);
    f.get(dyp).v128Load().f32x4Mul();
    f.v128Store();
    f.inc(xp, { constant: 16 }).inc(dyp, { constant: 16 }).inc(dxp, { constant: 16 }).inc(L.i, { constant: 4 });
  });
  return f;
}

/** The module of one activation: `fwd(x, y, n)` and `bwd(x, dy, dx, n)`. */
export function writeActivationModule(fn: FusedActivation): Record<'fwd' | 'bwd', FunctionWriter> {
  return { fwd: writeForward(fn), bwd: writeBackward(fn) };
}
