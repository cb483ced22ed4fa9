// The plane a 2-D classifier is drawn over, as plain data and functions (no DOM), so jobs running
// in a Web Worker can compute a decision boundary that <weft-decision-boundary> draws on the page.

/** `[xMin, xMax, yMin, yMax]` of the plotted plane. */
export type Extent = readonly [number, number, number, number];

/** Labelled 2-D points: `x` is `[N, 2]` row-major, `y` holds class ids. */
export interface LabelledPoints {
  x: Float32Array;
  y: Int32Array;
  numClasses: number;
}

/** Class probabilities on the grid of {@link gridPoints}: `[resolution², numClasses]` row-major. */
export interface ProbabilityField {
  probs: Float32Array;
  resolution: number;
  numClasses: number;
}

/**
 * The grid the field is computed on: `resolution²` points `[x, y]` row-major, rows from the top
 * (largest y) down, columns from left to right, each at its cell's center.
 */
export function gridPoints(extent: Extent, resolution: number): Float32Array {
  const [x0, x1, y0, y1] = extent;
  const out = new Float32Array(resolution * resolution * 2);
  for (let r = 0; r < resolution; r++) {
    const y = y1 - ((r + 0.5) / resolution) * (y1 - y0);
    for (let c = 0; c < resolution; c++) {
      const i = 2 * (r * resolution + c);
      out[i] = x0 + ((c + 0.5) / resolution) * (x1 - x0);
      out[i + 1] = y;
    }
  }
  return out;
}

/** A square extent around the points with a margin (so the boundary is seen past the data). */
export function extentOf(x: Float32Array, margin = 0.15): Extent {
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (let i = 0; i + 1 < x.length; i += 2) {
    xMin = Math.min(xMin, x[i]!);
    xMax = Math.max(xMax, x[i]!);
    yMin = Math.min(yMin, x[i + 1]!);
    yMax = Math.max(yMax, x[i + 1]!);
  }
  if (!Number.isFinite(xMin)) return [-1, 1, -1, 1];
  const cx = (xMin + xMax) / 2, cy = (yMin + yMax) / 2;
  const half = (Math.max(xMax - xMin, yMax - yMin, 1e-3) / 2) * (1 + margin);
  return [cx - half, cx + half, cy - half, cy + half];
}
