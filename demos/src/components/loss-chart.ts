// <weft-loss-chart>: the loss (left axis, from 0) and an optional metric in [0, 1] such as
// accuracy (right axis) against the step, drawn with uPlot. Follows the colour scheme and the
// element's width; redrawing with the full history is cheap (a few hundred points).
import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { boxStyles } from '../styles/shared.js';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import type { TrainProgress } from '@weft/core';
import { formatInt, formatLoss, formatPercent } from '../format.js';

/** Loss and metric curves of a training run. */
export class WeftLossChart extends LitElement {
  static override properties = {
    history: { attribute: false },
    metric: { type: String },
  };
  /** The progress reports to plot. */
  declare history: readonly TrainProgress[];
  /** Name of a metric in [0, 1] to plot on the right axis (e.g. `'accuracy'`); empty for none. */
  declare metric: string;

  private plot: uPlot | null = null;
  private resize: ResizeObserver | null = null;
  private scheme: MediaQueryList | null = null;
  private readonly onScheme = () => this.rebuild();

  constructor() {
    super();
    this.history = [];
    this.metric = 'accuracy';
  }

  static override styles = [
    boxStyles,
    unsafeCSS(uPlotCss),
    css`
      /* The chart fills the element: give it a height (or let a grid row stretch it); at least 260px. */
      :host {
        display: block;
        position: relative;
        min-width: 0;
        min-height: 260px;
      }
      .plot {
        position: absolute;
        inset: 0;
      }
      .uplot {
        font-family: var(--font);
        width: 100%;
      }
      .u-legend {
        font-size: 13px;
        color: var(--muted);
        text-align: left;
        margin: 4px 0 0;
      }
      .u-legend .u-marker {
        border-radius: 3px;
      }
      .u-legend th {
        font-weight: 500;
      }
      .u-legend .u-value {
        color: var(--text);
        font-variant-numeric: tabular-nums;
      }
      .empty {
        position: absolute;
        inset: 0 0 28px 0;
        display: grid;
        place-items: center;
        color: var(--faint);
        font-size: 14px;
        pointer-events: none;
      }
    `,
  ];

  override render() {
    return html`<div class="plot" part="plot"></div>
      ${this.history.length === 0 ? html`<div class="empty">The loss curve appears when training starts.</div>` : ''}`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.scheme = window.matchMedia('(prefers-color-scheme: dark)');
    this.scheme.addEventListener('change', this.onScheme);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.scheme?.removeEventListener('change', this.onScheme);
    this.resize?.disconnect();
    this.resize = null;
    this.plot?.destroy();
    this.plot = null;
  }

  protected override firstUpdated(): void {
    this.rebuild();
    this.resize = new ResizeObserver(() => {
      const { width, height } = this.plotSize();
      if (this.plot && width > 0 && (Math.abs(width - this.plot.width) > 1 || Math.abs(height - this.plot.height) > 1)) {
        this.plot.setSize({ width, height });
      }
    });
    this.resize.observe(this);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('metric')) this.rebuild();
    else if (changed.has('history')) this.plot?.setData(this.data());
  }

  /** The plot's size: the element's box minus the legend under it. */
  private plotSize(): { width: number; height: number } {
    const box = this.getBoundingClientRect();
    const legend = this.plot?.root.querySelector<HTMLElement>('.u-legend')?.offsetHeight ?? 30;
    return { width: Math.floor(box.width), height: Math.max(120, Math.floor(box.height - legend - 6)) };
  }

  private data(): uPlot.AlignedData {
    const h = this.history;
    const steps = h.map((p) => p.step);
    const loss = h.map((p) => p.loss);
    if (!this.metric) return [steps, loss];
    return [steps, loss, h.map((p) => p.metrics[this.metric] ?? null)];
  }

  private rebuild(): void {
    const target = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (!target) return;
    this.plot?.destroy();
    const style = getComputedStyle(this);
    const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const muted = v('--muted', '#5c6570');
    const grid = v('--chart-grid', '#e7e9ee');
    const lossColor = v('--chart-loss', '#4c46d6');
    const accColor = v('--chart-acc', '#1f8a4c');
    const font = `12px ${v('--font', 'system-ui, sans-serif')}`;
    const axis = { stroke: muted, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1, size: 4 } };
    const series: uPlot.Series[] = [
      { label: 'step', value: (_u, x) => (x == null ? this.last(0, formatInt) : formatInt(x)) },
      {
        label: 'loss',
        scale: 'loss',
        stroke: lossColor,
        width: 2,
        points: { show: false },
        value: (_u, y) => (y == null ? this.last(1, formatLoss) : formatLoss(y)),
      },
    ];
    const axes: uPlot.Axis[] = [
      { ...axis },
      { ...axis, scale: 'loss', size: 56, values: (_u, ticks) => ticks.map((t) => (t == null ? '' : formatTick(t))) },
    ];
    if (this.metric) {
      series.push({
        label: this.metric,
        scale: 'metric',
        stroke: accColor,
        width: 2,
        points: { show: false },
        value: (_u, y) => (y == null ? this.last(2, formatPercent) : formatPercent(y)),
      });
      axes.push({
        ...axis,
        scale: 'metric',
        side: 1,
        size: 48,
        grid: { show: false },
        values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
      });
    }
    const size = this.plotSize();
    this.plot = new uPlot(
      {
        width: Math.max(200, size.width),
        height: size.height,
        // Room on the right for half of the last step label ("400"), unless the metric axis gives it.
        padding: [10, this.metric ? 6 : 22, 0, 0],
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
        legend: { live: true },
        scales: {
          x: { time: false },
          loss: { range: (_u, _min, max) => [0, niceMax(max)] },
          metric: { range: [0, 1] },
        },
        series,
        axes,
      },
      this.data(),
      target,
    );
    // The legend's height is known only now: fit the plot to the element.
    const fitted = this.plotSize();
    if (Math.abs(fitted.height - this.plot.height) > 1) this.plot.setSize(fitted);
  }

  /** The legend's text when the cursor is off the plot: the latest value of series `i`. */
  private last(i: number, format: (v: number) => string): string {
    const data = this.plot?.data[i];
    const v = data?.[data.length - 1];
    return v == null ? '—' : format(v);
  }
}

/** An axis top a little above `max`, on a 1-2-5 step. */
function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= max * 1.05) return m * p;
  return 10 * p;
}

function formatTick(t: number): string {
  if (t >= 1000 || (t > 0 && t < 0.001)) return t.toExponential(0);
  return String(Number(t.toPrecision(3)));
}

customElements.define('weft-loss-chart', WeftLossChart);

declare global {
  interface HTMLElementTagNameMap {
    'weft-loss-chart': WeftLossChart;
  }
}
