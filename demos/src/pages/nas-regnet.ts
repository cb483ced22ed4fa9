// <weft-nas-regnet>: Designing Network Design Spaces (RegNet) on nas.html. The error EDFs of two
// toy design spaces — AnyNet (every stage free) and RegNet (widths and depths from the quantized
// linear rule, shared bottleneck and group width) — from the cached table of trained samples
// (scripts/nas-design-tables.mjs): F(e), the share of a space's models with error below e, one
// step line per space; the mean errors, F(10 %) and the KS distance are computed here. Under it,
// the rule itself, computed in the page for three published RegNetX models.
import { LitElement, css, html, svg } from 'lit';
import { axisLabels, chartFrame, chartStyles, xGrid, yGrid } from './nas-chart.js';
import { DESIGN_EDF_TABLE, compareEdfs, edfAt, errorEdf, regnetStages } from '@weft/nas';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, fieldStyles, numberStyles } from '../styles/shared.js';
import { formatInt, formatPercent } from '../format.js';

/** The three published RegNetX models whose stated parameters the page runs through the rule. */
const PUBLISHED = [
  { name: 'RegNetX-200MF', p: { depth: 13, w0: 24, wa: 36.44, wm: 2.49, bottleneck: 1, groupWidth: 8 } },
  { name: 'RegNetX-400MF', p: { depth: 22, w0: 24, wa: 24.48, wm: 2.54, bottleneck: 1, groupWidth: 16 } },
  { name: 'RegNetX-600MF', p: { depth: 16, w0: 48, wa: 36.97, wm: 2.24, bottleneck: 1, groupWidth: 24 } },
];
const SPACES = [
  { key: 'regnet', label: 'RegNet', cls: 'reg' },
  { key: 'anynet', label: 'AnyNet', cls: 'any' },
] as const;

/** Error EDFs of the two toy design spaces, and the quantized linear rule. */
export class WeftNasRegnet extends LitElement {
  static override properties = { seed: { state: true } };
  /** 'all' pools the seeds. */
  private declare seed: string;
  private readonly size = new WidthController(this, 640);

  constructor() {
    super();
    this.seed = 'all';
  }

  static override styles = [
    boxStyles,
    fieldStyles,
    numberStyles,
    chartStyles,
    css`
      .controls {
        max-width: 280px;
      }
      .edf {
        fill: none;
        stroke-width: 2.5;
      }
      .edf.reg,
      .dot.reg {
        stroke: var(--accent);
      }
      .edf.any,
      .dot.any {
        stroke: #e8853d;
      }
      .dot {
        display: inline-block;
        width: 18px;
        height: 0;
        border-top: 3px solid;
        vertical-align: middle;
        margin-right: 6px;
      }
      .dot.reg {
        border-color: var(--accent);
      }
      .dot.any {
        border-color: #e8853d;
      }
      ul.rule {
        margin: 8px 0 0;
        padding-left: 18px;
        font-size: 13px;
      }
    `,
  ];

  override render() {
    const t = DESIGN_EDF_TABLE;
    const rows = this.seed === 'all' ? t.seeds : t.seeds.filter((s) => String(s.seed) === this.seed);
    const errs = { regnet: rows.flatMap((r) => r.regnet.map((m) => m.error)), anynet: rows.flatMap((r) => r.anynet.map((m) => m.error)) };
    const cmp = compareEdfs(errs.regnet, errs.anynet);
    const xMax = Math.max(0.05, Math.ceil(Math.max(...errs.regnet, ...errs.anynet) * 20) / 20);
    const f = chartFrame(this.size.width, [0, xMax], [0, 1]);
    const { x, y } = f;
    const path = (e: number[]) => {
      let d = `M${x(0)},${y(0)}`;
      for (const s of errorEdf(e)) d += ` H${x(s.error)} V${y(s.share)}`;
      return `${d} H${x(xMax)}`;
    };
    const xTicks = Array.from({ length: Math.round(xMax / 0.05) + 1 }, (_, i) => i * 0.05).filter((_, i, a) => a.length <= 7 || i % 2 === 0);
    const n = errs.regnet.length;
    return html`<div class="controls">
        <label class="field"><span>Seed</span>
          <select data-design-seed @change=${(e: Event) => (this.seed = (e.target as HTMLSelectElement).value)}>
            <option value="all" ?selected=${this.seed === 'all'}>all seeds (${t.n * t.seeds.length} models a space)</option>
            ${t.seeds.map((s) => html`<option value=${String(s.seed)} ?selected=${this.seed === String(s.seed)}>seed ${s.seed} (${t.n} models a space)</option>`)}
          </select>
        </label>
      </div>
      <div class="stats num">
        ${SPACES.map((s) => html`<div><div class="k">${s.label}: mean error</div><div class="v" data-mean-error=${s.key} data-value=${s.key === 'regnet' ? cmp.meanA : cmp.meanB}>${formatPercent(s.key === 'regnet' ? cmp.meanA : cmp.meanB)}</div><div class="s">F(10%) = ${formatPercent(edfAt(errs[s.key], 0.1), 0)}</div></div>`)}
        <div><div class="k">KS distance</div><div class="v" data-ks=${cmp.ks}>${cmp.ks.toFixed(2)}</div><div class="s">${cmp.aBetter ? 'RegNet' : 'AnyNet'}'s EDF above</div></div>
      </div>
      <div class="legend">${SPACES.map((s) => html`<span><span class="dot ${s.cls}"></span>${s.label} (${n})</span>`)}</div>
      <svg viewBox="0 0 ${f.W} ${f.H}" role="img" aria-label="Error EDFs of the RegNet and AnyNet design spaces, ${n} models each">
        ${xGrid(f, xTicks, (v) => formatPercent(v, 0))}
        ${yGrid(f, [0, 0.25, 0.5, 0.75, 1], String)}
        ${SPACES.map((s) => svg`<path class="edf ${s.cls}" data-edf=${s.key} d=${path(errs[s.key])}></path>`)}
        ${axisLabels(f, 'held-out error e', 'F(e): share below e')}
      </svg>
      <p class="note">Each space: ${t.n} models per seed drawn with ${formatInt(t.ranges.minParams)}–${formatInt(t.ranges.maxParams)} stored parameters, each trained
        ${t.recipe.steps} Adam steps of ${t.recipe.batchSize} (rate ${t.recipe.learningRate}) on the ${t.data}. AnyNet: 3 stages, each with its own depth 1–${t.ranges.maxStageDepth}, width ≤ ${t.ranges.maxWidth},
        bottleneck and group width. RegNet: depth ≤ ${t.ranges.maxDepth}, w0 ≤ ${t.ranges.maxW0}, wa &lt; ${t.ranges.maxWa}, wm ${t.ranges.minWm}–${t.ranges.maxWm}, one bottleneck and group width.
        Made by <code>node scripts/nas-design-tables.mjs</code> (this table: ${Math.round(t.seconds / 60)} min on a shared 2-core machine).</p>
      <p class="note">The quantized linear rule, computed here from each model's published d, w0, wa, wm and group width:</p>
      <ul class="rule num">
        ${PUBLISHED.map(({ name, p }) => {
          const st = regnetStages(p).stages;
          return html`<li data-published=${name}><b>${name}</b> (d ${p.depth}, w0 ${p.w0}, wa ${p.wa}, wm ${p.wm}, g ${p.groupWidth}): widths ${st.map((s) => s.width).join(' · ')}, depths ${st.map((s) => s.depth).join(' · ')}</li>`;
        })}
      </ul>`;
  }
}

customElements.define('weft-nas-regnet', WeftNasRegnet);
