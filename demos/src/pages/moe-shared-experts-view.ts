// moe.html's shared-experts view (Parameter-Efficient Conformers via Sharing Sparsely-Gated Experts
// for End-to-End Speech Recognition, arXiv:2209.08326): in the lab worker two 6-block models built
// by @weft/moe's sharedMoETransformer learn reversal — one with every block's own attention and
// experts, one whose blocks share them in groups of 3 while each block keeps its own router and
// norms; the view shows both models' stored parameters, loss curves and held-out accuracy, and how
// each block of the shared model routes over its group's experts.
import { html, nothing, svg } from 'lit';
import { SHARED_EXPERTS_ARMS, SHARED_EXPERTS_LAB_CONFIG, type PhaseLoss, type SharedExpertsLabResult } from '../jobs/moe-lab.js';
import { formatInt, formatLoss, formatPercent } from '../format.js';
import { MoELabView } from './moe-lab-view.js';

const c = SHARED_EXPERTS_LAB_CONFIG;
const COLOURS: Record<string, string> = { 'per-layer experts': 'var(--class-1)', 'shared experts': 'var(--class-0)' };

/** Total-variation distance between two routing distributions. */
function tv(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / 2;
}

/** The shared-experts view. */
export class WeftMoESharedExpertsView extends MoELabView<PhaseLoss, SharedExpertsLabResult> {

  constructor() {
    super('sharedExperts');
  }

  override render() {
    const e = this.experiment;
    const r = e.result;
    const last = e.progress.at(-1);
    return html`<p class="about">
        The paper shares one set of sparsely-gated experts (and the attention) among several layers, and gives each layer its own router and
        norms, so a shared block can still route differently at each depth. Here two ${c.depth}-block models (${c.numExperts} experts per bank,
        top-${c.topK}) learn to reverse ${c.length} tokens for ${c.steps} steps each (seed ${this.seed}): one with every block's own experts, one
        whose blocks share them in groups of ${c.repeat}.
      </p>
      <div class="run-row">
        ${e.button('Train both models')}
        <span class="status num">${e.status === 'idle' ? `2 × ${c.steps} steps, about a minute on wasm` : e.status === 'waiting' ? e.statusText('', 0) : `${last ? `${last.phase}, step ${last.step}` : 'starting'}${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      <div class="legend-row">${SHARED_EXPERTS_ARMS.map((a, i) => html`<span class="swatch"><i class=${`c${i}`}></i>${a}</span>`)}</div>
      ${this.renderCurves(e.progress)}
      ${r ? this.renderResult(r) : nothing}`;
  }

  private renderCurves(losses: PhaseLoss[]) {
    if (!losses.length) return html`<div class="empty">Train to compare per-layer and shared experts.</div>`;
    const W = Math.max(280, this.size.width), H = 170, left = 52, right = 10, top = 22, bottom = 30;
    const vals = losses.map((l) => l.loss).filter((v) => v > 0 && Number.isFinite(v));
    const lo = Math.log10(Math.min(...vals)), hi = Math.log10(Math.max(...vals));
    const span = Math.max(0.1, hi - lo);
    const x = (s: number) => left + ((W - left - right) * s) / c.steps;
    const y = (v: number) => top + (H - top - bottom) * (1 - (Math.log10(v) - lo + span * 0.05) / (span * 1.1));
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="training loss of both models" data-shared-curves>
      ${[10 ** lo, 10 ** ((lo + hi) / 2), 10 ** hi].map((v) => svg`<line class="grid" x1=${left} x2=${W - right} y1=${y(v)} y2=${y(v)}></line><text class="lbl" x=${left - 6} y=${y(v) + 4} text-anchor="end">${v.toPrecision(2)}</text>`)}
      <text class="lbl" x=${left} y=${H - 10}>0</text>
      <text class="lbl" x=${W - right} y=${H - 10} text-anchor="end">step ${c.steps}</text>
      <text class="lbl" x=${4} y=${11}>training cross-entropy (log scale)</text>
      ${SHARED_EXPERTS_ARMS.map((a) => {
        const pts = losses.filter((l) => l.phase === a && l.loss > 0 && Number.isFinite(l.loss));
        return svg`<path d=${pts.map((l, i) => `${i ? 'L' : 'M'}${x(l.step).toFixed(1)},${y(l.loss).toFixed(1)}`).join('')} fill="none" stroke=${COLOURS[a]!} stroke-width="2" stroke-linejoin="round"></path>`;
      })}
    </svg>`;
  }

  private renderResult(r: SharedExpertsLabResult) {
    const own = r.arms.find((a) => a.arm === 'per-layer experts')!;
    const shared = r.arms.find((a) => a.arm === 'shared experts')!;
    const heat = (v: number) => `heat h${Math.max(0, Math.min(9, Math.floor(v * 9.99)))}`;
    const banks = [...new Set(r.groups)];
    const pairs: number[] = [];
    for (let i = 0; i < r.groups.length; i++) for (let j = i + 1; j < r.groups.length; j++) if (r.groups[i] === r.groups[j]) pairs.push(tv(r.load[i]!, r.load[j]!));
    const meanTv = pairs.reduce((s, v) => s + v, 0) / pairs.length;
    return html`<div class="tiles num">
        <div><div class="k">stored, per-layer experts</div><div class="v">${formatInt(own.stored)}</div></div>
        <div><div class="k">stored, shared experts</div><div class="v" data-shared-stored=${`${own.stored},${shared.stored}`}>${formatInt(shared.stored)}</div><div class="s">${formatPercent(shared.stored / own.stored)} of per-layer</div></div>
        <div><div class="k">held-out accuracy</div><div class="v" data-shared-accuracy=${`${own.accuracy},${shared.accuracy}`}>${formatPercent(own.accuracy)} <small>vs</small> ${formatPercent(shared.accuracy)}</div><div class="s">per-layer vs shared</div></div>
        <div><div class="k">final training loss</div><div class="v">${formatLoss(own.finalLoss)} <small>vs</small> ${formatLoss(shared.finalLoss)}</div><div class="s">mean of the last 3 reports</div></div>
      </div>
      <h3>Shared model: each block's share of routed pairs per expert of its bank (held-out sequences)</h3>
      <div class="scroll"><table class="grid-table" data-shared-routing=${r.groups.join(',')}>
        <thead><tr><th>block</th><th>bank</th>${r.load[0]!.map((_, i) => html`<th>${this.size.width < 520 ? `e${i}` : `expert ${i}`}</th>`)}</tr></thead>
        <tbody>${r.load.map((l, b) => html`<tr><td>${b + 1}</td><td>${String.fromCharCode(65 + r.groups[b]!)}</td>${l.map((v) => html`<td class=${heat(v * 2)}>${Math.round(v * 100)}%</td>`)}</tr>`)}</tbody>
      </table></div>
      <p class="summary"><span>${banks.length} expert banks and ${banks.length} attention modules serve ${r.groups.length} blocks; each block routes with its own router.
        Blocks sharing a bank route differently by ${formatPercent(meanTv)} on average (total-variation distance between their expert shares; 0 would be identical routing).</span>
        <span class="note">The paper reports shared-expert Conformers close to the unshared ones at about a third of the encoder's parameters; one seed at toy scale here, so small accuracy gaps either way are noise.</span></p>`;
  }
}

customElements.define('weft-moe-shared-experts-view', WeftMoESharedExpertsView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-shared-experts-view': WeftMoESharedExpertsView;
  }
}
