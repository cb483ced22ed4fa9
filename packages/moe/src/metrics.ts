// Scores of routing against ground truth, on plain arrays (read once, outside the training step).

/**
 * Normalised mutual information between two labelings, I(A;B) / √(H(A)·H(B)) (the geometric
 * normalisation of Strehl & Ghosh 2002), in [0, 1]; 0 when either labeling is constant.
 */
export function normalizedMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`normalizedMutualInformation: lengths ${a.length} and ${b.length} must match`);
  const n = a.length;
  if (n === 0) return 0;
  const joint = new Map<string, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = a[i]!, y = b[i]!;
    ca.set(x, (ca.get(x) ?? 0) + 1);
    cb.set(y, (cb.get(y) ?? 0) + 1);
    const key = `${x},${y}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  const h = (m: Map<number, number>) => [...m.values()].reduce((s, c) => s - (c / n) * Math.log(c / n), 0);
  let mi = 0;
  for (const [key, c] of joint) {
    const [x, y] = key.split(',').map(Number) as [number, number];
    mi += (c / n) * Math.log((c * n) / (ca.get(x)! * cb.get(y)!));
  }
  const ha = h(ca), hb = h(cb);
  return ha === 0 || hb === 0 ? 0 : Math.max(0, Math.min(1, mi / Math.sqrt(ha * hb)));
}
