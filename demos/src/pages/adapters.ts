// adapters.html: pretrain a base MLP live (or load it from a safetensors file), then fine-tune
// several adapter methods on a related task — the same data rotated — each a named adapter on the
// one frozen base; compare them side by side (accuracy against trainable parameters, with full
// fine-tuning as the reference); mix the trained adapters with sliders (task arithmetic, accuracy
// updated at once); download any adapter in PEFT's format. The settings live in the URL
// (PageStateController); each pretraining or fine-tuning is a job of the TrainingController.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/url-notice.js';
import '../components/decision-boundary.js';
import { LitElement, html, nothing } from 'lit';
import type { TrainResult } from '@weft/core';
import { TrainingController, type TrainingSegment } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { adaptersStyles } from '../styles/adapters.js';
import { formatInt, formatPercent } from '../format.js';
import { ADAPTER_DATASETS, ADAPTER_METHODS, ADAPTERS_SCHEMA, methodInfo, type AdapterMethodChoice, type AdaptersState } from './adapters-state.js';
import { AdaptersLab, type MethodResult } from '../jobs/adapters-job.js';
import { peftAdapterZip } from '../peft-zip.js';

type Key = keyof AdaptersState;

const START = 'Start by pretraining the base model.';

/** Trigger a browser download of `data` as `name`. */
function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The adapters page. */
export class WeftAdaptersPage extends LitElement {
  static override properties = {
    lab: { state: true },
    phase: { state: true },
    results: { state: true },
    baseAcc: { state: true },
    weights: { state: true },
    mixAcc: { state: true },
    error: { state: true },
    sequence: { state: true },
  };
  private declare lab: AdaptersLab | null;
  private declare phase: string;
  private declare results: MethodResult[];
  private declare baseAcc: { base: number; task: number } | null;
  private declare weights: Partial<Record<AdapterMethodChoice, number>>;
  private declare mixAcc: { base: number; task: number } | null;
  private declare error: string | null;
  /** The work in progress (pretraining, fine-tuning every method, loading a base), or null. */
  private declare sequence: AbortController | null;
  private sequenceDone: Promise<void> = Promise.resolve();
  private mixing: Promise<void> = Promise.resolve();

  private readonly training = new TrainingController(this);
  private readonly page = new PageStateController(this, ADAPTERS_SCHEMA, {
    training: this.training,
    release: () => this.releaseLab(),
    rebuild: () => this.newLab(),
    // The step counts are read when a phase starts: changing them keeps the trained base.
    runtimeKeys: ['baseSteps', 'steps'],
  });

  constructor() {
    super();
    this.lab = null;
    this.phase = START;
    this.results = [];
    this.baseAcc = null;
    this.weights = {};
    this.mixAcc = null;
    this.error = null;
    this.sequence = null;
  }

  static override styles = adaptersStyles;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.sequence?.abort();
  }

  /** Whether anything is running (settings, Pretrain and Fine-tune are locked). */
  private get busy(): boolean {
    return this.sequence !== null || this.training.busy;
  }

  private newLab(): void {
    const { dataset, angle, seed, r } = this.page.state;
    this.lab = new AdaptersLab({ dataset, angle, seed, r });
    this.clearResults();
    this.baseAcc = null;
    this.phase = START;
  }

  /** Free the lab once the page's own work on it (a sequence, a mix) has ended. */
  private async releaseLab(): Promise<void> {
    this.sequence?.abort();
    await this.sequenceDone;
    await this.mixing;
    this.lab?.dispose();
    this.lab = null;
  }

  private clearResults(): void {
    this.results = [];
    this.weights = {};
    this.mixAcc = null;
  }

  /** Run `body` on the lab as the page's one sequence; Stop and leaving the page abort `signal`. */
  private run(body: (lab: AdaptersLab, signal: AbortSignal) => Promise<void>): Promise<void> {
    const lab = this.lab;
    if (!lab || this.busy) return Promise.resolve();
    const abort = new AbortController();
    this.sequence = abort;
    this.error = null;
    const done = (async () => {
      try {
        await body(lab, abort.signal);
      } catch (e) {
        this.error = message(e);
      } finally {
        if (this.sequence === abort) this.sequence = null;
      }
    })();
    this.sequenceDone = done;
    return done;
  }

  /** Train one phase as a job of the TrainingController; true when every step ran. */
  private async trainPhase(label: string, steps: number, signal: AbortSignal, run: (segment: TrainingSegment) => Promise<TrainResult>): Promise<boolean> {
    if (signal.aborted) return false;
    this.phase = label;
    await this.training.start({ totalSteps: steps, run });
    return this.training.status === 'done' && !signal.aborted;
  }

  private readonly pretrain = () =>
    this.run(async (lab, signal) => {
      this.clearResults();
      this.baseAcc = null;
      const steps = this.page.state.baseSteps;
      if (await this.trainPhase('Pretraining the base model', steps, signal, (s) => lab.pretrain(s.steps, s.onProgress, s.signal))) {
        await this.measureBase(lab);
        this.phase = 'Base ready: fine-tune the adapters on the rotated task.';
      }
    });

  private readonly finetuneAll = () =>
    this.run(async (lab, signal) => {
      this.clearResults();
      const steps = this.page.state.steps;
      for (const [i, method] of ADAPTER_METHODS.entries()) {
        const label = `Fine-tuning ${methodInfo(method).label} (${i + 1}/${ADAPTER_METHODS.length})`;
        if (!(await this.trainPhase(label, steps, signal, (s) => lab.finetune(method, s.steps, s.onProgress, s.signal)))) return;
        const result = lab.results.get(method);
        if (!result) return;
        this.results = [...this.results, result];
      }
      this.weights = { lora: 1 };
      this.phase = 'Done: compare the methods, mix them, download one in PEFT format.';
      await this.remix();
    });

  private readonly loadBaseFile = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = ''; // the same file can be chosen again
    if (!file) return;
    void this.run(async (lab) => {
      try {
        if (file.size > 50_000_000) throw new Error(`${file.name} is ${formatInt(file.size)} bytes; at most 50 MB`);
        await lab.loadBase(new Uint8Array(await file.arrayBuffer()));
      } catch (err) {
        throw new Error(`Could not load ${file.name}: ${message(err)}`);
      }
      await this.training.reset();
      this.clearResults();
      await this.measureBase(lab);
      this.phase = `Base loaded from ${file.name}: fine-tune the adapters on the rotated task.`;
    });
  };

  private readonly stop = () => {
    this.sequence?.abort();
    this.training.stop();
  };

  private async measureBase(lab: AdaptersLab): Promise<void> {
    this.baseAcc = { base: await lab.accuracy('base'), task: await lab.accuracy('task') };
  }

  /** Mix the trained adapters with the sliders' weights (one mix at a time, in order). */
  private remix(): Promise<void> {
    const lab = this.lab;
    if (!lab) return Promise.resolve();
    const weights = { ...this.weights };
    this.mixing = this.mixing.then(async () => {
      if (this.lab !== lab) return; // released meanwhile
      try {
        this.mixAcc = await lab.mix(weights);
      } catch (e) {
        this.error = message(e);
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
      // One zip holding the folder `<method>-adapter/` with PEFT's file names.
      const zip = peftAdapterZip(`${method}-adapter`, await this.lab.peft(method));
      download(`${method}-adapter.zip`, zip as BlobPart, 'application/zip');
    } catch (e) {
      this.error = message(e);
    }
  }

  private async saveBase(): Promise<void> {
    if (!this.lab) return;
    const s = this.page.state;
    try {
      download(`weft-base-${s.dataset}-seed${s.seed}.safetensors`, (await this.lab.saveBase()) as BlobPart, 'application/octet-stream');
    } catch (e) {
      this.error = message(e);
    }
  }

  /** The rotated task's points and each model's answer over the plane: the frozen base, then every fine-tuned method. */
  private renderBoundaries() {
    const lab = this.lab;
    if (!lab) return nothing;
    const points = { x: lab.taskPoints.x as Float32Array, y: lab.taskPoints.y as Int32Array, numClasses: lab.taskPoints.numClasses ?? 2 };
    const tiles: Array<{ id: string; label: string; accuracy: number | null }> = [
      { id: 'base', label: 'frozen base', accuracy: this.baseAcc?.task ?? null },
      ...this.results.map((r) => ({ id: r.method, label: methodInfo(r.method).label, accuracy: r.accuracy })),
    ];
    return html`<section class="card" aria-labelledby="boundaries-title">
      <h2 class="card-title" id="boundaries-title">What each model answers <span class="aside">the rotated task's held-out points</span></h2>
      <div class="boundaries">
        ${tiles.map(
          (t) => html`<figure class="boundary" data-boundary=${t.id} data-has-field=${lab.fields.has(t.id as AdapterMethodChoice) ? 'true' : 'false'}>
            <weft-decision-boundary compact .points=${points} .extent=${lab.extent} .field=${lab.fields.get(t.id as AdapterMethodChoice) ?? null}></weft-decision-boundary>
            <figcaption><span class="name">${t.label}</span><span class="num acc">${t.accuracy !== null ? formatPercent(t.accuracy) : ''}</span></figcaption>
          </figure>`,
        )}
      </div>
    </section>`;
  }

  override render() {
    const t = this.training;
    const s = this.page.state;
    return html`<div class="top">
        <div>
          <h1>Adapters</h1>
          <p class="lead">
            A base network learns a 2-D task; then it stays frozen while small adapters learn a related task — the same data
            rotated by ${s.angle}°. Compare what each method trains against what it reaches, mix the adapters, and take one home in
            Hugging Face PEFT's format.
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
          <section class="card" aria-labelledby="progress-title">
            <h2 class="card-title" id="progress-title">Progress</h2>
            <p class="phase" data-phase=${this.phase}>${this.phase}</p>
            <weft-progress-bar .step=${t.step} .total=${t.totalSteps || s.baseSteps} .stepsPerSecond=${t.latest?.stepsPerSecond ?? 0} .loss=${t.latest?.loss ?? Number.NaN} .elapsedMs=${t.elapsedMs} .status=${t.status}></weft-progress-bar>
            <div class="stats num">
              <div class="stat"><div class="k">base on its task</div><div class="v" data-base-acc=${this.baseAcc?.base ?? ''}>${this.baseAcc ? formatPercent(this.baseAcc.base) : '—'}</div></div>
              <div class="stat"><div class="k">base on the rotated task</div><div class="v" data-base-task-acc=${this.baseAcc?.task ?? ''}>${this.baseAcc ? formatPercent(this.baseAcc.task) : '—'}</div></div>
              <div class="stat"><div class="k">base parameters</div><div class="v">${this.lab ? formatInt(this.lab.baseParams) : '—'}</div></div>
            </div>
            <weft-loss-chart .history=${t.history} metric="accuracy"></weft-loss-chart>
            ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
          </section>
          <section class="card" aria-labelledby="compare-title">
            <h2 class="card-title" id="compare-title">Methods side by side <span class="aside">accuracy on the rotated task's held-out half</span></h2>
            ${this.renderTable()}
          </section>
          ${this.renderBoundaries()}
          <section class="card" aria-labelledby="mix-title">
            <h2 class="card-title" id="mix-title">Mix the adapters <span class="aside">base + Σ weight · ΔW</span></h2>
            ${this.renderMix()}
          </section>
        </div>
        <section class="card try" aria-labelledby="how-title">
          <h2 class="card-title" id="how-title">How it works</h2>
          <ol>
            <li>Every adapter is a named add-on to the same frozen base layers: nothing is copied.</li>
            <li>Only the adapter's weights train, so the optimiser keeps state only for them.</li>
            <li>Mixing adds the adapters' weight updates, scaled by the sliders, and re-factorises the sum.</li>
          </ol>
        </section>
      </div>`;
  }

  private renderForm() {
    const s = this.page.state;
    const busy = this.busy;
    const ready = this.lab !== null && this.page.backend !== null;
    const errors = this.page.fieldErrors;
    const num = (name: Key, label: string, value: number, attrs: { min: number; max?: number; step?: number }) => html`<label class="field ${errors[name] ? 'invalid' : ''}">
      <span>${label}</span>
      <input name=${name} type="number" min=${attrs.min} max=${attrs.max ?? nothing} step=${attrs.step ?? 1} .value=${String(value)} />
      ${errors[name] ? html`<span class="error" role="alert">${errors[name]}</span>` : nothing}
    </label>`;
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.page.onChange}>
      <fieldset ?disabled=${busy}>
        <div class="pair">
          <label class="field"><span>Base task</span>
            <select name="dataset">${ADAPTER_DATASETS.map((d) => html`<option value=${d} ?selected=${d === s.dataset}>${d}</option>`)}</select>
          </label>
          ${num('angle', 'Rotation (°)', s.angle, { min: -180, max: 180, step: 15 })}
        </div>
        <div class="pair">${num('r', 'Rank r', s.r, { min: 1, max: 16 })}${num('seed', 'Seed', s.seed, { min: 0 })}</div>
        <div class="pair">${num('baseSteps', 'Base steps', s.baseSteps, { min: 1, max: 20000, step: 100 })}${num('steps', 'Adapter steps', s.steps, { min: 1, max: 20000, step: 100 })}</div>
        <label class="field"><span>Backend</span>
          <select name="backend">${BACKEND_CHOICES.map((b) => html`<option value=${b} ?selected=${b === s.backend}>${b}</option>`)}</select>
        </label>
      </fieldset>
      <div class="buttons">
        <button class="btn primary" type="button" data-action="pretrain" ?disabled=${!ready || busy || this.page.hasFieldErrors} @click=${this.pretrain}>1 · Pretrain the base</button>
        <button class="btn primary" type="button" data-action="finetune" ?disabled=${!ready || busy || this.page.hasFieldErrors || !this.lab?.baseReady} @click=${this.finetuneAll}>
          2 · Fine-tune every method
        </button>
        <div class="row">
          <label class="btn file">Load base<input type="file" accept=".safetensors" name="base-file" aria-label="Load a base model (.safetensors)" ?disabled=${busy || !ready} @change=${this.loadBaseFile} /></label>
          <button class="btn" type="button" data-action="save-base" ?disabled=${busy || !this.lab?.baseReady || this.results.length > 0} @click=${() => void this.saveBase()}>Save base</button>
        </div>
        <button class="btn danger" type="button" data-action="stop" ?disabled=${!busy} @click=${this.stop}>Stop</button>
      </div>
      <p class="note">${busy ? 'Settings are locked while a phase runs; stop it to change them. ' : ''}Settings are in the address bar: copy it to share this setup.</p>
    </form>`;
  }

  private renderTable() {
    if (this.results.length === 0) return html`<p class="empty">No adapters yet: pretrain the base, then fine-tune.</p>`;
    return html`<div class="scroll">
      <table>
        <thead><tr><th>method</th><th class="n">trainable</th><th class="n">of base</th><th class="n">accuracy</th><th class="barcell"></th><th></th></tr></thead>
        <tbody>
          ${this.results.map((r) => {
            const info = methodInfo(r.method);
            return html`<tr data-result=${r.method} data-trainable=${r.trainable} data-accuracy=${r.accuracy}>
              <td><strong>${info.label}</strong><span class="what">${info.what}</span></td>
              <td class="n">${formatInt(r.trainable)}</td>
              <td class="n">${formatPercent(r.trainable / r.baseParams)}</td>
              <td class="n">${formatPercent(r.accuracy)}</td>
              <td class="barcell"><div class="bar ${r.method === 'full' ? 'ref' : ''}" aria-hidden="true"><span .style=${`width:${(100 * r.accuracy).toFixed(1)}%`}></span></div></td>
              <td>${r.method === 'full' ? nothing : html`<button class="linkbtn" type="button" data-download=${r.method} title="A zip of the folder ${r.method}-adapter/ with adapter_config.json and adapter_model.safetensors, for PeftModel.from_pretrained" @click=${() => void this.downloadPeft(r.method)}>PEFT ↓</button>`}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }

  private renderMix() {
    const trained = this.results.filter((r) => r.method !== 'full');
    if (trained.length === 0) return html`<p class="empty">Fine-tune the adapters to mix them.</p>`;
    return html`<div class="sliders">
        ${trained.map(
          (r) => html`<label class="slider"><span>${methodInfo(r.method).label}</span>
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

declare global {
  interface HTMLElementTagNameMap {
    'weft-adapters-page': WeftAdaptersPage;
  }
}
