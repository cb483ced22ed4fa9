// moe.html's WEMoE view (Merging Multi-Task Models via Weight-Ensembling Mixture of Experts,
// arXiv:2402.00433): in the lab worker a base MLP and three task fine-tunes of it are merged two
// ways — task arithmetic (θ₀ + λ·Σ τ_t) and @weft/moe's WEMoE (a router giving each input its own
// weights for the task vectors, trained on a few labelled points per task). The view shows each
// task's test MSE under each model and the router's mean weights per task: which task vector each
// task's inputs draw on.
import { html, nothing } from 'lit';
import { WEMOE_LAB_CONFIG, type PhaseLoss, type WemoeLabResult } from '../jobs/moe-lab.js';
import { MoELabView } from './moe-lab-view.js';

const c = WEMOE_LAB_CONFIG;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The WEMoE view. */
export class WeftMoEWemoeView extends MoELabView<PhaseLoss, WemoeLabResult> {

  constructor() {
    super('wemoe');
  }

  override render() {
    const e = this.experiment;
    const r = e.result;
    const last = e.progress.at(-1);
    return html`<p class="about">
        Three regression tasks in ${c.dim}-d (each around its own centre, target sin⟨x, a task direction⟩). A GELU MLP (${c.dim} → ${c.hidden} → 1) is trained on all three
        (${c.baseSteps} steps), then a copy is fine-tuned on each (${c.taskSteps} steps); τ_t is each fine-tune minus the base. Task arithmetic merges them
        with one coefficient λ = ${c.lambda}; WEMoE upscales the MLP into a router over the task vectors, θ(x) = θ₀ + Σ_t r_t(x)·τ_t, whose router
        (starting at λ) trains on ${c.fewPerTask} labelled points per task (${c.routerSteps} steps; the paper adapts it at test time, without labels). Seed ${this.seed}.
      </p>
      <div class="run-row">
        ${e.button('Merge the task models')}
        <span class="status num">${e.status === 'idle' ? 'five short trainings, a few seconds on wasm' : e.status === 'waiting' ? e.statusText('', 0) : `${last ? `${last.phase}, step ${last.step}` : 'starting'}${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      ${r ? this.renderResult(r) : html`<div class="empty">Run to merge the three task models.</div>`}`;
  }

  private renderResult(r: WemoeLabResult) {
    const rows: Array<[string, number[], string]> = [
      ['each task’s own fine-tune', r.own, 'three models'],
      ['base (before fine-tuning)', r.base, 'one model'],
      [`task arithmetic (λ = ${c.lambda})`, r.arithmetic, 'one merged model'],
      ['WEMoE', r.wemoe, 'one merged model + router'],
    ];
    const max = Math.max(...r.routing.flat().map(Math.abs), 1e-9);
    return html`<div>
        <div>
          <h3>Test MSE per task</h3>
          <div class="scroll"><table data-wemoe-table>
            <thead><tr><th>model</th>${r.own.map((_, t) => html`<th>task ${t + 1}</th>`)}<th>mean</th></tr></thead>
            <tbody>${rows.map(([name, v, note]) => html`<tr><td>${name}<div class="sub">${note}</div></td>${v.map((x) => html`<td class="num">${x.toFixed(3)}</td>`)}<td class="num" data-wemoe-mean=${name}><b>${mean(v).toFixed(3)}</b></td></tr>`)}</tbody>
          </table></div>
        </div>
        <div>
          <h3>Router weights r(x), mean over each task’s inputs</h3>
          <div class="scroll"><table class="grid-table" data-wemoe-routing>
            <thead><tr><th>inputs of</th>${r.routing.map((_, t) => html`<th>τ${t + 1}</th>`)}</tr></thead>
            <tbody>${r.routing.map((row, t) => html`<tr><td>task ${t + 1}</td>${row.map((v) => html`<td class=${`heat h${Math.max(0, Math.min(9, Math.floor((Math.abs(v) / max) * 9.99)))}`}>${v.toFixed(2)}</td>`)}</tr>`)}</tbody>
          </table></div>
          <p class="legend">Task arithmetic uses ${c.lambda} everywhere; a router that tells tasks apart puts its weight on the diagonal.</p>
        </div>
      </div>
      <p class="summary"><span>${mean(r.wemoe) < mean(r.arithmetic)
        ? `WEMoE's mean test MSE ${mean(r.wemoe).toFixed(3)} is below task arithmetic's ${mean(r.arithmetic).toFixed(3)}, the paper's claim (the three fine-tuned models, one per task, reach ${mean(r.own).toFixed(3)}).`
        : `Here task arithmetic (${mean(r.arithmetic).toFixed(3)}) did as well as WEMoE (${mean(r.wemoe).toFixed(3)}): the paper's claim (WEMoE below task arithmetic) does not show on this seed.`}</span>
</p>`;
  }
}

customElements.define('weft-moe-wemoe-view', WeftMoEWemoeView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-wemoe-view': WeftMoEWemoeView;
  }
}
