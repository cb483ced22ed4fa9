// The conformance matrix: one list of module factories that every Weft technique joins with a
// row, and one set of checks every row passes on every backend (test/conformance.backends.test.ts).
// A row builds its module and its input from a seeded Rng, so two builds are identical — on any
// backend — and parity between backends can be checked.
import type * as tf from '@tensorflow/tfjs-core';
import type { Module, Rng } from '@weft/core';

/** One row of the matrix. */
export interface ConformanceRow<In = unknown> {
  /** Name in test titles, e.g. "core/Linear". */
  name: string;
  /** Build the module; must draw all randomness from `rng`. */
  make(rng: Rng): Module<In, tf.Tensor>;
  /** A seeded input batch, and optionally a target for `loss`. */
  input(rng: Rng): { x: In; y?: tf.Tensor };
  /** Training loss. Default: mean of the squared output. */
  loss?(output: tf.Tensor, y: tf.Tensor | undefined): tf.Scalar;
  /** Max |Δ| allowed between this backend and cpu for the outputs. Default: 1e-4 (× max(1, |y|)). */
  parityTolerance?: number;
  /** Parameters exempt from "every trainable parameter gets a gradient" (path prefixes), with why. */
  noGradient?: { paths: string[]; why: string };
}

const rows: (ConformanceRow<any> | (() => ConformanceRow<any>[]))[] = [];

/** Add rows to the matrix (one call per technique module file). */
export function addConformanceRows(...more: ConformanceRow<any>[]): void {
  rows.push(...more);
}

/**
 * Add rows read from a registry when the matrix is listed (not when this file is imported), so an
 * entry registered later — by a user's package or a test — gets its rows with no other edit.
 */
export function addRegistryRows(fromRegistry: () => ConformanceRow<any>[]): void {
  rows.push(fromRegistry);
}

/** Every row, registry rows as the registries are now. */
export function conformanceRows(): readonly ConformanceRow<any>[] {
  return rows.flatMap((r) => (typeof r === 'function' ? r() : [r]));
}
