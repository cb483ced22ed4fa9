// The expert-usage view of sharing.html (MoEUT's σ-MoE layers, Megrez2's shared expert banks): one
// row per MoE layer of the shared model, one column per expert; each cell is the share of the layer's
// routed (token, expert) pairs that went to that expert on the probe sequences, shaded against an
// even split (1/E) and written as a percentage. Drawn as SVG at the element's width (WidthController).
import { LitElement, css, html, svg, nothing } from 'lit';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles } from '../styles/shared.js';
import type { ExpertLoads } from '../jobs/sharing-job.js';

/** Fill opacity of a load: 0 → faint, twice the even share or more → full. */
const shade = (load: number, even: number) => Math.min(1, 0.08 + (0.92 * load) / (2 * even));

/** Layers × experts, shaded by each expert's share of the layer's routed pairs. */
export class WeftSharingExperts extends LitElement {
  static override properties = { loads: { attribute: false } };
  /** The probe's expert loads, or null before the first probe. */
  declare loads: ExpertLoads | null;
  private readonly size = new WidthController(this, 640);
  constructor() {
    super();
    this.loads = null;
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      svg { width: 100%; height: auto; display: block; }
      .lbl { font: 12px var(--font-sans, system-ui); fill: var(--muted); }
      .pct { font: 600 12px var(--font-mono, ui-monospace, monospace); }
      .empty { color: var(--faint); font-size: 14px; padding: 24px 0; text-align: center; }
    `,
  ];
  override render() {
    const d = this.loads;
    if (!d || d.layers.length === 0) return html`<div class="empty">The expert loads appear once the model is built.</div>`;
    const E = d.loads[0]!.length;
    const even = 1 / E;
    const W = Math.max(240, Math.min(this.size.width, 720));
    const left = 64, top = 20;
    const cw = (W - left - 2) / E;
    const ch = 26;
    const H = top + d.layers.length * ch + 8;
    // A short row label: the layer's slot number when its path has one (blocks.3.ffn -> "layer 3").
    const label = (name: string, i: number) => {
      const m = /(?:^|\.)(\d+)(?:\.|$)/.exec(name);
      return m ? `layer ${m[1]}` : `layer ${i + 1}`;
    };
    const maxShare = Math.max(...d.loads.flat());
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" data-expert-loads=${d.layers.length}
        aria-label=${`expert loads of ${d.layers.length} MoE layers × ${E} experts on ${d.tokens} tokens; the busiest expert takes ${(100 * maxShare).toFixed(0)}% of its layer's routed pairs, an even split is ${(100 * even).toFixed(1)}%`}>
      ${Array.from({ length: E }, (_, e) => svg`<text class="lbl" x=${left + (e + 0.5) * cw} y=${top - 6} text-anchor="middle">${e}</text>`)}
      ${d.loads.map((row, r) => {
        const y = top + r * ch;
        return svg`<text class="lbl" x=${left - 6} y=${y + ch / 2 + 4} text-anchor="end"><title>${d.layers[r]}</title>${label(d.layers[r]!, r)}</text>
          ${row.map((v, e) => {
            const x = left + e * cw;
            const o = shade(v, even);
            return svg`<g data-cell=${`${r},${e}`} data-load=${v.toFixed(4)}>
              <rect x=${x} y=${y} width=${Math.max(1, cw - 1)} height=${ch - 1} rx="2" fill="var(--accent)" fill-opacity=${o}><title>${d.layers[r]}, expert ${e}: ${(100 * v).toFixed(1)}% of the routed pairs</title></rect>
              ${cw >= 30 ? svg`<text class="pct" x=${x + cw / 2} y=${y + ch / 2 + 4} text-anchor="middle" fill=${o > 0.55 ? 'var(--bg, #fff)' : 'var(--fg, currentColor)'}>${(100 * v).toFixed(0)}</text>` : nothing}
            </g>`;
          })}`;
      })}
    </svg>`;
  }
}

customElements.define('weft-sharing-experts', WeftSharingExperts);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-experts': WeftSharingExperts;
  }
}
