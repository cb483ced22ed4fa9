// moe.html's UMoE view (UMoE: Unifying Attention and FFN with Shared Experts, arXiv:2505.07260): in
// the lab worker a small LM of two @weft/moe UMoEBlocks — attention (pre-mixing attention MoE) and
// FFN MoE routing into one set of experts per block — learns sort; the view shows, per block, the
// share of the attention's and of the FFN's routed pairs each shared expert took on held-out
// sequences, and the parameters the sharing saves.
import { html, nothing, svg } from 'lit';
import { UMOE_LAB_CONFIG, type PhaseLoss, type UmoeLabResult } from '../jobs/moe-lab.js';
import { formatInt, formatPercent } from '../format.js';
import { formatShareTick, niceTicks } from '../components/nice-ticks.js';
import { MoELabView } from './moe-lab-view.js';

const c = UMOE_LAB_CONFIG;

/** The UMoE view. */
export class WeftMoEUmoeView extends MoELabView<PhaseLoss, UmoeLabResult> {

  constructor() {
    super('umoe');
  }

  override render() {
    const e = this.experiment;
    const r = e.result;
    const last = e.progress.at(-1);
    return html`<p class="about">
        UMoE writes attention as a mixture of experts too: each token mixes the sequence with its own low-rank query per expert, then sends the
        mixed vector through that expert — the same FFN experts the block's feed-forward MoE uses. Two such blocks (${c.numExperts} experts each,
        top-${c.topK} in attention and in the FFN) learn to sort ${c.length} tokens (${c.steps} steps, seed ${this.seed}).
      </p>
      <div class="run-row">
        ${e.button('Train and count')}
        <span class="status num">${e.status === 'idle' ? `${c.steps} steps, about half a minute on wasm` : e.status === 'waiting' ? e.statusText('', 0) : `step ${last?.step ?? 0} of ${c.steps}${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      ${r
        ? html`<div class="tiles num">
              <div><div class="k">answer accuracy</div><div class="v" data-umoe-accuracy=${r.accuracy}>${formatPercent(r.accuracy)}</div><div class="s">held-out sequences</div></div>
              <div><div class="k">stored, experts shared</div><div class="v">${formatInt(r.stored)}</div></div>
              <div><div class="k">one set per layer</div><div class="v">${formatInt(r.storedUnshared)}</div></div>
              <div><div class="k">saved</div><div class="v">${formatPercent(1 - r.stored / r.storedUnshared)}</div><div class="s">of the unshared model</div></div>
            </div>
            <div class="legend-row"><span class="swatch"><i class="c0"></i>attention’s pairs</span><span class="swatch"><i class="c1"></i>FFN’s pairs</span><span class="swatch">dashed: uniform 1/${c.numExperts}</span></div>
            <div class="two">${r.load.map((l, b) => html`<div><h3>Block ${b + 1}: share of routed pairs per shared expert</h3>${this.renderBars(l, b)}</div>`)}</div>
            <p class="legend" data-umoe-both=${r.load.map((l) => l.attention.filter((a, i) => a > 0 && l.ffn[i]! > 0).length).join(',')}>${r.load
              .map((l, b) => `Block ${b + 1}: ${l.attention.filter((a, i) => a > 0 && l.ffn[i]! > 0).length} of ${l.attention.length} experts take pairs from both layers`)
              .join('; ')} — one set of weights serves the attention and the FFN.</p>`
        : html`<div class="empty">Train to see the attention and the FFN use the same experts.</div>`}`;
  }

  private renderBars(l: UmoeLabResult['load'][number], block: number) {
    const W = Math.max(240, Math.min(this.size.width >= 760 ? (this.size.width - 20) / 2 : this.size.width, 520)), H = 150, left = 36, bottom = 22, top = 8;
    const e = l.attention.length;
    const max = Math.max(2 / e, ...l.attention, ...l.ffn) * 1.1;
    const gw = (W - left - 4) / e;
    const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${`block ${block + 1}: expert load of attention and FFN`} data-umoe-load=${block}>
      ${niceTicks(0, max).map((v) => svg`<text class="lbl" x=${left - 6} y=${y(v) + 4} text-anchor="end">${formatShareTick(v)}</text>`)}
      ${l.attention.map((a, i) => svg`
        <rect x=${left + i * gw + gw * 0.1} y=${y(a)} width=${gw * 0.38} height=${y(0) - y(a)} rx="1.5" fill="var(--class-1)"><title>expert ${i}: attention ${(a * 100).toFixed(1)}%</title></rect>
        <rect x=${left + i * gw + gw * 0.52} y=${y(l.ffn[i]!)} width=${gw * 0.38} height=${y(0) - y(l.ffn[i]!)} rx="1.5" fill="var(--class-0)"><title>expert ${i}: FFN ${(l.ffn[i]! * 100).toFixed(1)}%</title></rect>
        <text class="lbl" x=${left + (i + 0.5) * gw} y=${H - 5} text-anchor="middle">${i}</text>`)}
      <line x1=${left} x2=${W - 2} y1=${y(1 / e)} y2=${y(1 / e)} stroke="var(--muted)" stroke-dasharray="4 3" stroke-width="1.2"></line>
    </svg>`;
  }
}

customElements.define('weft-moe-umoe-view', WeftMoEUmoeView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-umoe-view': WeftMoEUmoeView;
  }
}
