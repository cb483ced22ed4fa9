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
import { ADAPTER_DATASETS, ADAPTER_METHODS, ADAPTERS_SCHEMA, OTHER_METHODS, methodInfo, type AdapterMethodChoice, type AdaptersState } from './adapters-state.js';
import type { AdaptersLabConfig, MethodResult } from '../jobs/adapters-job.js';
import { AdaptersLabClient, type AdaptersLabInfo, type MergeExplorerClient } from '../jobs/adapters-lab-client.js';
import { JobWorker } from '../jobs/worker-job.js';
import { MERGE_TASKS, mergeChoices, type ArrowOutcome, type MergeOutcome, type MergeRow } from '../jobs/merge-explorer-job.js';
import { peftAdapterZip } from '../peft-zip.js';
import type { RoutedMerges, RoutedOptions } from '../jobs/routed-merges.js';
import { renderRoutedMerges } from './adapters-routed-view.js';
import type { TransferRow } from '../jobs/transfer.js';
import { renderTransfer } from './adapters-transfer-view.js';
import type { SelectiveRow } from '../jobs/selective-lora.js';
import { renderSelective } from './adapters-selective-view.js';
import type { S2ARow } from '../jobs/s2a.js';
import { renderS2A } from './adapters-s2a-view.js';
import type { ControllableRow } from '../jobs/controllable.js';
import { renderControllable } from './adapters-controllable-view.js';
import type { CrashOutcome } from '../jobs/crash.js';
import { renderCrash } from './adapters-crash-view.js';
import { renderAstraios } from './adapters-astraios-view.js';
import './adapters-taxonomy-view.js';
import './adapters-cost-view.js';

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
    explorer: { state: true },
    mergeMethod: { state: true },
    mergeWeights: { state: true },
    mergeOptions: { state: true },
    mergeOutcome: { state: true },
    mergeRefs: { state: true },
    mergeTable: { state: true },
    tableWeights: { state: true },
    otherResults: { state: true },
    arrowOutcome: { state: true },
    routedOutcome: { state: true },
    routedOptions: { state: true },
    transferRows: { state: true },
    selectiveRows: { state: true },
    s2aRows: { state: true },
    controllableRows: { state: true },
    crashOutcome: { state: true },
  };
  /** CRaSh's clusters and accuracies on its own deeper MLP (null until run). */
  private declare crashOutcome: CrashOutcome | null;
  /** A controllable multi-task model's accuracy per task at each width (empty until run). */
  private declare controllableRows: ControllableRow[];
  /** LoRA and S2A's side module tuned on the rotated task, with bytes held for backward (empty until run). */
  private declare s2aRows: S2ARow[];
  /** Plain LoRA and Selective LoRA tuned on the rotated task, with the base task kept (empty until run). */
  private declare selectiveRows: SelectiveRow[];
  /** The compositions over the outer task LoRAs for the middle task (empty until computed). */
  private declare transferRows: TransferRow[];
  /** Mediator and 1bit-Merging over the merge explorer's task LoRAs, once they are trained. */
  private declare routedOutcome: RoutedMerges | null;
  /** The routed merges' settings (the library's defaults: experts whole, one expert per point). */
  private declare routedOptions: RoutedOptions;
  /** Arrow's routing over the merge explorer's task LoRAs, once they are trained. */
  private declare arrowOutcome: ArrowOutcome | null;
  /** Results of the methods without a PEFT form (their own table). */
  private declare otherResults: MethodResult[];
  /** The per-task weights the all-methods table was computed with. */
  private declare tableWeights: number[];
  /** The merge explorer (task LoRAs on the lab's base), once its tasks are being trained. */
  private declare explorer: MergeExplorerClient | null;
  private declare mergeMethod: string;
  private declare mergeWeights: number[];
  private declare mergeOptions: Record<string, number>;
  private declare mergeOutcome: MergeOutcome | null;
  private declare mergeRefs: { own: MergeOutcome[]; base: MergeOutcome } | null;
  private declare mergeTable: MergeRow[];
  private declare lab: AdaptersLabClient | null;
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
  /** Where the lab lives and trains (the main thread only draws). */
  private readonly worker = new JobWorker<AdaptersLabConfig, AdaptersLabInfo>(() => new Worker(new URL('../workers/adapters-worker.ts', import.meta.url), { type: 'module', name: 'weft-adapters' }));
  private readonly page = new PageStateController(this, ADAPTERS_SCHEMA, {
    training: this.training,
    chooseBackend: (choice) => this.worker.chooseBackend(choice),
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
    this.explorer = null;
    this.mergeMethod = 'ties-merging';
    this.mergeWeights = Array<number>(MERGE_TASKS).fill(1);
    this.mergeOptions = { ...mergeChoices().find((c) => c.name === 'ties-merging')?.options };
    this.mergeOutcome = null;
    this.mergeRefs = null;
    this.mergeTable = [];
    this.tableWeights = [];
    this.otherResults = [];
    this.arrowOutcome = null;
    this.routedOutcome = null;
    this.routedOptions = { density: 1, confidence: 0 };
    this.transferRows = [];
    this.selectiveRows = [];
    this.s2aRows = [];
    this.controllableRows = [];
    this.crashOutcome = null;
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

  private async newLab(): Promise<void> {
    const { dataset, angle, seed, r } = this.page.state;
    this.clearResults();
    this.lab = await AdaptersLabClient.build(this.worker, { dataset, angle, seed, r });
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
    this.explorer?.dispose();
    this.explorer = null;
    this.mergeOutcome = null;
    this.mergeRefs = null;
    this.mergeTable = [];
    this.otherResults = [];
    this.arrowOutcome = null;
    this.routedOutcome = null;
    this.transferRows = [];
    this.selectiveRows = [];
    this.s2aRows = [];
    this.controllableRows = [];
    this.crashOutcome = null;
  }

  /** Run `body` on the lab as the page's one sequence; Stop and leaving the page abort `signal`. */
  private run(body: (lab: AdaptersLabClient, signal: AbortSignal) => Promise<void>): Promise<void> {
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

  /** Fine-tune every method without a PEFT form on the rotated task, one after another. */
  private readonly finetuneOthers = () =>
    this.run(async (lab, signal) => {
      this.otherResults = [];
      const steps = this.page.state.steps;
      for (const [i, method] of OTHER_METHODS.entries()) {
        const label = `Fine-tuning ${methodInfo(method).label} (${i + 1}/${OTHER_METHODS.length})`;
        if (!(await this.trainPhase(label, steps, signal, (s) => lab.finetune(method, s.steps, s.onProgress, s.signal)))) return;
        const result = lab.results.get(method);
        if (result) this.otherResults = [...this.otherResults, result];
      }
      this.phase = 'Done: every other method is in its table.';
    });

  /** Tune plain LoRA and Selective LoRA on the rotated task and score both tasks (in line with the mixes: one model in the worker). */
  private readonly runSelective = () =>
    this.run(async (lab) => {
      this.phase = 'Tuning LoRA and Selective LoRA on the rotated task…';
      const rows = this.mixing.then(() => lab.selective(this.page.state.steps));
      this.mixing = rows.then(() => undefined, () => undefined);
      this.selectiveRows = await rows;
      this.phase = 'Done: Selective LoRA against LoRA is in its card.';
    });

  /** Tune LoRA and S2A's side module on the rotated task, measuring bytes held for backward (in line with the mixes). */
  private readonly runS2A = () =>
    this.run(async (lab) => {
      this.phase = 'Tuning LoRA and the S2A side module on the rotated task…';
      const rows = this.mixing.then(() => lab.s2a(this.page.state.steps));
      this.mixing = rows.then(() => undefined, () => undefined);
      this.s2aRows = await rows;
      this.phase = 'Done: S2A against LoRA is in its card.';
    });

  /** Train a controllable multi-task model once on both tasks, score it at every width (in line with the mixes: one worker). */
  private readonly runControllable = () =>
    this.run(async (lab) => {
      this.phase = 'Training the controllable multi-task model on both tasks…';
      const rows = this.mixing.then(() => lab.controllable(this.page.state.baseSteps));
      this.mixing = rows.then(() => undefined, () => undefined);
      this.controllableRows = await rows;
      this.phase = 'Done: the controllable model is scored at every width.';
    });

  /** CRaSh on its own deeper MLP: pretrain, cluster, tune the emulator, plug its LoRA back (in line with the mixes: one worker). */
  private readonly runCrash = () =>
    this.run(async (lab) => {
      this.phase = 'CRaSh: pretraining a deeper MLP, clustering, tuning the emulator…';
      const outcome = this.mixing.then(() => lab.crash(this.page.state.baseSteps, this.page.state.steps));
      this.mixing = outcome.then(() => undefined, () => undefined);
      this.crashOutcome = await outcome;
      this.phase = "Done: CRaSh's emulator LoRA is in its card.";
    });

  /** Train the merge explorer's task LoRAs one after another, then merge them and fill the table. */
  private readonly trainTasks = () =>
    this.run(async (lab, signal) => {
      this.explorer?.dispose();
      this.explorer = null;
      const ex = await lab.explorer();
      this.explorer = ex;
      this.mergeOutcome = null;
      this.mergeRefs = null;
      this.mergeTable = [];
      this.arrowOutcome = null;
      this.routedOutcome = null;
      this.transferRows = [];
      const steps = this.page.state.steps;
      for (const [k, angle] of ex.angles.entries()) {
        if (!(await this.trainPhase(`Training task LoRA ${k + 1}/${MERGE_TASKS} (rotated ${angle}°)`, steps, signal, (s) => ex.trainTask(k, s.steps, s.onProgress, s.signal)))) return;
      }
      this.mergeRefs = await ex.references();
      // In line with the sliders' merges: the worker runs its calls on one model, so none may overlap.
      const views = this.mixing.then(async () => {
        this.tableWeights = [...this.mergeWeights];
        this.mergeTable = await ex.table(this.tableWeights);
        this.arrowOutcome = await ex.arrow();
        this.routedOutcome = await ex.routed(this.routedOptions);
        this.phase = 'Composing the outer task LoRAs for the middle task…';
        this.transferRows = await ex.transfer(steps);
      });
      this.mixing = views.catch(() => undefined);
      await views;
      this.phase = 'Task adapters ready: pick a merge method and move the sliders.';
      await this.remerge();
    });

  /** Merge the task LoRAs with the explorer's settings (one merge at a time, in order). */
  private remerge(): Promise<void> {
    const ex = this.explorer;
    if (!ex?.ready) return Promise.resolve();
    const [method, weights, options] = [this.mergeMethod, [...this.mergeWeights], { ...this.mergeOptions }];
    this.mixing = this.mixing.then(async () => {
      if (this.explorer !== ex) return;
      try {
        this.mergeOutcome = await ex.merge(method, weights, options);
      } catch (e) {
        this.error = message(e);
      }
    });
    return this.mixing;
  }

  /** A routed-merges slider moved: recompute Mediator and 1bit-Merging (after any merge in flight). */
  private readonly onRoutedOption = (name: keyof RoutedOptions, value: number) => {
    const ex = this.explorer;
    this.routedOptions = { ...this.routedOptions, [name]: value };
    if (!ex?.ready) return;
    const options = { ...this.routedOptions };
    this.mixing = this.mixing.then(async () => {
      if (this.explorer !== ex) return;
      try {
        this.routedOutcome = await ex.routed(options);
      } catch (e) {
        this.error = message(e);
      }
    });
  };

  private onMergeMethod(e: Event) {
    this.mergeMethod = (e.target as HTMLSelectElement).value;
    this.mergeOptions = { ...mergeChoices().find((c) => c.name === this.mergeMethod)?.options };
    void this.remerge();
  }

  private onMergeWeight(k: number, e: Event) {
    this.mergeWeights = this.mergeWeights.map((w, i) => (i === k ? Number((e.target as HTMLInputElement).value) : w));
    void this.remerge();
  }

  private onMergeOption(name: string, e: Event) {
    this.mergeOptions = { ...this.mergeOptions, [name]: Number((e.target as HTMLInputElement).value) };
    void this.remerge();
  }

  /** Recompute the all-methods table with the current per-task weights. */
  private readonly retable = () => {
    const ex = this.explorer;
    if (!ex?.ready) return;
    const weights = [...this.mergeWeights];
    this.mixing = this.mixing.then(async () => {
      if (this.explorer !== ex) return;
      try {
        this.mergeTable = await ex.table(weights);
        this.tableWeights = weights;
        this.mergeOutcome = await ex.merge(this.mergeMethod, this.mergeWeights, this.mergeOptions);
      } catch (e) {
        this.error = message(e);
      }
    });
  };

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

  private async measureBase(lab: AdaptersLabClient): Promise<void> {
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
    const points = lab.taskPoints;
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
          <section class="card" aria-labelledby="others-title">
            <h2 class="card-title" id="others-title">More adapter methods <span class="aside">no PEFT form: not mixed or downloaded</span></h2>
            ${this.renderOthers()}
          </section>
          <section class="card" aria-labelledby="selective-title">
            <h2 class="card-title" id="selective-title">Selective LoRA: forgetting <span class="aside">arXiv:2501.15377 · a gate per LoRA block</span></h2>
            ${renderSelective({ rows: this.selectiveRows, canRun: !!this.lab?.baseReady && !this.busy && this.page.backend !== null, onRun: this.runSelective })}
          </section>
          <section class="card" aria-labelledby="s2a-title">
            <h2 class="card-title" id="s2a-title">S2A: memory for the backward pass <span class="aside">arXiv:2503.08154 · a side module off the tape</span></h2>
            ${renderS2A({ rows: this.s2aRows, canRun: !!this.lab?.baseReady && !this.busy && this.page.backend !== null, onRun: this.runS2A })}
          </section>
          <section class="card" aria-labelledby="controllable-title">
            <h2 class="card-title" id="controllable-title">Width chosen at run time <span class="aside">arXiv:2308.11744 · one model, any width</span></h2>
            ${renderControllable({ rows: this.controllableRows, canRun: !!this.lab && !this.busy && this.page.backend !== null, onRun: this.runControllable, steps: this.page.state.baseSteps })}
          </section>
          <section class="card" aria-labelledby="crash-title">
            <h2 class="card-title" id="crash-title">CRaSh: tune an emulator <span class="aside">arXiv:2310.15477 · clustering, removing, sharing</span></h2>
            ${renderCrash({ outcome: this.crashOutcome, canRun: !!this.lab && !this.busy && this.page.backend !== null, onRun: this.runCrash })}
          </section>
          <section class="card" aria-labelledby="taxonomy-title">
            <h2 class="card-title" id="taxonomy-title">Every method by taxonomy <span class="aside">PEFT survey category · Modular Deep Learning's computation, routing, aggregation</span></h2>
            <weft-adapter-taxonomy></weft-adapter-taxonomy>
          </section>
          <section class="card" aria-labelledby="cost-title">
            <h2 class="card-title" id="cost-title">What each method costs <span class="aside">PEFT survey · parameters, FLOPs unmerged and merged, training memory</span></h2>
            <weft-adapter-costs></weft-adapter-costs>
          </section>
          <section class="card" aria-labelledby="astraios-title">
            <h2 class="card-title" id="astraios-title">Astraios: PEFT across model sizes <span class="aside">arXiv:2401.00788 · full fine-tuning and four methods, three sizes</span></h2>
            ${renderAstraios()}
          </section>
          <section class="card" aria-labelledby="merge-title">
            <h2 class="card-title" id="merge-title">Merge task adapters <span class="aside">${MERGE_TASKS} LoRAs, one per rotation, merged into one</span></h2>
            ${this.renderMerge()}
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

  private renderOthers() {
    const canTrain = this.lab?.baseReady && !this.busy && this.page.backend !== null;
    const button = html`<button class="btn" type="button" data-action="finetune-others" ?disabled=${!canTrain} @click=${this.finetuneOthers}>
      Fine-tune ${OTHER_METHODS.map((m) => methodInfo(m).label).join(', ')}
    </button>`;
    if (this.otherResults.length === 0) return button;
    return html`<div class="scroll">
        <table>
          <thead><tr><th>method</th><th class="n">trainable</th><th class="n">of base</th><th class="n">accuracy</th><th class="barcell"></th></tr></thead>
          <tbody>
            ${this.otherResults.map((r) => {
              const info = methodInfo(r.method);
              return html`<tr data-other=${r.method} data-trainable=${r.trainable} data-accuracy=${r.accuracy}>
                <td><strong>${info.label}</strong><span class="what">${info.what}</span></td>
                <td class="n">${formatInt(r.trainable)}</td>
                <td class="n">${formatPercent(r.trainable / r.baseParams)}</td>
                <td class="n">${formatPercent(r.accuracy)}</td>
                <td class="barcell"><div class="bar" aria-hidden="true"><span .style=${`width:${(100 * r.accuracy).toFixed(1)}%`}></span></div></td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${button}`;
  }

  private renderMerge() {
    const ex = this.explorer;
    const canTrain = this.lab?.baseReady && !this.busy && this.page.backend !== null;
    const intro = html`<p class="note">
      Three LoRAs learn the base task rotated by ${[1, 2, 3].map((k) => `${Math.round((this.page.state.angle * k) / 2)}°`).join(', ')};
      a merge method folds them into one adapter. Two families under distinct names: <strong>Weft's merges</strong> (named by their papers:
      Task arithmetic, TIES-Merging, …; <code>combineAdapters</code>) combine the weight updates ΔWᵢ = BᵢAᵢ; <strong>PEFT's types</strong> (PEFT's own
      names: <code>linear</code>, <code>ties</code>, …; <code>addWeightedAdapter</code>) give the numbers of PEFT's <code>add_weighted_adapter</code>,
      which combines the A and B factors separately unless the type is <code>svd</code>, <code>cat</code> or ends in <code>_svd</code> — so PEFT's
      <code>ties</code> is not Weft's TIES-Merging. Each task keeps its held-out half.
    </p>
    <button class="btn" type="button" data-action="train-tasks" ?disabled=${!canTrain} @click=${this.trainTasks}>Train the ${MERGE_TASKS} task LoRAs</button>`;
    if (!ex?.ready || !this.mergeRefs) return intro;
    const choice = mergeChoices().find((c) => c.name === this.mergeMethod);
    const RANGES: Record<string, [number, number, number]> = { density: [0.05, 1, 0.05], ratio: [0.05, 1, 0.05], n: [1, 8, 1], m: [1, 8, 1] };
    const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
    const outcome = this.mergeOutcome;
    return html`${intro}
      <div class="merge-controls">
        <label class="field"><span>Method</span>
          <select name="merge-method" @change=${(e: Event) => this.onMergeMethod(e)}>
            ${(['weft', 'peft'] as const).map(
              (family) => html`<optgroup label=${family === 'weft' ? "Weft's merges of ΔW" : "PEFT's add_weighted_adapter types"}>
                ${mergeChoices().filter((c) => c.family === family).map((c) => html`<option value=${c.name} ?selected=${c.name === this.mergeMethod}>${c.label}</option>`)}
              </optgroup>`,
            )}
          </select>
        </label>
        <p class="paper">${choice?.paper ?? ''}</p>
        <div class="sliders">
          ${ex.angles.map(
            (a, k) => html`<label class="slider"><span>weight ${a}°</span>
              <input type="range" min="0" max="2" step="0.05" name=${`merge-w${k}`} .value=${String(this.mergeWeights[k])} @input=${(e: Event) => this.onMergeWeight(k, e)} />
              <span class="num">${this.mergeWeights[k]!.toFixed(2)}</span></label>`,
          )}
          ${Object.keys(choice?.options ?? {}).map((name) => {
            const [min, max, step] = RANGES[name] ?? [0, 1, 0.05];
            const v = this.mergeOptions[name] ?? 0;
            return html`<label class="slider"><span>${name}</span>
              <input type="range" min=${min} max=${max} step=${step} name=${`merge-${name}`} .value=${String(v)} @input=${(e: Event) => this.onMergeOption(name, e)} />
              <span class="num">${step < 1 ? v.toFixed(2) : String(v)}</span></label>`;
          })}
        </div>
      </div>
      <div class="scroll">
        <table class="merge-tasks">
          <thead><tr><th>task</th><th class="n">merged</th><th class="barcell"></th><th class="n">own LoRA</th><th class="n">base</th></tr></thead>
          <tbody>
            ${ex.angles.map(
              (a, k) => html`<tr data-merge-task=${k} data-accuracy=${outcome?.perTask[k] ?? ''}>
                <td>rotated ${a}°</td>
                <td class="n">${outcome ? formatPercent(outcome.perTask[k]!) : '—'}</td>
                <td class="barcell">${outcome ? bar(outcome.perTask[k]!) : nothing}</td>
                <td class="n">${formatPercent(this.mergeRefs!.own[k]!.perTask[k]!)}</td>
                <td class="n">${formatPercent(this.mergeRefs!.base.perTask[k]!)}</td>
              </tr>`,
            )}
            <tr class="total" data-merge-average=${outcome?.average ?? ''}>
              <td><strong>average</strong></td>
              <td class="n"><strong>${outcome ? formatPercent(outcome.average) : '—'}</strong></td>
              <td class="barcell">${outcome ? bar(outcome.average) : nothing}</td>
              <td class="n">${formatPercent(this.mergeRefs.own.reduce((s, o, k) => s + o.perTask[k]!, 0) / MERGE_TASKS)}</td>
              <td class="n">${formatPercent(this.mergeRefs.base.average)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <h3 class="sub">Every method on the same three adapters <span class="aside" data-table-weights=${this.tableWeights.join(',')}>default options, weights ${this.tableWeights.map((v) => v.toFixed(2)).join(' · ')}</span></h3>
      <div class="scroll">
        <table class="merge-all">
          <thead><tr><th>method</th>${ex.angles.map((a) => html`<th class="n">${a}°</th>`)}<th class="n">average</th><th class="barcell"></th></tr></thead>
          <tbody>
            ${this.mergeTable.map(
              (r) => html`<tr data-merge-row=${r.method} data-average=${r.average}>
                <td>${r.label}</td>
                ${r.perTask.map((v) => html`<td class="n">${formatPercent(v)}</td>`)}
                <td class="n"><strong>${formatPercent(r.average)}</strong></td>
                <td class="barcell">${bar(r.average)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <button class="btn" type="button" data-action="merge-table" ?disabled=${this.busy} @click=${this.retable}>Recompute the table with these weights</button>
      ${this.renderArrow(ex.angles)}
      ${renderRoutedMerges({
        outcome: this.routedOutcome, angles: ex.angles, own: this.mergeRefs.own.map((o, k) => o.perTask[k]!), options: this.routedOptions, onOption: this.onRoutedOption,
      })}
      ${renderTransfer({ rows: this.transferRows, angles: ex.angles, own: this.mergeRefs.own[1]!.perTask[1]!, base: this.mergeRefs.base.perTask[1]! })}`;
  }

  /** Arrow's routing of each task's points over the task LoRAs, layer by layer, and its accuracy. */
  private renderArrow(angles: number[]) {
    const arrow = this.arrowOutcome;
    if (!arrow || !this.mergeRefs) return nothing;
    const lora = (e: number) => html`<span class="swatch e${e}" aria-hidden="true"></span>LoRA ${angles[e]}°`;
    const cell = (load: number[]) => {
      const top = load.indexOf(Math.max(...load));
      return html`<td class="routing" data-load=${load.map((v) => v.toFixed(4)).join(',')}>
        <div class="stack" aria-hidden="true">${load.map((v, e) => html`<span class="e${e}" .style=${`width:${(100 * v).toFixed(1)}%`}></span>`)}</div>
        <span class="top">${angles[top]}° ${formatPercent(load[top]!)}</span>
      </td>`;
    };
    return html`<h3 class="sub">Or route instead of merging: Arrow <span class="aside">arXiv:2405.11157 · nothing trains</span></h3>
      <p class="note">
        Arrow keeps the three LoRAs and adds a router to each layer: a LoRA's prototype is the top singular direction of its ΔW, and every point
        goes to the LoRA whose prototype aligns best with its input to that layer (largest |⟨x, prototype⟩|, top-1). Each bar is the share of one
        task's held-out points routed to each LoRA: ${[0, 1, 2].map((e) => html`<span class="legend">${lora(e)}</span>`)}. The tasks here are the same
        points rotated, so they share one input region: where the routing does not follow the task, Arrow falls below each task's own LoRA.
      </p>
      <div class="scroll">
        <table class="arrow">
          <thead><tr><th>layer</th>${angles.map((a) => html`<th>points of ${a}°</th>`)}</tr></thead>
          <tbody>
            ${arrow.layers.map((l) => html`<tr data-arrow-layer=${l.path}><td><code>${l.path.replace(/\.arrow$/, '')}</code></td>${l.load.map(cell)}</tr>`)}
            <tr class="total" data-arrow-accuracy=${arrow.perTask.join(',')}>
              <td><strong>accuracy</strong> <span class="what">own LoRA in brackets</span></td>
              ${arrow.perTask.map((v, k) => html`<td class="num"><strong>${formatPercent(v)}</strong> <span class="faint">(${formatPercent(this.mergeRefs!.own[k]!.perTask[k]!)})</span></td>`)}
            </tr>
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
