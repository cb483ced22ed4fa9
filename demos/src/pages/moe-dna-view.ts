// moe.html's DNA view (Towards Distributed Neural Architectures, arXiv:2506.22389): in the lab worker
// a small sequence model whose body is @weft/moe's DistributedModules (2 attention + 2 FFN modules,
// 4 routing hops, skip allowed, a compute loss) trains on copy or sort; every 20 steps the view gets
// the paths of 256 held-out sequences: the share of tokens taking each module at each hop, the
// modules a token visits by its position, the most frequent paths, and the compute share used.
import { html, nothing, svg } from 'lit';
import { dnaAttentionSlots } from '@weft/moe';
import { DNA_LAB_CONFIG, DNA_TASKS, type DnaLabReport } from '../jobs/moe-lab.js';
import { formatPercent } from '../format.js';
import { MoELabView } from './moe-lab-view.js';

type Task = keyof typeof DNA_TASKS;
const c = DNA_LAB_CONFIG;
/** Names of the pool's modules, attention first (as DistributedModules orders them), then skip. */
const OPTIONS = [...Array.from({ length: c.attention }, (_, i) => `attn ${i}`), ...Array.from({ length: c.ffn }, (_, i) => `ffn ${i}`), 'skip'];

/** A path of module indices ('0-3') in the pool's names ('attn 0 → ffn 1'), or 'no module'. */
function pathName(p: string): string {
  return p === '' ? 'no module' : p.split('-').map((i) => OPTIONS[Number(i)]).join(' → ');
}

/** The DNA view. */
export class WeftMoEDnaView extends MoELabView<DnaLabReport, DnaLabReport> {
  static override properties = { ...MoELabView.properties, task: { state: true } };
  private declare task: Task;

  constructor() {
    super('dna');
    this.task = 'copy';
  }

  protected override jobArgs(): unknown[] {
    return [this.task, this.seed];
  }

  override render() {
    const T = 2 * c.length;
    const slots = dnaAttentionSlots(T, c.attentionCapacity, c.attention + c.ffn + 1);
    const e = this.experiment;
    const r = e.progress.at(-1) ?? null;
    return html`<p class="about">
        Instead of a fixed stack of layers, a pool of ${c.attention} attention and ${c.ffn} FFN modules and one router per hop: at each of ${c.hops} hops
        every token picks one module (or skips) by its router's arg-max and adds that module's output, so each token takes its own path.
        An attention module attends only among the tokens that chose it at that hop, at most ${slots} of each sequence's ${T} (the first to choose it; later ones are dropped), so it runs on those tokens alone.
        A compute loss (weight ${c.computeWeight}) charges each module visited. The model learns ${this.task} on sequences of ${c.length} tokens
        (${c.steps} steps, seed ${this.seed}); the views show the paths of 256 held-out sequences.
      </p>
      <div class="run-row">
        <label class="inline">Task
          <select @change=${(ev: Event) => (this.task = (ev.target as HTMLSelectElement).value as Task)} ?disabled=${e.status === 'running' || e.status === 'waiting'}>
            ${Object.keys(DNA_TASKS).map((t) => html`<option value=${t} ?selected=${t === this.task}>${t}</option>`)}
          </select>
        </label>
        ${e.button('Train and trace paths')}
        <span class="status num">${e.status === 'idle' ? `${c.steps} steps, about a minute on wasm` : e.status === 'waiting' ? e.statusText('', 0) : `step ${r?.step ?? 0} of ${c.steps}${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      ${r
        ? html`<div class="tiles num">
              <div><div class="k">answer accuracy</div><div class="v" data-dna-accuracy=${r.accuracy}>${formatPercent(r.accuracy)}</div></div>
              <div><div class="k">modules per token</div><div class="v" data-dna-modules=${r.meanModules}>${r.meanModules.toFixed(2)} <small>of ${c.hops}</small></div></div>
              <div><div class="k">compute share</div><div class="v">${formatPercent(r.meanModules / c.hops)}</div><div class="s">of a fixed depth of ${c.hops} modules</div></div>
              <div><div class="k">distinct paths</div><div class="v">${r.distinctPaths}</div></div>
            </div>
            <div class="two">
              <div><h3>Share of tokens per module and hop</h3>${this.renderGrid(r)}</div>
              <div><h3>Modules visited by position</h3>${this.renderPositions(r)}</div>
            </div>
            <h3>Most frequent paths</h3>
            ${this.renderPaths(r)}`
        : html`<div class="empty">Train to see which modules tokens route through.</div>`}`;
  }

  private renderGrid(r: DnaLabReport) {
    return html`<div class="scroll"><table class="grid-table" data-dna-grid>
      <thead><tr><th>hop</th>${OPTIONS.map((o) => html`<th>${this.size.width < 520 ? o.replace('attn ', 'a').replace('ffn ', 'f') : o}</th>`)}</tr></thead>
      <tbody>${r.hopShare.map((row, h) => html`<tr><td>${h + 1}</td>${row.map((v) => html`<td class=${`heat h${Math.min(9, Math.floor(v * 10))}`}>${Math.round(v * 100)}%</td>`)}</tr>`)}</tbody>
    </table></div>`;
  }

  private renderPositions(r: DnaLabReport) {
    const W = Math.max(240, Math.min(this.size.width, 520)), H = 150, left = 30, bottom = 34, top = 8;
    const n = r.perPosition.length;
    const bw = (W - left - 4) / n;
    const y = (v: number) => top + (H - top - bottom) * (1 - v / c.hops);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="modules visited per token by position" data-dna-positions>
      ${[0, c.hops / 2, c.hops].map((v) => svg`<line class="grid" x1=${left} x2=${W - 4} y1=${y(v)} y2=${y(v)}></line><text class="lbl" x=${left - 6} y=${y(v) + 4} text-anchor="end">${v}</text>`)}
      ${r.perPosition.map((v, i) => svg`<rect x=${left + i * bw + bw * 0.15} y=${y(v)} width=${bw * 0.7} height=${y(0) - y(v)} rx="2" fill=${i < c.length ? 'var(--faint)' : i === c.length ? 'var(--class-3)' : 'var(--accent)'}><title>position ${i + 1}: ${v.toFixed(2)} modules</title></rect>`)}
      <text class="lbl" x=${left + (c.length / 2) * bw} y=${H - 16} text-anchor="middle">source</text>
      <text class="lbl" x=${left + (c.length + 0.5) * bw} y=${H - 2} text-anchor="middle">SEP</text>
      <text class="lbl" x=${left + (c.length + 1 + (n - c.length - 1) / 2) * bw} y=${H - 16} text-anchor="middle">answer</text>
    </svg>`;
  }

  private renderPaths(r: DnaLabReport) {
    return html`<ul class="paths" data-dna-paths>
      ${r.topPaths.map(([p, share]) => html`<li><span class="path">${pathName(p)}</span><svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect x="0" y="1" width=${100 * share} height="8" rx="1.5" fill="var(--accent)"></rect></svg><span class="num">${formatPercent(share)}</span></li>`)}
    </ul>`;
  }
}

customElements.define('weft-moe-dna-view', WeftMoEDnaView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-dna-view': WeftMoEDnaView;
  }
}
