// Designing Network Design Spaces (RegNet), arXiv 2003.13678, §3.3: fitting the quantized linear
// rule to a given network — d set to its depth, a grid search over w0, wa and wm minimising e_fit,
// the mean |log ratio| of the rule's per-block widths to the observed ones. The paper's finding:
// the good networks of AnyNet are the ones this rule fits well.
import { checkInt, checkPositiveInt } from '@weft/core/internal';
import { describeValue } from '@weft/core';
import { checkRegNetParams, roundHalfEven, type RegNetParams } from './design.js';

/** e_fit without argument checks (the grid search's inner loop): the rule's quantized width per block j, as regnetStages computes it. */
function efitOf(w0: number, wa: number, wm: number, q: number, logObserved: readonly number[]): number {
  const lwm = Math.log(wm);
  let sum = 0;
  for (let j = 0; j < logObserved.length; j++) {
    const s = Math.round(Math.log((w0 + wa * j) / w0) / lwm);
    sum += Math.abs(Math.log(roundHalfEven((w0 * wm ** s) / q) * q) - logObserved[j]!);
  }
  return sum / logObserved.length;
}

/** e_fit of the rule's per-block widths (before the group adjustment) against observed per-block widths. */
export function regnetFitError(params: Omit<RegNetParams, 'depth' | 'bottleneck' | 'groupWidth'>, blockWidths: readonly number[]): number {
  const p = checkRegNetParams('regnetFitError', { ...params, depth: Math.max(1, blockWidths.length), bottleneck: 1, groupWidth: 1 });
  return efitOf(p.w0, p.wa, p.wm, p.quantum, blockWidths.map(Math.log));
}

/** The best fit: w0, wa, wm and its e_fit. */
export interface RegNetFit {
  w0: number;
  wa: number;
  wm: number;
  efit: number;
}

/**
 * Grid search of the rule to per-block widths: w0 over the multiples of `quantum` up to the widest
 * block, wa over `waSteps` values in [0, widest], wm over [1.5, 3] in steps of 0.05 (the paper's range).
 */
export function fitRegNet(blockWidths: readonly number[], options: { quantum?: number; waSteps?: number } = {}): RegNetFit {
  if (!Array.isArray(blockWidths) || blockWidths.length === 0 || blockWidths.some((w) => !(Number.isInteger(w) && w > 0))) {
    throw new Error(`fitRegNet: blockWidths=${describeValue(blockWidths)} must be a non-empty array of positive integers (one width per block)`);
  }
  const q = checkPositiveInt('fitRegNet', 'quantum', options.quantum ?? 8);
  const steps = checkInt('fitRegNet', 'waSteps', options.waSteps ?? 64, 1, 4096);
  const top = Math.max(...blockWidths);
  const logObserved = blockWidths.map(Math.log);
  let best: RegNetFit = { w0: q, wa: 0, wm: 2, efit: Infinity };
  for (let w0 = q; w0 <= Math.max(q, top); w0 += q) {
    for (let i = 0; i <= steps; i++) {
      const wa = (top * i) / steps;
      for (let k = 0; k <= 30; k++) {
        const wm = 1.5 + 0.05 * k;
        const efit = efitOf(w0, wa, wm, q, logObserved);
        if (efit < best.efit - 1e-12) best = { w0, wa, wm, efit };
      }
    }
  }
  return best;
}
