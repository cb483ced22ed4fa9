// moe.html's μP view (μ-Parametrization for Mixture of Experts, arXiv:2508.09752): a learning-rate
// sweep of a MoE regressor at three widths under the standard parametrisation (SP) and under μP, run
// seeded in the lab worker with @weft/moe's muTransferSweep and drawn as it fills in — test MSE
// against the learning rate, one curve per width, each width's best rate ringed. The claim: under μP
// the best rate stays put as the width grows; under SP it drifts.
import { LitElement, css, html, nothing, svg } from 'lit';
import type { MuTransferResult, MuTransferRun } from '@weft/moe';
import { MUP_LAB_CONFIG } from '../jobs/moe-lab.js';
import { MoELabView } from './moe-lab-view.js';

const PARAMS = [
  ['sp', 'Standard parametrisation (SP)'],
  ['mup', 'μP'],
] as const;
/** Series colours by width index. */
const COLOURS = ['var(--class-1)', 'var(--class-0)', 'var(--class-2)', 'var(--class-3)'];

/** Mean test MSE over the seeds reported so far: [parametrisation][width][rate] (NaN: none yet). */
function means(runs: readonly MuTransferRun[], widths: number[], rates: number[]): Record<'mup' | 'sp', number[][]> {
  const cell = (p: string, w: number, l: number) => {
    const v = runs.filter((r) => r.parametrisation === p && r.width === w && r.learningRate === l).map((r) => r.loss);
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
  };
  return { mup: widths.map((w) => rates.map((l) => cell('mup', w, l))), sp: widths.map((w) => rates.map((l) => cell('sp', w, l))) };
}

/** Index of the lowest finite value of a row whose every cell is in (else -1). */
function best(row: number[]): number {
  if (row.some((v) => Number.isNaN(v))) return -1;
  return row.reduce((b, v, i) => (v < row[b]! ? i : b), 0);
}

/** The μP sweep view. */
export class WeftMoEMuPView extends MoELabView<MuTransferRun, MuTransferResult> {

  constructor() {
    super('mup');
  }

  protected override jobArgs(): unknown[] {
    return [];
  }

  override render() {
    const c = MUP_LAB_CONFIG;
    const s = this.experiment;
    const runs = s.progress;
    const total = 2 * c.seeds.length * c.widths.length * c.learningRates.length;
    const m = means(runs, c.widths, c.learningRates);
    const bestRates = (p: 'mup' | 'sp') => m[p].map((row) => best(row)).map((i) => (i < 0 ? NaN : c.learningRates[i]!));
    return html`<p class="about">
        Each weight gets an init scale and an Adam learning-rate multiplier from its role and the width multiplier m = d/${c.widths[0]}
        (experts: hidden, ×1/m; router and output: ×1/m with a smaller init). At d = ${c.widths[0]} both are the same model.
        The sweep trains a regressor (in → MoE of ${c.numExperts} experts, top-${c.topK}, expert hidden = d → out) for ${c.steps} steps
        at ${c.learningRates.length} learning rates × widths ${c.widths.join(' / ')} × seeds ${c.seeds.join(', ')}, under SP and under μP: ${total} runs.
      </p>
      <div class="run-row">
        ${s.button('Run the sweep')}
        <span class="status num" data-mup-done=${runs.length}>${s.statusText(`${total} runs, one to two minutes on wasm`, total)}</span>
      </div>
      ${s.error ? html`<div class="alert" role="alert">${s.error}</div>` : nothing}
      <div class="legend-row">${c.widths.map((w, i) => html`<span class="swatch"><i class=${`c${i}`}></i>d = ${w}</span>`)}<span class="swatch"><i class="ring"></i>best rate of that width</span></div>
      ${this.renderPlots(m, c.widths, c.learningRates)}
      ${runs.length
        ? html`<p class="summary num">
            ${PARAMS.filter(([p]) => runs.some((r) => r.parametrisation === p)).map(([p, label]) => {
              const b = bestRates(p);
              const done = b.every((v) => Number.isFinite(v));
              const drift = done ? b.at(-1)! / b[0]! : NaN;
              return html`<span data-best=${p} data-rates=${b.join(',')}><b>${label}</b>: best rate ${b.map((v) => (Number.isFinite(v) ? v : '…')).join(' → ')}${done ? ` (d=${c.widths[0]}→${c.widths.at(-1)}: ${drift === 1 ? 'stays put' : drift < 1 ? `${+(1 / drift).toFixed(2)}× lower` : `${+drift.toFixed(2)}× higher`})` : ''}</span>`;
            })}
          </p>`
        : nothing}
      ${s.status === 'done'
        ? html`<p class="legend num">Seed by seed: ${PARAMS.map(([p]) => c.seeds.map((seed) => {
            const rows = means(runs.filter((r) => r.seed === seed), c.widths, c.learningRates)[p];
            return `${p === 'mup' ? 'μP' : 'SP'} seed ${seed}: ${rows.map((row) => c.learningRates[best(row)]).join(' → ')}`;
          }).join('; ')).join('; ')}.</p>`
        : nothing}
      ${s.status === 'done' ? this.verdict(bestRates('mup'), bestRates('sp')) : nothing}
      <p class="legend">Mean test MSE over the seeds (log scale); × marks a run that diverged. The claim holds when μP's rings line up across widths while SP's move left.</p>`;
  }

  /** Whether the sweep shows the claim: μP's best rate moves less (first to last width, in factors of 2) than SP's. */
  private verdict(mup: number[], sp: number[]) {
    const move = (b: number[]) => Math.abs(Math.log2(b.at(-1)! / b[0]!));
    const [m, p] = [move(mup), move(sp)];
    const x = (v: number) => (v === 0 ? 'not at all' : `${2 ** v}×`);
    return html`<p class="summary" data-mup-verdict=${m < p ? 'holds' : m === p ? 'tie' : 'fails'}><span>From the smallest to the largest width μP's best rate moved ${x(m)}, SP's ${x(p)}:
      ${m < p ? 'μP moved less, as the paper claims.' : m === p ? 'as far as each other — this sweep does not separate them.' : 'μP moved more — the claim does not show in this sweep.'}</span></p>`;
  }

  private renderPlots(m: Record<'mup' | 'sp', number[][]>, widths: number[], rates: number[]) {
    const W = Math.max(280, this.size.width);
    const side = W >= 640;
    const pw = side ? (W - 16) / 2 : W;
    const ph = 220;
    const finite = [...m.mup.flat(), ...m.sp.flat()].filter((v) => Number.isFinite(v));
    const lo = finite.length ? Math.log10(Math.min(...finite)) : -2;
    const hi = finite.length ? Math.log10(Math.max(...finite)) : 0;
    const pad = Math.max(0.05, (hi - lo) * 0.08);
    const y0 = lo - pad, y1 = hi + pad;
    const left = 50, right = 12, top = 26, bottom = 40;
    const xs = (i: number) => left + ((pw - left - right) * (i + 0.5)) / rates.length;
    const ys = (v: number) => top + (ph - top - bottom) * (1 - (Math.log10(v) - y0) / (y1 - y0));
    const every = (pw - left - right) / rates.length < 52 ? 2 : 1;
    // y ticks: powers of ten and their halves inside the range (at least the two ends).
    const ticks: number[] = [];
    for (let e = Math.floor(y0); e <= Math.ceil(y1); e++) for (const f of [1, 2, 5]) {
      const v = f * 10 ** e;
      if (Math.log10(v) >= y0 && Math.log10(v) <= y1) ticks.push(v);
    }
    const panel = ([p, label]: (typeof PARAMS)[number]) => {
      const grid = m[p];
      return svg`
        <text class="title" x=${left} y=${15}>${label}</text>
        ${ticks.map((v) => svg`<line x1=${left} x2=${pw - right} y1=${ys(v)} y2=${ys(v)} class="grid"></line><text class="lbl" x=${left - 6} y=${ys(v) + 4} text-anchor="end">${v < 0.01 ? v.toExponential(0) : v}</text>`)}
        ${rates.map((l, i) => (i % every === 0 ? svg`<text class="lbl" x=${xs(i)} y=${ph - bottom + 16} text-anchor="middle">${l}</text>` : nothing))}
        <text class="lbl" x=${(left + pw - right) / 2} y=${ph - 6} text-anchor="middle">Adam learning rate (base)</text>
        ${grid.map((row, wi) => {
          const pts = row.map((v, i) => [i, v] as const).filter(([, v]) => Number.isFinite(v));
          const d = pts.map(([i, v], j) => `${j ? 'L' : 'M'}${xs(i).toFixed(1)},${ys(v).toFixed(1)}`).join('');
          const b = best(row);
          return svg`<path d=${d} fill="none" stroke=${COLOURS[wi]!} stroke-width="2" stroke-linejoin="round"></path>
            ${pts.map(([i, v]) => svg`<circle cx=${xs(i)} cy=${ys(v)} r="3" fill=${COLOURS[wi]!}><title>d=${widths[wi]} lr=${rates[i]}: MSE ${v.toPrecision(3)}</title></circle>`)}
            ${row.map((v, i) => (v === Infinity ? svg`<text class="div" x=${xs(i)} y=${top + 4} text-anchor="middle" fill=${COLOURS[wi]!}>×</text>` : nothing))}
            ${b >= 0 && Number.isFinite(row[b]!) ? svg`<circle data-ring=${`${p}-${widths[wi]}`} cx=${xs(b)} cy=${ys(row[b]!)} r="7.5" fill="none" stroke=${COLOURS[wi]!} stroke-width="2.5"></circle>` : nothing}`;
        })}`;
    };
    const H = side ? ph : 2 * ph + 12;
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="test loss against learning rate, SP and μP" data-mup-plot>
      ${PARAMS.map((x, i) => svg`<g transform=${side ? `translate(${i * (pw + 16)},0)` : `translate(0,${i * (ph + 12)})`}>${panel(x)}</g>`)}
    </svg>`;
  }
}

customElements.define('weft-moe-mup-view', WeftMoEMuPView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-mup-view': WeftMoEMuPView;
  }
}
