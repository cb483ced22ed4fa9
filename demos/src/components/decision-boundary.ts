// <weft-decision-boundary>: a 2-D classifier's view of the plane — a heatmap of its predicted
// class probabilities on a grid (class colours mixed by probability, fainter where it is unsure)
// with the dataset's points on top. The page computes the probabilities (one batched forward
// pass and one `await data()`); this element only draws.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { boxStyles } from '../styles/shared.js';

import { extentOf, type Extent, type LabelledPoints, type ProbabilityField } from '../plane.js';

export { extentOf, gridPoints, type Extent, type LabelledPoints, type ProbabilityField } from '../plane.js';

type Rgb = [number, number, number];

/** Draws the probability field and the points of a 2-D classification problem. */
export class WeftDecisionBoundary extends LitElement {
  static override properties = {
    points: { attribute: false },
    field: { attribute: false },
    extent: { attribute: false },
    caption: { type: String },
    compact: { type: Boolean },
  };
  /** The dataset's points. */
  declare points: LabelledPoints | null;
  /** The model's probabilities on `gridPoints(extent, resolution)`; `null` draws the points only. */
  declare field: ProbabilityField | null;
  /** The plotted plane. Default: `extentOf(points.x)`. */
  declare extent: Extent | null;
  /** A short caption under the plot, e.g. "after 400 steps". */
  declare caption: string;
  /** A small tile among several (side by side): no class legend under it (the page shows one). */
  declare compact: boolean;

  private resize: ResizeObserver | null = null;
  private scheme: MediaQueryList | null = null;
  private readonly redraw = () => this.draw();

  constructor() {
    super();
    this.points = null;
    this.field = null;
    this.extent = null;
    this.caption = '';
    this.compact = false;
  }

  static override styles = [
    boxStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .frame {
        position: relative;
        width: 100%;
        aspect-ratio: 1;
        border-radius: var(--radius-sm);
        overflow: hidden;
        border: 1px solid var(--border);
        background: var(--surface-2);
      }
      canvas {
        display: block;
        width: 100%;
        height: 100%;
      }
      .foot {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 10px;
        flex-wrap: wrap;
        margin-top: 8px;
        font-size: 13px;
        color: var(--muted);
      }
      .legend {
        display: flex;
        gap: 12px;
        flex-wrap: wrap;
      }
      .legend span {
        display: inline-flex;
        align-items: center;
        gap: 5px;
      }
      .legend i {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        display: inline-block;
      }
    `,
  ];

  override render() {
    const classes = this.points?.numClasses ?? 0;
    return html`<div class="frame" data-predicted=${this.field ? predictedClasses(this.field) : 0}><canvas role="img" aria-label=${this.describe()}></canvas></div>
      ${this.compact && !this.caption
        ? nothing
        : html`<div class="foot">
            ${this.compact
              ? nothing
              : html`<span class="legend">
                  ${Array.from({ length: classes }, (_, k) => html`<span><i .style=${`background: var(--class-${k % 6})`}></i>class ${k}</span>`)}
                </span>`}
            ${this.caption ? html`<span data-caption>${this.caption}</span>` : nothing}
          </div>`}`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.scheme = window.matchMedia('(prefers-color-scheme: dark)');
    this.scheme.addEventListener('change', this.redraw);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.scheme?.removeEventListener('change', this.redraw);
    this.resize?.disconnect();
    this.resize = null;
  }

  protected override firstUpdated(): void {
    this.resize = new ResizeObserver(this.redraw);
    this.resize.observe(this.renderRoot.querySelector('.frame')!);
  }

  protected override updated(_changed: PropertyValues<this>): void {
    this.draw();
  }

  private describe(): string {
    const n = this.points ? this.points.y.length : 0;
    return `${n} points in ${this.points?.numClasses ?? 0} classes${this.field ? ', over the model’s predicted classes' : ''}`;
  }

  private draw(): void {
    const canvas = this.renderRoot.querySelector('canvas');
    if (!canvas) return;
    const rect = canvas.getBoundingClientRect();
    if (rect.width === 0) return;
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const w = Math.round(rect.width * dpr);
    const h = Math.round(rect.height * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const colors = this.classColors(ctx);
    const surface = parseColor(ctx, getComputedStyle(this).getPropertyValue('--surface').trim() || '#ffffff');
    ctx.clearRect(0, 0, w, h);
    const extent = this.extent ?? (this.points ? extentOf(this.points.x) : ([-1, 1, -1, 1] as const));

    const f = this.field;
    if (f && f.probs.length === f.resolution * f.resolution * f.numClasses) {
      const res = f.resolution;
      const image = new ImageData(res, res);
      const C = f.numClasses;
      for (let i = 0; i < res * res; i++) {
        let r = 0, g = 0, b = 0, top = 0;
        for (let k = 0; k < C; k++) {
          const p = f.probs[i * C + k]!;
          const col = colors[k % colors.length]!;
          r += p * col[0];
          g += p * col[1];
          b += p * col[2];
          top = Math.max(top, p);
        }
        // Confidence 0 (uniform) … 1 (certain) sets how far the colour stands out from the surface.
        const confidence = C > 1 ? Math.max(0, (top - 1 / C) / (1 - 1 / C)) : 1;
        const a = 0.1 + 0.32 * confidence;
        image.data[4 * i] = surface[0] + (r - surface[0]) * a;
        image.data[4 * i + 1] = surface[1] + (g - surface[1]) * a;
        image.data[4 * i + 2] = surface[2] + (b - surface[2]) * a;
        image.data[4 * i + 3] = 255;
      }
      const small = document.createElement('canvas');
      small.width = res;
      small.height = res;
      small.getContext('2d')!.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(small, 0, 0, w, h);
    } else {
      ctx.fillStyle = `rgb(${surface.join(',')})`;
      ctx.fillRect(0, 0, w, h);
    }

    const p = this.points;
    if (!p) return;
    const [x0, x1, y0, y1] = extent;
    const radius = Math.max(2, Math.min(3.2, rect.width / 130)) * dpr;
    ctx.lineWidth = Math.max(1, 0.9 * dpr);
    ctx.strokeStyle = `rgba(${surface.join(',')}, 0.95)`;
    for (let i = 0; i < p.y.length; i++) {
      const px = ((p.x[2 * i]! - x0) / (x1 - x0)) * w;
      const py = (1 - (p.x[2 * i + 1]! - y0) / (y1 - y0)) * h;
      const col = colors[p.y[i]! % colors.length]!;
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${col.join(',')})`;
      ctx.fill();
      ctx.stroke();
    }
  }

  private classColors(ctx: CanvasRenderingContext2D): Rgb[] {
    const style = getComputedStyle(this);
    const fallback = ['#e8590c', '#1971c2', '#2b8a3e', '#9c36b5', '#c2255c', '#0c8599'];
    return fallback.map((f, k) => parseColor(ctx, style.getPropertyValue(`--class-${k}`).trim() || f));
  }
}

/** How many classes are the most probable one somewhere on the field's grid. */
export function predictedClasses(field: ProbabilityField): number {
  const C = field.numClasses;
  const seen = new Set<number>();
  for (let i = 0; i < field.resolution * field.resolution; i++) {
    let best = 0;
    for (let k = 1; k < C; k++) if (field.probs[i * C + k]! > field.probs[i * C + best]!) best = k;
    seen.add(best);
  }
  return seen.size;
}

/** Any CSS colour → RGB, using the canvas's own parser (it normalises to `#rrggbb`). */
function parseColor(ctx: CanvasRenderingContext2D, color: string): Rgb {
  ctx.fillStyle = '#000000';
  ctx.fillStyle = color;
  const s = String(ctx.fillStyle);
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
  if (m) return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
  const n = s.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
  return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0];
}

customElements.define('weft-decision-boundary', WeftDecisionBoundary);

declare global {
  interface HTMLElementTagNameMap {
    'weft-decision-boundary': WeftDecisionBoundary;
  }
}
