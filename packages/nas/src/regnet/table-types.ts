// Designing Network Design Spaces (RegNet), arXiv 2003.13678: the shape of the cached EDF table
// (edf-table.ts, made by scripts/nas-design-tables.mjs).
import type { DesignRecipe } from './train.js';
import type { DesignSpaceRanges } from './space.js';

/** One trained sample of a design space. */
export interface DesignEdfRow {
  key: string;
  params: number;
  /** Held-out error (1 − accuracy). */
  error: number;
}

/** The cached error samples of both toy design spaces, per seed. */
export interface DesignEdfTable {
  n: number;
  data: string;
  recipe: DesignRecipe;
  ranges: DesignSpaceRanges;
  seeds: Array<{ seed: number; regnet: DesignEdfRow[]; anynet: DesignEdfRow[] }>;
  /** Seconds the script took on the machine that made it. */
  seconds: number;
}
