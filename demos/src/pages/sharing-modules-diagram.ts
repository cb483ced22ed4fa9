// <weft-sharing-modules>: sharing inside the blocks, drawn as one column per layer slot and one
// row per kind of sub-module (attention, router, FFN, experts): slots that run the same module are
// joined in one box, so MobiLlama's single FFN spans every column and Megrez2's expert banks span
// their groups of adjacent layers. Plain SVG in CSS pixels at the container's width.
import { LitElement, css, html, svg } from 'lit';
import { WidthController } from '../controllers/width-controller.js';
import { blockColor } from './sharing-diagram.js';
import type { ModuleRow } from './sharing-techniques.js';

/** Runs of equal module indices in a slot map: [module, first slot, slots]. */
function runs(map: readonly number[]): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  map.forEach((m, i) => {
    const last = out.at(-1);
    if (last && last[0] === m && last[1] + last[2] === i) last[2]++;
    else out.push([m, i, 1]);
  });
  return out;
}

/** A sub-module sharing diagram. */
export class WeftSharingModules extends LitElement {
  static override properties = { rows: { attribute: false } };
  /** The rows, top to bottom (null: nothing to draw). */
  declare rows: readonly ModuleRow[] | null;

  private readonly size = new WidthController(this, 560);

  constructor() {
    super();
    this.rows = null;
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
    }
    .row {
      font-size: 12px;
      font-weight: 600;
      fill: var(--faint);
    }
    .label {
      font-size: 12px;
      fill: var(--muted);
    }
    .box-text {
      font-size: 12px;
      font-weight: 700;
      fill: #fff;
    }
  `;

  override render() {
    const rows = this.rows;
    if (!rows || rows.length === 0) return html``;
    const W = Math.max(260, this.size.width);
    const L = rows[0]!.map.length;
    const pad = 78;
    const span = W - pad - 12;
    const col = span / L;
    const rowH = 40;
    const top = 22;
    const H = top + rows.length * rowH + 8;
    const desc = rows.map((r) => `${r.label}: ${new Set(r.map).size} for ${L} layers`).join('; ');
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${`${L} layers. ${desc}`}>
      ${Array.from({ length: L }, (_, i) => svg`<text class="label" x=${pad + col * (i + 0.5)} y="14" text-anchor="middle">${i + 1}</text>`)}
      ${rows.map((r, ri) => {
        const y = top + ri * rowH;
        const shared = new Set(r.map).size < r.map.length;
        return svg`<text class="row" x="0" y=${y + 21}>${r.label}</text>
          ${runs(r.map).map(([m, first, n]) => {
            const x = pad + col * first + 3;
            const w = col * n - 6;
            const uses = r.map.filter((v) => v === m).length;
            // Shared rows take one hue per module; per-layer rows a neutral tone, so sharing stands out.
            const fill = shared ? blockColor(m) : 'var(--faint)';
            return svg`<rect x=${x} y=${y} width=${w} height="30" rx="6" fill=${fill} fill-opacity=${shared ? 0.92 : 0.35} />
              ${w >= 26 ? svg`<text class="box-text" x=${x + w / 2} y=${y + 19} text-anchor="middle">${uses > 1 ? `×${uses}` : ''}</text>` : ''}`;
          })}`;
      })}
    </svg>`;
  }
}

customElements.define('weft-sharing-modules', WeftSharingModules);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-modules': WeftSharingModules;
  }
}
