// WeftAdamUpdate's per-element update (optimizer-update.ts) as WebAssembly SIMD on tfjs wasm's heap,
// four floats at a time in float32 as tfjs's op-by-op Adam computes it (the float64 JS loop took
// ≈80 ns per parameter on a busy machine: 87 ms per step for a 1M-parameter MoE).
//   `adam(x, g, m, v, xo, mo, vo, n, lr, b1, b2, c1, c2, eps, decay)`: byte pointers, n elements
//   (n − n mod 4 done here, the caller does the rest), the rest f32 bits: m' = b1·m + (1 − b1)·g,
//   v' = b2·v + (1 − b2)·g², x' = decay·x − (lr·(m'/c1)) / (√(v'/c2) + eps).
import { FunctionWriter, I32, V128, type Local } from './wasm-module.js';

/** The module (`adam`). */
export function writeAdamModule(): Record<'adam', FunctionWriter> {
  const f = new FunctionWriter(15);
  const [x, g, m, v, xo, mo, vo, n, ...bits] = f.params as Local[];
  const [i, off] = [f.local(I32), f.local(I32)];
  const [lr, b1, b2, c1, c2, eps, decay] = bits.map(() => f.local(V128)) as [Local, Local, Local, Local, Local, Local, Local];
  const [one, gv, mv, vv] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  [lr, b1, b2, c1, c2, eps, decay].forEach((l, k) => f.get(bits[k]!).f32FromBits().f32x4Splat().set(l));
  f.f32Const(1).f32x4Splat().set(one);
  f.i32(0).set(i);
  f.whileLoop(() => f.get(i).i32(4).add().get(n!).le(), () => {
    f.get(i).i32(2).shl().set(off);
    const at = (p: Local) => f.get(p).get(off).add();
    at(g!).v128Load().set(gv);
    // m' = b1·m + (1 − b1)·g
    at(mo!);
    at(m!).v128Load().get(b1).f32x4Mul().get(one).get(b1).f32x4Sub().get(gv).f32x4Mul().f32x4Add().set(mv).get(mv).v128Store();
    // v' = b2·v + (1 − b2)·g²
    at(vo!);
    at(v!).v128Load().get(b2).f32x4Mul().get(one).get(b2).f32x4Sub().get(gv).get(gv).f32x4Mul().f32x4Mul().f32x4Add().set(vv).get(vv).v128Store();
    // x' = decay·x − lr·(m'/c1) / (√(v'/c2) + eps)
    at(xo!);
    at(x!).v128Load().get(decay).f32x4Mul();
    f.get(lr).get(mv).get(c1).f32x4Div().f32x4Mul().get(vv).get(c2).f32x4Div().f32x4Sqrt().get(eps).f32x4Add().f32x4Div();
    f.f32x4Sub().v128Store();
    f.inc(i, { constant: 4 });
  });
  return { adam: f };
}
