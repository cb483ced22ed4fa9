// <weft-progress-bar>: a run's progress — a bar, the step count, steps per second, time left
// and the run's status in words.
import { LitElement, css, html, nothing } from 'lit';
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
  /** Current speed (0 when unknown). */
  declare stepsPerSecond: number;
  /** Training time so far, ms. */
  declare elapsedMs: number;
  /** The run's status. */
  declare status: TrainingStatus;

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

  override render() {
    const fraction = this.total > 0 ? Math.min(1, this.step / this.total) : 0;
    // While running: the current speed; afterwards, the run's mean speed.
    const rate = this.status === 'running' || this.elapsedMs <= 0 ? this.stepsPerSecond : (this.step * 1000) / this.elapsedMs;
    const left = this.stepsPerSecond > 0 && this.status === 'running' ? ((this.total - this.step) / this.stepsPerSecond) * 1000 : NaN;
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
