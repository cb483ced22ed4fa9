// finetune.html: pick a transformers checkpoint folder from disk (config.json, safetensors,
// tokenizer.json — read in the tab, nothing is uploaded) or start from a tiny random llama; see its
// ledger and memory figures; generate text; LoRA-fine-tune it live on pasted text or JSONL with the
// loss curve and tokens/s; generate again; download the PEFT adapter and the merged model. The
// settings live in the URL (PageStateController); fine-tuning is a job of the TrainingController.
// The model lives and trains in a Web Worker (../workers/finetune-worker.ts): the main thread only draws.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/url-notice.js';
import { zipSync } from 'fflate';
import { LitElement, html, nothing } from 'lit';
import type { HfFiles } from '@weft/hf';
import { TrainingController, type TrainingJob } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { RunButtonsController } from '../controllers/run-buttons-controller.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { finetuneStyles } from '../styles/finetune.js';
import { formatCompact, formatInt, formatLoss } from '../format.js';
import { FINETUNE_SCHEMA, type FinetuneState } from './finetune-state.js';
import type { FinetuneSettings, GenerationResult, ModelSummary } from '../jobs/finetune-job.js';
import { JobWorker, type WorkerJob } from '../jobs/worker-job.js';
import type { FinetuneLabConfig } from '../workers/finetune-worker.js';
import type { PeftAdapterOutput } from '@weft/sharing';
import type { SavedTransformers } from '@weft/hf';

/** What the worker says of a loaded model: its summary and the longest window it takes (null: no bound). */
interface LabInfo {
  summary: ModelSummary;
  maxWindow: number | null;
}
import { peftAdapterZip } from '../peft-zip.js';

type Key = keyof FinetuneState;

const SAMPLE_TEXT = [
  'the cat sat on the mat. the dog sat on the log.',
  'the cat ate the fish. the dog ate the bone.',
  'the bird sat on the tree. the frog sat on the stone.',
].join('\n');

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
const bytes = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 2 ** 10).toFixed(1)} KiB`);

/** The fine-tune page. */
export class WeftFinetunePage extends LitElement {
  static override properties = {
    summary: { state: true },
    generation: { state: true },
    generating: { state: true },
    loading: { state: true },
    error: { state: true },
    trainTokens: { state: true },
  };
  private declare summary: ModelSummary | null;
  private declare generation: (GenerationResult & { prompt: string; adapted: boolean }) | null;
  private declare generating: boolean;
  private declare loading: boolean;
  private declare error: string | null;
  private declare trainTokens: number;
  /** The model in the worker, or null while none is loaded. */
  private lab: WorkerJob<LabInfo> | null = null;
  /** The backend the lab was loaded on (a switch loads it again). */
  private labBackend = '';
  /** Where the model lives and trains (the main thread only draws). */
  private readonly worker = new JobWorker<FinetuneLabConfig, LabInfo>(() => new Worker(new URL('../workers/finetune-worker.ts', import.meta.url), { type: 'module', name: 'weft-finetune' }));
  /** The picked folder's files, kept so a backend switch can load them again. */
  private files: { files: HfFiles; name: string } | null = null;
  private job: TrainingJob | null = null;
  private prompt = 'the cat';
  private text = SAMPLE_TEXT;

  private readonly training = new TrainingController(this, {
    onStatus: (s) => {
      if (s === 'done' || s === 'paused' || s === 'stopped' || s === 'error') this.refreshSummary();
    },
  });
  private readonly page = new PageStateController(this, FINETUNE_SCHEMA, {
    training: this.training,
    chooseBackend: (choice) => this.worker.chooseBackend(choice),
    release: () => this.releaseJob(),
    rebuild: () => this.build(),
  });
  private readonly buttons = new RunButtonsController(this, {
    training: this.training,
    settings: this.page,
    job: () => this.job,
    startLabel: 'Fine-tune',
    restartLabel: 'Restart',
    action: 'train',
  });

  constructor() {
    super();
    this.summary = null;
    this.generation = null;
    this.generating = false;
    this.loading = false;
    this.error = null;
    this.trainTokens = 0;
  }

  static override styles = finetuneStyles;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.lab?.dispose();
    this.lab = null;
  }

  private releaseJob(): void {
    this.job = null;
  }

  /** The lab on the current backend (loaded again after a backend switch), then a fresh LoRA job. */
  private async build(): Promise<void> {
    this.error = null;
    try {
      if (!this.lab || this.labBackend !== this.page.backend?.backend) await this.loadLab();
      this.job = await this.newJob();
    } catch (e) {
      this.job = null;
      this.error = message(e);
    }
  }

  private async loadLab(): Promise<void> {
    this.lab?.dispose();
    this.lab = null;
    this.summary = null;
    this.generation = null;
    this.loading = true;
    try {
      this.lab = await this.worker.build({ files: this.files?.files ?? null, name: this.files?.name ?? 'demo', seed: this.page.state.seed });
      this.labBackend = this.page.backend?.backend ?? '';
      this.summary = this.lab.info.summary;
    } finally {
      this.loading = false;
    }
  }

  /** A fresh adapter and the tokenized training text, as a resumable job. */
  private async newJob(): Promise<TrainingJob | null> {
    const lab = this.lab;
    if (!lab) return null;
    const s = this.page.state;
    const window = Math.min(s.window, this.maxWindow());
    const settings: FinetuneSettings = { steps: s.steps, r: s.r, learningRate: s.lr, window, batch: s.batch, seed: s.seed };
    const prepared = await lab.call<{ tokens: number; summary: ModelSummary }>('prepare', this.text, settings);
    this.trainTokens = prepared.tokens;
    this.summary = prepared.summary;
    return { totalSteps: s.steps, run: (seg) => lab.run(seg) };
  }

  /** The longest window the model takes (GPT-2's learned positions bound it). */
  private maxWindow(): number {
    return this.lab?.info.maxWindow ?? Number.MAX_SAFE_INTEGER;
  }

  private refreshSummary(): void {
    const lab = this.lab;
    if (lab) void lab.call<ModelSummary>('summary').then((s) => (this.lab === lab ? (this.summary = s) : undefined), () => undefined);
  }

  private readonly pickFolder = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const list = [...(input.files ?? [])];
    input.value = '';
    if (list.length === 0) return;
    // Files of the top folder by name (webkitRelativePath is "folder/name"); nested folders are ignored.
    const files: HfFiles = {};
    let folder = 'folder';
    for (const f of list) {
      const parts = (f.webkitRelativePath || f.name).split('/');
      if (parts.length > 2) continue;
      if (parts.length === 2) folder = parts[0]!;
      files[parts.at(-1)!] = f;
    }
    const previous = this.files;
    this.files = { files, name: folder };
    await this.reloadModel(previous);
  };

  private readonly useDemo = async () => {
    const previous = this.files;
    this.files = null;
    await this.reloadModel(previous);
  };

  /** Load the chosen model in place of the current one; on failure the page keeps the previous model. */
  private async reloadModel(previous: { files: HfFiles; name: string } | null): Promise<void> {
    if (this.buttons.locked || this.loading) return;
    await this.training.reset();
    try {
      await this.loadLab();
      this.job = await this.newJob();
    } catch (e) {
      const why = message(e);
      this.files = previous;
      try {
        await this.loadLab();
        this.job = await this.newJob();
      } catch {
        /* the previous model loaded before; keep the page usable */
      }
      this.error = `Could not load the model: ${why}`;
    }
  }

  private readonly onPrompt = (e: Event) => {
    this.prompt = (e.target as HTMLInputElement).value;
  };

  private readonly onText = (e: Event) => {
    this.text = (e.target as HTMLTextAreaElement).value;
    // The job tokenizes the text when it is built: a new text is a new job.
    if (!this.buttons.locked) void this.page.rebuild();
  };

  private readonly generate = async () => {
    const lab = this.lab;
    if (!lab || this.generating) return;
    this.generating = true;
    this.error = null;
    try {
      const r = await lab.call<GenerationResult>('generate', this.prompt, 48, 0.8, this.page.state.seed);
      this.generation = { ...r, prompt: this.prompt, adapted: this.training.step > 0 };
    } catch (e) {
      this.error = message(e);
    } finally {
      this.generating = false;
    }
  };

  private async downloadAdapter(): Promise<void> {
    if (!this.lab) return;
    try {
      download('weft-lora-adapter.zip', peftAdapterZip('weft-lora-adapter', await this.lab.call<PeftAdapterOutput>('peft')) as BlobPart, 'application/zip');
    } catch (e) {
      this.error = message(e);
    }
  }

  private async downloadMerged(): Promise<void> {
    if (!this.lab) return;
    try {
      const m = await this.lab.call<SavedTransformers>('merged');
      const zip = zipSync({ 'weft-merged-model': { 'config.json': new TextEncoder().encode(m.config), 'model.safetensors': m.safetensors } });
      download('weft-merged-model.zip', zip as BlobPart, 'application/zip');
    } catch (e) {
      this.error = message(e);
    }
  }

  override render() {
    const t = this.training;
    const latest = t.latest;
    const tokensPerStep = this.page.state.batch * Math.min(this.page.state.window, this.maxWindow());
    return html`<div class="top">
        <div>
          <h1>Fine-tune a transformers model</h1>
          <p class="lead">
            Pick a model folder from your disk — config.json, the safetensors weights and tokenizer.json — or start from a tiny random
            llama. Everything runs in this tab: nothing is uploaded. Generate, fine-tune a LoRA adapter on your text, generate again,
            and take the adapter home in PEFT's format.
          </p>
        </div>
        <weft-backend-badge .report=${this.page.backend} .error=${this.page.backendError}></weft-backend-badge>
      </div>
      <weft-url-notice .problems=${this.page.problems}></weft-url-notice>
      <div class="layout">
        <section class="card settings" aria-labelledby="settings-title">
          <h2 class="card-title" id="settings-title">Model and settings</h2>
          ${this.renderForm()}
        </section>
        <div class="main">
          ${this.error ? html`<div class="alert" role="alert" data-error>${this.error}</div>` : nothing}
          ${this.renderModel()}
          <div class="two">
            ${this.renderGenerate()}
            <section class="card" aria-labelledby="data-title">
              <h2 class="card-title" id="data-title">Training text <span class="aside">${this.trainTokens ? `${formatInt(this.trainTokens)} tokens` : ''}</span></h2>
              <textarea name="train-text" aria-label="Training text: plain text, or JSONL lines with a text field" spellcheck="false" ?disabled=${this.buttons.locked} .value=${this.text} @change=${this.onText}></textarea>
              <p class="note">Plain text, or JSONL: one {"text": …} (or {"prompt": …, "completion": …}) per line.</p>
            </section>
          </div>
          <section class="card" aria-labelledby="progress-title">
            <h2 class="card-title" id="progress-title">LoRA fine-tuning <span class="aside">rank ${this.page.state.r} on the attention projections; the base stays frozen</span></h2>
            <weft-progress-bar .step=${t.step} .total=${t.totalSteps || this.page.state.steps} .stepsPerSecond=${latest?.stepsPerSecond ?? 0} .loss=${latest?.loss ?? Number.NaN} .elapsedMs=${t.elapsedMs} .status=${t.status}></weft-progress-bar>
            <div class="stats num">
              <div class="stat"><div class="k">loss</div><div class="v" data-loss=${latest?.loss ?? ''} data-first-loss=${t.history[0]?.loss ?? ''}>${latest ? formatLoss(latest.loss) : '—'}</div></div>
              <div class="stat"><div class="k">tokens / s</div><div class="v" data-tokens-per-s=${latest ? latest.stepsPerSecond * tokensPerStep : ''}>${latest ? formatCompact(latest.stepsPerSecond * tokensPerStep) : '—'}</div></div>
              <div class="stat"><div class="k">trainable</div><div class="v">${this.summary ? formatInt(this.summary.trainable) : '—'}</div></div>
            </div>
            <weft-loss-chart .history=${t.history} metric=""></weft-loss-chart>
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
            <div class="downloads">
              <button class="btn" type="button" data-download="adapter" ?disabled=${!this.lab || t.step === 0 || this.buttons.locked} title="A zip of adapter_config.json and adapter_model.safetensors, for PeftModel.from_pretrained" @click=${() => void this.downloadAdapter()}>PEFT adapter ↓</button>
              <button class="btn" type="button" data-download="merged" ?disabled=${!this.lab || this.buttons.locked} title="config.json and model.safetensors with the adapter merged in, for from_pretrained" @click=${() => void this.downloadMerged()}>Merged model ↓</button>
            </div>
          </section>
        </div>
        <section class="card try" aria-labelledby="how-title">
          <h2 class="card-title" id="how-title">How it works</h2>
          <ol>
            <li>The checkpoint becomes a Weft model built from Weft's own layers, under transformers' names.</li>
            <li>LoRA adds a rank-r update to each attention projection; only those weights train.</li>
            <li>The adapter saves under PEFT's names, so PeftModel.from_pretrained reads it; the merged model is a plain checkpoint.</li>
          </ol>
        </section>
      </div>`;
  }

  private renderModel() {
    const m = this.summary;
    return html`<section class="card" aria-labelledby="model-title">
      <h2 class="card-title" id="model-title">Model <span class="aside">${this.loading ? 'loading…' : ''}</span></h2>
      ${m
        ? html`<p class="source" data-model-type=${m.modelType}>${m.source === 'demo' ? 'tiny random llama (demo, character tokenizer)' : `${m.source}/`} · ${m.modelType}</p>
            <div class="stats num">
              <div class="stat"><div class="k">layers × width</div><div class="v">${m.layers} × ${formatInt(m.hidden)}</div></div>
              <div class="stat"><div class="k">vocabulary</div><div class="v">${formatInt(m.vocab)}</div></div>
              <div class="stat"><div class="k">parameters</div><div class="v" data-stored=${m.stored}>${formatInt(m.stored)}</div></div>
              <div class="stat"><div class="k">weights (float32)</div><div class="v">${bytes(m.memory.weightBytes)}</div></div>
              <div class="stat"><div class="k">peak while loading</div><div class="v" data-peak=${m.memory.peakBytes}>${bytes(m.memory.peakBytes)}</div></div>
              ${m.memory.calculator
                ? html`<div class="stat"><div class="k">LoRA training (calculator, ${formatInt(m.memory.calculator.context)} tokens)</div><div class="v" data-lora-bytes=${m.memory.calculator.loraBytes}>${bytes(m.memory.calculator.loraBytes)}</div></div>`
                : nothing}
            </div>`
        : html`<p class="empty">${this.loading ? 'Loading the model…' : 'No model yet.'}</p>`}
    </section>`;
  }

  private renderGenerate() {
    const g = this.generation;
    return html`<section class="card" aria-labelledby="gen-title">
      <h2 class="card-title" id="gen-title">Generate <span class="aside">48 tokens, temperature 0.8, top-k 40, top-p 0.95, KV cache</span></h2>
      <div class="prompt-row">
        <label class="field"><span>Prompt</span><input name="prompt" .value=${this.prompt} @input=${this.onPrompt} autocomplete="off" spellcheck="false" /></label>
        <button class="btn primary" type="button" data-action="generate" ?disabled=${!this.lab || this.generating || this.buttons.locked} @click=${this.generate}>${this.generating ? 'Generating…' : 'Generate'}</button>
      </div>
      <div class="generated" data-generated=${g ? g.text : ''} aria-live="polite">${g ? html`<span class="prompt">${g.prompt}</span>${g.text}` : html`<span class="prompt">The continuation appears here.</span>`}</div>
      ${g ? html`<p class="note" data-generation-speed=${g.tokensPerSecond}>${formatInt(g.tokens)} tokens at ${formatCompact(g.tokensPerSecond)} tokens/s · ${g.adapted ? 'with the adapter' : 'base model'}</p>` : nothing}
    </section>`;
  }

  private renderForm() {
    const s = this.page.state;
    const locked = this.buttons.locked;
    const err = (k: Key) => (this.page.fieldErrors[k] ? html`<span class="error" role="alert">${this.page.fieldErrors[k]}</span>` : nothing);
    const num = (k: Key, label: string, value: number, attrs: { min: number; max: number; step?: number | string }) => html`<label class="field ${this.page.fieldErrors[k] ? 'invalid' : ''}">
      <span>${label}</span>
      <input name=${k} type="number" min=${attrs.min} max=${attrs.max} step=${attrs.step ?? 1} .value=${String(value)} />
      ${err(k)}
    </label>`;
    return html`<div class="row">
        <label class="btn file">Open folder…<input type="file" name="model-folder" webkitdirectory multiple aria-label="Open a model folder (config.json, safetensors, tokenizer.json)" ?disabled=${locked || this.loading} @change=${this.pickFolder} /></label>
        <button class="btn" type="button" data-action="demo" ?disabled=${locked || this.loading || this.files === null} @click=${this.useDemo}>Demo model</button>
      </div>
      <form @submit=${(e: Event) => e.preventDefault()} @change=${this.page.onChange}>
        <fieldset ?disabled=${locked}>
          <div class="pair">${num('steps', 'Steps', s.steps, { min: 1, max: 100000, step: 50 })}${num('r', 'LoRA rank r', s.r, { min: 1, max: 64 })}</div>
          <div class="pair">${num('lr', 'Learning rate', s.lr, { min: 0, max: 1, step: 'any' })}${num('seed', 'Seed', s.seed, { min: 0, max: 2 ** 31 - 1 })}</div>
          <div class="pair">${num('window', 'Tokens per window', s.window, { min: 2, max: 1024 })}${num('batch', 'Windows per step', s.batch, { min: 1, max: 64 })}</div>
          <label class="field"><span>Backend</span>
            <select name="backend">${BACKEND_CHOICES.map((b) => html`<option value=${b} ?selected=${b === s.backend}>${b}</option>`)}</select>
          </label>
        </fieldset>
        <div class="buttons">${this.buttons.render()}</div>
        <p class="note">${locked ? 'Settings are locked during a run. ' : ''}The settings are in the address bar; the model and the texts stay in this tab.</p>
      </form>`;
  }
}

customElements.define('weft-finetune-page', WeftFinetunePage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-finetune-page': WeftFinetunePage;
  }
}
