// The views of moe.html, drawn as SVG: the token → expert heatmap (probe tokens grouped by
// cluster), per-expert load bars against the uniform share, and small line charts of the aux
// losses. Colours follow the page's CSS variables (light and dark schemes). Each is laid out in CSS
// pixels at its element's width, so labels keep their size on a phone.
import { LitElement, css, html, svg, nothing } from 'lit';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles } from '../styles/shared.js';
import { formatShareTick, niceTicks } from '../components/nice-ticks.js';

/** Token → expert combine weights: one column per probe token, one row per expert. */
export class WeftMoEHeatmap extends LitElement {
  static override properties = { weights: { attribute: false }, cluster: { attribute: false } };
  /** Weights [token][expert]. */
  declare weights: number[][];
  /** Cluster of each token. */
  declare cluster: number[];
  private readonly size = new WidthController(this, 900);
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
      .lbl { font: 12px var(--font-sans, system-ui); fill: var(--muted); }
      .empty { color: var(--faint); font-size: 14px; padding: 24px 0; text-align: center; }
    `,
  ];
  override render() {
    const w = this.weights;
    if (!w.length) return html`<div class="empty">Start training to see where each token goes.</div>`;
    const n = w.length;
    const e = w[0]!.length;
    const left = 26, top = 6, bottom = 22;
    const W = Math.max(200, this.size.width);
    const cw = (W - left - 2) / n;
    const ch = Math.max(8, Math.min(22, 300 / e));
    const H = top + e * ch + bottom;
    // Label every expert row while rows are tall enough for the text, else every 2nd or 4th.
    const every = ch >= 13 ? 1 : ch >= 6.5 ? 2 : 4;
    const groups: Array<{ c: number; from: number; to: number }> = [];
    this.cluster.forEach((c, i) => {
      const g = groups.at(-1);
      if (g && g.c === c) g.to = i;
      else groups.push({ c, from: i, to: i });
    });
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="token to expert weights" data-heatmap>
      ${Array.from({ length: e }, (_, ex) => (ex % every === 0 ? svg`<text class="lbl" x=${left - 6} y=${top + ex * ch + ch / 2 + 4} text-anchor="end">${ex}</text>` : nothing))}
      ${w.map((row, i) => row.map((v, ex) => v > 0.002
        ? svg`<rect x=${left + i * cw} y=${top + ex * ch} width=${Math.max(0.5, cw - 0.6)} height=${ch - 0.6} fill="var(--accent)" fill-opacity=${Math.min(1, 0.12 + 0.88 * v)}></rect>`
        : svg`<rect x=${left + i * cw} y=${top + ex * ch} width=${Math.max(0.5, cw - 0.6)} height=${ch - 0.6} fill="var(--border)" fill-opacity="0.35"></rect>`))}
      ${groups.map((g) => svg`${(g.to - g.from + 1) * cw >= 22 ? svg`<text class="lbl" x=${left + ((g.from + g.to + 1) / 2) * cw} y=${H - 6} text-anchor="middle">c${g.c}</text>` : nothing}
        <line x1=${left + g.from * cw - 0.3} x2=${left + g.from * cw - 0.3} y1=${top} y2=${top + e * ch} stroke="var(--fg, currentColor)" stroke-opacity="0.35"></line>`)}
    </svg>`;
  }
}

/** Per-expert load bars (share of routed pairs) with the uniform share 1/E dashed. */
export class WeftMoELoad extends LitElement {
  static override properties = { load: { attribute: false } };
  /** Share of routed pairs per expert. */
  declare load: number[];
  private readonly size = new WidthController(this, 320);
  constructor() {
    super();
    this.load = [];
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      svg { width: 100%; height: auto; display: block; }
      .lbl { font: 12px var(--font-sans, system-ui); fill: var(--muted); }
      .grid { stroke: var(--border); stroke-width: 1; }
      .uniform { fill: hsl(28 85% 45%); font-weight: 600; paint-order: stroke; stroke: var(--surface, #fff); stroke-width: 3px; stroke-linejoin: round; }
      .empty { color: var(--faint); font-size: 14px; padding: 24px 0; text-align: center; }
    `,
  ];
  override render() {
    const l = this.load;
    if (!l.length) return html`<div class="empty">Per-expert load appears with the first report.</div>`;
    const e = l.length;
    const W = Math.max(200, this.size.width), H = 170, left = 40, bottom = 22, top = 10;
    const max = Math.max(2 / e, ...l) * 1.1;
    const bw = (W - left - 4) / e;
    // Number every expert while a label fits its bar, else every 2nd, 4th, …
    const every = 2 ** Math.max(0, Math.ceil(Math.log2(18 / bw)));
    const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="expert load" data-load>
      ${niceTicks(0, max).map((v) => svg`<line class="grid" x1=${left} x2=${W - 2} y1=${y(v)} y2=${y(v)}></line><text class="lbl" x=${left - 6} y=${y(v) + 4} text-anchor="end" data-tick=${v}>${formatShareTick(v)}</text>`)}
      ${l.map((v, i) => svg`<rect x=${left + i * bw + bw * 0.12} y=${y(v)} width=${bw * 0.76} height=${Math.max(0, y(0) - y(v))} rx="2" fill="var(--accent)"><title>expert ${i}: ${(v * 100).toFixed(1)}%</title></rect>
        ${i % every === 0 ? svg`<text class="lbl" x=${left + (i + 0.5) * bw} y=${H - 5} text-anchor="middle">${i}</text>` : nothing}`)}
      <line x1=${left} x2=${W - 2} y1=${y(1 / e)} y2=${y(1 / e)} stroke="hsl(28 85% 52%)" stroke-dasharray="4 3" stroke-width="1.5"></line>
      <text class="lbl uniform" x=${W - 4} y=${y(1 / e) - 5} text-anchor="end" data-uniform-label>1/E = ${formatShareTick(1 / e)}</text>
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
  private readonly size = new WidthController(this, 320);
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
      .lbl { font: 12px var(--font-sans, system-ui); fill: var(--muted); }
    `,
  ];
  override render() {
    const pts = this.points.filter(([, v]) => Number.isFinite(v));
    const W = Math.max(200, this.size.width), H = 140, left = 48, bottom = 20, top = 10;
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
      ${pts.length ? svg`<text class="lbl" x=${left - 6} y=${y(hi) + 4} text-anchor="end">${fmt(hi)}</text><text class="lbl" x=${left - 6} y=${y(lo) + 4} text-anchor="end">${fmt(lo)}</text>` : nothing}
      <text class="lbl" x=${W - 6} y=${H - 4} text-anchor="end">step ${this.total.toLocaleString('en-US')}</text>
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
