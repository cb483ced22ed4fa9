// moe.html's product-key memory view (Large Memory Layers with Product Keys, arXiv:1907.05242): in
// the lab worker a regressor whose middle layer is @weft/moe's ProductKeyMemory (8 × 8 sub-keys: 64
// memory slots, 4 read per token) learns the clusters' targets; the view shows the slots as an n × n
// grid (row: the first half's sub-key, column: the second's) — how often each is read over the test
// points, and for one probe point per cluster the k best sub-keys of each half, the k × k product
// candidates and the k slots it reads with their weights.
import { html, nothing, svg } from 'lit';
import { PKM_LAB_CONFIG, type PhaseLoss, type PkmLabResult, type PkmProbe } from '../jobs/moe-lab.js';
import { formatPercent } from '../format.js';
import { MoELabView } from './moe-lab-view.js';

const c = PKM_LAB_CONFIG;

/** The product-key memory view. */
export class WeftMoEPkmView extends MoELabView<PhaseLoss, PkmLabResult> {
  static override properties = { ...MoELabView.properties, probe: { state: true } };
  private declare probe: number;

  constructor() {
    super('pkm');
    this.probe = 0;
  }

  override render() {
    const e = this.experiment;
    const r = e.result;
    const last = e.progress.at(-1);
    const p = r?.probes[this.probe] ?? null;
    return html`<p class="about">
        A memory of n² = ${c.numSubKeys ** 2} value vectors addressed by product keys: the query's two halves are scored against ${c.numSubKeys} sub-keys each,
        the ${c.topK} best of each half give ${c.topK}² = ${c.topK ** 2} candidate slots, and the ${c.topK} best candidates are read, mixed by a softmax of their scores —
        an exact top-${c.topK} over ${c.numSubKeys ** 2} slots for the cost of 2 × ${c.numSubKeys} scores. Here it is the middle layer of a regressor on the
        ${c.clusters} Gaussian clusters (${c.steps} steps, seed ${this.seed}).
      </p>
      <div class="run-row">
        ${e.button('Train and look up')}
        <span class="status num">${e.status === 'idle' ? `${c.steps} steps, a few seconds on wasm` : e.status === 'waiting' ? e.statusText('', 0) : `step ${last?.step ?? 0} of ${c.steps}${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      ${r
        ? html`<div class="tiles num">
              <div><div class="k">test MSE</div><div class="v" data-pkm-mse=${r.testMSE}>${r.testMSE.toFixed(3)}</div><div class="s">${r.withoutMemoryMSE.toFixed(3)} with the memory's output removed</div></div>
              <div><div class="k">slots read</div><div class="v" data-pkm-used=${r.usedSlots}>${r.usedSlots} <small>of ${c.numSubKeys ** 2}</small></div><div class="s">by the test points</div></div>
              <div><div class="k">scores per token</div><div class="v">${2 * c.numSubKeys + c.topK ** 2}</div><div class="s">vs ${c.numSubKeys ** 2} for a flat memory</div></div>
              <div><div class="k">values read</div><div class="v">${c.topK}</div><div class="s">${formatPercent(c.topK / c.numSubKeys ** 2)} of the memory</div></div>
            </div>
            <div class="two">
              <div><h3>Reads per slot, all test points</h3>${this.renderGrid(r.usage, null)}</div>
              <div>
                <h3>One query's lookup</h3>
                <div class="chips" role="group" aria-label="probe point">${r.probes.map((q, i) => html`<button type="button" class=${i === this.probe ? 'chip on' : 'chip'} aria-pressed=${i === this.probe} @click=${() => (this.probe = i)}>c${q.cluster}</button>`)}</div>
                ${p ? this.renderGrid(null, p) : nothing}
              </div>
            </div>
            ${p ? this.renderProbe(p) : nothing}`
        : html`<div class="empty">Train to see which memory slots the queries pick.</div>`}`;
  }

  /** The n × n slot grid: shaded by `usage`, or one probe's bands (its best sub-keys), candidates and reads. */
  private renderGrid(usage: number[] | null, p: PkmProbe | null) {
    const n = c.numSubKeys;
    const W = Math.max(200, Math.min(360, (this.size.width - 20) / (this.size.width >= 760 ? 2 : 1)));
    const left = 24, top = 20, cell = (W - left - 4) / n;
    const H = top + n * cell + 4;
    const max = usage ? Math.max(...usage) : 1;
    const read = new Map(p ? p.slots.map((s, i) => [s, p.weights[i]!]) : []);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${p ? 'one query: candidate and read slots' : 'reads per memory slot'} data-pkm-grid=${p ? 'probe' : 'usage'}>
      ${Array.from({ length: n }, (_, i) => svg`<text class="lbl" x=${left - 6} y=${top + (i + 0.5) * cell + 4} text-anchor="end">${i}</text><text class="lbl" x=${left + (i + 0.5) * cell} y=${top - 6} text-anchor="middle">${i}</text>`)}
      ${p ? svg`${p.keys1.map((r) => svg`<rect x=${left} y=${top + r * cell} width=${n * cell} height=${cell} fill="var(--class-1)" fill-opacity="0.12"></rect>`)}
                ${p.keys2.map((col) => svg`<rect x=${left + col * cell} y=${top} width=${cell} height=${n * cell} fill="var(--class-0)" fill-opacity="0.12"></rect>`)}` : nothing}
      ${Array.from({ length: n * n }, (_, s) => {
        const [r, col] = [Math.floor(s / n), s % n];
        const x = left + col * cell + 1, y = top + r * cell + 1, w = cell - 2;
        if (usage) return svg`<rect x=${x} y=${y} width=${w} height=${w} rx="2" fill=${usage[s]! > 0 ? 'var(--accent)' : 'var(--border)'} fill-opacity=${usage[s]! > 0 ? 0.15 + (0.85 * usage[s]!) / max : 0.4}><title>slot ${s} (${r}, ${col}): ${formatPercent(usage[s]!)} of reads</title></rect>`;
        const cand = p!.keys1.includes(r) && p!.keys2.includes(col);
        const wgt = read.get(s);
        return svg`<rect x=${x} y=${y} width=${w} height=${w} rx="2" fill=${wgt !== undefined ? 'var(--accent)' : 'none'} fill-opacity=${wgt !== undefined ? 0.3 + 0.7 * wgt : 0} stroke=${cand ? 'var(--text)' : 'var(--border)'} stroke-width=${cand ? 1.5 : 1}></rect>
          ${wgt !== undefined && cell >= 26 ? svg`<text class="cell" x=${x + w / 2} y=${y + w / 2 + 4} text-anchor="middle">${Math.round(wgt * 100)}</text>` : nothing}`;
      })}
    </svg>`;
  }

  private renderProbe(p: PkmProbe) {
    const n = c.numSubKeys;
    return html`<p class="summary num" data-pkm-probe=${p.slots.join(',')}>
      <span>A point of cluster c${p.cluster} at (${p.x[0].toFixed(2)}, ${p.x[1].toFixed(2)}): the first half's best sub-keys are <b>${p.keys1.join(', ')}</b> (blue rows), the second half's
        <b>${p.keys2.join(', ')}</b> (orange columns); their ${c.topK ** 2} crossings (outlined) are the candidates, and it reads
        ${p.slots.map((s, i) => `slot ${s} (${Math.floor(s / n)}, ${s % n}) ${formatPercent(p.weights[i]!)}`).join(', ')} (numbers in the cells: weight %).</span>
    </p>`;
  }
}

customElements.define('weft-moe-pkm-view', WeftMoEPkmView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-pkm-view': WeftMoEPkmView;
  }
}
