// <weft-sharing-curves>: two or more series (the shared model and its baseline) of one quantity
// against the step, on the same axes, as plain SVG — so the two runs compare at a glance. Laid out
// in CSS pixels at the element's width, so the axis text keeps its size on a phone.
import { LitElement, css, html, svg } from 'lit';
import { WidthController } from '../controllers/width-controller.js';

/** One curve. */
export interface CurveSeries {
  /** Legend label. */
  label: string;
  /** CSS colour. */
  color: string;
  /** [step, value] points in step order. */
  points: ReadonlyArray<readonly [number, number]>;
}

/** Curves on shared axes. */
export class WeftSharingCurves extends LitElement {
  static override properties = { series: { attribute: false }, percent: { type: Boolean }, label: { type: String }, total: { type: Number }, markers: { attribute: false } };
  /** The curves. */
  declare series: readonly CurveSeries[];
  /** Values are fractions shown as percentages on a fixed 0–100% axis. */
  declare percent: boolean;
  /** What the y axis shows (for the accessible name). */
  declare label: string;
  /** Total steps of the run (the x axis end). */
  declare total: number;
  /** Events drawn as a dashed vertical line with a label (e.g. TokenFormer's growth). */
  declare markers: ReadonlyArray<{ step: number; label: string }>;

  private readonly size = new WidthController(this, 520);

  constructor() {
    super();
    this.series = [];
    this.percent = false;
    this.label = '';
    this.total = 0;
    this.markers = [];
  }

  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: auto;
      display: block;
    }
    text {
      font-family: var(--font);
      font-size: 12px;
      fill: var(--muted);
    }
    .grid {
      stroke: var(--chart-grid, var(--border));
      stroke-width: 1;
    }
    .legend {
      display: flex;
      gap: 16px;
      flex-wrap: wrap;
      font-size: 13px;
      color: var(--muted);
      margin-top: 4px;
    }
    .legend b {
      color: var(--text);
      font-variant-numeric: tabular-nums;
    }
    .sw {
      display: inline-block;
      width: 12px;
      height: 3px;
      border-radius: 2px;
      vertical-align: middle;
      margin-right: 6px;
    }
    .marker {
      stroke: var(--text);
      stroke-width: 1.2;
      stroke-dasharray: 4 3;
      opacity: 0.7;
    }
    .empty {
      fill: var(--faint);
      font-size: 13px;
    }
  `;

  override render() {
    const W = Math.max(240, this.size.width);
    const H = 200;
    const [l, r, t, b] = [46, 10, 10, 26];
    const all = this.series.flatMap((s) => s.points);
    const xMax = Math.max(1, this.total, ...all.map((p) => p[0]));
    const finite = all.map((p) => p[1]).filter(Number.isFinite);
    const yMax = this.percent || finite.length === 0 ? 1 : niceMax(Math.max(1e-6, ...finite));
    const X = (v: number) => l + (v / xMax) * (W - l - r);
    const Y = (v: number) => t + (1 - Math.min(1, Math.max(0, v / yMax))) * (H - t - b);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
    const fmt = (v: number) => (this.percent ? `${Math.round(v * 100)}%` : v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2));
    const last = (s: CurveSeries) => s.points.at(-1)?.[1];
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${`${this.label} against the step: ${this.series.map((s) => `${s.label} ${last(s) === undefined ? 'no data' : fmt(last(s)!)}`).join(', ')}`}>
        ${ticks.map((v) => svg`<line class="grid" x1=${l} x2=${W - r} y1=${Y(v)} y2=${Y(v)} /><text x=${l - 6} y=${Y(v) + 4} text-anchor="end">${fmt(v)}</text>`)}
        <text x=${l} y=${H - 7}>0</text>
        <text x=${W - r} y=${H - 7} text-anchor="end">${xMax.toLocaleString('en-US')} steps</text>
        ${all.length === 0 ? svg`<text class="empty" x=${(W + l) / 2} y=${H / 2} text-anchor="middle">press Start to train both models</text>` : ''}
        ${this.markers.map((m) => svg`<line class="marker" data-marker=${m.step} x1=${X(m.step)} x2=${X(m.step)} y1=${t} y2=${H - b} /><text x=${X(m.step) + (X(m.step) > W / 2 ? -4 : 4)} y=${t + 12} text-anchor=${X(m.step) > W / 2 ? 'end' : 'start'}>${m.label} · step ${m.step.toLocaleString('en-US')}</text>`)}
        ${this.series.map(
          (s) => svg`<polyline fill="none" stroke=${s.color} stroke-width="2" stroke-linejoin="round" points=${s.points.filter((p) => Number.isFinite(p[1])).map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')} />`,
        )}
      </svg>
      <div class="legend">
        ${this.series.map((s) => html`<span><span class="sw" .style=${`background:${s.color}`}></span>${s.label} <b>${last(s) === undefined ? '—' : fmt(last(s)!)}</b></span>`)}
      </div>`;
  }
}

/** 1, 2 or 5 × 10ᵏ at or above `v`. */
function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

customElements.define('weft-sharing-curves', WeftSharingCurves);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-curves': WeftSharingCurves;
  }
}
