// train.html: an MLP learning a 2-D toy dataset live — controls bound to the URL, a backend
// badge, start / pause / stop, progress, loss and accuracy curves, the decision boundary and
// the parameter ledger. The run itself belongs to a TrainingController; the model trains in a Web
// Worker (ClassifierWorker), so this page's main thread only draws.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/ledger-table.js';
import '../components/decision-boundary.js';
import '../components/url-notice.js';
import { LitElement, html, nothing } from 'lit';
import { DATASETS, type Ledger } from '@weft/core';
import { TrainingController } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { RunButtonsController } from '../controllers/run-buttons-controller.js';
import { CopyLinkController } from '../controllers/copy-link-controller.js';
import type { ProbabilityField } from '../components/decision-boundary.js';
import { JobWorker, type WorkerJob } from '../jobs/worker-job.js';
import type { ClassifierJobConfig } from '../jobs/classifier-job.js';
import type { Extent, LabelledPoints } from '../plane.js';

/** What the train page draws of its job besides the ledger. */
type TrainJobInfo = { points: LabelledPoints; extent: Extent };
import { formatUrlState } from '../url-state.js';
import { trainStyles } from '../styles/train.js';
import { formatInt, formatLoss, formatPercent } from '../format.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { TRAIN_DATASETS, TRAIN_OPTIMIZERS, TRAIN_SCHEMA, type TrainState } from './train-state.js';

/** Minimum time between two refreshes of the decision boundary while training, ms. */
const FIELD_REFRESH_MS = 250;

type Key = keyof TrainState;

/** Links that change one or two settings to show something (each keeps the rest of the state). */
const TRY: Array<{ label: string; why: string; patch: Partial<TrainState> }> = [
  { label: 'A tiny network', why: '(4, 4): too few units to wrap around the spiral arms.', patch: { hidden: [4, 4] } },
  { label: 'No hidden layer', why: 'is logistic regression: one straight boundary.', patch: { hidden: [] } },
  { label: 'A learning rate of 0.5', why: 'with Adam: watch the loss jump around.', patch: { lr: 0.5 } },
  { label: 'Two moons', why: 'are easier: 600 steps are plenty.', patch: { dataset: 'moons', steps: 600 } },
  { label: 'Plain SGD', why: 'at the same rate: far slower than Adam here.', patch: { optimizer: 'sgd' } },
];

/** The train page. */
export class WeftTrainPage extends LitElement {
  static override properties = {
    job: { state: true },
    ledger: { state: true },
    field: { state: true },
    fieldStep: { state: true },
    jobError: { state: true },
  };
  private declare job: WorkerJob<TrainJobInfo> | null;
  private declare ledger: Ledger | null;
  private declare field: ProbabilityField | null;
  private declare fieldStep: number;
  private declare jobError: string | null;

  private readonly training = new TrainingController(this, {
    onProgress: async (p) => {
      if (performance.now() - this.lastField >= FIELD_REFRESH_MS || p.step === this.training.totalSteps) await this.refreshField();
    },
    onStatus: (s) => {
      if (s === 'done' || s === 'paused' || s === 'stopped' || s === 'error') void this.refreshField();
    },
  });
  /** Where the model lives and trains. */
  private readonly worker = new JobWorker<ClassifierJobConfig, TrainJobInfo>(
    () => new Worker(new URL('../workers/classifier-worker.ts', import.meta.url), { type: 'module', name: 'weft-train' }),
  );
  private readonly page = new PageStateController(this, TRAIN_SCHEMA, {
    training: this.training,
    chooseBackend: (choice) => this.worker.chooseBackend(choice),
    liveKeys: ['lr'],
    applyLive: (p) => {
      if (p.lr !== undefined) this.job?.setLearningRate(p.lr);
    },
    release: () => this.disposeJob(),
    rebuild: () => this.build(),
  });
  private readonly buttons = new RunButtonsController(this, {
    training: this.training,
    settings: this.page,
    job: () => this.job,
    beforeStart: () => (this.lastField = performance.now()),
  });
  private readonly link = new CopyLinkController(this);
  private lastField = 0;

  constructor() {
    super();
    this.job = null;
    this.ledger = null;
    this.field = null;
    this.fieldStep = 0;
    this.jobError = null;
  }

  static override styles = trainStyles;

  override render() {
    const t = this.training;
    const latest = t.latest;
    return html`<div class="top">
        <div>
          <h1>Train an MLP</h1>
          <p class="lead">
            A multilayer perceptron learns to separate a 2-D toy dataset, right here in this tab. The shading is what the model
            predicts over the whole plane; it sharpens as the loss falls.
          </p>
        </div>
        <weft-backend-badge .report=${this.page.backend} .error=${this.page.backendError}></weft-backend-badge>
      </div>
      <weft-url-notice .problems=${this.page.problems}></weft-url-notice>
      <div class="layout">
        <section class="card settings" aria-labelledby="settings-title">
          <h2 class="card-title" id="settings-title">Settings</h2>
          ${this.renderForm()}
        </section>
        <div class="main">
          <section class="card" aria-label="Progress">
            <weft-progress-bar
              .step=${t.step}
              .total=${t.totalSteps || this.page.state.steps}
              .stepsPerSecond=${latest?.stepsPerSecond ?? 0}
              .loss=${latest?.loss ?? Number.NaN}
              .elapsedMs=${t.elapsedMs}
              .status=${t.status}
            ></weft-progress-bar>
            <div class="stats num">
              <div class="stat"><div class="k">loss</div><div class="v" data-loss=${latest?.loss ?? ''} data-first-loss=${t.history[0]?.loss ?? ''}>${latest ? formatLoss(latest.loss) : '—'}</div></div>
              <div class="stat">
                <div class="k">accuracy (batch)</div>
                <div class="v" data-accuracy=${latest?.metrics.accuracy ?? ''}>${latest?.metrics.accuracy !== undefined ? formatPercent(latest.metrics.accuracy) : '—'}</div>
              </div>
              <div class="stat"><div class="k">parameters</div><div class="v">${this.ledger ? formatInt(this.ledger.totals.stored) : '—'}</div></div>
            </div>
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
            ${this.jobError ? html`<div class="alert" role="alert">${this.jobError}</div>` : nothing}
          </section>
          <div class="views">
            <section class="card" aria-labelledby="boundary-title">
              <h2 class="card-title" id="boundary-title">Decision boundary <span class="aside">${this.page.state.dataset}</span></h2>
              <weft-decision-boundary
                .points=${this.job?.info.points ?? null}
                .extent=${this.job?.info.extent ?? null}
                .field=${this.field}
                caption=${this.field ? (this.fieldStep === 0 ? 'untrained model' : `after ${formatInt(this.fieldStep)} steps`) : ''}
              ></weft-decision-boundary>
            </section>
            <section class="card" aria-labelledby="chart-title">
              <h2 class="card-title" id="chart-title">Loss and accuracy <span class="aside">mean over each report</span></h2>
              <weft-loss-chart .history=${t.history} metric="accuracy"></weft-loss-chart>
            </section>
          </div>
          <section class="card" aria-labelledby="ledger-title">
            <h2 class="card-title" id="ledger-title">
              Parameter ledger <span class="aside">${this.ledger ? `${this.ledger.rows.length} parameter tensors` : ''}</span>
            </h2>
            <weft-ledger-table .ledger=${this.ledger}></weft-ledger-table>
          </section>
        </div>
        <section class="card try" aria-labelledby="try-title">
          <h2 class="card-title" id="try-title">Things to try</h2>
          <ul>
            ${TRY.map((t) => html`<li><a href=${formatUrlState(TRAIN_SCHEMA, { ...this.page.state, ...t.patch })}>${t.label}</a> ${t.why}</li>`)}
          </ul>
        </section>
      </div>`;
  }

  private renderForm() {
    const s = this.page.state;
    const locked = this.buttons.locked;
    const err = (k: Key) => (this.page.fieldErrors[k] ? html`<span class="error" role="alert">${this.page.fieldErrors[k]}</span>` : nothing);
    const cls = (k: Key) => `field ${this.page.fieldErrors[k] ? 'invalid' : ''}`;
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.page.onChange}>
      <fieldset ?disabled=${locked}>
        <label class="field">
          <span>Dataset</span>
          <select name="dataset">
            ${TRAIN_DATASETS.map(
              (d) => html`<option value=${d} ?selected=${d === s.dataset}>${d}</option>`,
            )}
          </select>
          <small>${DATASETS[s.dataset]?.description ?? ''}</small>
        </label>
        <label class=${cls('hidden')}>
          <span>Hidden layers</span>
          <input name="hidden" .value=${TRAIN_SCHEMA.hidden.format(s.hidden)} placeholder="e.g. 32,32" spellcheck="false" autocomplete="off" />
          ${this.page.fieldErrors.hidden ? err('hidden') : html`<small>widths, comma-separated (empty: logistic regression)</small>`}
        </label>
        <label class="field">
          <span>Optimiser</span>
          <select name="optimizer">
            ${TRAIN_OPTIMIZERS.map((o) => html`<option value=${o} ?selected=${o === s.optimizer}>${o}</option>`)}
          </select>
        </label>
        <div class="pair">
          <label class=${cls('steps')}>
            <span>Steps</span>
            <input name="steps" type="number" min="1" max="100000" step="100" .value=${String(s.steps)} />
            ${err('steps')}
          </label>
          <label class=${cls('batch')}>
            <span>Batch size</span>
            <input name="batch" type="number" min="1" max="1000" .value=${String(s.batch)} />
            ${err('batch')}
          </label>
        </div>
        <div class="pair">
          <label class=${cls('seed')}>
            <span>Seed</span>
            <span class="with-button">
              <input name="seed" type="number" min="0" .value=${String(s.seed)} />
              <button type="button" class="btn" title="A new random seed" aria-label="New random seed" @click=${this.newSeed}>⟳</button>
            </span>
            ${err('seed')}
          </label>
          <label class="field">
            <span>Backend</span>
            <select name="backend">
              ${BACKEND_CHOICES.map((b) => html`<option value=${b} ?selected=${b === s.backend}>${b}</option>`)}
            </select>
          </label>
        </div>
      </fieldset>
      <fieldset class="live">
        <label class=${cls('lr')}>
          <span>Learning rate <small class="live-tag">live</small></span>
          <input name="lr" inputmode="decimal" .value=${String(s.lr)} autocomplete="off" />
          ${err('lr')}
        </label>
      </fieldset>
      <div class="buttons">${this.buttons.render()}</div>
      ${locked ? html`<p class="note">The settings above the learning rate are locked during a run (they rebuild the model); the learning rate changes at once.</p>` : nothing}
      <div class="share">
        <span class="note">The link reproduces this run.</span>
        ${this.link.render()}
      </div>
    </form>`;
  }

  private newSeed(): void {
    this.page.set({ seed: Math.floor(Math.random() * 100_000) });
  }

  /** Build a fresh (untrained) job from the state: data, model, ledger and the untrained boundary. */
  private async build(): Promise<void> {
    this.jobError = null;
    try {
      this.job = await this.worker.build({ ...this.page.state, hidden: [...this.page.state.hidden] });
    } catch (e) {
      this.jobError = e instanceof Error ? e.message : String(e);
      return;
    }
    this.ledger = this.job.ledger();
    this.field = null;
    this.fieldStep = 0;
    await this.refreshField();
  }

  private disposeJob(): void {
    this.job?.dispose();
    this.job = null;
    this.ledger = null;
    this.field = null;
  }

  private async refreshField(): Promise<void> {
    const job = this.job;
    if (!job) return;
    this.lastField = performance.now();
    const step = this.training.currentJob === job ? this.training.step : 0;
    try {
      const field = await job.call<ProbabilityField>('field');
      if (this.job === job) {
        this.field = field;
        this.fieldStep = step;
      }
    } catch (e) {
      if (this.job === job) this.jobError = `decision boundary: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
}

customElements.define('weft-train-page', WeftTrainPage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-train-page': WeftTrainPage;
  }
}
