// The energy distance between two point sets (Székely & Rizzo): D² = 2·E‖X − Y‖ − E‖X − X'‖ −
// E‖Y − Y'‖, here as the V-statistic over all pairs (zero for identical sets, ≥ 0 always). The
// sample-quality measure of the DiT-Air experiment and page: generated points against the data.

/** D² between `a` and `b`, flat (x, y, …) coordinates of `dim`-dimensional points, in float64. */
export function energyDistance(a: ArrayLike<number>, b: ArrayLike<number>, dim = 2): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`energyDistance: dim=${dim} must be a positive integer`);
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    if (s.length === 0 || s.length % dim !== 0) throw new Error(`energyDistance: ${name} has ${s.length} values; expected a positive multiple of dim=${dim}`);
  }
  const meanDist = (p: ArrayLike<number>, q: ArrayLike<number>) => {
    const [n, m] = [p.length / dim, q.length / dim];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let d2 = 0;
        for (let k = 0; k < dim; k++) d2 += (p[i * dim + k]! - q[j * dim + k]!) ** 2;
        sum += Math.sqrt(d2);
      }
    }
    return sum / (n * m);
  };
  return 2 * meanDist(a, b) - meanDist(a, a) - meanDist(b, b);
}
