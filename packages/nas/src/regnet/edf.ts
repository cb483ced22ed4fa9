// Designing Network Design Spaces (RegNet), arXiv 2003.13678, §2.2: the error EDF of a design
// space, F(e) = (1/n) Σ_i 1[e_i < e] over n sampled, trained models, and the two-sample
// Kolmogorov–Smirnov statistic D = sup_e |F1(e) − F2(e)| the paper uses to compare two EDFs.
import { describeValue } from '@weft/core';

function checkErrors(where: string, name: string, e: readonly number[]): void {
  if (!Array.isArray(e) || e.length === 0) throw new Error(`${where}: ${name}=${describeValue(e)} must be a non-empty array of errors`);
  const k = e.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (k >= 0) throw new Error(`${where}: ${name}[${k}]=${describeValue(e[k])} must be a finite number`);
}

/** F(e) = (1/n) Σ 1[e_i < e]: the share of the models with error below `e`. */
export function edfAt(errors: readonly number[], e: number): number {
  checkErrors('edfAt', 'errors', errors);
  return errors.filter((x) => x < e).length / errors.length;
}

/** The EDF as its steps: sorted distinct errors, each with the share of models at or below it (F just after the step). */
export function errorEdf(errors: readonly number[]): Array<{ error: number; share: number }> {
  checkErrors('errorEdf', 'errors', errors);
  const sorted = [...errors].sort((a, b) => a - b);
  const out: Array<{ error: number; share: number }> = [];
  sorted.forEach((e, i) => {
    if (out.length && out.at(-1)!.error === e) out.at(-1)!.share = (i + 1) / sorted.length;
    else out.push({ error: e, share: (i + 1) / sorted.length });
  });
  return out;
}

/**
 * Compare two error samples: the KS statistic D = sup |F_a − F_b| and its sign — `aBetter` when
 * F_a ≥ F_b at the errors where they differ most (a's EDF lies to the left/above: more models of
 * a reach a low error).
 */
export function compareEdfs(a: readonly number[], b: readonly number[]): { ks: number; aBetter: boolean; meanA: number; meanB: number } {
  checkErrors('compareEdfs', 'a', a);
  checkErrors('compareEdfs', 'b', b);
  let ks = 0;
  let signed = 0;
  // The sup of a step-function difference is reached just after one of the sample points.
  for (const e of [...a, ...b]) {
    const d = a.filter((x) => x <= e).length / a.length - b.filter((x) => x <= e).length / b.length;
    if (Math.abs(d) > ks) {
      ks = Math.abs(d);
      signed = d;
    }
  }
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return { ks, aBetter: signed > 0, meanA: mean(a), meanB: mean(b) };
}
