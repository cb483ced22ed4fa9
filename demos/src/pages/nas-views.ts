// Views of nas.html: α (or β) as animated bars per edge, and the current genotype drawn as a
// DARTS cell graph (inputs c_{k-2}, c_{k-1}, intermediate nodes, the concat output). The graph is
// laid out in CSS pixels at its element's width, so op names keep their size on a phone.
import { LitElement, css, html, svg } from 'lit';
import { WidthController } from '../controllers/width-controller.js';
import { placeLabels } from '../components/label-placement.js';
import type { Genotype } from '@weft/nas';
import type { BarGroup } from '../jobs/nas-job.js';

const OP_COLORS: Record<string, string> = {
  none: 'hsl(0 0% 60%)',
  skip_connect: 'hsl(28 85% 52%)',
  linear: 'hsl(215 70% 52%)',
  relu: 'hsl(145 55% 40%)',
  tanh: 'hsl(275 55% 55%)',
  sigmoid: 'hsl(335 65% 55%)',
};
const color = (name: string, i: number) => OP_COLORS[name] ?? `hsl(${(i * 67) % 360} 60% 50%)`;

/** Bars of softmax weights, one group per edge (or elastic choice); the teacher's option is marked. */
export class WeftNasBars extends LitElement {
  static override properties = { groups: { attribute: false } };
  declare groups: BarGroup[];
  constructor() {
    super();
    this.groups = [];
  }
  static override styles = css`
    :host {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
      gap: 14px 18px;
    }
    .g h3 {
      margin: 0 0 6px;
      font-size: 13px;
      font-weight: 700;
    }
    .row {
      display: grid;
      /* The widest DARTS op name ("★ sep_conv_3x3", "★ skip_connect") fits whole. */
      grid-template-columns: 15ch minmax(40px, 1fr) 4ch;
      align-items: center;
      gap: 6px;
      font-size: 12.5px;
      line-height: 19px;
    }
    .name {
      color: var(--muted, #555);
      white-space: nowrap;
    }
    .name.teacher {
      color: inherit;
      font-weight: 700;
    }
    .track {
      height: 10px;
      border-radius: 5px;
      background: var(--border, #e5e5e5);
      overflow: hidden;
    }
    .bar {
      height: 100%;
      border-radius: 5px;
      transition: width 0.35s ease;
    }
    .v {
      text-align: right;
      font-variant-numeric: tabular-nums;
      color: var(--muted, #555);
    }
    .empty {
      color: var(--faint, #888);
      font-size: 14px;
    }
  `;
  override render() {
    if (!this.groups.length) return html`<p class="empty">Start a search to see the architecture weights.</p>`;
    return this.groups.map(
      (g) => html`<div class="g" data-edge=${g.label}>
        <h3>${g.label}</h3>
        ${g.names.map((n, i) => {
          const w = g.weights[i] ?? 0;
          const best = g.weights.indexOf(Math.max(...g.weights));
          return html`<div class="row">
            <span class="name ${i === g.teacher ? 'teacher' : ''}" title=${i === g.teacher ? 'the teacher’s choice' : n}>${i === g.teacher ? '★ ' : ''}${n}</span>
            <span class="track"><span class="bar" .style=${`display:block;width:${(w * 100).toFixed(1)}%;background:${color(n, i)};opacity:${i === best ? 1 : 0.55}`}></span></span>
            <span class="v">${(w * 100).toFixed(0)}%</span>
          </div>`;
        })}
      </div>`,
    );
  }
}

/** A DARTS cell graph of a genotype's normal (or reduction) cell. */
export class WeftNasCell extends LitElement {
  static override properties = { genotype: { attribute: false }, steps: { type: Number }, cell: { type: String } };
  declare genotype: Genotype | null;
  declare steps: number;
  /** Which cell of the genotype to draw. */
  declare cell: 'normal' | 'reduce';
  private readonly size = new WidthController(this, 620);
  constructor() {
    super();
    this.genotype = null;
    this.steps = 2;
    this.cell = 'normal';
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
      font: 12.5px system-ui, sans-serif;
      fill: currentColor;
    }
    text.op {
      paint-order: stroke;
      stroke: var(--surface, #fff);
      stroke-width: 4px;
      stroke-linejoin: round;
    }
    .empty {
      color: var(--faint, #888);
      font-size: 14px;
    }
  `;
  override render() {
    const g = this.genotype;
    if (!g) return html`<p class="empty">The genotype appears after the first report.</p>`;
    const W = Math.max(280, this.size.width);
    const H = 230;
    // Node positions: inputs on the left, intermediates in the middle, output on the right
    // (x as fractions of the 620 px the layout was drawn for).
    const sx = (x: number) => 28 + ((x - 28) * (W - 56)) / (620 - 56);
    const pos = new Map<number | 'out', [number, number]>();
    pos.set(0, [sx(50), 50]);
    pos.set(1, [sx(50), 180]);
    for (let i = 0; i < this.steps; i++) pos.set(i + 2, [sx(270 + (i * 200) / Math.max(1, this.steps - 1)), 50 + (i % 2) * 130]);
    pos.set('out', [sx(570), 115]);
    const gene = this.cell === 'reduce' ? g.reduce : g.normal;
    const concat = this.cell === 'reduce' ? g.reduce_concat : g.normal_concat;
    const edges = gene.map(([op, from], k) => ({ op, from, to: Math.floor(k / 2) + 2, i: k }));
    const label = (n: number) => (n === 0 ? 'k−2' : n === 1 ? 'k−1' : String(n));
    // Op names go at free places near the middle of their edge, clear of the nodes and each other.
    const anchors = edges.map(({ from, to, i }) => {
      const [x1, y1] = pos.get(from)!;
      const [x2, y2] = pos.get(to)!;
      const cy = (y1 + y2) / 2 + (i % 2 ? 12 : -12);
      return [0.25 * (x1 + 22) + 0.5 * ((x1 + x2) / 2) + 0.25 * (x2 - 22), 0.25 * y1 + 0.5 * cy + 0.25 * y2] as const; // the curve at t = 1/2
    });
    const nodes = [...pos].map(([n, [x, y]]) => (n === 'out' ? { left: x - 26, right: x + 26, top: y - 16, bottom: y + 16 } : { left: x - 22, right: x + 22, top: y - 22, bottom: y + 22 }));
    const places = placeLabels(
      edges.map(({ op }, k) => ({ x: anchors[k]![0], y: anchors[k]![1], text: op })),
      { left: 0, right: W, top: 0, bottom: H },
      { charWidth: 7.4, ascent: 11, descent: 3, radius: 3 },
      nodes,
    );
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${`${this.cell} cell graph of the current genotype`}>
      <defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="currentColor" opacity="0.6"></path></marker></defs>
      ${edges.map(({ op, from, to, i }) => {
        const [x1, y1] = pos.get(from)!;
        const [x2, y2] = pos.get(to)!;
        return svg`<g data-op=${op}><path d="M${x1 + 22} ${y1} Q ${(x1 + x2) / 2} ${(y1 + y2) / 2 + (i % 2 ? 12 : -12)} ${x2 - 22} ${y2}" fill="none" stroke=${color(op, i)} stroke-width="2.5" marker-end="url(#arr)"></path></g>`;
      })}
      ${edges.map(({ op, i }, k) => {
        const at = places[k]!;
        const [ax, ay] = anchors[k]!;
        return svg`${at.leader ? svg`<line x1=${ax} y1=${ay} x2=${at.anchor === 'start' ? at.x - 3 : at.x + 3} y2=${at.y - 4} stroke=${color(op, i)} stroke-opacity="0.6"></line>` : ''}
          <text class="op" x=${at.x} y=${at.y} text-anchor=${at.anchor} .style=${`fill:${color(op, i)};font-weight:600`}>${op}</text>`;
      })}
      ${concat.map((n) => {
        const [x1, y1] = pos.get(n)!;
        const [x2, y2] = pos.get('out')!;
        return svg`<path d="M${x1 + 22} ${y1} L ${x2 - 26} ${y2}" fill="none" stroke="currentColor" stroke-opacity="0.35" stroke-dasharray="4 4" marker-end="url(#arr)"></path>`;
      })}
      ${[...pos].map(([n, [x, y]]) =>
        n === 'out'
          ? svg`<rect x=${x - 26} y=${y - 16} width="52" height="32" rx="8" fill="var(--accent-soft, #e8eefc)" stroke="currentColor" stroke-opacity="0.4"></rect><text x=${x} y=${y + 4} text-anchor="middle">concat</text>`
          : svg`<circle cx=${x} cy=${y} r="22" fill=${n < 2 ? 'var(--bg, #f1f1f1)' : 'var(--accent-soft, #e8eefc)'} stroke="currentColor" stroke-opacity="0.4"></circle><text x=${x} y=${y + 4} text-anchor="middle">${label(n)}</text>`,
      )}
    </svg>`;
  }
}

customElements.define('weft-nas-bars', WeftNasBars);
customElements.define('weft-nas-cell', WeftNasCell);

declare global {
  interface HTMLElementTagNameMap {
    'weft-nas-bars': WeftNasBars;
    'weft-nas-cell': WeftNasCell;
  }
}
