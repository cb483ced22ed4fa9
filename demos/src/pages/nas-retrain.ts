// nas.html's retraining result: the found genotype and RANDOM_RETRAINS random genotypes of the same
// space, each trained from scratch with one recipe, and the found one's relative improvement over
// the random mean (NAS evaluation is frustratingly hard, arXiv 1912.12522): on accuracy where the
// task has one (shapes), else on the validation loss (the planted regression task; a departure).
import { html } from 'lit';
import { relativeImprovement, relativeLossImprovement } from '@weft/nas';
import { formatLoss, formatPercent } from '../format.js';
import type { RetrainResult } from '../jobs/nas-job.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)} %`;

/** The retrain stats: found, the random mean, and the relative improvement (rendered inside the page's styles). */
export function renderRetrainResult(r: RetrainResult, conv: boolean) {
  const metric = conv ? 'cross-entropy' : 'MSE';
  const onAccuracy = r.foundAccuracy !== null && r.randomAccuracies !== null;
  const ri = onAccuracy ? relativeImprovement(r.foundAccuracy!, r.randomAccuracies!) : relativeLossImprovement(r.found, r.randoms);
  return html`<div class="counts num" data-retrain>
    <div class="stat"><div class="k">found genotype</div><div class="v" data-found=${r.found}>${onAccuracy ? formatPercent(r.foundAccuracy!) : formatLoss(r.found)}</div><div class="s">${onAccuracy ? `accuracy; val ${metric} ${formatLoss(r.found)}` : `val ${metric}`} after 150 steps</div></div>
    <div class="stat"><div class="k">${r.randoms.length} random genotypes</div><div class="v" data-random=${r.random}>${onAccuracy ? formatPercent(mean(r.randomAccuracies!)) : formatLoss(r.random)}</div><div class="s">mean; ${onAccuracy ? r.randomAccuracies!.map((a) => formatPercent(a, 0)).join(' · ') : r.randoms.map(formatLoss).join(' · ')}</div></div>
    <div class="stat"><div class="k">relative improvement</div><div class="v" data-ri=${ri}>${signed(ri)}</div><div class="s">${onAccuracy ? 'accuracy' : 'loss reduction'} over the random mean</div></div>
  </div>`;
}
