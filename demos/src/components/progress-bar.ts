// <weft-progress-bar>: a run's progress — a bar, the step count, steps per second, time left
// and the run's status in words. The live speed is measured from the counter itself (steps shown
// over the last few seconds of wall time), so it is the rate a person sees the step move.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { TrainingStatus } from '../controllers/training-controller.js';
import { formatDuration, formatInt } from '../format.js';
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

  /** (step, time shown) of the counter while running, oldest first, spanning about RATE_WINDOW_MS. */
  private samples: Array<{ step: number; at: number }> = [];

  constructor() {
    super();
    this.step = 0;
    this.total = 0;
    this.stepsPerSecond = 0;
    this.elapsedMs = 0;
    this.status = 'idle';
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
      .fill {
        height: 100%;
        border-radius: 999px;
        background: linear-gradient(90deg, var(--accent), var(--accent-strong));
        transition: width 0.2s linear;
      }
      :host([status='done']) .fill {
        background: var(--ok);
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
        <div class="fill" .style=${`width: ${(fraction * 100).toFixed(2)}%`}></div>
      </div>
      <div class="row meta num">
        <span><span data-rate>${rate > 0 ? rate.toFixed(0) : '—'}</span> steps/s${this.status === 'running' ? '' : ' on average'}</span>
        <span>${this.elapsedMs > 0 ? formatDuration(this.elapsedMs) : '—'} elapsed</span>
        ${Number.isFinite(left) ? html`<span>~${formatDuration(left)} left</span>` : nothing}
      </div>`;
  }
}

customElements.define('weft-progress-bar', WeftProgressBar);

declare global {
  interface HTMLElementTagNameMap {
    'weft-progress-bar': WeftProgressBar;
  }
}
