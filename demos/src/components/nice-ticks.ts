// Round axis ticks for the pages' hand-drawn SVG charts: a label at 0, 5, 10, 15 % reads as an axis,
// where one at max/2 ("14%") beside a reference line reads as that line's label.

/** Round ticks (steps of 1, 2 or 5 × 10^k, the smallest at least a quarter of the range) inside [lo, hi]: two to five of them; one, `lo`, for an empty range. */
export function niceTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A share as a percentage with at most one decimal and no trailing zero: 0.125 → "12.5%", 0.1 → "10%". */
export function formatShareTick(v: number): string {
  return `${Number((v * 100).toFixed(1))}%`;
}
