// moe.html's inference-optimisation view (A Survey on Inference Optimization Techniques for Mixture
// of Experts Models, arXiv:2412.14219): in the lab worker a clusterTasks MoE regressor is trained,
// then the survey's model-level optimisations are applied to its trained MoE layer — expert pruning
// (by routing frequency, by gate mass), expert merging, int8/int4 weights, dynamic top-k — and
// expert offloading is simulated as LRU/LFU caches on the layer's routing trace. The view draws the
// test MSE of each against its stored expert bytes and the experts a token runs.
import { html, nothing } from 'lit';
import { INFERENCE_LAB_CONFIG, type PhaseLoss } from '../jobs/moe-lab.js';
import type { InferenceStudy } from '@weft/moe';
import { formatInt } from '../format.js';
import { MoELabView } from './moe-lab-view.js';

/** What each optimisation does, by row name prefix. */
const ABOUT: Array<[string, string]> = [
  ['baseline', 'the trained layer as it is (float32, top-2)'],
  ['prune (frequency)', 'keep the experts picked most often on 512 calibration points'],
  ['prune (gate mass)', 'keep the experts with the largest summed gates'],
  ['merge', 'average groups of similar experts (weighted by use); the router maps each expert to its group'],
  ['int8', 'expert matrices as 8-bit codes, one float32 scale per row'],
  ['int4', 'expert matrices as 4-bit codes, one float32 scale per row'],
  ['dynamic top-k', 'run only the top expert when its gate is high enough'],
];

/** The inference-optimisation view. */
export class WeftMoEInferenceView extends MoELabView<PhaseLoss, InferenceStudy> {

  constructor() {
    super('inference');
  }

  override render() {
    const c = INFERENCE_LAB_CONFIG;
    const e = this.experiment;
    const last = e.progress.at(-1);
    const half = Math.ceil(c.moe.numExperts / 2);
    return html`<p class="about">
        A regressor with a MoE (${c.moe.numExperts} experts, top-${c.moe.topK}) learns eight Gaussian clusters (${c.steps} steps). Then its trained layer is
        made cheaper to serve: pruned or merged to ${half} experts, its weights quantised, or the second expert skipped when the top gate is ≥ ${c.study.threshold}.
        Offloading keeps ${half} of the ${c.moe.numExperts} experts in fast memory and loads the rest on demand. Seed ${this.seed} (the page's seed).
      </p>
      <div class="run-row">
        ${e.button('Run the experiment')}
        <span class="status num" data-inference-status=${e.status}>${e.status === 'idle' ? `${c.steps} training steps, then the optimisations; a few seconds on wasm` : e.status === 'waiting' ? e.statusText('', 0) : `${last ? `step ${last.step} of ${c.steps}, training MSE ${last.loss.toFixed(3)}` : 'starting'}${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      ${e.result ? this.renderResult(e.result) : html`<div class="empty">Run the experiment to compare the optimisations.</div>`}`;
  }

  private renderResult(r: InferenceStudy) {
    const base = r.rows[0]!;
    const max = Math.max(...r.rows.map((x) => x.mse));
    const bar = (v: number) => html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect x="0" y="1" width=${(100 * v) / max} height="8" rx="1.5" fill="var(--accent)"></rect></svg>`;
    const about = (name: string) => ABOUT.find(([k]) => name.startsWith(k))?.[1] ?? '';
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    const cheap = r.rows.slice(1).filter((x) => x.mse <= 1.1 * base.mse);
    return html`<div class="scroll"><table data-inference-table>
        <thead><tr><th>optimisation</th><th>test MSE</th><th class="bars"></th><th>expert bytes</th><th>experts / token</th></tr></thead>
        <tbody>
          ${r.rows.map((x) => html`<tr><td><b>${x.name}</b><div class="sub">${about(x.name)}</div></td><td class="num" data-mse=${x.name}>${x.mse.toFixed(3)}</td><td class="bars">${bar(x.mse)}</td><td class="num">${formatInt(x.bytes)} <span class="sub">(${pct(x.bytes / base.bytes)})</span></td><td class="num">${x.expertsPerToken.toFixed(2)}</td></tr>`)}
        </tbody>
      </table></div>
      <h3>Expert offloading: a cache of ${r.cache.capacity} experts on the test set's routing trace</h3>
      <div class="scroll"><table data-inference-cache>
        <thead><tr><th>policy</th><th>hit rate</th><th>misses</th><th>bytes moved</th></tr></thead>
        <tbody>
          ${(['lru', 'lfu'] as const).map((p) => html`<tr><td>${p === 'lru' ? 'least recently used' : 'least frequently used'}</td><td class="num" data-hit=${p}>${pct(r.cache[p].hitRate)}</td><td class="num">${formatInt(r.cache[p].misses)}</td><td class="num">${formatInt(Math.round(r.cache[p].bytesMoved))}</td></tr>`)}
        </tbody>
      </table></div>
      <p class="summary"><span>Within 10% of the baseline's test MSE: <b>${cheap.length ? cheap.map((x) => x.name).join(', ') : 'none'}</b>.
        ${cheap.length < r.rows.length - 1 ? 'The others trade accuracy for bytes or compute here: this toy task gives each cluster its own expert, so dropping or averaging experts removes what a cluster needs.' : ''}</span>
      <span class="note">Merging averages experts without aligning their hidden units first (MC-SMoE aligns them), so merged experts can be worse than either member.</span></p>`;
  }
}

customElements.define('weft-moe-inference-view', WeftMoEInferenceView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-inference-view': WeftMoEInferenceView;
  }
}
