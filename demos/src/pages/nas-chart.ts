// The axes of nas.html's cached-table charts (ranking scatter, RegNet EDFs, Puzzle's budget curve,
// the pooling mixture's balance): a plot frame in CSS pixels, dashed vertical and solid horizontal
// grid lines with their tick labels, the two axis titles, round tick values, and their styles.
import { css, svg, nothing, type SVGTemplateResult } from 'lit';

/** Margins around the plot area, CSS pixels. */
export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A chart's size, margins and value-to-pixel maps. */
export interface ChartFrame {
  W: number;
  H: number;
  M: Margins;
  x: (v: number) => number;
  y: (v: number) => number;
}

/**
 * The frame of a chart `width` pixels wide showing [x0, x1] × [y0, y1]: at least 280 wide, its
 * height `aspect` × the width inside [minH, maxH].
 */
export function chartFrame(width: number, [x0, x1]: readonly [number, number], [y0, y1]: readonly [number, number], opts: { left?: number; right?: number; aspect?: number; minH?: number; maxH?: number } = {}): ChartFrame {
  const M = { left: opts.left ?? 52, right: opts.right ?? 14, top: 12, bottom: 44 };
  const W = Math.max(280, width);
  const H = Math.round(Math.min(opts.maxH ?? 320, Math.max(opts.minH ?? 240, W * (opts.aspect ?? 0.45))));
  return {
    W,
    H,
    M,
    x: (v) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right),
    y: (v) => M.top + (1 - (v - y0) / (y1 - y0)) * (H - M.top - M.bottom),
  };
}

/** Round axis ticks, shared with the other pages' charts. */
export { niceTicks } from '../components/nice-ticks.js';

/** Dashed vertical grid lines at `ticks` with labels under the plot (`label` null: line only). */
export function xGrid(f: ChartFrame, ticks: readonly number[], label: (v: number) => string | null): SVGTemplateResult[] {
  return ticks.map((v) => {
    const text = label(v);
    return svg`<line class="grid" x1=${f.x(v)} x2=${f.x(v)} y1=${f.M.top} y2=${f.H - f.M.bottom} stroke-dasharray="2 4"></line>
      ${text === null ? nothing : svg`<text class="tick num" x=${f.x(v)} y=${f.H - f.M.bottom + 16} text-anchor="middle">${text}</text>`}`;
  });
}

/** Solid horizontal grid lines at `ticks` with labels left of the plot. */
export function yGrid(f: ChartFrame, ticks: readonly number[], label: (v: number) => string): SVGTemplateResult[] {
  return ticks.map(
    (v) => svg`<line class="grid" x1=${f.M.left} x2=${f.W - f.M.right} y1=${f.y(v)} y2=${f.y(v)}></line>
      <text class="tick num" x=${f.M.left - 6} y=${f.y(v) + 4} text-anchor="end">${label(v)}</text>`,
  );
}

/** The axis titles: `xLabel` under the plot, `yLabel` turned along the left edge (both centred on the chart on a phone). */
export function axisLabels(f: ChartFrame, xLabel: string, yLabel: string): SVGTemplateResult {
  const narrow = f.W < 480;
  return svg`<text class="axis-label" x=${narrow ? f.W / 2 : (f.M.left + f.W - f.M.right) / 2} y=${f.H - 6} text-anchor="middle">${xLabel}</text>
    <text class="axis-label" transform="translate(14 ${narrow ? f.H / 2 : (f.M.top + f.H - f.M.bottom) / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`;
}

/** Styles of the chart parts above, the stat blocks (.stats .k .v .s) and notes under a chart. */
export const chartStyles = css`
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
  }
  .tick {
    fill: var(--muted);
    font-size: 12px;
  }
  /* A legend of line swatches (.sw, coloured by each chart's own classes). */
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 18px;
    font-size: 13px;
    margin: 4px 0 2px;
  }
  .sw {
    display: inline-block;
    width: 18px;
    height: 0;
    border-top: 3px solid;
    vertical-align: middle;
    margin-right: 6px;
  }
  .axis-label {
    fill: var(--muted);
    font-size: 12.5px;
    font-weight: 600;
  }
  .stats {
    display: flex;
    flex-wrap: wrap;
    gap: 8px 28px;
    margin: 12px 0 4px;
  }
  .k {
    font-size: 12.5px;
    font-weight: 600;
    color: var(--muted);
  }
  .v {
    font-size: 20px;
    font-weight: 700;
  }
  .s,
  .note {
    font-size: 12.5px;
    color: var(--faint);
  }
  .note {
    margin: 6px 0 0;
    max-width: 80ch;
  }
`;
