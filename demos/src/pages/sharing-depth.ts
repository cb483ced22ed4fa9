// The per-token depth heatmap of sharing.html (UT with ACT, Mixture-of-Recursions): one row per
// probe sequence, one column per position; each cell shows the token and is shaded by how deep it
// went (ACT: block applications before it halted; MoR: recursions). Drawn as SVG in CSS pixels at
// the element's width (WidthController), so the token text keeps its size on a phone.
import { LitElement, css, html, svg, nothing } from 'lit';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles } from '../styles/shared.js';
import type { TokenDepths } from '../jobs/sharing-job.js';

/** Fill opacity of depth `d` of at most `max`: depth 1 lightest, `max` full (depth 0, a token that never ran, is drawn grey). */
const shade = (d: number, max: number) => (d <= 0 ? 0 : 0.12 + (0.88 * (d - 1)) / Math.max(1, max - 1));

/** Tokens × positions, shaded by each token's depth. */
export class WeftSharingDepth extends LitElement {
  static override properties = { depths: { attribute: false } };
  /** The probe's tokens and depths, or null before the first probe. */
  declare depths: TokenDepths | null;
  private readonly size = new WidthController(this, 640);
  constructor() {
    super();
    this.depths = null;
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      svg { width: 100%; height: auto; display: block; }
      .lbl { font: 12px var(--font-sans, system-ui); fill: var(--muted); }
      .tok { font: 600 13px var(--font-mono, ui-monospace, monospace); }
      .empty { color: var(--faint); font-size: 14px; padding: 24px 0; text-align: center; }
      .kv { margin: 8px 0 0; font-size: 13px; color: var(--muted); }
      .kv b { color: var(--fg); font-variant-numeric: tabular-nums; }
    `,
  ];
  override render() {
    const d = this.depths;
    if (!d || d.rows === 0) return html`<div class="empty">The depths appear once the model is built.</div>`;
    const { rows, cols, max } = d;
    const W = Math.max(240, Math.min(this.size.width, 720));
    const left = 28, top = 20, legendH = 40;
    const cw = (W - left - 2) / cols;
    const ch = Math.max(18, Math.min(26, cw * 0.7));
    const H = top + rows * ch + legendH;
    const mean = d.depth.reduce((a, v) => a + v, 0) / d.depth.length;
    // The legend's swatches: one per depth 1..max, labelled (every other one when they are narrow).
    const sw = Math.min(36, (W - left - 46) / max);
    const every = sw >= 18 ? 1 : 2;
    const tokenText = (t: number) => (t === d.sep ? '→' : String(t));
    // Text on dark cells (deep tokens) is drawn light.
    const textFill = (v: number) => (shade(v, max) > 0.55 ? 'var(--bg, #fff)' : 'var(--fg, currentColor)');
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" data-depth-heatmap data-mean-depth=${mean.toFixed(4)}
        aria-label=${`per-token depth of ${rows} sequences of ${cols} positions: mean ${mean.toFixed(2)} of at most ${max}`}>
      ${Array.from({ length: cols }, (_, c) => svg`<text class="lbl" x=${left + (c + 0.5) * cw} y=${top - 6} text-anchor="middle">${c}</text>`)}
      ${Array.from({ length: rows }, (_, r) => svg`<text class="lbl" x=${left - 6} y=${top + (r + 0.5) * ch + 4} text-anchor="end">${r + 1}</text>`)}
      ${d.depth.map((v, i) => {
        const r = Math.floor(i / cols), c = i % cols;
        const x = left + c * cw, y = top + r * ch;
        return svg`<g data-cell=${`${r},${c}`} data-d=${v}>
          <rect x=${x} y=${y} width=${Math.max(1, cw - 1)} height=${ch - 1} rx="2" fill=${v > 0 ? 'var(--accent)' : 'var(--border)'} fill-opacity=${v > 0 ? shade(v, max) : 0.35}><title>sequence ${r + 1}, position ${c}: token ${tokenText(d.tokens[i]!)}, depth ${v}</title></rect>
          ${cw >= 14 ? svg`<text class="tok" x=${x + cw / 2 - 0.5} y=${y + ch / 2 + 4.5} text-anchor="middle" fill=${textFill(v)}>${tokenText(d.tokens[i]!)}</text>` : nothing}
        </g>`;
      })}
      <text class="lbl" x=${left} y=${top + rows * ch + 24}>depth</text>
      ${Array.from({ length: max }, (_, k) => {
        const x = left + 44 + k * sw;
        return svg`<rect x=${x} y=${top + rows * ch + 12} width=${sw - 2} height="16" rx="2" fill="var(--accent)" fill-opacity=${shade(k + 1, max)}></rect>
          ${(k + 1) % every === 0 || k === 0 ? svg`<text class="tok" x=${x + sw / 2 - 1} y=${top + rows * ch + 24.5} text-anchor="middle" fill=${shade(k + 1, max) > 0.55 ? 'var(--bg, #fff)' : 'var(--fg, currentColor)'}>${k + 1}</text>` : nothing}`;
      })}
    </svg>
      ${d.kv
        ? html`<p class="kv" data-kv=${JSON.stringify(d.kv)}>K/V cache per sequence of ${cols} tokens: <b>${d.kv.recursionWise}</b> entries with
            recursion-wise caching (only the tokens a recursion runs on cache there), <b>${d.kv.plain}</b> in a plain recursive
            model (every token at every recursion), <b>${d.kv.shared}</b> with K/V shared from the first recursion
            (<code>kv: 'shared'</code>).</p>`
        : nothing}`;
  }
}

customElements.define('weft-sharing-depth', WeftSharingDepth);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-depth': WeftSharingDepth;
  }
}
