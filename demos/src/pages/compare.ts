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
import { LitElement, css, html, nothing } from 'lit';
import { Rng, type BackendReport, type Ledger } from '@weft/core';
import { chooseBackend } from '../backend-choice.js';
import { TrainingController, type RunProgress, type TrainingStatus } from '../controllers/training-controller.js';
import { CompareJob, makeCompareData, type CompareData, type CompareTaskConfig } from '../jobs/compare-job.js';
import { TECHNIQUES, type TechniqueEntry } from '../compare/techniques.js';
import { PARETO_COLORS, paretoFrontier, type ParetoPoint } from '../components/pareto-chart.js';
import { parseUrlState, writeUrlState, type UrlProblem } from '../url-state.js';
import { boxStyles, buttonStyles, cardStyles, fieldStyles, numberStyles } from '../styles/shared.js';
import { formatDuration, formatInt, formatLoss, formatPercent } from '../format.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
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
}

type Key = keyof CompareState;
const TERMINAL: TrainingStatus[] = ['done', 'stopped', 'error', 'idle'];

/** The comparison page. */
export class WeftComparePage extends LitElement {
  static override properties = {
    state: { state: true },
    problems: { state: true },
    fieldErrors: { state: true },
    backend: { state: true },
    backendError: { state: true },
    runs: { state: true },
    current: { state: true },
    running: { state: true },
    axis: { state: true },
    openLedger: { state: true },
  };
  private declare state: CompareState;
  private declare problems: UrlProblem[];
  private declare fieldErrors: Partial<Record<Key, string>>;
  private declare backend: BackendReport | null;
  private declare backendError: string | null;
  private declare runs: RunRecord[];
  private declare current: number;
  private declare running: boolean;
  private declare axis: 'stored' | 'active';
  private declare openLedger: string | null;

  private readonly training = new TrainingController(this, {
    onProgress: (p) => {
      const r = this.runs[this.current];
      if (!r) return;
      r.liveAccuracy = p.metrics.accuracy ?? r.liveAccuracy;
      r.finalLoss = p.loss;
      r.history = this.training.history;
      this.runs = [...this.runs];
    },
    onStatus: (s) => {
      const r = this.runs[this.current];
      if (r && (r.status === 'training' || r.status === 'paused')) {
        if (s === 'paused') r.status = 'paused';
        else if (s === 'running' || s === 'starting') r.status = 'training';
        this.runs = [...this.runs];
      }
      if (TERMINAL.includes(s)) for (const w of this.settleWaiters.splice(0)) w();
    },
  });
  private settleWaiters: Array<() => void> = [];
  private queueAbort: AbortController | null = null;
  private backendReady: Promise<void> = Promise.resolve();

  constructor() {
    super();
    const { state, problems } = parseUrlState(COMPARE_SCHEMA, window.location.search);
    this.state = state;
    this.problems = problems;
    this.fieldErrors = {};
    this.backend = null;
    this.backendError = null;
    this.runs = this.freshRuns();
    this.current = -1;
    this.running = false;
    this.axis = 'stored';
    this.openLedger = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    writeUrlState(COMPARE_SCHEMA, this.state);
    void this.switchBackend(this.state.backend);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.queueAbort?.abort();
  }

  static override styles = [
    boxStyles,
    cardStyles,
    buttonStyles,
    fieldStyles,
    numberStyles,
    css`
      :host {
        display: block;
      }
      .top {
        display: flex;
        align-items: flex-start;
        justify-content: space-between;
        gap: 16px 24px;
        flex-wrap: wrap;
        margin-bottom: 20px;
      }
      h1 {
        margin: 0 0 4px;
        font-size: 28px;
        letter-spacing: -0.02em;
        line-height: 1.2;
      }
      .lead {
        margin: 0;
        max-width: 70ch;
        color: var(--muted);
      }
      weft-url-notice {
        margin-bottom: 18px;
      }
      .layout {
        display: grid;
        grid-template-columns: 300px minmax(0, 1fr);
        gap: 20px;
        align-items: start;
      }
      .main {
        display: grid;
        gap: 20px;
        min-width: 0;
      }
      .views {
        display: grid;
        grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
        gap: 20px;
      }
      .views > .card {
        display: flex;
        flex-direction: column;
      }
      weft-loss-chart {
        flex: 1;
      }
      @media (max-width: 1100px) {
        .views {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      form {
        display: grid;
        gap: 14px;
      }
      fieldset {
        border: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 12px;
        min-width: 0;
      }
      legend {
        font-size: 12.5px;
        font-weight: 600;
        color: var(--muted);
        padding: 0;
        margin-bottom: 6px;
      }
      .pair {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 10px;
      }
      .checks {
        display: grid;
        gap: 6px;
      }
      .check {
        display: grid;
        grid-template-columns: auto 10px 1fr;
        gap: 8px;
        align-items: center;
        font-size: 14px;
      }
      .check input {
        width: auto;
        min-height: 0;
        margin: 0;
      }
      .check small {
        grid-column: 3;
        font-size: 11.5px;
        color: var(--faint);
        margin-top: -4px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
      }
      .field .error {
        color: var(--danger);
        font-size: 12px;
      }
      .field.invalid input {
        border-color: var(--danger);
      }
      .note {
        font-size: 12.5px;
        color: var(--faint);
        margin: 0;
      }
      .buttons {
        display: grid;
        grid-template-columns: 1fr 1fr 1fr;
        gap: 8px;
      }
      .buttons .btn {
        padding: 0 8px;
        white-space: nowrap;
      }
      .status-line {
        margin-top: 12px;
        font-size: 14px;
        color: var(--muted);
      }
      .status-line b {
        color: var(--text);
      }
      .seg {
        display: inline-flex;
        border: 1px solid var(--border);
        border-radius: var(--radius-sm);
        overflow: hidden;
      }
      .seg button {
        border: none;
        background: none;
        padding: 3px 10px;
        font: inherit;
        font-size: 12px;
        font-weight: 600;
        color: var(--muted);
        cursor: pointer;
        text-transform: none;
        letter-spacing: 0;
      }
      .seg button[aria-pressed='true'] {
        background: var(--accent-soft);
        color: var(--accent);
      }
      .scroll {
        overflow-x: auto;
        border: 1px solid var(--border);
        border-radius: var(--radius-sm);
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 13.5px;
      }
      th,
      td {
        padding: 8px 8px;
        text-align: right;
        white-space: nowrap;
        border-bottom: 1px solid var(--border);
      }
      th:first-child,
      td:first-child {
        text-align: left;
      }
      thead th {
        font-size: 12px;
        font-weight: 600;
        color: var(--muted);
        background: var(--surface-2);
      }
      tbody tr:last-child td {
        border-bottom: none;
      }
      td .sub {
        display: block;
        font-size: 11.5px;
        color: var(--faint);
        white-space: normal;
        max-width: 34ch;
      }
      td.tech {
        font-weight: 600;
      }
      .state {
        display: inline-block;
        padding: 1px 8px;
        border-radius: 999px;
        font-size: 11.5px;
        font-weight: 600;
        background: var(--surface-2);
        color: var(--muted);
      }
      .state.training,
      .state.building {
        background: var(--accent-soft);
        color: var(--accent);
      }
      .state.done {
        background: color-mix(in srgb, #3aa17e 16%, transparent);
        color: #2f8a6a;
      }
      .state.error {
        background: var(--danger-soft);
        color: var(--danger);
      }
      .frontier-tag {
        font-size: 11px;
        font-weight: 700;
        color: var(--accent);
        margin-left: 6px;
      }
      .linkbtn {
        margin-left: 8px;
        border: none;
        background: none;
        padding: 0;
        color: var(--accent);
        font: inherit;
        font-size: 12.5px;
        font-weight: 600;
        cursor: pointer;
      }
      .ledger-row td {
        background: var(--surface-2);
        white-space: normal;
        text-align: left;
        padding: 12px;
      }
      .alert {
        margin-top: 12px;
        padding: 10px 12px;
        border-radius: var(--radius-sm);
        background: var(--danger-soft);
        color: var(--danger);
        font-size: 14px;
        overflow-wrap: anywhere;
      }
    `,
  ];

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
        <weft-backend-badge .report=${this.backend} .error=${this.backendError}></weft-backend-badge>
      </div>
      <weft-url-notice .problems=${this.problems}></weft-url-notice>
      <div class="layout">
        <section class="card" aria-labelledby="settings-title">
          <h2 class="card-title" id="settings-title">Settings</h2>
          ${this.renderForm()}
        </section>
        <div class="main">
          <section class="card" aria-label="Progress">
            <weft-progress-bar
              .step=${t.step}
              .total=${t.totalSteps || this.state.steps}
              .stepsPerSecond=${t.latest?.stepsPerSecond ?? 0}
              .elapsedMs=${t.elapsedMs}
              .status=${t.status}
            ></weft-progress-bar>
            <div class="status-line" data-queue=${this.running ? 'running' : 'idle'}>
              ${run
                ? html`Run <b>${this.runs.slice(0, this.current + 1).filter((r) => r.status !== 'skipped').length}</b> of ${this.runs.filter((r) => r.status !== 'skipped').length}: <b>${run.technique.title}</b>
                    ${run.status === 'building' ? ' — building (pretraining or search before the budget)…' : ''}
                    ${run.liveAccuracy !== null && run.status === 'training' ? html` · batch accuracy ${formatPercent(run.liveAccuracy)}` : nothing}`
                : html`Press <b>Run all</b> to train the ${this.runs.filter((r) => r.status !== 'skipped').length} selected techniques one after another.`}
            </div>
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
          <section class="card" aria-labelledby="runs-title">
            <h2 class="card-title" id="runs-title">Runs <span class="aside">same data, seed, batches and ${formatInt(this.state.steps)} steps each</span></h2>
            ${this.renderTable()}
          </section>
        </div>
      </div>`;
  }

  private renderForm() {
    const s = this.state;
    const locked = this.running;
    const err = (k: Key) => (this.fieldErrors[k] ? html`<span class="error" role="alert">${this.fieldErrors[k]}</span>` : nothing);
    const cls = (k: Key) => `field ${this.fieldErrors[k] ? 'invalid' : ''}`;
    const t = this.training;
    const trainingNow = t.status === 'running' || t.status === 'starting';
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.onChange}>
      <fieldset ?disabled=${locked}>
        <div>
          <legend>Techniques</legend>
          <div class="checks">
            ${TECHNIQUES.map(
              (tech, i) => html`<label class="check">
                <input type="checkbox" name="technique" value=${tech.id} .checked=${s.techniques.includes(tech.id)} />
                <span class="dot" style="background:${PARETO_COLORS[i % PARETO_COLORS.length]}"></span>
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
      <div class="buttons">
        <button type="button" class="btn primary" data-action="run" ?disabled=${locked || !this.backend || Object.values(this.fieldErrors).some(Boolean)} @click=${this.runAll}>
          Run all
        </button>
        ${t.status === 'paused'
          ? html`<button type="button" class="btn primary" data-action="resume" @click=${() => void t.resume()}>Resume</button>`
          : html`<button type="button" class="btn" data-action="pause" ?disabled=${!trainingNow} @click=${() => t.pause()}>Pause</button>`}
        <button type="button" class="btn danger" data-action="stop" ?disabled=${!this.running} @click=${this.stopAll}>Stop</button>
      </div>
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
                    <span class="dot" style="display:inline-block;margin-right:8px;background:${PARETO_COLORS[r.color % PARETO_COLORS.length]}"></span>${r.technique.title}${frontier.has(r.technique.id) ? html`<span class="frontier-tag" title="on the Pareto frontier">◆ frontier</span>` : nothing}
                    ${r.ledger ? html`<button type="button" class="linkbtn" data-ledger=${r.technique.id} @click=${() => (this.openLedger = open ? null : r.technique.id)}>${open ? 'hide ledger' : 'ledger'}</button>` : nothing}
                    <span class="sub">${r.technique.summary}${r.note ? html` <i>${r.note}.</i>` : nothing}${r.error ? html` <b style="color:var(--danger)">${r.error}</b>` : nothing}</span>
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
      status: this.state.techniques.includes(technique.id) ? 'queued' : 'skipped',
      ledger: null,
      accuracy: null,
      liveAccuracy: null,
      finalLoss: null,
      trainMs: 0,
      note: '',
      error: null,
      history: [],
    }));
  }

  private onChange(e: Event): void {
    const el = e.target as HTMLInputElement | HTMLSelectElement;
    if (el.name === 'technique') {
      const boxes = [...this.renderRoot.querySelectorAll<HTMLInputElement>('input[name="technique"]')];
      const ids = boxes.filter((b) => b.checked).map((b) => b.value);
      if (ids.length === 0) {
        this.fieldErrors = { ...this.fieldErrors, techniques: 'Pick at least one technique.' };
        return;
      }
      this.fieldErrors = { ...this.fieldErrors, techniques: undefined };
      this.setState({ techniques: ids });
      return;
    }
    const key = el.name as Key;
    if (!Object.hasOwn(COMPARE_SCHEMA, key)) return;
    const r = COMPARE_SCHEMA[key].parse(el.value);
    if (!r.ok) {
      this.fieldErrors = { ...this.fieldErrors, [key]: `Expected ${r.expected}.` };
      return;
    }
    this.fieldErrors = { ...this.fieldErrors, [key]: undefined };
    this.setState({ [key]: r.value } as Partial<CompareState>);
  }

  private setState(patch: Partial<CompareState>): void {
    const before = this.state;
    this.state = { ...before, ...patch };
    writeUrlState(COMPARE_SCHEMA, this.state);
    if (!this.running) this.runs = this.freshRuns();
    if (patch.backend !== undefined && patch.backend !== before.backend) void this.switchBackend(this.state.backend);
  }

  private async switchBackend(choice: CompareState['backend']): Promise<void> {
    const ready = (async () => {
      await this.backendReady.catch(() => undefined);
      await this.training.reset();
      this.backend = null;
      this.backendError = null;
      try {
        this.backend = await chooseBackend(choice);
      } catch (e) {
        this.backendError = e instanceof Error ? e.message : String(e);
      }
    })();
    this.backendReady = ready;
    await ready;
  }

  /** Resolves when the controller's run has ended (done, stopped or failed). */
  private settled(): Promise<void> {
    if (TERMINAL.includes(this.training.status)) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Run every selected technique, one after another. */
  private async runAll(): Promise<void> {
    if (this.running || !this.backend) return;
    this.running = true;
    const abort = new AbortController();
    this.queueAbort = abort;
    await this.training.reset();
    this.runs = this.freshRuns();
    const cfg: CompareTaskConfig = { dataset: 'spirals', seed: this.state.seed, steps: this.state.steps, batch: this.state.batch, lr: this.state.lr };
    let data: CompareData;
    try {
      data = makeCompareData(cfg);
    } catch (e) {
      this.training.error = e instanceof Error ? e.message : String(e);
      this.running = false;
      return;
    }
    try {
      for (let i = 0; i < this.runs.length && !abort.signal.aborted; i++) {
        const r = this.runs[i]!;
        if (r.status === 'skipped') continue;
        this.current = i;
        r.status = 'building';
        this.runs = [...this.runs];
        await new Promise((res) => setTimeout(res, 0)); // paint "building" first
        let job: CompareJob;
        try {
          const built = await r.technique.build({ data, config: cfg, rng: new Rng(cfg.seed).fork('init'), signal: abort.signal });
          if (abort.signal.aborted) {
            built.model.dispose();
            built.dispose?.();
            r.status = 'stopped';
            break;
          }
          job = new CompareJob(built, data, cfg);
          r.note = built.note ?? '';
          r.ledger = job.ledger();
        } catch (e) {
          r.status = abort.signal.aborted ? 'stopped' : 'error';
          r.error = abort.signal.aborted ? null : e instanceof Error ? e.message : String(e);
          this.runs = [...this.runs];
          continue;
        }
        r.status = 'training';
        this.runs = [...this.runs];
        await new Promise((res) => setTimeout(res, 0)); // paint the ledger before the first steps (one task each)
        await this.training.start(job);
        await this.settled();
        r.trainMs = this.training.elapsedMs;
        r.history = this.training.history;
        const s = this.training.status;
        if (s === 'done') {
          try {
            r.accuracy = await job.evaluate();
            r.status = 'done';
          } catch (e) {
            r.status = 'error';
            r.error = `evaluation: ${e instanceof Error ? e.message : String(e)}`;
          }
        } else if (s === 'error') {
          r.status = 'error';
          r.error = this.training.error;
        } else {
          r.status = 'stopped';
        }
        this.runs = [...this.runs];
      }
    } finally {
      for (const r of this.runs) if (r.status === 'queued') r.status = abort.signal.aborted ? 'stopped' : r.status;
      this.runs = [...this.runs];
      this.running = false;
      if (this.queueAbort === abort) this.queueAbort = null;
    }
  }

  private stopAll(): void {
    this.queueAbort?.abort();
    this.training.stop();
  }
}

customElements.define('weft-compare-page', WeftComparePage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-compare-page': WeftComparePage;
  }
}
