// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// Per-expert weight quantisation (the survey's §compression): symmetric per-row integer codes,
// q = round(w / s) clamped to ±(2^(b−1) − 1) with s = max|row| / (2^(b−1) − 1), dequantised for the
// forward (w ≈ q·s, error ≤ s/2 per weight). Biases stay float32. Codes are held one per Int8 (a real
// int4 store packs two per byte; the byte count in planBytes assumes that packing).
import { checkOneOf, checkPositiveInt } from '@weft/core/internal';
import type { ExpertPlan } from './plan.js';

/** Bit widths {@link quantiseRows} supports. */
export const QUANT_BITS = [8, 4] as const;

/** Integer codes, per-row scales and the dequantised values of a row-major matrix. */
export interface QuantisedRows {
  /** Codes, one per weight, in [−(2^(b−1) − 1), 2^(b−1) − 1]. */
  codes: Int8Array;
  /** Scale of each row. */
  scales: Float32Array;
  /** codes · scale, row by row. */
  dequantised: Float32Array;
}

/** Quantise `values` (rows of `cols` weights) to `bits` per weight, symmetric per row. */
export function quantiseRows(values: Float32Array, cols: number, bits: number): QuantisedRows {
  checkOneOf('quantiseRows', 'bits', bits, QUANT_BITS);
  checkPositiveInt('quantiseRows', 'cols', cols);
  if (values.length % cols !== 0) throw new Error(`quantiseRows: values.length=${values.length} is not a multiple of cols=${cols}`);
  const qmax = 2 ** (bits - 1) - 1;
  const rows = values.length / cols;
  const codes = new Int8Array(values.length);
  const scales = new Float32Array(rows);
  const dequantised = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(values[r * cols + c]!));
    const s = m > 0 ? m / qmax : 1;
    scales[r] = s;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      codes[i] = Math.max(-qmax, Math.min(qmax, Math.round(values[i]! / s)));
      dequantised[i] = codes[i]! * scales[r]!;
    }
  }
  return { codes, scales, dequantised };
}

/** The plan with every expert matrix (w1's d rows of h, w2's h rows of d per expert) quantised to `bits`. */
export function quantisePlan(p: ExpertPlan, bits: 8 | 4): ExpertPlan {
  return { ...p, bits, w1: quantiseRows(p.w1, p.hidden, bits).dequantised, w2: quantiseRows(p.w2, p.dim, bits).dequantised };
}
