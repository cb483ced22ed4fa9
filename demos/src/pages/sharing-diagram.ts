// <weft-sharing-diagram>: a sharing plan drawn as slots → blocks (one coloured box per unique
// block, a line from every slot to the block it runs), or, for hashed sharing, layers reading one
// array through a hash. Plain SVG laid out in CSS pixels at its container's width (text keeps its size).
import { LitElement, css, html, svg } from 'lit';
import { WidthController } from '../controllers/width-controller.js';

/** Colour of block `b` (hues spread around the wheel, readable in light and dark schemes). */
export function blockColor(b: number): string {
  return `hsl(${(b * 137.5 + 210) % 360} 62% 52%)`;
}

/** A plan diagram. */
export class WeftSharingDiagram extends LitElement {
  static override properties = { slots: { attribute: false }, hashed: { attribute: false } };
  /** The slot → block map (null: nothing to draw). */
  declare slots: readonly number[] | null;
  /** For hashed sharing: the layers' virtual sizes and the memory size (replaces `slots`); `note` says how the array is held. */
  declare hashed: { layers: number[]; memory: number; note?: string } | null;

  private readonly size = new WidthController(this, 560);

  constructor() {
    super();
    this.slots = null;
    this.hashed = null;
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
      fill: var(--text);
    }
    .label {
      font-size: 12px;
      fill: var(--muted);
    }
    .row {
      font-size: 12px;
      font-weight: 600;
      fill: var(--faint);
    }
    .box-text {
      font-size: 12px;
      font-weight: 700;
      fill: #fff;
    }
    .slot {
      fill: var(--surface);
      stroke: var(--border);
      stroke-width: 1.5;
    }
  `;

  override render() {
    if (this.hashed) return this.renderHashed(this.hashed);
    const slots = this.slots;
    if (!slots || slots.length === 0) return html``;
    const W = Math.max(260, this.size.width);
    const L = slots.length;
    const K = Math.max(...slots) + 1;
    const pad = 54;
    const span = W - pad - 16;
    const sw = Math.min(40, span / L - 6);
    const slotX = (i: number) => pad + (span / L) * (i + 0.5);
    const bw = Math.min(64, span / K - 10);
    const blockX = (b: number) => pad + (span / K) * (b + 0.5);
    const y1 = 22;
    const y2 = 118;
    return html`<svg viewBox="0 0 ${W} 168" role="img" aria-label=${`${L} slots using ${K} unique block${K === 1 ? '' : 's'}: ${slots.join(', ')}`}>
      <text class="row" x="0" y=${y1 + 20}>slots</text>
      <text class="row" x="0" y=${y2 + 22}>blocks</text>
      ${slots.map((b, i) => svg`<path d="M ${slotX(i)} ${y1 + 30} C ${slotX(i)} ${y1 + 70}, ${blockX(b)} ${y2 - 40}, ${blockX(b)} ${y2}" fill="none" stroke=${blockColor(b)} stroke-width="2" stroke-opacity="0.75" />`)}
      ${slots.map(
        (b, i) => svg`<rect class="slot" x=${slotX(i) - sw / 2} y=${y1} width=${sw} height="30" rx="6" .style=${`stroke:${blockColor(b)}`} />
          <text class="label" x=${slotX(i)} y=${y1 + 19} text-anchor="middle">${i + 1}</text>`,
      )}
      ${Array.from({ length: K }, (_, b) => {
        const uses = slots.filter((s) => s === b).length;
        return svg`<rect x=${blockX(b) - bw / 2} y=${y2} width=${bw} height="34" rx="7" fill=${blockColor(b)} />
          <text class="box-text" x=${blockX(b)} y=${y2 + 21} text-anchor="middle">${String.fromCharCode(65 + b)}</text>
          <text class="label" x=${blockX(b)} y=${y2 + 48} text-anchor="middle">×${uses}</text>`;
      })}
    </svg>`;
  }

  private renderHashed({ layers, memory, note = 'an array per layer' }: { layers: number[]; memory: number; note?: string }) {
    const W = Math.max(260, this.size.width);
    const L = layers.length;
    const pad = 54;
    const span = W - pad - 16;
    const lw = Math.min(48, span / L - 6);
    const x = (i: number) => pad + (span / L) * (i + 0.5);
    const total = layers.reduce((a, b) => a + b, 0);
    // A few deterministic "hash" lines per layer into the array (the real map has one per weight).
    const lines: Array<[number, number, number]> = [];
    let h = 2166136261;
    layers.forEach((_, i) => {
      for (let j = 0; j < 7; j++) {
        h = Math.imul(h ^ (i * 31 + j), 16777619) >>> 0;
        lines.push([i, x(i) + ((j - 3) / 3) * (lw / 2 - 4), pad + (h % 1000) / 1000 * span]);
      }
    });
    return html`<svg viewBox="0 0 ${W} 168" role="img" aria-label=${`${L} layers with ${total} virtual weights read from one array of ${memory} values`}>
      <text class="row" x="0" y="42">layers</text>
      <text class="row" x="0" y="140">array</text>
      ${lines.map(([i, from, to]) => svg`<line x1=${from} y1="52" x2=${to} y2="118" stroke=${blockColor(i)} stroke-width="1.2" stroke-opacity="0.6" />`)}
      ${layers.map(
        (n, i) => svg`<rect class="slot" x=${x(i) - lw / 2} y="22" width=${lw} height="30" rx="6" .style=${`stroke:${blockColor(i)}`} />
          <text class="label" x=${x(i)} y="41" text-anchor="middle">${i + 1}</text>`,
      )}
      <rect x=${pad} y="118" width=${span} height="34" rx="7" fill=${blockColor(0)} fill-opacity="0.85" />
      <text class="box-text" x=${pad + span / 2} y="139" text-anchor="middle">${span >= 440
        ? `${memory.toLocaleString('en-US')} stored values (${note}) ← ${total.toLocaleString('en-US')} virtual weights`
        : `${memory.toLocaleString('en-US')} stored ← ${total.toLocaleString('en-US')} virtual`}</text>
    </svg>`;
  }
}

customElements.define('weft-sharing-diagram', WeftSharingDiagram);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-diagram': WeftSharingDiagram;
  }
}
