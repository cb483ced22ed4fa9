// <weft-progress-bar>: a run's progress — a bar, the step count, steps per second, time left
// and the run's status in words. The live speed is measured from the counter itself (steps shown
// over the last few seconds of wall time), so it is the rate a person sees the step move.
// Where the page stacks its settings above its views (≤ 980 px) and this bar is scrolled out of
// sight during a run, a compact copy of it (status, step, loss) stays pinned to the bottom of the
// screen; a tap brings the live view back.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { TrainingStatus } from '../controllers/training-controller.js';
import { formatDuration, formatInt, formatLoss } from '../format.js';
import { boxStyles, numberStyles } from '../styles/shared.js';

const STATUS_TEXT: Record<TrainingStatus, string> = {
  idle: 'Ready',
  starting: 'Starting…',
  running: 'Training',
  pausing: 'Finishing the step…',
  paused: 'Paused',
  done: 'Done',
  stopped: 'Stopped',
  error: 'Stopped by an error',
};

/** The statuses in which the pinned copy may show (a run is live or paused). */
const LIVE: readonly TrainingStatus[] = ['starting', 'running', 'pausing', 'paused'];

/** Wall time over which the live speed is measured, ms. */
const RATE_WINDOW_MS = 3000;
/** The shortest span the live speed is measured over; before it, the trainer's own figure is shown. */
const RATE_MIN_SPAN_MS = 500;

/** A progress bar for a training run. */
export class WeftProgressBar extends LitElement {
  static override properties = {
    step: { type: Number },
    total: { type: Number },
    stepsPerSecond: { type: Number, attribute: 'steps-per-second' },
    elapsedMs: { type: Number, attribute: 'elapsed-ms' },
    status: { type: String, reflect: true },
    loss: { type: Number },
    offscreen: { state: true },
  };
  /** Steps done. */
  declare step: number;
  /** Steps of the run. */
  declare total: number;
  /** The trainer's speed at its latest report (0 when unknown): shown until the counter has moved for long enough to measure. */
  declare stepsPerSecond: number;
  /** Training time so far, ms. */
  declare elapsedMs: number;
  /** The run's status. */
  declare status: TrainingStatus;
  /** The latest loss, for the pinned copy (NaN: not shown). */
  declare loss: number;
  /** Where the bar is when out of the viewport (the pinned copy then shows during a run), or false. */
  private declare offscreen: 'above' | 'below' | false;
  private visibility: IntersectionObserver | null = null;

  /** (step, time shown) of the counter while running, oldest first, spanning about RATE_WINDOW_MS. */
  private samples: Array<{ step: number; at: number }> = [];

  constructor() {
    super();
    this.step = 0;
    this.total = 0;
    this.stepsPerSecond = 0;
    this.elapsedMs = 0;
    this.status = 'idle';
    this.loss = Number.NaN;
    this.offscreen = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.visibility = new IntersectionObserver((entries) => {
      const e = entries.at(-1);
      if (e) this.offscreen = e.isIntersecting ? false : e.boundingClientRect.top < (e.rootBounds?.top ?? 0) ? 'above' : 'below';
    });
    this.visibility.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.visibility?.disconnect();
    this.visibility = null;
  }

  static override styles = [
    boxStyles,
    numberStyles,
    css`
      :host {
        display: block;
      }
      .row {
        display: flex;
        align-items: baseline;
        justify-content: space-between;
        gap: 12px;
        flex-wrap: wrap;
        margin-bottom: 10px;
      }
      .status {
        display: inline-flex;
        align-items: center;
        gap: 8px;
        font-weight: 650;
      }
      .pulse {
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: var(--faint);
      }
      :host([status='running']) .pulse,
      :host([status='starting']) .pulse {
        background: var(--accent);
        animation: pulse 1.2s ease-in-out infinite;
      }
      :host([status='done']) .pulse {
        background: var(--ok);
      }
      :host([status='error']) .pulse {
        background: var(--danger);
      }
      :host([status='paused']) .pulse,
      :host([status='pausing']) .pulse {
        background: var(--warn);
      }
      @keyframes pulse {
        50% {
          opacity: 0.35;
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .pulse {
          animation: none !important;
        }
      }
      .steps {
        font-size: 15px;
      }
      .steps b {
        font-size: 20px;
        font-weight: 700;
        letter-spacing: -0.01em;
      }
      .meta {
        display: flex;
        gap: 18px;
        color: var(--muted);
        font-size: 13.5px;
      }
      .row.meta {
        margin: 10px 0 0;
      }
      .track {
        height: 10px;
        border-radius: 999px;
        background: var(--surface-2);
        overflow: hidden;
        border: 1px solid var(--border);
      }
      /* A full-width bar slid left by the part not done: a transform, so its animation runs on the
         compositor (a width transition re-lays out and repaints the page every frame of a run). */
      .fill {
        height: 100%;
        border-radius: 999px;
        background: linear-gradient(90deg, var(--accent), var(--accent-strong));
        transition: transform 0.2s linear;
        will-change: transform;
      }
      :host([status='done']) .fill {
        background: var(--ok);
      }
      /* The pinned copy: only where the layout stacks, only while a run is live and the bar is out of view. */
      .pinned {
        display: none;
      }
      @media (max-width: 980px) {
        .pinned.show {
          display: flex;
          position: fixed;
          left: 0;
          right: 0;
          bottom: 0;
          z-index: 20;
          align-items: center;
          gap: 10px;
          padding: 10px 14px calc(10px + env(safe-area-inset-bottom, 0px));
          background: var(--surface);
          border: none;
          border-top: 1px solid var(--border);
          box-shadow: 0 -4px 16px rgb(0 0 0 / 0.08);
          font: inherit;
          font-size: 14px;
          color: var(--text);
          text-align: left;
          cursor: pointer;
        }
      }
      .pinned > span {
        white-space: nowrap;
      }
      .pinned .mini-track {
        flex: 1;
        height: 6px;
        border-radius: 999px;
        background: var(--surface-2);
        overflow: hidden;
        min-width: 24px;
      }
      .pinned .mini-track > div {
        height: 100%;
        background: var(--accent);
      }
      .pinned .go {
        color: var(--accent);
        font-weight: 600;
        white-space: nowrap;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('step') && !changed.has('status')) return;
    const last = this.samples.at(-1);
    if (this.status !== 'running' || (last && this.step < last.step)) this.samples = [];
    if (this.status !== 'running') return;
    const now = performance.now();
    this.samples.push({ step: this.step, at: now });
    // Keep one sample older than the window, so the span covers the whole window.
    while (this.samples.length > 2 && this.samples[1]!.at < now - RATE_WINDOW_MS) this.samples.shift();
  }

  /** Steps per second of the counter over the last few seconds, or NaN before there is a long enough span. */
  private get measuredRate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < RATE_MIN_SPAN_MS) return Number.NaN;
    return ((last.step - first.step) * 1000) / (last.at - first.at);
  }

  override render() {
    const fraction = this.total > 0 ? Math.min(1, this.step / this.total) : 0;
    // While running: the counter's speed; afterwards, the run's mean speed.
    const measured = this.measuredRate;
    const live = Number.isFinite(measured) ? measured : this.stepsPerSecond;
    const rate = this.status === 'running' || this.elapsedMs <= 0 ? live : (this.step * 1000) / this.elapsedMs;
    const left = live > 0 && this.status === 'running' ? ((this.total - this.step) / live) * 1000 : NaN;
    return html`<div class="row">
        <span class="status"><span class="pulse"></span><span data-status=${this.status}>${STATUS_TEXT[this.status]}</span></span>
        <span class="steps num"
          >step <b data-step=${this.step}>${formatInt(this.step)}</b> / ${this.total > 0 ? formatInt(this.total) : '—'}</span
        >
      </div>
      <div
        class="track"
        role="progressbar"
        aria-label="Training progress"
        aria-valuemin="0"
        aria-valuemax=${this.total}
        aria-valuenow=${this.step}
      >
        <div class="fill" .style=${`transform: translateX(${((fraction - 1) * 100).toFixed(2)}%)`}></div>
      </div>
      <div class="row meta num">
        <span><span data-rate>${rate > 0 ? rate.toFixed(0) : '—'}</span> steps/s${this.status === 'running' ? '' : ' on average'}</span>
        <span>${this.elapsedMs > 0 ? formatDuration(this.elapsedMs) : '—'} elapsed</span>
        ${Number.isFinite(left) ? html`<span>~${formatDuration(left)} left</span>` : nothing}
      </div>
      <button
        type="button"
        class="pinned ${this.offscreen !== false && LIVE.includes(this.status) ? 'show' : ''}"
        data-pinned
        aria-label="Training: step ${this.step} of ${this.total}. Show the live view"
        @click=${() => this.scrollIntoView({ behavior: 'smooth', block: 'start' })}
      >
        <span class="status" title=${STATUS_TEXT[this.status]}><span class="pulse"></span>${this.status === 'running' ? nothing : STATUS_TEXT[this.status]}</span>
        <span class="num">${formatInt(this.step)} / ${this.total > 0 ? formatInt(this.total) : '—'}</span>
        ${Number.isFinite(this.loss) ? html`<span class="num">loss <b>${formatLoss(this.loss)}</b></span>` : nothing}
        <span class="mini-track"><div .style=${`width: ${(fraction * 100).toFixed(2)}%`}></div></span>
        <span class="go">View ${this.offscreen === 'above' ? '↑' : '↓'}</span>
      </button>`;
  }
}

customElements.define('weft-progress-bar', WeftProgressBar);

declare global {
  interface HTMLElementTagNameMap {
    'weft-progress-bar': WeftProgressBar;
  }
}
