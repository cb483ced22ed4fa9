// compare.html: every technique on one toy task (2-D spirals) with the same budget of steps,
// run one after another through a TrainingController so the page stays responsive: the dense
// baseline, cross-layer and hashed sharing, a mixture of experts, LoRA fine-tuning and a
// NAS-found MLP (TECHNIQUES in ../compare/techniques.ts). A live Pareto chart plots held-out
// accuracy against stored (or active) parameters; each run keeps its parameter ledger.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/ledger-table.js';
import '../components/url-notice.js';
import '../components/pareto-chart.js';
import '../components/decision-boundary.js';
import { LitElement, html, nothing } from 'lit';
import type { Ledger } from '@weft/core';
import { TrainingController, type RunProgress } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { RunButtonsController } from '../controllers/run-buttons-controller.js';
import { makeCompareData, type CompareData, type CompareTaskConfig } from '../jobs/compare-job.js';
import { JobWorker, type WorkerJob } from '../jobs/worker-job.js';
import { TECHNIQUES, type TechniqueEntry } from '../compare/techniques.js';
import { PARETO_COLORS, paretoFrontier, type ParetoPoint } from '../components/pareto-chart.js';
import { extentOf, type Extent, type LabelledPoints, type ProbabilityField } from '../components/decision-boundary.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { compareStyles } from '../styles/compare.js';
import { formatDuration, formatInt, formatLoss, formatPercent } from '../format.js';
import { COMPARE_SCHEMA, type CompareState } from './compare-state.js';

/** Where a technique's run is. */
type RunStatus = 'queued' | 'building' | 'training' | 'paused' | 'done' | 'stopped' | 'error' | 'skipped';

/** One technique's run and its results. */
interface RunRecord {
  technique: TechniqueEntry;
  color: number;
  status: RunStatus;
  ledger: Ledger | null;
  /** Held-out accuracy after the budget. */
  accuracy: number | null;
  /** Latest batch accuracy while training. */
  liveAccuracy: number | null;
  finalLoss: number | null;
  trainMs: number;
  note: string;
  error: string | null;
  history: RunProgress[];
  /** The model's class probabilities over the plane (refreshed while it trains), or null. */
  field: ProbabilityField | null;
}

/** Minimum time between two refreshes of the training run's decision boundary, ms. */
const FIELD_REFRESH_MS = 400;

type Key = keyof CompareState;

/** The training points of the task and the plane the decision boundaries are drawn over. */
function planeOf(data: CompareData): { points: LabelledPoints; extent: Extent } {
  const x = data.train.x as Float32Array;
  return { points: { x, y: data.train.y as Int32Array, numClasses: data.numClasses }, extent: extentOf(x) };
}

/** The plane of the state's task before any run (null if its data cannot be made: the queue says why). */
function planeOfState(s: CompareState): { points: LabelledPoints; extent: Extent } | null {
  try {
    return planeOf(makeCompareData({ dataset: 'spirals', seed: s.seed, steps: s.steps, batch: s.batch, lr: s.lr }));
  } catch {
    return null;
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The comparison page. */
export class WeftComparePage extends LitElement {
  static override properties = {
    runs: { state: true },
    current: { state: true },
    queueError: { state: true },
    axis: { state: true },
    openLedger: { state: true },
  };
  private declare runs: RunRecord[];
  private declare current: number;
  /** Why the queue could not start (e.g. the task's data), or null. */
  private declare queueError: string | null;
  private declare axis: 'stored' | 'active';
  private declare openLedger: string | null;

  private readonly training = new TrainingController(this, {
    onProgress: async (p) => {
      const r = this.runs[this.current];
      if (!r) return;
      r.liveAccuracy = p.metrics.accuracy ?? r.liveAccuracy;
      r.finalLoss = p.loss;
      r.history = this.training.history;
      this.runs = [...this.runs];
      if (performance.now() - this.lastField >= FIELD_REFRESH_MS) await this.refreshField(r);
    },
    onStatus: (s) => {
      const r = this.runs[this.current];
      if (r && (r.status === 'training' || r.status === 'paused')) {
        if (s === 'paused') r.status = 'paused';
        else if (s === 'running' || s === 'starting') r.status = 'training';
        this.runs = [...this.runs];
      }
    },
  });
  /** Where each technique's model is built, trained and evaluated (the main thread only draws). */
  private readonly worker = new JobWorker<{ technique: string; config: CompareTaskConfig }, { note: string }>(
    () => new Worker(new URL('../workers/compare-worker.ts', import.meta.url), { type: 'module', name: 'weft-compare' }),
  );
  private readonly page = new PageStateController(this, COMPARE_SCHEMA, {
    training: this.training,
    chooseBackend: (choice) => this.worker.chooseBackend(choice),
    // Each run's job is built when its turn comes and belongs to the TrainingController.
    release: () => undefined,
    rebuild: () => {
      if (this.buttons.starting) return;
      this.runs = this.freshRuns();
      this.plane = planeOfState(this.page.state);
    },
  });
  private readonly buttons = new RunButtonsController(this, {
    training: this.training,
    settings: this.page,
    run: (signal) => this.runAll(signal),
    startLabel: 'Run all',
    restartLabel: 'Run all',
    action: 'run',
  });

  /** The task's training points and the plotted plane, once a queue has made the data. */
  private plane: { points: LabelledPoints; extent: Extent } | null = null;
  private lastField = 0;

  constructor() {
    super();
    this.runs = this.freshRuns();
    this.plane = planeOfState(this.page.state);
    this.current = -1;
    this.queueError = null;
    this.axis = 'stored';
    this.openLedger = null;
  }

  static override styles = compareStyles;

  override render() {
    const t = this.training;
    const run = this.runs[this.current];
    return html`<div class="top">
        <div>
          <h1>Compare techniques</h1>
          <p class="lead">
            Every parameter-sharing technique on one task — spirals, held-out accuracy — with the same budget of steps, run one
            after another in this tab. The chart shows which ones buy accuracy with fewer stored (or active) parameters.
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
              .stepsPerSecond=${t.latest?.stepsPerSecond ?? 0}
              .loss=${t.latest?.loss ?? Number.NaN}
              .elapsedMs=${t.elapsedMs}
              .status=${t.status}
            ></weft-progress-bar>
            <div class="status-line" data-queue=${this.buttons.starting ? 'running' : 'idle'}>
              ${run
                ? html`Run <b>${this.runs.slice(0, this.current + 1).filter((r) => r.status !== 'skipped').length}</b> of ${this.runs.filter((r) => r.status !== 'skipped').length}: <b>${run.technique.title}</b>
                    ${run.status === 'building' ? ' — building (pretraining or search before the budget)…' : ''}
                    ${run.liveAccuracy !== null && run.status === 'training' ? html` · batch accuracy ${formatPercent(run.liveAccuracy)}` : nothing}`
                : html`Press <b>Run all</b> to train the ${this.runs.filter((r) => r.status !== 'skipped').length} selected techniques one after another.`}
            </div>
            ${this.queueError ? html`<div class="alert" role="alert">${this.queueError}</div>` : nothing}
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
          </section>
          <div class="views">
            <section class="card" aria-labelledby="pareto-title">
              <h2 class="card-title" id="pareto-title">
                Accuracy vs parameters
                <span class="seg" role="group" aria-label="x axis">
                  <button type="button" data-axis="stored" aria-pressed=${this.axis === 'stored'} @click=${() => (this.axis = 'stored')}>stored</button>
                  <button type="button" data-axis="active" aria-pressed=${this.axis === 'active'} @click=${() => (this.axis = 'active')}>active / example</button>
                </span>
              </h2>
              <weft-pareto-chart .points=${this.points()} x-label=${this.axis === 'stored' ? 'stored parameters' : 'active parameters per example'}></weft-pareto-chart>
            </section>
            <section class="card" aria-labelledby="chart-title">
              <h2 class="card-title" id="chart-title">Current run <span class="aside">${run ? run.technique.title : ''}</span></h2>
              <weft-loss-chart .history=${run?.history ?? []} metric="accuracy"></weft-loss-chart>
            </section>
          </div>
          <section class="card" aria-labelledby="boundaries-title">
            <h2 class="card-title" id="boundaries-title">What each model learned <span class="aside">predicted class over the plane · training points</span></h2>
            <div class="boundaries">
              ${this.runs
                .filter((r) => r.status !== 'skipped')
                .map(
                  (r) => html`<figure class="boundary" data-boundary=${r.technique.id} data-has-field=${r.field ? 'true' : 'false'}>
                    <weft-decision-boundary compact .points=${this.plane?.points ?? null} .extent=${this.plane?.extent ?? null} .field=${r.field}></weft-decision-boundary>
                    <figcaption>
                      <span class="dot" .style=${`background:${PARETO_COLORS[r.color % PARETO_COLORS.length]}`}></span>
                      <span class="name">${r.technique.title}</span>
                      <span class="num acc">${r.accuracy !== null ? formatPercent(r.accuracy) : r.status === 'training' && r.liveAccuracy !== null ? `${formatPercent(r.liveAccuracy)} batch` : r.status}</span>
                    </figcaption>
                  </figure>`,
                )}
            </div>
          </section>
          <section class="card" aria-labelledby="runs-title">
            <h2 class="card-title" id="runs-title">Runs <span class="aside">same data, seed, batches and ${formatInt(this.page.state.steps)} steps each</span></h2>
            ${this.renderTable()}
          </section>
        </div>
      </div>`;
  }

  private renderForm() {
    const s = this.page.state;
    const locked = this.buttons.locked;
    const errors = this.page.fieldErrors;
    const err = (k: Key) => (errors[k] ? html`<span class="error" role="alert">${errors[k]}</span>` : nothing);
    const cls = (k: Key) => `field ${errors[k] ? 'invalid' : ''}`;
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.onChange}>
      <fieldset ?disabled=${locked}>
        <div>
          <legend>Techniques</legend>
          <div class="checks">
            ${TECHNIQUES.map(
              (tech, i) => html`<label class="check">
                <input type="checkbox" name="technique" value=${tech.id} .checked=${s.techniques.includes(tech.id)} />
                <span class="dot" .style=${`background:${PARETO_COLORS[i % PARETO_COLORS.length]}`}></span>
                <span>${tech.title}</span>
                <small>${tech.pkg}</small>
              </label>`,
            )}
          </div>
          ${err('techniques')}
        </div>
        <div class="pair">
          <label class=${cls('steps')}>
            <span>Steps per run</span>
            <input name="steps" type="number" min="10" max="20000" step="100" .value=${String(s.steps)} />
            ${err('steps')}
          </label>
          <label class=${cls('batch')}>
            <span>Batch size</span>
            <input name="batch" type="number" min="1" max="800" .value=${String(s.batch)} />
            ${err('batch')}
          </label>
        </div>
        <div class="pair">
          <label class=${cls('lr')}>
            <span>Learning rate</span>
            <input name="lr" inputmode="decimal" .value=${String(s.lr)} autocomplete="off" />
            ${err('lr')}
          </label>
          <label class=${cls('seed')}>
            <span>Seed</span>
            <input name="seed" type="number" min="0" .value=${String(s.seed)} />
            ${err('seed')}
          </label>
        </div>
        <label class="field">
          <span>Backend</span>
          <select name="backend">
            ${BACKEND_CHOICES.map((b) => html`<option value=${b} ?selected=${b === s.backend}>${b}</option>`)}
          </select>
        </label>
      </fieldset>
      <div class="buttons">${this.buttons.render()}</div>
      <p class="note">
        ${locked ? 'Settings are locked while the queue runs; stop it to change them. ' : ''}Each run starts from fresh weights with the
        same seed; the link reproduces the comparison.
      </p>
    </form>`;
  }

  private renderTable() {
    const frontier = new Set(paretoFrontier(this.points()).map((p) => p.id));
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>technique</th>
            <th>status</th>
            <th>stored</th>
            <th>effective</th>
            <th>trainable</th>
            <th>active</th>
            <th>accuracy</th>
            <th>time</th>
          </tr>
        </thead>
        <tbody>
          ${this.runs
            .filter((r) => r.status !== 'skipped')
            .map((r) => {
              const l = r.ledger?.totals;
              const open = this.openLedger === r.technique.id;
              return html`<tr data-run=${r.technique.id} data-status=${r.status}>
                  <td class="tech">
                    <span class="dot" .style=${`background:${PARETO_COLORS[r.color % PARETO_COLORS.length]}`}></span>${r.technique.title}${frontier.has(r.technique.id) ? html`<span class="frontier-tag" title="on the Pareto frontier">◆ frontier</span>` : nothing}
                    ${r.ledger ? html`<button type="button" class="linkbtn" data-ledger=${r.technique.id} @click=${() => (this.openLedger = open ? null : r.technique.id)}>${open ? 'hide ledger' : 'ledger'}</button>` : nothing}
                    <span class="sub">${r.technique.summary}${r.note ? html` <i>${r.note}.</i>` : nothing}${r.error ? html` <b>${r.error}</b>` : nothing}</span>
                  </td>
                  <td><span class="state ${r.status}">${r.status}</span></td>
                  <td class="num" data-stored=${l?.stored ?? ''}>${l ? formatInt(l.stored) : '—'}</td>
                  <td class="num">${l ? formatInt(l.effective) : '—'}</td>
                  <td class="num" data-trainable=${l?.trainable ?? ''}>${l ? formatInt(l.trainable) : '—'}</td>
                  <td class="num" data-active=${l ? Math.round(l.active) : ''}>${l ? formatInt(l.active) : '—'}</td>
                  <td class="num" data-accuracy=${r.accuracy ?? ''}>
                    <b>${r.accuracy !== null ? formatPercent(r.accuracy) : '—'}</b>${r.finalLoss !== null ? html`<span class="sub">loss ${formatLoss(r.finalLoss)}</span>` : nothing}
                  </td>
                  <td class="num">${r.trainMs > 0 ? formatDuration(r.trainMs) : '—'}</td>
                </tr>
                ${open && r.ledger ? html`<tr class="ledger-row"><td colspan="8"><weft-ledger-table .ledger=${r.ledger} max-rows="12"></weft-ledger-table></td></tr>` : nothing}`;
            })}
        </tbody>
      </table>
    </div>`;
  }

  /** Chart points: finished runs at held-out accuracy, the current one live at its batch accuracy. */
  private points(): ParetoPoint[] {
    const out: ParetoPoint[] = [];
    for (const r of this.runs) {
      const l = r.ledger?.totals;
      if (!l) continue;
      const params = this.axis === 'stored' ? l.stored : l.active;
      if (r.accuracy !== null) out.push({ id: r.technique.id, label: r.technique.title, params, accuracy: r.accuracy, color: r.color });
      else if (r.status === 'training' && r.liveAccuracy !== null) out.push({ id: r.technique.id, label: r.technique.title, params, accuracy: r.liveAccuracy, color: r.color, live: true });
    }
    return out;
  }

  private freshRuns(): RunRecord[] {
    return TECHNIQUES.map((technique, i) => ({
      technique,
      color: i,
      status: this.page.state.techniques.includes(technique.id) ? 'queued' : 'skipped',
      ledger: null,
      accuracy: null,
      liveAccuracy: null,
      finalLoss: null,
      trainMs: 0,
      note: '',
      error: null,
      history: [],
      field: null,
    }));
  }

  /** Draw run `r`'s current decision boundary (the training job's model). */
  private async refreshField(r: RunRecord): Promise<void> {
    const job = this.training.currentJob as WorkerJob<{ note: string }> | null;
    if (!job || !this.plane) return;
    this.lastField = performance.now();
    try {
      r.field = await job.call<ProbabilityField>('field', this.plane.extent);
      this.runs = [...this.runs];
    } catch {
      // A model that cannot be drawn keeps its last picture; the run itself reports real errors.
    }
  }

  /** The technique checkboxes are one setting (a list); every other field is the controller's. */
  private readonly onChange = (e: Event): void => {
    const el = e.target as HTMLInputElement;
    if (el.name !== 'technique') return this.page.onChange(e);
    const boxes = [...this.renderRoot.querySelectorAll<HTMLInputElement>('input[name="technique"]')];
    const ids = boxes.filter((b) => b.checked).map((b) => b.value);
    if (ids.length === 0) return this.page.setFieldError('techniques', 'Pick at least one technique.');
    this.page.setFieldError('techniques', undefined);
    void this.page.set({ techniques: ids });
  };

  /** Run every selected technique, one after another, until done or `signal` (Stop) aborts. */
  private async runAll(signal: AbortSignal): Promise<void> {
    await this.training.reset();
    this.runs = this.freshRuns();
    this.queueError = null;
    const s = this.page.state;
    const cfg: CompareTaskConfig = { dataset: 'spirals', seed: s.seed, steps: s.steps, batch: s.batch, lr: s.lr };
    let data: CompareData;
    try {
      data = makeCompareData(cfg);
    } catch (e) {
      this.queueError = message(e);
      return;
    }
    this.plane = planeOf(data);
    try {
      for (let i = 0; i < this.runs.length && !signal.aborted; i++) {
        const r = this.runs[i]!;
        if (r.status === 'skipped') continue;
        this.current = i;
        r.status = 'building';
        this.runs = [...this.runs];
        await new Promise((res) => setTimeout(res, 0)); // paint "building" first
        let job: WorkerJob<{ note: string }>;
        try {
          // Built (pretrained or searched first, where the technique does) and trained in the worker.
          job = await this.worker.build({ technique: r.technique.id, config: cfg }, signal);
          if (signal.aborted) {
            job.dispose();
            r.status = 'stopped';
            break;
          }
          r.note = job.info.note;
          r.ledger = job.ledger();
        } catch (e) {
          r.status = signal.aborted ? 'stopped' : 'error';
          r.error = signal.aborted ? null : message(e);
          this.runs = [...this.runs];
          continue;
        }
        r.status = 'training';
        this.runs = [...this.runs];
        await new Promise((res) => setTimeout(res, 0)); // paint the ledger before the first steps (one task each)
        await this.training.start(job);
        await this.training.ended(); // a paused run waits here until it is resumed or stopped
        r.trainMs = this.training.elapsedMs;
        r.history = this.training.history;
        const status = this.training.status;
        if (status === 'done') {
          try {
            r.accuracy = await job.call<number>('evaluate');
            await this.refreshField(r);
            r.status = 'done';
          } catch (e) {
            r.status = 'error';
            r.error = `evaluation: ${message(e)}`;
          }
        } else if (status === 'error') {
          r.status = 'error';
          r.error = this.training.error;
        } else {
          r.status = 'stopped';
        }
        this.runs = [...this.runs];
      }
    } finally {
      if (signal.aborted) for (const r of this.runs) if (r.status === 'queued') r.status = 'stopped';
      this.runs = [...this.runs];
    }
  }
}

customElements.define('weft-compare-page', WeftComparePage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-compare-page': WeftComparePage;
  }
}
