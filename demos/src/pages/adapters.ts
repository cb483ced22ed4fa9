// adapters.html: pretrain a base MLP live (or load it from a safetensors file), then fine-tune
// several adapter methods on a related task — the same data rotated — each a named adapter on the
// one frozen base; compare them side by side (accuracy against trainable parameters, with full
// fine-tuning as the reference); mix the trained adapters with sliders (task arithmetic, accuracy
// updated at once); download any adapter in PEFT's format. The settings live in the URL.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/url-notice.js';
import { LitElement, css, html, nothing } from 'lit';
import type { BackendReport, TrainProgress } from '@weft/core';
import { chooseBackend } from '../backend-choice.js';
import type { TrainingStatus } from '../controllers/training-controller.js';
import { parseUrlState, writeUrlState, type UrlProblem } from '../url-state.js';
import { boxStyles, buttonStyles, cardStyles, fieldStyles, numberStyles } from '../styles/shared.js';
import { formatInt, formatPercent } from '../format.js';
import { ADAPTER_DATASETS, ADAPTER_METHODS, ADAPTERS_SCHEMA, type AdapterMethodChoice } from './adapters-state.js';
import { AdaptersLab, type MethodResult } from '../jobs/adapters-job.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import type { UrlState } from '../url-state.js';

type State = UrlState<typeof ADAPTERS_SCHEMA>;

const LABEL: Record<AdapterMethodChoice, string> = { lora: 'LoRA', dora: 'DoRA', loha: 'LoHa', lokr: 'LoKr', ia3: 'IA³', full: 'Full fine-tuning' };
const WHAT: Record<AdapterMethodChoice, string> = {
  lora: 'ΔW = (α/r)·A B, rank r',
  dora: 'LoRA direction, learned magnitude per output',
  loha: 'ΔW = (U₁V₁) ⊙ (U₂V₂)',
  lokr: 'ΔW = kron(K₁, K₂)',
  ia3: 'learned rescaling of inputs / outputs',
  full: 'every weight trains (reference)',
};

/** Trigger a browser download of `data` as `name`. */
function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The adapters page. */
export class WeftAdaptersPage extends LitElement {
  static override properties = {
    state: { state: true },
    problems: { state: true },
    backend: { state: true },
    backendError: { state: true },
    status: { state: true },
    phase: { state: true },
    step: { state: true },
    total: { state: true },
    history: { state: true },
    results: { state: true },
    baseAcc: { state: true },
    weights: { state: true },
    mixAcc: { state: true },
    error: { state: true },
    elapsedMs: { state: true },
  };
  private declare state: State;
  private declare problems: UrlProblem[];
  private declare backend: BackendReport | null;
  private declare backendError: string | null;
  private declare status: TrainingStatus;
  private declare phase: string;
  private declare step: number;
  private declare total: number;
  private declare history: TrainProgress[];
  private declare results: MethodResult[];
  private declare baseAcc: { base: number; task: number } | null;
  private declare weights: Partial<Record<AdapterMethodChoice, number>>;
  private declare mixAcc: { base: number; task: number } | null;
  private declare error: string | null;
  private declare elapsedMs: number;
  private lab: AdaptersLab | null = null;
  private abort: AbortController | null = null;
  private mixing: Promise<void> = Promise.resolve();

  constructor() {
    super();
    const { state, problems } = parseUrlState(ADAPTERS_SCHEMA, window.location.search);
    this.state = state;
    this.problems = problems;
    this.backend = null;
    this.backendError = null;
    this.status = 'idle';
    this.phase = 'Start by pretraining the base model.';
    this.step = 0;
    this.total = 0;
    this.history = [];
    this.results = [];
    this.baseAcc = null;
    this.weights = {};
    this.mixAcc = null;
    this.error = null;
    this.elapsedMs = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    writeUrlState(ADAPTERS_SCHEMA, this.state);
    void this.switchBackend();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
    this.lab?.dispose();
    this.lab = null;
  }

  private async switchBackend(): Promise<void> {
    try {
      this.backend = await chooseBackend(this.state.backend);
      this.backendError = null;
      this.newLab();
    } catch (e) {
      this.backendError = (e as Error).message;
    }
  }

  private newLab(): void {
    this.lab?.dispose();
    const { dataset, angle, seed, r } = this.state;
    this.lab = new AdaptersLab({ dataset, angle, seed, r });
    this.results = [];
    this.baseAcc = null;
    this.weights = {};
    this.mixAcc = null;
    this.history = [];
    this.step = 0;
    this.total = 0;
    this.status = 'idle';
    this.phase = 'Start by pretraining the base model.';
  }

  private onChange = (e: Event) => {
    const el = e.target as HTMLInputElement | HTMLSelectElement;
    const key = el.name as keyof State;
    if (!(key in ADAPTERS_SCHEMA)) return;
    const spec = ADAPTERS_SCHEMA[key];
    const parsed = spec.parse(el.value);
    if (!parsed.ok) {
      this.error = `${key}: "${el.value}" — expected ${parsed.expected}`;
      return;
    }
    this.error = null;
    this.state = { ...this.state, [key]: parsed.value } as State;
    writeUrlState(ADAPTERS_SCHEMA, this.state);
    if (key === 'backend') void this.switchBackend();
    else if (key === 'dataset' || key === 'angle' || key === 'seed' || key === 'r') this.newLab();
  };

  private async run(phase: string, steps: number, body: (onProgress: (p: TrainProgress) => void, signal: AbortSignal) => Promise<void>): Promise<boolean> {
    this.abort = new AbortController();
    this.phase = phase;
    this.history = [];
    this.step = 0;
    this.total = steps;
    this.status = 'starting';
    const t0 = performance.now();
    this.elapsedMs = 0;
    try {
      await body((p) => {
        this.status = 'running';
        this.elapsedMs = performance.now() - t0;
        this.step = p.step;
        this.history = [...this.history, p];
      }, this.abort.signal);
      if (this.abort.signal.aborted) {
        this.status = 'stopped';
        return false;
      }
      this.status = 'done';
      return true;
    } catch (e) {
      this.status = 'error';
      this.error = (e as Error).message;
      return false;
    } finally {
      this.abort = null;
    }
  }

  private async pretrain(): Promise<void> {
    const lab = this.lab;
    if (!lab) return;
    this.error = null;
    this.results = [];
    this.weights = {};
    this.mixAcc = null;
    const ok = await this.run('Pretraining the base model', this.state.baseSteps, (onProgress, signal) => lab.pretrain(this.state.baseSteps, onProgress, signal));
    if (ok) await this.measureBase();
  }

  private async measureBase(): Promise<void> {
    if (!this.lab) return;
    this.baseAcc = { base: await this.lab.accuracy('base'), task: await this.lab.accuracy('task') };
    this.phase = 'Base ready: fine-tune the adapters on the rotated task.';
  }

  private async finetuneAll(): Promise<void> {
    const lab = this.lab;
    if (!lab) return;
    this.error = null;
    this.results = [];
    this.weights = {};
    this.mixAcc = null;
    for (const [i, method] of ADAPTER_METHODS.entries()) {
      let result: MethodResult | null = null;
      const ok = await this.run(`Fine-tuning ${LABEL[method]} (${i + 1}/${ADAPTER_METHODS.length})`, this.state.steps, async (onProgress, signal) => {
        result = await lab.finetune(method, this.state.steps, onProgress, signal);
      });
      if (!ok || !result) return;
      this.results = [...this.results, result];
    }
    this.weights = { lora: 1 };
    this.phase = 'Done: compare the methods, mix them, download one in PEFT format.';
    await this.remix();
  }

  private remix(): Promise<void> {
    const lab = this.lab;
    if (!lab) return Promise.resolve();
    const weights = { ...this.weights };
    this.mixing = this.mixing.then(async () => {
      try {
        this.mixAcc = await lab.mix(weights);
      } catch (e) {
        this.error = (e as Error).message;
      }
    });
    return this.mixing;
  }

  private onSlider(method: AdapterMethodChoice, e: Event) {
    this.weights = { ...this.weights, [method]: Number((e.target as HTMLInputElement).value) };
    void this.remix();
  }

  private async downloadPeft(method: AdapterMethodChoice): Promise<void> {
    if (!this.lab) return;
    try {
      const out = await this.lab.peft(method);
      download(`${method}-adapter_config.json`, out.config, 'application/json');
      download(`${method}-adapter_model.safetensors`, out.safetensors as BlobPart, 'application/octet-stream');
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private async loadBaseFile(e: Event): Promise<void> {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file || !this.lab) return;
    this.error = null;
    try {
      if (file.size > 50_000_000) throw new Error(`${file.name} is ${formatInt(file.size)} bytes; at most 50 MB`);
      await this.lab.loadBase(new Uint8Array(await file.arrayBuffer()));
      this.results = [];
      this.weights = {};
      this.mixAcc = null;
      await this.measureBase();
      this.phase = `Base loaded from ${file.name}: fine-tune the adapters on the rotated task.`;
    } catch (err) {
      this.error = `Could not load ${file.name}: ${(err as Error).message}`;
    }
  }

  private async saveBase(): Promise<void> {
    if (!this.lab) return;
    try {
      download(`weft-base-${this.state.dataset}-seed${this.state.seed}.safetensors`, (await this.lab.saveBase()) as BlobPart, 'application/octet-stream');
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  static override styles = [
    boxStyles,
    cardStyles,
    buttonStyles,
    fieldStyles,
    numberStyles,
    css`
      :host { display: block; }
      .top { display: flex; align-items: flex-start; justify-content: space-between; gap: 16px 24px; flex-wrap: wrap; margin-bottom: 20px; }
      h1 { margin: 0 0 4px; font-size: 28px; letter-spacing: -0.02em; line-height: 1.2; }
      .lead { margin: 0; max-width: 66ch; color: var(--muted); }
      weft-url-notice { margin-bottom: 18px; }
      .layout { display: grid; grid-template-columns: 290px minmax(0, 1fr); gap: 20px; align-items: start; }
      .side, .main { display: grid; gap: 20px; min-width: 0; }
      @media (max-width: 980px) { .layout { grid-template-columns: minmax(0, 1fr); } }
      form { display: grid; gap: 12px; }
      fieldset { border: none; margin: 0; padding: 0; display: grid; gap: 12px; min-width: 0; }
      .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
      .buttons { display: grid; gap: 8px; }
      .row { display: flex; gap: 8px; }
      .row > * { flex: 1; }
      .file { position: relative; overflow: hidden; display: inline-flex; align-items: center; justify-content: center; white-space: nowrap; }
      .file input { position: absolute; inset: 0; opacity: 0; cursor: pointer; }
      .phase { font-weight: 600; margin: 0 0 10px; }
      .stats { display: flex; gap: 28px; flex-wrap: wrap; margin: 12px 0; padding-top: 12px; border-top: 1px solid var(--border); }
      .stat .k { font-size: 12px; font-weight: 600; color: var(--muted); }
      .stat .v { font-size: 18px; font-weight: 700; }
      table { width: 100%; border-collapse: collapse; font-size: 14px; }
      th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600; padding: 6px 8px; border-bottom: 1px solid var(--border); }
      td { padding: 8px; border-bottom: 1px solid var(--border); vertical-align: middle; }
      td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
      .what { display: block; color: var(--faint); font-size: 12px; }
      .bar { position: relative; height: 10px; border-radius: 5px; background: var(--border); min-width: 80px; }
      .bar > span { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 5px; background: var(--accent); }
      .bar.ref > span { background: hsl(28 85% 52%); }
      .linkbtn { border: none; background: none; padding: 0; color: var(--accent); font: inherit; font-size: 13px; font-weight: 600; cursor: pointer; }
      .sliders { display: grid; gap: 10px; }
      .slider { display: grid; grid-template-columns: 90px minmax(0, 1fr) 48px; gap: 12px; align-items: center; font-size: 14px; }
      .slider input { width: 100%; accent-color: var(--accent); }
      .empty { color: var(--faint); font-size: 14px; margin: 0; }
      .note { font-size: 12.5px; color: var(--faint); margin: 0; }
      .alert { margin-top: 12px; padding: 10px 12px; border-radius: var(--radius-sm); background: var(--danger-soft); color: var(--danger); font-size: 14px; overflow-wrap: anywhere; }
      ol { margin: 0; padding-left: 18px; color: var(--muted); font-size: 14px; display: grid; gap: 6px; }
    `,
  ];

  override render() {
    const busy = this.status === 'starting' || this.status === 'running';
    const latest = this.history.at(-1);
    return html`<div class="top">
        <div>
          <h1>Adapters</h1>
          <p class="lead">
            A base network learns a 2-D task; then it stays frozen while small adapters learn a related task — the same data
            rotated by ${this.state.angle}°. Compare what each method trains against what it reaches, mix the adapters, and take
            one home in Hugging Face PEFT's format.
          </p>
        </div>
        <weft-backend-badge .report=${this.backend} .error=${this.backendError}></weft-backend-badge>
      </div>
      <weft-url-notice .problems=${this.problems}></weft-url-notice>
      <div class="layout">
        <div class="side">
          <section class="card" aria-labelledby="settings-title">
            <h2 class="card-title" id="settings-title">Settings</h2>
            ${this.renderForm(busy)}
          </section>
          <section class="card" aria-labelledby="how-title">
            <h2 class="card-title" id="how-title">How it works</h2>
            <ol>
              <li>Every adapter is a named add-on to the same frozen base layers: nothing is copied.</li>
              <li>Only the adapter's weights train, so the optimiser keeps state only for them.</li>
              <li>Mixing adds the adapters' weight updates, scaled by the sliders, and re-factorises the sum.</li>
            </ol>
          </section>
        </div>
        <div class="main">
          <section class="card" aria-labelledby="progress-title">
            <h2 class="card-title" id="progress-title">Progress</h2>
            <p class="phase" data-phase=${this.phase}>${this.phase}</p>
            <weft-progress-bar .step=${this.step} .total=${this.total || this.state.baseSteps} .stepsPerSecond=${latest?.stepsPerSecond ?? 0} .elapsedMs=${this.elapsedMs} .status=${this.status}></weft-progress-bar>
            <div class="stats num">
              <div class="stat"><div class="k">base on its task</div><div class="v" data-base-acc=${this.baseAcc?.base ?? ''}>${this.baseAcc ? formatPercent(this.baseAcc.base) : '—'}</div></div>
              <div class="stat"><div class="k">base on the rotated task</div><div class="v" data-base-task-acc=${this.baseAcc?.task ?? ''}>${this.baseAcc ? formatPercent(this.baseAcc.task) : '—'}</div></div>
              <div class="stat"><div class="k">base parameters</div><div class="v">${this.lab ? formatInt(this.lab.baseParams) : '—'}</div></div>
            </div>
            <weft-loss-chart .history=${this.history} metric="accuracy"></weft-loss-chart>
            ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
          </section>
          <section class="card" aria-labelledby="compare-title">
            <h2 class="card-title" id="compare-title">Methods side by side <span class="aside">accuracy on the rotated task's held-out half</span></h2>
            ${this.renderTable()}
          </section>
          <section class="card" aria-labelledby="mix-title">
            <h2 class="card-title" id="mix-title">Mix the adapters <span class="aside">base + Σ weight · ΔW</span></h2>
            ${this.renderMix()}
          </section>
        </div>
      </div>`;
  }

  private renderForm(busy: boolean) {
    const s = this.state;
    const ready = this.lab !== null && this.backend !== null;
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.onChange}>
      <fieldset ?disabled=${busy}>
        <div class="pair">
          <label class="field"><span>Base task</span>
            <select name="dataset">${ADAPTER_DATASETS.map((d) => html`<option value=${d} ?selected=${d === s.dataset}>${d}</option>`)}</select>
          </label>
          <label class="field"><span>Rotation (°)</span><input name="angle" type="number" min="-180" max="180" step="15" .value=${String(s.angle)} /></label>
        </div>
        <div class="pair">
          <label class="field"><span>Rank r</span><input name="r" type="number" min="1" max="16" .value=${String(s.r)} /></label>
          <label class="field"><span>Seed</span><input name="seed" type="number" min="0" .value=${String(s.seed)} /></label>
        </div>
        <div class="pair">
          <label class="field"><span>Base steps</span><input name="baseSteps" type="number" min="1" max="20000" step="100" .value=${String(s.baseSteps)} /></label>
          <label class="field"><span>Adapter steps</span><input name="steps" type="number" min="1" max="20000" step="100" .value=${String(s.steps)} /></label>
        </div>
        <label class="field"><span>Backend</span>
          <select name="backend">${BACKEND_CHOICES.map((b) => html`<option value=${b} ?selected=${b === s.backend}>${b}</option>`)}</select>
        </label>
      </fieldset>
      <div class="buttons">
        <button class="btn primary" type="button" data-action="pretrain" ?disabled=${!ready || busy} @click=${() => void this.pretrain()}>1 · Pretrain the base</button>
        <button class="btn primary" type="button" data-action="finetune" ?disabled=${!ready || busy || !this.lab?.baseReady} @click=${() => void this.finetuneAll()}>2 · Fine-tune every method</button>
        <div class="row">
          <span class="btn file" role="button" aria-disabled=${busy ? 'true' : 'false'}>Load base<input type="file" accept=".safetensors" name="base-file" aria-label="Load a base model (.safetensors)" ?disabled=${busy || !ready} @change=${(e: Event) => void this.loadBaseFile(e)} /></span>
          <button class="btn" type="button" data-action="save-base" ?disabled=${busy || !this.lab?.baseReady || this.results.length > 0} @click=${() => void this.saveBase()}>Save base</button>
        </div>
        <button class="btn" type="button" data-action="stop" ?disabled=${!busy} @click=${() => this.abort?.abort()}>Stop</button>
      </div>
      <p class="note">Settings are in the address bar: copy it to share this setup.</p>
    </form>`;
  }

  private renderTable() {
    if (this.results.length === 0) return html`<p class="empty">No adapters yet: pretrain the base, then fine-tune.</p>`;
    return html`<table>
      <thead><tr><th>method</th><th class="n">trainable</th><th class="n">of base</th><th class="n">accuracy</th><th></th><th></th></tr></thead>
      <tbody>
        ${this.results.map(
          (r) => html`<tr data-result=${r.method} data-trainable=${r.trainable} data-accuracy=${r.accuracy}>
            <td><strong>${LABEL[r.method]}</strong><span class="what">${WHAT[r.method]}</span></td>
            <td class="n">${formatInt(r.trainable)}</td>
            <td class="n">${formatPercent(r.trainable / r.baseParams)}</td>
            <td class="n">${formatPercent(r.accuracy)}</td>
            <td><div class="bar ${r.method === 'full' ? 'ref' : ''}" aria-hidden="true"><span style="width:${(100 * r.accuracy).toFixed(1)}%"></span></div></td>
            <td>${r.method === 'full' ? nothing : html`<button class="linkbtn" type="button" data-download=${r.method} @click=${() => void this.downloadPeft(r.method)}>PEFT ↓</button>`}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private renderMix() {
    const trained = this.results.filter((r) => r.method !== 'full');
    if (trained.length === 0) return html`<p class="empty">Fine-tune the adapters to mix them.</p>`;
    return html`<div class="sliders">
        ${trained.map(
          (r) => html`<label class="slider"><span>${LABEL[r.method]}</span>
            <input type="range" min="-1" max="2" step="0.1" name=${`w-${r.method}`} .value=${String(this.weights[r.method] ?? 0)} @input=${(e: Event) => this.onSlider(r.method, e)} />
            <span class="num">${(this.weights[r.method] ?? 0).toFixed(1)}</span></label>`,
        )}
      </div>
      <div class="stats num">
        <div class="stat"><div class="k">mix on the rotated task</div><div class="v" data-mix-task=${this.mixAcc?.task ?? ''}>${this.mixAcc ? formatPercent(this.mixAcc.task) : '—'}</div></div>
        <div class="stat"><div class="k">mix on the base task</div><div class="v" data-mix-base=${this.mixAcc?.base ?? ''}>${this.mixAcc ? formatPercent(this.mixAcc.base) : '—'}</div></div>
      </div>
      <p class="note">Weight 1 on one adapter reproduces it; 0 everywhere is the base; in between trades the two tasks.</p>`;
  }
}

customElements.define('weft-adapters-page', WeftAdaptersPage);
