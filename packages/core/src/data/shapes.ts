// Small grayscale shape images (8×8 by default) for tiny CNNs: one shape per image at a random
// position and scale, rendered with 4×4 supersampling (pixel value = covered fraction), then
// Gaussian pixel noise clipped to [0, 1]. Lines are about one pixel wide.
import type { Rng } from '../random.js';
import { checkInt, checkNumber, checkOrdered, checkSize } from '../check.js';
import { resolveConfig, describeValue } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** The shapes {@link shapes} can draw. */
export const SHAPE_NAMES = ['square', 'circle', 'triangle', 'cross', 'hline', 'vline'] as const;
/** A shape {@link shapes} can draw: square and circle outlines, a filled upward triangle, a diagonal cross (×), horizontal and vertical lines. */
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** Config of {@link shapes}. */
export interface ShapesConfig {
  /** Number of images (label = i mod number of shapes, so balanced). Default 600. */
  n: number;
  /** Image side in pixels. Default 8. */
  size: number;
  /** The classes, in label order. Default all of {@link SHAPE_NAMES}. */
  shapes: ShapeName[];
  /** Smallest half-extent of a shape, as a fraction of `size`. Default 0.25. */
  minScale: number;
  /** Largest half-extent of a shape, as a fraction of `size` (at most 0.5). Default 0.45. */
  maxScale: number;
  /** Standard deviation of Gaussian pixel noise (the result is clipped to [0, 1]). Default 0.05. */
  noise: number;
}

/** Defaults of {@link ShapesConfig}. */
export const SHAPES_DEFAULTS: ShapesConfig = { n: 600, size: 8, shapes: [...SHAPE_NAMES], minScale: 0.25, maxScale: 0.45, noise: 0.05 };

/** Half line width in pixels. */
const HALF_WIDTH = 0.5;

/** Whether the point (dx, dy) relative to the center (y pointing down) lies in shape `kind` of half-extent s. */
function inside(kind: ShapeName, dx: number, dy: number, s: number): boolean {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  switch (kind) {
    case 'square': return Math.abs(Math.max(ax, ay) - (s - HALF_WIDTH)) <= HALF_WIDTH;
    case 'circle': return Math.abs(Math.hypot(dx, dy) - (s - HALF_WIDTH)) <= HALF_WIDTH;
    case 'triangle': return dy >= -s && dy <= s && ax <= (dy + s) / 2;
    case 'cross': return Math.max(ax, ay) <= s && Math.abs(ax - ay) <= HALF_WIDTH * Math.SQRT2;
    case 'hline': return ay <= HALF_WIDTH && ax <= s;
    case 'vline': return ax <= HALF_WIDTH && ay <= s;
  }
}

/**
 * Shape images: x float32 NHWC `[N, size, size, 1]` in [0, 1], y int32 `[N]` (index into
 * `config.shapes`, also in `meta.shapes`); `extra.center` float32 `[N, 2]` (column, row in
 * pixels, continuous) and `extra.scale` float32 `[N]` (half-extent in pixels).
 */
export function shapes(config?: Partial<ShapesConfig>, seed: number | Rng = 0): Dataset {
  const where = 'shapes';
  const c = resolveConfig(where, SHAPES_DEFAULTS, config);
  checkInt(where, 'n', c.n, 1);
  checkInt(where, 'size', c.size, 4, 64);
  if (c.shapes.length === 0) throw new Error(`${where}: shapes=[] must name at least one of ${SHAPE_NAMES.join(', ')}`);
  for (const [i, s] of c.shapes.entries()) {
    if (!(SHAPE_NAMES as readonly unknown[]).includes(s)) {
      throw new Error(`${where}: shapes[${i}]=${describeValue(s)} must be one of ${SHAPE_NAMES.join(', ')}`);
    }
  }
  checkNumber(where, 'minScale', c.minScale, 0.1, 0.5);
  checkNumber(where, 'maxScale', c.maxScale, 0.1, 0.5);
  checkOrdered(where, 'minScale', c.minScale, 'maxScale', c.maxScale);
  checkNumber(where, 'noise', c.noise, 0);
  const S = c.size;
  checkSize(where, `n=${c.n} × ${S}×${S}`, c.n * S * S);
  const rng = datasetRng(where, seed, 'shapes');
  const x = new Float32Array(c.n * S * S);
  const y = new Int32Array(c.n);
  const center = new Float32Array(2 * c.n);
  const scale = new Float32Array(c.n);
  const SUB = 4;
  for (let i = 0; i < c.n; i++) {
    const label = i % c.shapes.length;
    const kind = c.shapes[label]!;
    const s = S * rng.uniform(c.minScale, c.maxScale);
    const cx = rng.uniform(s, S - s);
    const cy = rng.uniform(s, S - s);
    y[i] = label;
    center[2 * i] = cx;
    center[2 * i + 1] = cy;
    scale[i] = s;
    const img = i * S * S; // (N, H, W, 1): pixel (row r, column q) at img + r*S + q
    for (let r = 0; r < S; r++) {
      for (let q = 0; q < S; q++) {
        let covered = 0;
        for (let a = 0; a < SUB; a++) {
          for (let b = 0; b < SUB; b++) {
            if (inside(kind, q + (b + 0.5) / SUB - cx, r + (a + 0.5) / SUB - cy, s)) covered++;
          }
        }
        const v = covered / (SUB * SUB) + (c.noise > 0 ? rng.normal(0, c.noise) : 0);
        x[img + r * S + q] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return {
    name: 'shapes', task: 'classification', x, xShape: [c.n, S, S, 1], y, yShape: [c.n], numClasses: c.shapes.length,
    extra: { center, scale }, meta: { shapes: [...c.shapes] },
  };
}
