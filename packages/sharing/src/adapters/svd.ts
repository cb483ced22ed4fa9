// A small dense SVD in plain JavaScript (one-sided Jacobi, float64) for re-factorising adapter
// weight updates to a target rank; tfjs has no SVD. Fine for adapter-sized matrices (≤ 1024²).

/** The thin SVD of an m×n row-major matrix: A = U diag(S) Vᵀ, S descending. */
export interface Svd {
  /** m×k row-major, k = min(m, n). */
  u: Float64Array;
  /** k singular values, descending. */
  s: Float64Array;
  /** n×k row-major. */
  v: Float64Array;
  m: number;
  n: number;
  k: number;
}

/** SVD of `a` (m×n, row-major). */
export function svd(a: ArrayLike<number>, m: number, n: number, maxSweeps = 60, tol = 1e-12): Svd {
  if (a.length !== m * n) throw new Error(`svd: ${a.length} values for a ${m}×${n} matrix`);
  if (m < n) {
    // SVD of the transpose, then swap U and V.
    const t = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
    const r = svd(t, n, m, maxSweeps, tol);
    return { u: r.v, s: r.s, v: r.u, m, n, k: r.k };
  }
  // Columns of W (m×n) are rotated until orthogonal; V accumulates the rotations.
  const w = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const wp = w[i * n + p]!, wq = w[i * n + q]!;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (Math.abs(gamma) <= tol * Math.sqrt(alpha * beta) || gamma === 0) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < m; i++) {
          const wp = w[i * n + p]!, wq = w[i * n + q]!;
          w[i * n + p] = c * wp - s * wq;
          w[i * n + q] = s * wp + c * wq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v[i * n + p]!, vq = v[i * n + q]!;
          v[i * n + p] = c * vp - s * vq;
          v[i * n + q] = s * vp + c * vq;
        }
      }
    }
    if (off <= tol) break;
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += w[i * n + j]! ** 2;
    return Math.sqrt(s);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  const k = n;
  const u = new Float64Array(m * k), s = new Float64Array(k), vv = new Float64Array(n * k);
  order.forEach((j, c) => {
    s[c] = norms[j]!;
    for (let i = 0; i < m; i++) u[i * k + c] = norms[j]! > 0 ? w[i * n + j]! / norms[j]! : 0;
    for (let i = 0; i < n; i++) vv[i * k + c] = v[i * n + j]!;
  });
  return { u, s, v: vv, m, n, k };
}
