// <weft-bar-chart>: grouped horizontal bars as plain HTML (each bar a div sized by its
// share of the axis), for a few groups of two or more series — e.g. stored / effective / trainable
// / active parameters of two models. A log scale keeps a 4M-parameter adapter visible next to a
// 7B model; every bar is labelled with its exact value, so no reading off an axis is needed.
import { LitElement, css, html, nothing } from 'lit';
import { boxStyles, numberStyles } from '../styles/shared.js';

/** One group of bars: a label and one value per series (null: not available). */
export interface BarGroup {
  label: string;
  values: Array<number | null>;
}

/** Grouped horizontal bars. */
export class WeftBarChart extends LitElement {
  static override properties = {
    groups: { attribute: false },
    series: { attribute: false },
    scale: { type: String },
    format: { attribute: false },
  };
  /** The groups, top to bottom. */
  declare groups: BarGroup[];
  /** Series names (legend), one per value of a group. */
  declare series: string[];
  /** `'log'` (base 10, from 1) or `'linear'` (from 0). */
  declare scale: 'log' | 'linear';
  /** Label of a value. */
  declare format: (v: number) => string;

  constructor() {
    super();
    this.groups = [];
    this.series = [];
    this.scale = 'linear';
    this.format = (v) => String(v);
  }

  static override styles = [
    boxStyles,
    numberStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .legend {
        display: flex;
        gap: 16px;
        font-size: 12.5px;
        color: var(--muted);
        margin-bottom: 10px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 6px;
        vertical-align: -1px;
      }
      .s0 {
        background: var(--accent);
      }
      .s1 {
        background: #e8853d;
      }
      .s2 {
        background: #3aa17e;
      }
      .s3 {
        background: #9b5de5;
      }
      .group {
        display: grid;
        grid-template-columns: 118px minmax(0, 1fr);
        gap: 4px 12px;
        align-items: center;
        padding: 6px 0;
        border-top: 1px solid var(--border);
      }
      .group:first-of-type {
        border-top: none;
      }
      .label {
        font-size: 13px;
        font-weight: 600;
        color: var(--muted);
        grid-row: span var(--rows);
      }
      .track {
        display: flex;
        align-items: center;
        gap: 8px;
        min-width: 0;
        height: 18px;
      }
      .bar {
        height: 14px;
        border-radius: 3px;
        min-width: 2px;
        transition: width 0.15s ease-out;
      }
      .value {
        font-size: 12.5px;
        white-space: nowrap;
        color: var(--text);
      }
      .na {
        font-size: 12.5px;
        color: var(--faint);
      }
      .axis {
        font-size: 11.5px;
        color: var(--faint);
        margin-top: 6px;
        text-align: right;
      }
    `,
  ];

  private position(v: number, max: number): number {
    if (this.scale === 'log') {
      const top = Math.log10(Math.max(10, max));
      return v <= 1 ? 0 : Math.log10(v) / top;
    }
    return max > 0 ? v / max : 0;
  }

  override render() {
    const all = this.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && Number.isFinite(v));
    const max = Math.max(1, ...all);
    return html`${this.series.length > 1
        ? html`<div class="legend">${this.series.map((s, i) => html`<span><span class="swatch s${i}"></span>${s}</span>`)}</div>`
        : nothing}
      ${this.groups.map(
        (g) => html`<div class="group" .style=${`--rows:${g.values.length}`} data-group=${g.label}>
          <div class="label">${g.label}</div>
          ${g.values.map((v, i) =>
            v === null
              ? html`<div class="track"><span class="na">—</span></div>`
              : html`<div class="track" data-series=${i} data-value=${v}>
                  <div class="bar s${i}" .style=${`width:${(this.position(v, max) * 78).toFixed(2)}%`}></div>
                  <span class="value num">${this.format(v)}</span>
                </div>`,
          )}
        </div>`,
      )}
      <div class="axis">${this.scale === 'log' ? 'log scale: each bar’s length is the number of digits' : 'linear scale, from 0'}</div>`;
  }
}

customElements.define('weft-bar-chart', WeftBarChart);

declare global {
  interface HTMLElementTagNameMap {
    'weft-bar-chart': WeftBarChart;
  }
}
