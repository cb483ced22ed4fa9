// <weft-nas-pooling>: Balanced Mixture of SuperNets (arXiv 2306.11982) on nas.html, from the cached
// table (scripts/nas-pooling-table.mjs). The pooling space: a 3-layer CNN on 8×8 shapes whose
// architecture is where it downsamples (8 configurations). One supernet shares every weight across
// them; the mixture keeps 2 and learns which configuration each one serves, p(m | c), with a
// balance term that keeps the configurations spread over both. Shown: each configuration's
// stand-alone accuracy, its association with the models and its score on the model it is served
// by; the models' share of the configurations over training with and without the balance term;
// and Kendall τ-b against stand-alone training for one supernet, the balanced and the unbalanced
// mixture over seeds (computed here from the table).
import { LitElement, css, html, svg } from 'lit';
import { POOLING_RECIPE, POOLING_TABLE, kendallTau, type PoolingRun } from '@weft/nas';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, fieldStyles, numberStyles, tableStyles } from '../styles/shared.js';
import { formatInt, formatPercent } from '../format.js';
import { axisLabels, chartFrame, chartStyles, niceTicks, xGrid, yGrid } from './nas-chart.js';

const KINDS: { kind: PoolingRun['kind']; label: string }[] = [
  { kind: 'balanced', label: 'balanced mixture (M = 2)' },
  { kind: 'unbalanced', label: 'mixture, no balance (λ = 0)' },
  { kind: 'one', label: 'one supernet' },
];
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

/** Model m's share of the configurations, q_m = mean_c p(m | c), from a row-major (C, M) association. */
function share(assoc: number[], M: number, m: number): number {
  const C = assoc.length / M;
  let s = 0;
  for (let c = 0; c < C; c++) s += assoc[c * M + m]!;
  return s / C;
}

/** The most associated model of configuration `c` (ties: the lower index, as BalancedMixture.modelOf). */
function modelOf(assoc: number[], M: number, c: number): number {
  let best = 0;
  for (let m = 1; m < M; m++) if (assoc[c * M + m]! > assoc[c * M + best]!) best = m;
  return best;
}

/** The pooling space's configurations, their supernets and the ranking each training gives. */
export class WeftNasPooling extends LitElement {
  static override properties = { kind: { state: true }, seed: { state: true } };
  private declare kind: PoolingRun['kind'];
  private declare seed: number;
  private readonly size = new WidthController(this, 640);

  constructor() {
    super();
    this.kind = 'balanced';
    this.seed = 0;
  }

  static override styles = [
    boxStyles,
    fieldStyles,
    numberStyles,
    tableStyles,
    chartStyles,
    css`
      .controls {
        display: grid;
        grid-template-columns: 2fr 1fr;
        gap: 10px;
        max-width: 520px;
        margin-bottom: 10px;
      }
      .bar {
        display: inline-flex;
        width: 120px;
        height: 12px;
        border-radius: 3px;
        overflow: hidden;
        vertical-align: middle;
        background: var(--surface-2);
      }
      .bar span {
        display: block;
        height: 100%;
      }
      .m0,
      .line.balanced {
        background: var(--accent);
        stroke: var(--accent);
      }
      .m1,
      .line.unbalanced {
        background: #e8853d;
        stroke: #e8853d;
      }
      .line {
        fill: none;
        stroke-width: 2.5;
      }
      .half {
        stroke: var(--muted);
        stroke-dasharray: 5 4;
        stroke-width: 1.5;
      }
      .tag {
        display: inline-block;
        min-width: 1.6em;
        padding: 0 5px;
        border-radius: 3px;
        color: #fff;
        font-weight: 600;
        text-align: center;
      }
      .cfg {
        font-family: var(--mono, monospace);
        letter-spacing: 0.15em;
      }
      .legend {
        margin: 14px 0 2px;
      }
      .sw.balanced {
        border-color: var(--accent);
      }
      .sw.unbalanced {
        border-color: #e8853d;
      }
      .summary {
        margin-top: 14px;
      }
      tr.current td {
        font-weight: 700;
      }
      @media (max-width: 520px) {
        .controls {
          grid-template-columns: minmax(0, 1fr);
        }
        th,
        td {
          padding-left: 8px;
          padding-right: 8px;
        }
        .wide {
          display: none;
        }
      }
    `,
  ];

  private renderShares() {
    const t = POOLING_TABLE;
    const runs = (['balanced', 'unbalanced'] as const).map((k) => t.runs.find((r) => r.kind === k && r.seed === this.seed)!);
    const steps = runs[0]!.history.at(-1)!.step;
    const f = chartFrame(this.size.width, [0, steps], [0, 1], { right: 26, aspect: 0.3, minH: 200, maxH: 240 });
    const path = (r: PoolingRun) => r.history.map((h, i) => `${i ? 'L' : 'M'}${f.x(h.step)},${f.y(share(h.assoc, r.supernets, 0))}`).join(' ');
    return html`<div class="legend">
        <span><span class="sw balanced"></span>with the balance term (λ = 1)</span>
        <span><span class="sw unbalanced"></span>without it (λ = 0)</span>
      </div>
      <svg viewBox="0 0 ${f.W} ${f.H}" role="img" aria-label="Model 1's share of the configurations over training, seed ${this.seed}, with and without the balance term">
        ${xGrid(f, niceTicks(0, steps), (v) => formatInt(v))}
        ${yGrid(f, [0, 0.5, 1], (v) => formatPercent(v, 0))}
        <line class="half" x1=${f.M.left} x2=${f.W - f.M.right} y1=${f.y(0.5)} y2=${f.y(0.5)}></line>
        ${runs.map((r) => svg`<path class="line ${r.kind}" data-share-line=${r.kind} d=${path(r)}></path>`)}
        ${axisLabels(f, 'training step', f.W < 480 ? 'model 1 share' : "model 1's share q₁")}
      </svg>
      <p class="note">q₁ = the mean over configurations of p(model 1 | c); dashed: an even split. At the end of seed ${this.seed}: with the balance term
        q₁ = ${formatPercent(share(runs[0]!.history.at(-1)!.assoc, 2, 0), 0)} (training steps of model 1 / 2: ${runs[0]!.history.at(-1)!.modelSteps.map(formatInt).join(' / ')}),
        without it ${formatPercent(share(runs[1]!.history.at(-1)!.assoc, 2, 0), 0)} (${runs[1]!.history.at(-1)!.modelSteps.map(formatInt).join(' / ')}).</p>`;
  }

  override render() {
    const t = POOLING_TABLE;
    const ref = t.standalone.map(mean);
    const run = t.runs.find((r) => r.kind === this.kind && r.seed === this.seed) ?? t.runs[0]!;
    const M = run.supernets;
    const last = run.history.at(-1)!;
    const seeds = [...new Set(t.runs.map((r) => r.seed))];
    const seedTau = kendallTau(t.standalone.map((a) => a[0]!), t.standalone.map((a) => a[1]!));
    return html`<div class="controls">
        <label class="field"><span>Training</span>
          <select data-pooling-kind @change=${(e: Event) => (this.kind = (e.target as HTMLSelectElement).value as PoolingRun['kind'])}>
            ${KINDS.map((k) => html`<option value=${k.kind} ?selected=${k.kind === this.kind}>${k.label}</option>`)}
          </select>
        </label>
        <label class="field"><span>Seed</span>
          <select data-pooling-seed @change=${(e: Event) => (this.seed = Number((e.target as HTMLSelectElement).value))}>
            ${seeds.map((s) => html`<option value=${String(s)} ?selected=${s === this.seed}>${s}</option>`)}
          </select>
        </label>
      </div>
      <div class="scroll">
        <table class="num" data-pooling-table>
          <thead><tr><th>configuration</th><th>stand-alone</th>${M > 1 ? html`<th class="wide">p(model | c)</th><th>model</th>` : ''}<th>score</th></tr></thead>
          <tbody>
            ${t.configs.map((key, c) => {
              const m = modelOf(last.assoc, M, c);
              return html`<tr data-config=${key}>
                <td><span class="cfg">${key}</span></td>
                <td>${formatPercent(ref[c]!)}</td>
                ${M > 1
                  ? html`<td class="wide"><span class="bar" title=${last.assoc.slice(c * M, c * M + M).map((p, k) => `model ${k + 1}: ${formatPercent(p, 0)}`).join(', ')}>
                        ${last.assoc.slice(c * M, c * M + M).map((p, k) => html`<span class="m${k}" .style=${`width:${(p * 100).toFixed(1)}%`}></span>`)}</span></td>
                      <td><span class="tag m${m}">${m + 1}</span></td>`
                  : ''}
                <td data-score=${run.scores[c]!}>${formatPercent(run.scores[c]!)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <p class="note">A configuration has one bit per conv layer after the stem: P = a 2×2 average pool before it, · = none (${t.configs[0]} runs every conv at 8×8, ${t.configs.at(-1)} its last at 1×1).
        Stand-alone: the mean held-out accuracy of ${POOLING_RECIPE.standalone.seeds.length} networks trained alone (${POOLING_RECIPE.standalone.steps} Adam steps each).
        Score: held-out accuracy with the weights of the model that serves the configuration, after ${formatInt(last.step)} mixture steps; the ranking is by score.</p>
      <div class="stats num">
        <div><div class="k">Kendall τ-b, this run</div><div class="v" data-pooling-tau=${run.tau}>${run.tau.toFixed(2)}</div><div class="s">${new Set(run.scores).size === 1 ? 'every score equal: no ranking (τ = 0)' : 'score vs stand-alone'}</div></div>
        <div><div class="k">seed vs seed τ</div><div class="v">${seedTau.toFixed(2)}</div><div class="s">stand-alone, seeds 0 and 1</div></div>
      </div>
      ${this.renderShares()}
      <div class="scroll summary">
        <table class="num" data-pooling-summary>
          <thead><tr><th>training</th><th>Kendall τ-b</th><th class="wide">per seed</th></tr></thead>
          <tbody>
            ${KINDS.map(({ kind, label }) => {
              const taus = t.runs.filter((r) => r.kind === kind).map((r) => r.tau);
              return html`<tr class=${kind === this.kind ? 'current' : ''} data-kind=${kind} data-tau-mean=${mean(taus)}>
                <td>${label}</td><td>${mean(taus).toFixed(2)} ± ${sd(taus).toFixed(2)}</td><td class="wide">${taus.map((v) => v.toFixed(2)).join(' · ')}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <p class="note">With only 8 configurations τ moves in steps of about 0.07 and its spread over seeds is wide; the stand-alone seeds themselves rank the
        configurations with τ ${seedTau.toFixed(2)} against each other (seeds 0 and 1), the noise floor no ranking here can be judged beyond.
        Made by <code>node scripts/nas-pooling-table.mjs</code> (${Math.round(t.seconds / 60)} min on a shared 2-core machine); τ is computed here from the table.</p>`;
  }
}

customElements.define('weft-nas-pooling', WeftNasPooling);
