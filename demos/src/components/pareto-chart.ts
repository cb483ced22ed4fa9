// <weft-pareto-chart>: accuracy against parameter count (log axis) for a set of runs, in SVG.
// The runs that no other run beats on both axes (fewer or equal parameters and higher or equal
// accuracy) are joined by the Pareto frontier. A run still training is drawn hollow at its
// latest batch accuracy and moves as it learns; a finished run sits at its held-out accuracy.
// Labels take free places around their points (label-placement.ts). The chart is laid out in CSS
// pixels at the element's width, so its text keeps its size on a phone.
import { LitElement, css, html, svg, nothing } from 'lit';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, numberStyles } from '../styles/shared.js';
import { formatCompact, formatPercent } from '../format.js';
import { placeLabels, type LabelPlace } from './label-placement.js';

/** One point of the chart. */
export interface ParetoPoint {
  /** Stable id (for tests and keys). */
  id: string;
  /** Label next to the point. */
  label: string;
  /** Parameters (x, log scale). */
  params: number;
  /** Accuracy in [0, 1] (y). */
  accuracy: number;
  /** Still training: drawn hollow, left out of the frontier. */
  live?: boolean;
  /** Colour index. */
  color: number;
}

/** Colours of the techniques (readable on light and dark surfaces). */
export const PARETO_COLORS = ['#5b5bd6', '#e8853d', '#3aa17e', '#d6409f', '#0ea5c6', '#a27a2c', '#8e4ec6', '#e5484d'];

/** The points not beaten on both axes, by increasing parameter count. */
export function paretoFrontier(points: readonly ParetoPoint[]): ParetoPoint[] {
  const done = points.filter((p) => !p.live).sort((a, b) => a.params - b.params || b.accuracy - a.accuracy);
  const out: ParetoPoint[] = [];
  for (const p of done) if (out.length === 0 || p.accuracy > out[out.length - 1]!.accuracy) out.push(p);
  return out;
}

const M = { left: 58, right: 16, top: 16, bottom: 46 };
/** Label font metrics for placement (12.5 px semibold). */
const LABEL_METRICS = { charWidth: 7.3, ascent: 11, descent: 3, radius: 8 };

/**
 * Where a leader line from a point (px, py) meets its label: the label's top or bottom edge straight
 * above or below the point when the label spans it, else the near end of the text at mid-height.
 */
function leaderEnd(at: LabelPlace, text: string, px: number, py: number): { x: number; y: number } {
  const w = text.length * LABEL_METRICS.charWidth;
  const left = at.anchor === 'start' ? at.x : at.anchor === 'end' ? at.x - w : at.x - w / 2;
  if (px >= left && px <= left + w) return { x: px, y: py < at.y ? at.y - LABEL_METRICS.ascent - 2 : at.y + LABEL_METRICS.descent + 2 };
  return { x: px < left ? left - 3 : left + w + 3, y: at.y - 4 };
}

/** Accuracy vs parameters scatter with the Pareto frontier. */
export class WeftParetoChart extends LitElement {
  static override properties = { points: { attribute: false }, xLabel: { type: String, attribute: 'x-label' } };
  /** The runs. */
  declare points: ParetoPoint[];
  /** Name of the x axis, e.g. "stored parameters". */
  declare xLabel: string;

  private readonly size = new WidthController(this, 640);

  constructor() {
    super();
    this.points = [];
    this.xLabel = 'parameters';
  }

  static override styles = [
    boxStyles,
    numberStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      svg {
        width: 100%;
        height: auto;
        display: block;
      }
      .grid {
        stroke: var(--border);
        stroke-width: 1;
      }
      .tick {
        fill: var(--muted);
        font-size: 12px;
      }
      .axis-label {
        fill: var(--muted);
        font-size: 12.5px;
        font-weight: 600;
      }
      .leader {
        stroke: var(--muted);
        stroke-opacity: 0.6;
        stroke-width: 1;
      }
      .frontier {
        fill: none;
        stroke: var(--text);
        stroke-opacity: 0.35;
        stroke-width: 1.5;
        stroke-dasharray: 5 4;
      }
      .label {
        font-size: 12.5px;
        font-weight: 600;
        fill: var(--text);
        paint-order: stroke;
        stroke: var(--surface);
        stroke-width: 3px;
      }
      .empty {
        fill: var(--faint);
        font-size: 13px;
      }
    `,
  ];

  override render() {
    const W = Math.max(280, this.size.width);
    const H = Math.round(Math.min(380, Math.max(300, W * 0.6)));
    const pts = this.points.filter((p) => Number.isFinite(p.params) && p.params > 0 && Number.isFinite(p.accuracy));
    const minP = Math.min(...pts.map((p) => p.params), 1e9);
    const maxP = Math.max(...pts.map((p) => p.params), 1);
    const lo = Math.floor(Math.log10(pts.length ? minP : 100) * 2) / 2 - 0.15;
    const hi = Math.ceil(Math.log10(pts.length ? maxP : 10_000) * 2) / 2 + 0.15;
    const minAcc = Math.min(0.5, ...pts.map((p) => p.accuracy));
    const yLo = Math.max(0, Math.floor(minAcc * 10) / 10);
    const x = (p: number) => M.left + ((Math.log10(p) - lo) / (hi - lo)) * (W - M.left - M.right);
    const y = (a: number) => M.top + (1 - (a - yLo) / (1 - yLo)) * (H - M.top - M.bottom);
    // Ticks every half decade, or every decade where half-decade labels would touch.
    const xTicks: number[] = [];
    const perDecade = (W - M.left - M.right) / (hi - lo);
    const stepE = perDecade >= 120 ? 0.5 : 1;
    for (let e = Math.ceil(lo / stepE) * stepE; e <= hi; e += stepE) xTicks.push(10 ** e);
    const yTicks: number[] = [];
    for (let a = yLo; a <= 1.0001; a += 0.1) yTicks.push(Math.round(a * 10) / 10);
    const frontier = paretoFrontier(pts);
    const places = placeLabels(
      pts.map((p) => ({ x: x(p.params), y: y(p.accuracy), text: p.label })),
      { left: M.left, right: W - M.right, top: M.top, bottom: H - M.bottom },
      LABEL_METRICS,
    );
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Accuracy against ${this.xLabel}">
      ${yTicks.map(
        (a) => svg`<line class="grid" x1=${M.left} x2=${W - M.right} y1=${y(a)} y2=${y(a)}></line>
          <text class="tick num" x=${M.left - 8} y=${y(a) + 4} text-anchor="end">${formatPercent(a, 0)}</text>`,
      )}
      ${xTicks.map(
        (p) => svg`<line class="grid" x1=${x(p)} x2=${x(p)} y1=${M.top} y2=${H - M.bottom} stroke-dasharray="2 4"></line>
          <text class="tick num" x=${x(p)} y=${H - M.bottom + 16} text-anchor="middle">${formatCompact(Math.round(p))}</text>`,
      )}
      <text class="axis-label" x=${(M.left + W - M.right) / 2} y=${H - 6} text-anchor="middle">${this.xLabel} (log scale)</text>
      <text class="axis-label" transform="translate(15 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">held-out accuracy</text>
      ${frontier.length > 1 ? svg`<polyline class="frontier" points=${frontier.map((p) => `${x(p.params)},${y(p.accuracy)}`).join(' ')}></polyline>` : nothing}
      ${pts.length === 0 ? svg`<text class="empty" x=${W / 2} y=${H / 2} text-anchor="middle">Runs appear here as they train.</text>` : nothing}
      ${pts.map((p, i) => {
        const c = PARETO_COLORS[p.color % PARETO_COLORS.length]!;
        const px = x(p.params);
        const py = y(p.accuracy);
        const at = places[i]!;
        return svg`<g data-point=${p.id} data-params=${p.params} data-accuracy=${p.accuracy} data-live=${p.live ? 'true' : 'false'}>
          <title>${p.label}: ${formatCompact(p.params)} parameters, ${formatPercent(p.accuracy)}${p.live ? ' (training, batch accuracy)' : ''}</title>
          ${at.leader ? svg`<line class="leader" x1=${px} y1=${py} x2=${leaderEnd(at, p.label, px, py).x} y2=${leaderEnd(at, p.label, px, py).y}></line>` : nothing}
          <circle cx=${px} cy=${py} r=${p.live ? 6 : 6.5} fill=${p.live ? 'none' : c} stroke=${c} stroke-width=${p.live ? 2.5 : 1.5}></circle>
          <text class="label" x=${at.x} y=${at.y} text-anchor=${at.anchor}>${p.label}</text>
        </g>`;
      })}
    </svg>`;
  }
}

customElements.define('weft-pareto-chart', WeftParetoChart);

declare global {
  interface HTMLElementTagNameMap {
    'weft-pareto-chart': WeftParetoChart;
  }
}
