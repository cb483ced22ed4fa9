// The charts of params.html, laid out in CSS pixels at their element's width (WidthController) so text
// stays 12 px on a phone: <weft-params-stack>, each model's stored parameters as one stacked bar by part
// of the model (one linear scale for all models, so a 7× larger model has a 7× longer bar), and
// <weft-memory-curves>, memory against context length for every model with the chosen GPU's memory
// as a dashed line.
import { LitElement, css, html, nothing, svg } from 'lit';
import { formatBytes, type ParamComponent } from '@weft/core';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, numberStyles } from '../styles/shared.js';
import { formatCompact } from '../format.js';

/** Colours of the sides a–d (the first two as the rest of the site draws A and B). */
export const SIDE_COLORS = ['var(--accent)', '#e8853d', '#3aa17e', '#9b5de5'];

/** Parts of a model in stack order, with their legend names and colours. */
const PARTS: Array<{ component: ParamComponent; label: string; color: string }> = [
  { component: 'embeddings', label: 'embeddings', color: '#8fa3bf' },
  { component: 'attention', label: 'attention', color: '#4c78a8' },
  { component: 'ssm', label: 'SSM mixer', color: '#72b7b2' },
  { component: 'ffn', label: 'dense FFN', color: '#54a24b' },
  { component: 'experts', label: 'experts', color: '#f58518' },
  { component: 'router', label: 'routers', color: '#e45756' },
  { component: 'norms', label: 'norms', color: '#b279a2' },
  { component: 'head', label: 'head', color: '#9d755d' },
  { component: 'adapters', label: 'adapter', color: '#eeca3b' },
];

/** One model of the stacked chart. */
export interface StackItem {
  /** Side letter and model name, e.g. "A · Llama-3.1-8B". */
  label: string;
  /** Stored parameters per component. */
  parts: Partial<Record<ParamComponent, number>>;
}

/** Stored parameters of each model as one stacked horizontal bar, on one linear scale. */
export class WeftParamsStack extends LitElement {
  static override properties = { items: { attribute: false } };
  /** The models, top to bottom (null: no count). */
  declare items: Array<StackItem | null>;

  constructor() {
    super();
    this.items = [];
  }

  static override styles = [
    boxStyles,
    numberStyles,
    css`
      :host {
        display: block;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 14px;
        font-size: 12.5px;
        color: var(--muted);
        margin-bottom: 10px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 5px;
        vertical-align: -1px;
      }
      .row {
        display: grid;
        gap: 4px;
        padding: 8px 0;
        border-top: 1px solid var(--border);
      }
      .row:first-of-type {
        border-top: none;
      }
      .name {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        font-size: 13px;
        font-weight: 600;
        color: var(--muted);
      }
      .name .num {
        color: var(--text);
        font-weight: 500;
      }
      .bar {
        display: flex;
        height: 18px;
        border-radius: 3px;
        overflow: hidden;
        background: var(--surface-2);
      }
      .seg {
        height: 100%;
        min-width: 1px;
      }
      .shares {
        font-size: 12px;
        color: var(--faint);
      }
      .axis {
        font-size: 12px;
        color: var(--faint);
        margin-top: 6px;
        text-align: right;
      }
    `,
  ];

  override render() {
    const totals = this.items.map((it) => (it ? Object.values(it.parts).reduce((s, v) => s + (v ?? 0), 0) : 0));
    const max = Math.max(1, ...totals);
    const used = PARTS.filter((p) => this.items.some((it) => (it?.parts[p.component] ?? 0) > 0));
    return html`<div class="legend">${used.map((p) => html`<span><span class="swatch" .style=${`background:${p.color}`}></span>${p.label}</span>`)}</div>
      ${this.items.map((it, i) => {
        if (!it) return html`<div class="row"><div class="name">—</div></div>`;
        const total = totals[i]!;
        const shares = used
          .filter((p) => (it.parts[p.component] ?? 0) > 0)
          .map((p) => `${p.label} ${Math.round((100 * (it.parts[p.component] ?? 0)) / Math.max(1, total))}%`)
          .join(' · ');
        return html`<div class="row" data-stack=${i}>
          <div class="name"><span>${it.label}</span><span class="num">${formatCompact(total)}</span></div>
          <div class="bar" .style=${`width:${((100 * total) / max).toFixed(2)}%`} role="img" aria-label=${`${it.label}: ${shares}`}>
            ${used.map((p) => {
              const v = it.parts[p.component] ?? 0;
              return v > 0 ? html`<div class="seg" data-part=${p.component} data-value=${v} title=${`${p.label}: ${formatCompact(v)}`} .style=${`flex:${v} 0 0;background:${p.color}`}></div>` : nothing;
            })}
          </div>
          <div class="shares">${shares}</div>
        </div>`;
      })}
      <div class="axis">linear scale: bar length is the stored parameter count</div>`;
  }
}

/** One model's memory curve. */
export interface MemoryCurve {
  label: string;
  /** Side index (colour). */
  index: number;
  /** Bytes at each of `contexts` (null: not computable). */
  values: Array<number | null>;
}

/** Memory against context length (log₂ axis), one line per model, the GPU's memory dashed. */
export class WeftMemoryCurves extends LitElement {
  static override properties = { curves: { attribute: false }, contexts: { attribute: false }, limit: { type: Number }, marker: { type: Number } };
  /** The lines. */
  declare curves: MemoryCurve[];
  /** Context lengths of the x axis. */
  declare contexts: number[];
  /** GPU memory in bytes (dashed line), 0 for none. */
  declare limit: number;
  /** The chosen context (a vertical rule), 0 for none. */
  declare marker: number;
  private readonly size = new WidthController(this, 560);

  constructor() {
    super();
    this.curves = [];
    this.contexts = [];
    this.limit = 0;
    this.marker = 0;
  }

  static override styles = [
    boxStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      svg {
        display: block;
        width: 100%;
        overflow: visible;
      }
      text {
        font-size: 12px;
        fill: var(--muted);
        font-family: inherit;
      }
      .grid {
        stroke: var(--border);
        stroke-width: 1;
      }
      .limit {
        stroke: var(--danger, #d14343);
        stroke-dasharray: 5 4;
        stroke-width: 1.5;
      }
      .marker {
        stroke: var(--faint);
        stroke-dasharray: 2 3;
      }
      .line {
        fill: none;
        stroke-width: 2;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 14px;
        font-size: 12.5px;
        color: var(--muted);
        margin-bottom: 6px;
      }
      .swatch {
        display: inline-block;
        width: 14px;
        height: 3px;
        margin-right: 5px;
        vertical-align: 3px;
      }
    `,
  ];

  override render() {
    const W = Math.max(260, this.size.width);
    const Hh = 240;
    const left = 56;
    const right = 14;
    const top = 10;
    const bottom = 34;
    const xs = this.contexts;
    if (xs.length < 2) return nothing;
    const all = this.curves.flatMap((c) => c.values).filter((v): v is number => v !== null);
    const top0 = Math.max(1e6, ...all);
    // The GPU line is drawn when it is within reach of the curves; far above them it would flatten them.
    const showLimit = this.limit > 0 && this.limit <= top0 * 3;
    const yMax = Math.max(showLimit ? this.limit : 0, top0) * 1.1;
    const lx = (ctx: number) => left + ((Math.log2(ctx) - Math.log2(xs[0]!)) / (Math.log2(xs[xs.length - 1]!) - Math.log2(xs[0]!))) * (W - left - right);
    const ly = (v: number) => top + (1 - v / yMax) * (Hh - top - bottom);
    const ticks = niceTicks(yMax);
    // Fewer x labels on narrow charts so they never overlap (about 44 px per label).
    const every = Math.ceil((xs.length * 44) / (W - left - right));
    const ctxLabel = (n: number) => (n >= 1024 ? `${n / 1024}k` : String(n));
    return html`<div class="legend">
        ${this.curves.map((c) => html`<span><span class="swatch" .style=${`background:${SIDE_COLORS[c.index]}`}></span>${c.label}</span>`)}
        ${this.limit > 0
          ? showLimit
            ? html`<span><span class="swatch" .style=${'background:var(--danger, #d14343)'}></span>GPU memory (${formatBytes(this.limit)})</span>`
            : html`<span data-limit-off>GPU memory (${formatBytes(this.limit)}) is above this range: every curve fits</span>`
          : nothing}
      </div>
      <svg viewBox="0 0 ${W} ${Hh}" height=${Hh} role="img" aria-label="memory against context length">
        ${ticks.map(
          (t) => svg`<line class="grid" x1=${left} x2=${W - right} y1=${ly(t)} y2=${ly(t)}></line>
            <text x=${left - 6} y=${ly(t) + 4} text-anchor="end">${formatBytes(t)}</text>`,
        )}
        ${xs.map((x, i) => ((i % every === 0 && xs.length - 1 - i >= every) || i === xs.length - 1 ? svg`<text x=${lx(x)} y=${Hh - bottom + 16} text-anchor=${i === xs.length - 1 ? 'end' : 'middle'}>${ctxLabel(x)}</text>` : nothing))}
        <text x=${(left + W - right) / 2} y=${Hh - 4} text-anchor="middle">context length (tokens, log scale)</text>
        ${this.marker > 0 && this.marker >= xs[0]! && this.marker <= xs[xs.length - 1]! ? svg`<line class="marker" x1=${lx(this.marker)} x2=${lx(this.marker)} y1=${top} y2=${Hh - bottom}></line>` : nothing}
        ${showLimit ? svg`<line class="limit" data-limit=${this.limit} x1=${left} x2=${W - right} y1=${ly(this.limit)} y2=${ly(this.limit)}></line>` : nothing}
        ${this.curves.map((c) => {
          const pts = c.values.map((v, i) => (v === null ? null : `${lx(xs[i]!).toFixed(1)},${ly(v).toFixed(1)}`)).filter((p) => p !== null);
          return svg`<polyline class="line" data-curve=${c.index} points=${pts.join(' ')} .style=${`stroke:${SIDE_COLORS[c.index]}`}></polyline>`;
        })}
      </svg>`;
  }
}

/** Round gridline values from 0 to about `max` (4–6 of them). */
function niceTicks(max: number): number[] {
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

customElements.define('weft-params-stack', WeftParamsStack);
customElements.define('weft-memory-curves', WeftMemoryCurves);

declare global {
  interface HTMLElementTagNameMap {
    'weft-params-stack': WeftParamsStack;
    'weft-memory-curves': WeftMemoryCurves;
  }
}
