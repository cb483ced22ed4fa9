// The views of moe.html, drawn as SVG: the token → expert heatmap (probe tokens grouped by
// cluster), per-expert load bars against the uniform share, and small line charts of the aux
// losses. Colours follow the page's CSS variables (light and dark schemes).
import { LitElement, css, html, svg, nothing } from 'lit';
import { boxStyles } from '../styles/shared.js';

/** Token → expert combine weights: one column per probe token, one row per expert. */
export class WeftMoEHeatmap extends LitElement {
  static override properties = { weights: { attribute: false }, cluster: { attribute: false } };
  /** Weights [token][expert]. */
  declare weights: number[][];
  /** Cluster of each token. */
  declare cluster: number[];
  constructor() {
    super();
    this.weights = [];
    this.cluster = [];
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      svg { width: 100%; height: auto; display: block; }
      .lbl { font: 13px var(--font-sans, system-ui); fill: var(--muted); }
      .empty { color: var(--faint); font-size: 14px; padding: 24px 0; text-align: center; }
    `,
  ];
  override render() {
    const w = this.weights;
    if (!w.length) return html`<div class="empty">Start training to see where each token goes.</div>`;
    const n = w.length;
    const e = w[0]!.length;
    const cw = 9, ch = Math.max(10, Math.min(26, 320 / e)), left = 34, top = 6, bottom = 24;
    const W = left + n * cw + 4, H = top + e * ch + bottom;
    const groups: Array<{ c: number; from: number; to: number }> = [];
    this.cluster.forEach((c, i) => {
      const g = groups.at(-1);
      if (g && g.c === c) g.to = i;
      else groups.push({ c, from: i, to: i });
    });
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="token to expert weights" data-heatmap>
      ${Array.from({ length: e }, (_, ex) => svg`<text class="lbl" x=${left - 6} y=${top + ex * ch + ch * 0.7} text-anchor="end">${ex}</text>`)}
      ${w.map((row, i) => row.map((v, ex) => v > 0.002
        ? svg`<rect x=${left + i * cw} y=${top + ex * ch} width=${cw - 0.6} height=${ch - 0.6} fill="var(--accent)" fill-opacity=${Math.min(1, 0.12 + 0.88 * v)}></rect>`
        : svg`<rect x=${left + i * cw} y=${top + ex * ch} width=${cw - 0.6} height=${ch - 0.6} fill="var(--border)" fill-opacity="0.35"></rect>`))}
      ${groups.map((g) => svg`<text class="lbl" x=${left + ((g.from + g.to + 1) / 2) * cw} y=${H - 6} text-anchor="middle">c${g.c}</text>
        <line x1=${left + g.from * cw - 0.3} x2=${left + g.from * cw - 0.3} y1=${top} y2=${top + e * ch} stroke="var(--fg, currentColor)" stroke-opacity="0.35"></line>`)}
    </svg>`;
  }
}

/** Per-expert load bars (share of routed pairs) with the uniform share 1/E dashed. */
export class WeftMoELoad extends LitElement {
  static override properties = { load: { attribute: false } };
  /** Share of routed pairs per expert. */
  declare load: number[];
  constructor() {
    super();
    this.load = [];
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      svg { width: 100%; height: auto; display: block; }
      .lbl { font: 11px var(--font-sans, system-ui); fill: var(--muted); }
      .empty { color: var(--faint); font-size: 14px; padding: 24px 0; text-align: center; }
    `,
  ];
  override render() {
    const l = this.load;
    if (!l.length) return html`<div class="empty">Per-expert load appears with the first report.</div>`;
    const e = l.length;
    const W = 320, H = 150, left = 34, bottom = 18, top = 8;
    const max = Math.max(2 / e, ...l) * 1.1;
    const bw = (W - left - 4) / e;
    const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="expert load" data-load>
      ${[0, max / 2].map((v) => svg`<text class="lbl" x=${left - 5} y=${y(v) + 4} text-anchor="end">${Math.round(v * 100)}%</text>`)}
      ${l.map((v, i) => svg`<rect x=${left + i * bw + bw * 0.12} y=${y(v)} width=${bw * 0.76} height=${Math.max(0, y(0) - y(v))} rx="2" fill="var(--accent)"><title>expert ${i}: ${(v * 100).toFixed(1)}%</title></rect>
        ${e <= 16 ? svg`<text class="lbl" x=${left + (i + 0.5) * bw} y=${H - 4} text-anchor="middle">${i}</text>` : nothing}`)}
      <line x1=${left} x2=${W - 2} y1=${y(1 / e)} y2=${y(1 / e)} stroke="hsl(28 85% 52%)" stroke-dasharray="4 3" stroke-width="1.5"></line>
    </svg>`;
  }
}

/** A small line chart of one series against the step. */
export class WeftMoELine extends LitElement {
  static override properties = { points: { attribute: false }, total: { type: Number }, label: { type: String }, color: { type: String } };
  /** [step, value] pairs. */
  declare points: Array<readonly [number, number]>;
  /** Steps of the run (x range). */
  declare total: number;
  /** Series name. */
  declare label: string;
  /** Stroke colour. */
  declare color: string;
  constructor() {
    super();
    this.points = [];
    this.total = 1;
    this.label = '';
    this.color = 'var(--accent)';
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      svg { width: 100%; height: auto; display: block; }
      .lbl { font: 11px var(--font-sans, system-ui); fill: var(--muted); }
    `,
  ];
  override render() {
    const pts = this.points.filter(([, v]) => Number.isFinite(v));
    const W = 320, H = 120, left = 46, bottom = 16, top = 8;
    const lo = pts.length ? Math.min(...pts.map((p) => p[1])) : 0;
    const hi = pts.length ? Math.max(...pts.map((p) => p[1])) : 1;
    const span = hi - lo || Math.abs(hi) || 1;
    const y0 = lo - span * 0.08, y1 = hi + span * 0.08;
    const x = (s: number) => left + (W - left - 6) * (s / Math.max(1, this.total));
    const y = (v: number) => top + (H - top - bottom) * (1 - (v - y0) / (y1 - y0));
    const d = pts.map(([s, v], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(v).toFixed(1)}`).join('');
    const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${this.label}>
      <line x1=${left} x2=${W - 6} y1=${H - bottom} y2=${H - bottom} stroke="var(--border)"></line>
      ${pts.length ? svg`<text class="lbl" x=${left - 5} y=${y(hi) + 4} text-anchor="end">${fmt(hi)}</text><text class="lbl" x=${left - 5} y=${y(lo) + 4} text-anchor="end">${fmt(lo)}</text>` : nothing}
      <text class="lbl" x=${W - 6} y=${H - 3} text-anchor="end">step ${this.total}</text>
      <path d=${d} fill="none" stroke=${this.color} stroke-width="2" stroke-linejoin="round"></path>
    </svg>`;
  }
}

customElements.define('weft-moe-heatmap', WeftMoEHeatmap);
customElements.define('weft-moe-load', WeftMoELoad);
customElements.define('weft-moe-line', WeftMoELine);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-heatmap': WeftMoEHeatmap;
    'weft-moe-load': WeftMoELoad;
    'weft-moe-line': WeftMoELine;
  }
}
