// params.html: up to four real-scale models side by side — a preset (searchable by name) or a pasted
// config.json each, with sliders for layers, width, experts, k, the sharing plan and an adapter — and
// their exact parameter counts (total, stored, effective, trainable, active per token, embedding),
// the breakdown by part as stacked bars, and the memory they need for inference, full fine-tuning,
// LoRA or QLoRA against context length, with whether each fits a chosen GPU and this browser's WebGPU
// buffer limits. Everything is computed by @weft/core's calculator from the config alone (no tensors),
// so every change updates at once. Settings live in the URL; pasted configs stay in localStorage.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/url-notice.js';
import '../components/bar-chart.js';
import './params-charts.js';
import { LitElement, html, nothing } from 'lit';
import {
  CALCULATOR_LIMITS,
  MEMORY_MODES,
  PARAM_PRECISIONS,
  PRESETS,
  PRESET_NAMES,
  SHARING_PLANS,
  formatBytes,
  parseConfigJson,
  textModelOfJson,
  type MemoryEstimate,
  type MemoryParts,
  type ModelConfig,
  type ParamComponent,
  type ParamReport,
  type PresetName,
} from '@weft/core';
import { CopyLinkController } from '../controllers/copy-link-controller.js';
import { parseUrlState, type UrlProblem } from '../url-state.js';
import { paramsStyles } from '../styles/params.js';
import { formatCompact, formatInt } from '../format.js';
import {
  ADAPTER_CHOICES,
  GPU_CHOICES,
  HEAD_CHOICES,
  MAX_SIDES,
  PARAMS_SCHEMA,
  SHARING_CHOICES,
  SIDES,
  TARGET_CHOICES,
  formatSides,
  keyOf,
  memoryOf,
  planOfChoice,
  sharingScope,
  sideOf,
  type MemoryState,
  type Side,
  type SideState,
} from './params-state.js';
import { CURVE_CONTEXTS, computeSide, expertsOf, rankApplies, sharingApplies, sideMemory, sideProblems, sizesOf, widthStep, type SideResult } from './params-model.js';
import type { StackItem } from './params-charts.js';
import type { BarGroup } from '../components/bar-chart.js';

/** The registry name of a sharing choice's plan. */
const planName = (choice: string): string => {
  const plan = planOfChoice(choice);
  return typeof plan === 'string' ? plan : plan.name;
};
/** What a sub-module sharing choice does (ffnSharing / expertSharing in the calculator). */
const SUB_MODULE_NOTES: Readonly<Record<string, string>> = {
  ffnSharing: 'MobiLlama: every layer keeps its attention and norms; one feed-forward network serves them all',
  expertSharing: 'Megrez2: adjacent MoE layers reuse one bank of routed experts; each keeps its own router (MoE models only)',
};
/** A sharing choice in words: `groups-4` is "groups (groups = 4)". */
function sharingLabel(choice: string): string {
  const scope = sharingScope(choice);
  if (scope !== 'sharing') {
    const plan = planOfChoice(choice);
    return scope === 'ffnSharing' ? 'MobiLlama: one FFN for every layer' : `Megrez2: an expert bank per ${typeof plan === 'string' ? '' : String(plan.repeat)} adjacent MoE layers`;
  }
  const plan = planOfChoice(choice);
  if (typeof plan === 'string') return plan === 'none' ? 'none (every layer its own)' : plan;
  const { name, ...options } = plan;
  return `${name} (${Object.entries(options).map(([k, v]) => `${k} = ${String(v)}`).join(', ')})`;
}
/** What the adapter select says (a method the page has no words for shows its name). */
const ADAPTER_LABELS: Readonly<Record<string, string>> = {
  none: 'none — full fine-tuning',
  lora: 'LoRA',
  dora: 'DoRA (LoRA + magnitude)',
  loha: 'LoHa',
  lokr: 'LoKr',
  ia3: '(IA)³',
};
const HEAD_LABELS: Record<(typeof HEAD_CHOICES)[number], string> = {
  default: 'usual (encoder: bare model, decoder: causal LM)',
  none: 'bare model (AutoModel)',
  lm: 'language-model head (…ForMaskedLM / …ForCausalLM)',
  classifier: 'sequence classifier, 2 labels',
};
/** The "usual" model class named for the side's family, short enough for a quarter-width select. */
function usualHead(modelType: string): string {
  return `usual: ${modelType === 'bert' || modelType === 'albert' ? 'bare encoder' : modelType === 't5' || modelType === 'switch_transformers' ? 'seq2seq LM' : 'causal LM'}`;
}
const TARGET_LABELS: Record<(typeof TARGET_CHOICES)[number], string> = {
  qv: 'query and value',
  attn: 'all attention projections',
  all: 'attention and MLP (every Linear but the head)',
};

/** The rows of the table: what each counts. */
const METRICS = [
  ['total', 'Total', 'what transformers’ num_parameters() reports (base model)'],
  ['stored', 'Stored', 'unique parameters in memory (base + adapter)'],
  ['effective', 'Effective', 'counted once per use (shared blocks, tied matrices)'],
  ['trainable', 'Trainable', 'updated in fine-tuning (only the adapter, when one is attached)'],
  ['activePerToken', 'Active / token', 'touched by one token, per use (k of E routed experts; every embedding table; a tied head once with its embedding)'],
  ['nonEmbedding', 'Non-embedding', 'total without the token embedding and an untied lm_head (as model cards count)'],
] as const;
type Metric = (typeof METRICS)[number][0];

/** Links that set up a comparison worth seeing. */
const TRY: Array<{ label: string; why: string; query: string }> = [
  { label: 'BERT-base vs ALBERT-base', why: 'factorised embeddings and one shared layer: 9× fewer stored parameters, the same effective count per layer.', query: '?a=bert-base-uncased&b=albert-base-v2' },
  { label: 'Four large MoEs', why: 'DeepSeek-V3, Qwen3-235B-A22B, gpt-oss-120b and Llama 4 Scout: total against active parameters, and the memory each needs at 32k tokens.', query: '?n=4&a=DeepSeek-V3&b=Qwen3-235B-A22B&c=gpt-oss-120b&d=Llama-4-Scout-17B-16E&ctx=32768&gpu=141' },
  { label: 'Latent attention’s small cache', why: 'DeepSeek-V3 caches 70 KB per token, Llama-3.1-405B 516 KB: compare the memory curves.', query: '?a=DeepSeek-V3&b=Llama-3.1-405B&prec=int4&ctx=131072&gpu=192' },
  { label: 'Fine-tune an 8B model on a 24 GB GPU', why: 'at 2,048 tokens, LoRA r=16 on q, v needs 26 GB (18 GB with checkpointing), QLoRA 16 GB, full fine-tuning 139 GB: switch “For” to see each.', query: '?n=1&a=Llama-3.1-8B&a_adapter=lora&a_rank=16&mode=lora&ctx=2048&gpu=24' },
  { label: 'Mixtral-8x7B: total vs active', why: '46.7B stored, 12.9B touched per token; next to Mistral-7B, which has the same attention and one of its 8 experts per layer.', query: '?a=Mixtral-8x7B&b=Mistral-7B-v0.1' },
  { label: 'LLaMA-7B with LoRA r=8 on q, v', why: '4.2M trainable parameters on a frozen 6.7B model.', query: '?a=Llama-2-7b&b=Llama-2-7b&b_adapter=lora&b_rank=8&b_targets=qv' },
  { label: 'MobileLLM block repeat', why: 'TinyLlama with each block run twice in a row: half the stored blocks, the same depth.', query: '?a=TinyLlama-1.1B&b=TinyLlama-1.1B&b_sharing=block-repeat-2' },
  { label: 'Gemma 3 vs Qwen3 at 4B', why: 'a 262k vocabulary: 17% of Gemma 3 4B is its embedding table, and five of six layers keep only a 1024-token window.', query: '?a=gemma-3-4b%20(text)&b=Qwen3-4B&ctx=32768' },
];

/** What one side uses as its base config: a preset, or a pasted config.json. */
interface SideBase {
  config: ModelConfig;
  /** Name shown: the preset, or "pasted config.json". */
  name: string;
  /** Whether it came from a paste (not in the link). */
  pasted: boolean;
}

function presetBase(name: PresetName): SideBase {
  return { config: PRESETS[name].config as ModelConfig, name, pasted: false };
}

const MB = 1024 * 1024;
const GB = 1e9;
/** localStorage key of a side's pasted config.json text. */
const storageKey = (side: Side) => `weft.params.pasted.${side}`;

/**
 * A pasted config.json as a side's base: the model itself, or for a multimodal Gemma 3 / Llama 4 config its
 * language model (`text_config`; the name says the vision encoder is not counted). Throws the parse error.
 */
function readPaste(text: string): SideBase {
  try {
    return { config: parseConfigJson(text), name: 'pasted config.json', pasted: true };
  } catch (e) {
    const inner = textModelOfJson(text);
    if (!inner) throw e;
    return { config: inner.config, name: `pasted ${inner.wrapper} config.json: text model only`, pasted: true };
  }
}

/** Reads a side's pasted config from localStorage (null if none, unreadable or storage is off). */
function storedPaste(side: Side): { text: string; base: SideBase } | null {
  try {
    const text = window.localStorage.getItem(storageKey(side));
    return text ? { text, base: readPaste(text) } : null;
  } catch {
    return null;
  }
}

/** The adapter's WebGPU limits, once read; `null` while reading; a sentence when there is no WebGPU. */
type GpuLimits = { maxBufferSize: number; maxStorageBufferBindingSize: number } | string | null;

// Short enough for the select at phone width; the table below names every part.
const MODE_LABELS: Record<MemoryState['mode'], string> = {
  inference: 'inference',
  full: 'full fine-tuning',
  lora: 'LoRA fine-tuning',
  qlora: 'QLoRA (4-bit base)',
};

/** A part of the GPU's memory: "0.4%", "83%", or "2.94×" past all of it. */
function shareOf(x: number): string {
  if (x >= 1) return `${x.toFixed(x < 10 ? 2 : 1)}×`;
  if (x >= 0.1) return `${Math.round(x * 100)}%`;
  return x >= 0.001 ? `${(x * 100).toFixed(1)}%` : '<0.1%';
}
const PART_LABELS: Record<keyof MemoryParts, string> = {
  weights: 'weights',
  masterWeights: 'fp32 master weights',
  gradients: 'gradients',
  optimizer: 'Adam moments',
  adapter: 'adapter + its optimizer',
  kvCache: 'KV cache / state',
  activations: 'activations',
};

/** The parameter comparator page. */
export class WeftParamsPage extends LitElement {
  static override properties = {
    sides: { state: true },
    count: { state: true },
    memory: { state: true },
    bases: { state: true },
    problems: { state: true },
    pasteText: { state: true },
    pasteError: { state: true },
    search: { state: true },
    gpu: { state: true },
  };
  private declare sides: Record<Side, SideState>;
  private declare count: number;
  private declare memory: MemoryState;
  private declare bases: Record<Side, SideBase>;
  private declare problems: UrlProblem[];
  private declare pasteText: Record<Side, string>;
  private declare pasteError: Record<Side, string | null>;
  private declare search: Record<Side, string>;
  private declare gpu: GpuLimits;
  private readonly link = new CopyLinkController(this);

  constructor() {
    super();
    this.pasteText = { a: '', b: '', c: '', d: '' };
    this.pasteError = { a: null, b: null, c: null, d: null };
    this.search = { a: '', b: '', c: '', d: '' };
    this.gpu = null;
    this.load(window.location.search);
  }

  /** Reads the page's state from a query string (the URL or a "things to try" link). */
  private load(query: string): void {
    const { state, problems } = parseUrlState(PARAMS_SCHEMA, query);
    this.count = state.n as number;
    this.memory = memoryOf(state);
    this.sides = Object.fromEntries(SIDES.map((s) => [s, sideOf(state, s)])) as Record<Side, SideState>;
    const bases = {} as Record<Side, SideBase>;
    for (const s of SIDES) {
      bases[s] = presetBase(this.sides[s].preset);
      if (this.sides[s].pasted === 1) {
        const kept = storedPaste(s);
        if (kept) {
          bases[s] = kept.base;
          this.pasteText = { ...this.pasteText, [s]: kept.text };
        } else {
          this.sides[s] = { ...this.sides[s], pasted: 0 };
          problems.push({ param: keyOf(s, 'pasted'), value: '1', message: `${keyOf(s, 'pasted')}=1 asks for a config.json pasted in this browser, and none is kept here (pasted configs never travel in links). Using the preset, ${this.sides[s].preset}.` });
        }
      }
    }
    this.bases = bases;
    this.problems = problems;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.writeUrl();
    void this.readGpuLimits();
  }

  /** Reads maxBufferSize and maxStorageBufferBindingSize from this browser's WebGPU adapter. */
  private async readGpuLimits(): Promise<void> {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ limits: Record<string, number> } | null> } }).gpu;
    if (!gpu) {
      this.gpu = 'This browser has no WebGPU (navigator.gpu is missing).';
      return;
    }
    try {
      const adapter = await gpu.requestAdapter();
      this.gpu = adapter
        ? { maxBufferSize: Number(adapter.limits.maxBufferSize), maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize) }
        : 'WebGPU is present but no adapter was granted.';
    } catch (e) {
      this.gpu = `WebGPU adapter request failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  static override styles = paramsStyles;

  private shown(): Side[] {
    return SIDES.slice(0, this.count);
  }

  override render() {
    const shown = this.shown();
    const results = Object.fromEntries(shown.map((s) => [s, computeSide(this.bases[s].config, this.sides[s])])) as Record<Side, SideResult>;
    const memories = Object.fromEntries(shown.map((s) => [s, sideMemory(results[s], this.memory)])) as Record<Side, ReturnType<typeof sideMemory>>;
    const notices = [...this.problems, ...shown.flatMap((s) => sideProblems(s, this.bases[s].config, this.bases[s].name, this.sides[s]))];
    return html`<h1>Parameter comparator</h1>
      <p class="lead">
        Exact parameter counts of real-scale models from their config alone — the numbers transformers reports, plus what sharing,
        experts and adapters change — and the memory each needs to run or fine-tune, against context length.
      </p>
      <weft-url-notice .problems=${notices}></weft-url-notice>
      <div class="count-row">
        <span>Models compared:</span>
        ${[1, 2, 3, 4].map((k) => html`<button type="button" class="btn ${k === this.count ? 'primary' : ''}" data-count=${k} aria-pressed=${k === this.count} @click=${() => this.setCount(k)}>${k}</button>`)}
      </div>
      <div class="sides n${this.count}">${shown.map((s) => this.renderSide(s, results[s]))}</div>
      <div class="results">
        <section class="card" aria-labelledby="table-title">
          <h2 class="card-title" id="table-title">
            Counts <span class="aside share"><span>The link holds every model shown.</span>${this.link.render()}</span>
          </h2>
          ${this.renderTable(results)}
        </section>
        <div class="charts">
          <section class="card" aria-labelledby="pchart-title">
            <h2 class="card-title" id="pchart-title">Parameters <span class="aside">linear scale</span></h2>
            <weft-bar-chart
              data-chart="params"
              .series=${this.seriesNames()}
              scale="linear"
              .format=${formatCompact}
              .groups=${METRICS.filter(([m]) => m !== 'total' && m !== 'nonEmbedding').map(
                ([m, label]): BarGroup => ({ label, values: shown.map((s) => results[s].report?.[m] ?? null) }),
              )}
            ></weft-bar-chart>
          </section>
          <section class="card" aria-labelledby="mchart-title">
            <h2 class="card-title" id="mchart-title">Memory of the stored parameters <span class="aside">weights only</span></h2>
            <weft-bar-chart
              data-chart="memory"
              .series=${this.seriesNames()}
              scale="linear"
              .format=${formatBytes}
              .groups=${PARAM_PRECISIONS.map((p): BarGroup => ({ label: p, values: shown.map((s) => results[s].report?.bytes[p] ?? null) }))}
            ></weft-bar-chart>
          </section>
        </div>
        <section class="card" aria-labelledby="breakdown-title">
          <h2 class="card-title" id="breakdown-title">Breakdown <span class="aside">stored parameters by part of the model</span></h2>
          <weft-params-stack .items=${shown.map((s) => this.stackItem(s, results[s].report))}></weft-params-stack>
          <details class="breakdown spaced">
            <summary>Breakdown tables</summary>
            <div class="charts">${shown.map((s) => this.renderBreakdown(s, results[s]))}</div>
          </details>
        </section>
        ${this.renderMemory(shown, results, memories)}
        <section class="card try" aria-labelledby="try-title">
          <h2 class="card-title" id="try-title">Things to try</h2>
          <ul>
            ${TRY.map((t) => html`<li><a href=${t.query} @click=${(e: Event) => this.followTry(e, t.query)}>${t.label}</a>: ${t.why}</li>`)}
          </ul>
        </section>
      </div>`;
  }

  private seriesNames(): string[] {
    return this.shown().map((s) => `${s.toUpperCase()}: ${this.bases[s].name}`);
  }

  private stackItem(side: Side, r: ParamReport | null): StackItem | null {
    if (!r) return null;
    const parts: Partial<Record<ParamComponent, number>> = {};
    for (const row of r.rows) parts[row.component] = (parts[row.component] ?? 0) + row.stored;
    return { label: `${side.toUpperCase()} · ${this.bases[side].name}`, parts };
  }

  private renderSide(side: Side, r: SideResult) {
    const s = this.sides[side];
    const base = this.bases[side];
    const cfg = base.config;
    const moe = expertsOf(cfg);
    const usedMoe = expertsOf(r.config);
    const step = widthStep(cfg);
    const baseSizes = sizesOf(cfg);
    const now = sizesOf(r.config);
    const maxLayers = Math.min(CALCULATOR_LIMITS.maxLayers, Math.max(96, baseSizes.layers * 2));
    const maxWidth = Math.min(CALCULATOR_LIMITS.maxWidth, Math.max(step * 4, Math.ceil((baseSizes.width * 2) / step) * step));
    const sharingOk = sharingApplies(cfg);
    const rankOff = !rankApplies(s.adapter);
    const preset = base.pasted ? null : PRESETS[s.preset];
    const query = this.search[side].trim().toLowerCase();
    const matches = PRESET_NAMES.filter((p) => !query || p.toLowerCase().includes(query) || PRESETS[p].config.model_type.includes(query));
    const listed = matches.includes(s.preset) || base.pasted ? matches : [s.preset, ...matches];
    return html`<section class="card side" data-side=${side} aria-labelledby="side-${side}">
      <h2 class="card-title" id="side-${side}">
        <span><span class="side-name ${side}">${side.toUpperCase()}</span>Model ${side.toUpperCase()}</span>
        <span class="aside">${cfg.model_type}${this.count > 1
          ? html` <button type="button" class="remove" data-remove=${side} aria-label="Remove model ${side.toUpperCase()}" title="Remove this model" @click=${() => this.removeSide(side)}>×</button>`
          : nothing}</span>
      </h2>
      <label class="field">
        <span>Find a preset</span>
        <input
          type="search"
          name="preset-search"
          placeholder="name or type, e.g. qwen3, moe, gemma"
          .value=${this.search[side]}
          @input=${(e: Event) => (this.search = { ...this.search, [side]: (e.target as HTMLInputElement).value })}
          @keydown=${(e: KeyboardEvent) => {
            if (e.key === 'Enter' && matches.length > 0) this.pickPreset(side, matches[0]!);
          }}
        />
        <small data-matches=${side}>${query ? `${matches.length} of ${PRESET_NAMES.length} presets match${matches.length ? '; Enter picks the first' : ''}` : `${PRESET_NAMES.length} presets`}</small>
      </label>
      <label class="field">
        <span>Preset</span>
        <select name="preset" @change=${(e: Event) => this.pickPreset(side, (e.target as HTMLSelectElement).value as PresetName)}>
          ${base.pasted ? html`<option value="" selected>pasted config.json</option>` : nothing}
          ${listed.map((p) => html`<option value=${p} ?selected=${!base.pasted && p === s.preset}>${p}</option>`)}
        </select>
      </label>
      <p class="source">${preset ? html`${preset.source} · ${preset.reference}` : `A pasted config.json${base.name === 'pasted config.json' ? '' : ': a multimodal model, of which its text_config (the language model) is counted; the vision encoder and projector are not'} (kept in this browser’s local storage; the link says only that this side is pasted).`}</p>
      <div class="sliders">
        ${this.slider(side, 'layers', 'Layers', now.layers, 1, maxLayers, 1, formatInt(now.layers), true, cfg.model_type === 't5' || cfg.model_type === 'switch_transformers' ? 'layers of each stack' : 'layer blocks in the stack')}
        ${this.slider(side, 'width', 'Width', now.width, step, maxWidth, step, formatInt(now.width), true, 'hidden size; FFN widths scale with it')}
        ${this.slider(side, 'experts', 'Experts', usedMoe?.experts ?? 0, 1, Math.max(256, (moe?.experts ?? 0) * 2), 1, usedMoe ? formatInt(usedMoe.experts) : '—', moe !== null, moe ? 'routed experts per MoE layer' : 'dense model: no experts')}
        ${this.slider(side, 'k', 'Experts per token (k)', usedMoe?.k ?? 0, 1, Math.max(1, usedMoe?.experts ?? 1), 1, usedMoe ? String(usedMoe.k) : '—', moe !== null && cfg.model_type !== 'switch_transformers', moe ? (cfg.model_type === 'switch_transformers' ? 'Switch routes to one expert' : 'num_experts_per_tok') : 'dense model')}
      </div>
      <label class="field">
        <span>Model class</span>
        <select name="head" @change=${(e: Event) => this.set(side, { head: (e.target as HTMLSelectElement).value as SideState['head'] })}>
          ${HEAD_CHOICES.map((c) => html`<option value=${c} ?selected=${c === s.head}>${c === 'default' ? usualHead(cfg.model_type) : HEAD_LABELS[c]}</option>`)}
        </select>
      </label>
      <label class="field">
        <span>Sharing plan</span>
        <select name="sharing" ?disabled=${!sharingOk} @change=${(e: Event) => this.set(side, { sharing: (e.target as HTMLSelectElement).value as SideState['sharing'] })}>
          ${SHARING_CHOICES.map((c) => html`<option value=${c} ?selected=${c === s.sharing}>${sharingLabel(c)}</option>`)}
        </select>
        <small>${sharingOk ? (SUB_MODULE_NOTES[sharingScope(s.sharing)] ?? SHARING_PLANS[planName(s.sharing)]?.description ?? 'which layer slots use the same block') : cfg.model_type === 'albert' ? 'ALBERT shares through its own num_hidden_groups' : 'an encoder-decoder has two stacks; plans map one'}</small>
      </label>
      <div class="pair">
        <label class="field">
          <span>Adapter</span>
          <select name="adapter" @change=${(e: Event) => this.set(side, { adapter: (e.target as HTMLSelectElement).value as SideState['adapter'] })}>
            ${ADAPTER_CHOICES.map((c) => html`<option value=${c} ?selected=${c === s.adapter}>${ADAPTER_LABELS[c] ?? c}</option>`)}
          </select>
        </label>
        <label class="field">
          <span>Targets</span>
          <select name="targets" ?disabled=${s.adapter === 'none'} @change=${(e: Event) => this.set(side, { targets: (e.target as HTMLSelectElement).value as SideState['targets'] })}>
            ${TARGET_CHOICES.map((c) => html`<option value=${c} ?selected=${c === s.targets}>${TARGET_LABELS[c]}</option>`)}
          </select>
        </label>
      </div>
      ${this.slider(side, 'rank', 'Rank r', s.rank, 1, 256, 1, String(s.rank), !rankOff, rankOff ? (s.adapter === 'none' ? 'no adapter' : `${ADAPTER_LABELS[s.adapter] ?? s.adapter} has no rank`) : 'adapter rank')}
      ${r.error ? html`<div class="alert" role="alert" data-error=${side}>${r.error}</div>` : nothing}
      <details class="paste" ?open=${this.pasteError[side] !== null}>
        <summary>Paste a config.json</summary>
        <textarea
          name="config-json"
          spellcheck="false"
          placeholder='{"model_type": "llama", "hidden_size": 4096, …}'
          .value=${this.pasteText[side]}
          @input=${(e: Event) => (this.pasteText = { ...this.pasteText, [side]: (e.target as HTMLTextAreaElement).value })}
        ></textarea>
        <div class="paste-row">
          <button type="button" class="btn primary" data-action="use-config" @click=${() => this.usePasted(side, this.pasteText[side])}>Use this config</button>
          <input type="file" accept=".json,application/json" aria-label="Load a config.json file" @change=${(e: Event) => this.loadFile(side, e)} />
        </div>
        <small class="faint">Kept in this browser’s local storage, never in the link.</small>
        ${this.pasteError[side] ? html`<div class="alert spaced" role="alert" data-paste-error=${side}>${this.pasteError[side]}</div>` : nothing}
        <details class="paste spaced">
          <summary>config in use</summary>
          <pre>${JSON.stringify(r.config, null, 2)}</pre>
        </details>
      </details>
    </section>`;
  }

  private slider(side: Side, field: 'layers' | 'width' | 'experts' | 'k' | 'rank', label: string, value: number, min: number, max: number, step: number, shown: string, enabled: boolean, hint: string) {
    return html`<label class="slider ${enabled ? '' : 'off'}">
      <span class="head"><span>${label}</span><span class="v num" data-slider-value=${field}>${shown}</span></span>
      <input
        type="range"
        name=${field}
        min=${min}
        max=${max}
        step=${step}
        .value=${String(enabled ? value : min)}
        ?disabled=${!enabled}
        @input=${(e: Event) => this.set(side, { [field]: Number((e.target as HTMLInputElement).value) })}
      />
      <small>${hint}</small>
    </label>`;
  }

  private renderTable(results: Record<Side, SideResult>) {
    const shown = this.shown();
    const a = results.a?.report ?? null;
    const ratio = (x: number | undefined, y: number | undefined) =>
      x !== undefined && y !== undefined && x > 0 ? `${y / x >= 100 || y / x < 0.01 ? (y / x).toExponential(1) : (y / x).toFixed(2)}× A` : '';
    const cell = (side: Side, r: ParamReport | null, m: Metric) =>
      html`<td class="num" data-side=${side} data-metric=${m} data-value=${r ? r[m] : ''}>
        ${r ? html`${formatInt(r[m])}<span class="c">${formatCompact(r[m])}${side !== 'a' && a ? html` · <span class="ratio">${ratio(a[m], r[m])}</span>` : nothing}</span>` : '—'}
      </td>`;
    return html`<div class="scroll">
      <table class="stacked counts n${shown.length}">
        <thead>
          <tr>
            <th>count</th>
            ${shown.map((s) => html`<th>${s.toUpperCase()} · ${this.bases[s].name}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${METRICS.map(
            ([m, label, detail]) => html`<tr data-metric=${m}>
              <td class="metric">${label}<span class="d">${detail}</span></td>
              ${shown.map((s) => cell(s, results[s].report, m))}
            </tr>`,
          )}
          <tr class="sep">
            <td class="metric">Layer blocks<span class="d">distinct blocks stored / layer slots run</span></td>
            ${shown.map((s) => {
              const r = results[s].report;
              return html`<td class="num" data-side=${s} data-metric="blocks">${r ? `${r.uniqueBlocks} / ${r.slots}` : '—'}</td>`;
            })}
          </tr>
          <tr>
            <td class="metric">Extra modules<span class="d">counted apart, e.g. DeepSeek-V3’s multi-token prediction</span></td>
            ${shown.map((s) => {
              const mtp = results[s].report?.mtp;
              return html`<td class="num" data-side=${s} data-metric="mtp" data-value=${mtp ? mtp.params : ''}>${mtp ? html`${formatCompact(mtp.params)}<span class="c">MTP (+${formatCompact(mtp.withSharedCopies - mtp.params)} copies)</span>` : '—'}</td>`;
            })}
          </tr>
          ${PARAM_PRECISIONS.map(
            (p, i) => html`<tr class=${i === 0 ? 'sep' : ''} data-precision=${p}>
              <td class="metric">Memory at ${p}<span class="d">${p === 'int4' ? 'two parameters per byte' : p === 'int8' ? 'one byte each' : p === 'fp32' ? 'four bytes each' : 'two bytes each'}</span></td>
              ${shown.map((s) => {
                const r = results[s].report;
                return html`<td class="num" data-side=${s} data-bytes=${p} data-value=${r ? r.bytes[p] : ''}>${r ? formatBytes(r.bytes[p]) : '—'}${s !== 'a' && a && r ? html`<span class="c ratio">${ratio(a.bytes[p], r.bytes[p])}</span>` : nothing}</td>`;
              })}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private renderBreakdown(side: Side, r: SideResult) {
    const rep = r.report;
    if (!rep) return html`<div class="ok">${side.toUpperCase()}: no count (see the message above).</div>`;
    return html`<div>
      <div class="ok"><b>${side.toUpperCase()}</b> · ${this.bases[side].name} · ${rep.family}, head: ${rep.head}${rep.adapter ? ` · adapter on ${rep.adapter.targetedModules} modules` : ''}</div>
      <div class="scroll spaced">
        <table>
          <thead><tr><th>part</th><th>stored</th><th>effective</th><th>active / token</th></tr></thead>
          <tbody>
            ${rep.rows.map(
              (row) => html`<tr>
                <td>${row.name}</td>
                <td class="num">${formatCompact(row.stored)}</td>
                <td class="num">${formatCompact(row.effective)}</td>
                <td class="num">${formatCompact(row.activePerToken)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </div>`;
  }

  private renderMemory(shown: Side[], results: Record<Side, SideResult>, memories: Record<Side, ReturnType<typeof sideMemory>>) {
    const m = this.memory;
    const gpuBytes = Number(m.gpu) * GB;
    const training = m.mode !== 'inference';
    const parts = (Object.keys(PART_LABELS) as (keyof MemoryParts)[]).filter((p) => shown.some((s) => (memories[s].at?.parts[p] ?? 0) > 0));
    const limits = this.gpu;
    const webgpuCell = (s: Side, at: MemoryEstimate | null) => {
      const r = results[s].report;
      if (!r || !at) return html`<td>—</td>`;
      if (limits === null) return html`<td class="faint">reading the adapter…</td>`;
      if (typeof limits === 'string') return html`<td class="faint">${limits}</td>`;
      // Weft stores each tensor in one buffer: the largest must fit one storage binding.
      const bytesPer = at.mode === 'qlora' ? 0.5 : at.precision === 'fp32' ? 4 : at.precision === 'int8' ? 1 : at.precision === 'int4' ? 0.5 : 2;
      const largest = Math.ceil(r.largestTensor.params * bytesPer);
      const bound = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
      const ok = largest <= bound;
      return html`<td data-side=${s} data-webgpu=${ok ? 'fits' : 'too-large'} title=${`largest tensor: ${r.largestTensor.path}`}>
        <span class="verdict ${ok ? 'yes' : 'no'}">${ok ? 'fits' : 'does not fit'}</span>
        <span class="c">largest tensor ${formatBytes(largest)} ${ok ? '≤' : '>'} ${formatBytes(bound)}</span>
      </td>`;
    };
    return html`<section class="card memory" aria-labelledby="memory-title">
      <h2 class="card-title" id="memory-title">Memory <span class="aside">formulas and sources in core’s calculator/memory.ts</span></h2>
      <div class="mem-controls">
        <label class="field">
          <span>For</span>
          <select name="mode" @change=${(e: Event) => this.setMemory({ mode: (e.target as HTMLSelectElement).value as MemoryState['mode'] })}>
            ${MEMORY_MODES.map((c) => html`<option value=${c} ?selected=${c === m.mode}>${MODE_LABELS[c]}</option>`)}
          </select>
        </label>
        <label class="field">
          <span>${m.mode === 'qlora' ? 'Compute precision' : training ? 'Training precision' : 'Weights'}</span>
          <select name="prec" @change=${(e: Event) => this.setMemory({ prec: (e.target as HTMLSelectElement).value as MemoryState['prec'] })}>
            ${PARAM_PRECISIONS.map((c) => html`<option value=${c} ?selected=${c === m.prec} ?disabled=${training && m.mode !== 'qlora' && (c === 'int8' || c === 'int4')}>${c}</option>`)}
          </select>
        </label>
        <label class="field">
          <span>Context (tokens)</span>
          <input type="number" name="ctx" min="1" max="1048576" step="1" .value=${String(m.ctx)} @change=${(e: Event) => this.setMemory({ ctx: clampInt((e.target as HTMLInputElement).value, 1, 1_048_576, m.ctx) })} />
        </label>
        <label class="field">
          <span>Batch</span>
          <input type="number" name="batch" min="1" max="1024" step="1" .value=${String(m.batch)} @change=${(e: Event) => this.setMemory({ batch: clampInt((e.target as HTMLInputElement).value, 1, 1024, m.batch) })} />
        </label>
        <label class="field check ${training ? '' : 'off'}">
          <span>Checkpointing</span>
          <span><input type="checkbox" name="ckpt" ?disabled=${!training} .checked=${m.ckpt === 'on'} @change=${(e: Event) => this.setMemory({ ckpt: (e.target as HTMLInputElement).checked ? 'on' : 'off' })} /> keep layer inputs only</span>
        </label>
        <label class="field">
          <span>GPU memory</span>
          <select name="gpu" @change=${(e: Event) => this.setMemory({ gpu: (e.target as HTMLSelectElement).value as MemoryState['gpu'] })}>
            ${GPU_CHOICES.map((c) => html`<option value=${c} ?selected=${c === m.gpu}>${c} GB</option>`)}
          </select>
        </label>
      </div>
      <div class="scroll spaced">
        <table class="mem-table stacked n${shown.length}">
          <thead><tr><th>at ${formatInt(m.ctx)} tokens × ${m.batch}</th>${shown.map((s) => html`<th>${s.toUpperCase()} · ${this.bases[s].name}</th>`)}</tr></thead>
          <tbody>
            ${parts.map(
              (p) => html`<tr data-part=${p}>
                <td class="metric">${PART_LABELS[p]}</td>
                ${shown.map((s) => html`<td class="num" data-side=${s} data-mem=${p} data-value=${memories[s].at?.parts[p] ?? ''}>${memories[s].at ? formatBytes(memories[s].at!.parts[p]) : '—'}</td>`)}
              </tr>`,
            )}
            <tr class="sep">
              <td class="metric">Total</td>
              ${shown.map((s) => {
                const at = memories[s].at;
                return html`<td class="num total" data-side=${s} data-mem="total" data-value=${at?.total ?? ''}>${at ? formatBytes(at.total) : html`<span class="faint">${memories[s].error ?? '—'}</span>`}</td>`;
              })}
            </tr>
            <tr>
              <td class="metric">On ${/^(8|11$|18$)/.test(m.gpu) ? 'an' : 'a'} ${m.gpu} GB GPU<span class="d">the total against the chosen memory</span></td>
              ${shown.map((s) => {
                const at = memories[s].at;
                if (!at) return html`<td>—</td>`;
                const ok = at.total <= gpuBytes;
                return html`<td data-side=${s} data-fits=${ok ? 'fits' : 'too-large'}><span class="verdict ${ok ? 'yes' : 'no'}">${ok ? 'fits' : 'does not fit'}</span><span class="c">${shareOf(at.total / gpuBytes)} of ${m.gpu} GB</span></td>`;
              })}
            </tr>
            <tr>
              <td class="metric">This browser’s WebGPU<span class="d">${typeof limits === 'object' && limits !== null ? `maxBufferSize ${formatBytes(limits.maxBufferSize)}, maxStorageBufferBindingSize ${formatBytes(limits.maxStorageBufferBindingSize)}` : 'buffer limits of the adapter'}</span></td>
              ${shown.map((s) => webgpuCell(s, memories[s].at))}
            </tr>
            ${m.mode === 'inference'
              ? html`<tr>
                  <td class="metric">KV cache per token<span class="d">one sequence, all layers; a windowed layer stops growing at its window</span></td>
                  ${shown.map((s) => html`<td class="num" data-side=${s} data-mem="kv-per-token">${!memories[s].at ? '—' : memories[s].at!.report.family === 'encoder' ? html`<span class="faint">none: an encoder keeps no cache</span>` : formatBytes(memories[s].at!.kvBytesPerToken)}</td>`)}
                </tr>`
              : html`<tr>
                  <td class="metric">Activations per token<span class="d">one sequence${m.ckpt === 'on' ? ', checkpointed' : ''}</span></td>
                  ${shown.map((s) => html`<td class="num" data-side=${s} data-mem="act-per-token">${memories[s].at ? formatBytes(memories[s].at!.activationBytesPerToken) : '—'}</td>`)}
                </tr>`}
          </tbody>
        </table>
      </div>
      <h3 class="sub">Total memory against context length</h3>
      <weft-memory-curves
        data-chart="memory-curves"
        .contexts=${CURVE_CONTEXTS}
        .limit=${gpuBytes}
        .marker=${m.ctx}
        .curves=${shown.map((s, i) => ({ label: `${s.toUpperCase()}: ${this.bases[s].name}`, index: i, values: memories[s].curve }))}
      ></weft-memory-curves>
      <p class="note">
        ${m.mode === 'inference'
          ? 'Weights at the chosen format plus the KV cache (bf16 under int8/int4 weights); latent attention caches its compressed latent, sliding-window layers at most their window, Mamba a fixed state.'
          : m.mode === 'full'
            ? 'Mixed-precision Adam: 16 bytes per parameter (16-bit weights and gradients, fp32 master copy and two moments), plus activations (FlashAttention, no dropout).'
            : m.mode === 'lora'
              ? 'A frozen base at the chosen precision; the side’s adapter (or LoRA r=16 on PEFT’s default targets) trains in fp32 with Adam; activations as for full fine-tuning.'
              : 'Linear weights in 4-bit NF4 with double quantization (4.127 bits), embeddings, norms and head in 16 bits; the adapter trains in fp32 with Adam.'}
        Not counted: the runtime’s workspace and allocator slack.
      </p>
    </section>`;
  }

  private set(side: Side, patch: Partial<SideState>): void {
    const next = { ...this.sides[side], ...patch };
    // Slider values equal to the base config's are stored as 0 ("the preset's own"): short links.
    const cfg = this.bases[side].config;
    const moe = expertsOf(cfg);
    const sizes = sizesOf(cfg);
    if (next.layers === sizes.layers) next.layers = 0;
    if (next.width === sizes.width) next.width = 0;
    if (moe && next.experts === moe.experts) next.experts = 0;
    if (moe && next.k === moe.k) next.k = 0;
    this.sides = { ...this.sides, [side]: next };
    this.writeUrl();
  }

  private setMemory(patch: Partial<MemoryState>): void {
    const next = { ...this.memory, ...patch };
    // Training runs in fp32/fp16/bf16: a quantized weight format falls back to bf16.
    if (next.mode !== 'inference' && next.mode !== 'qlora' && (next.prec === 'int8' || next.prec === 'int4')) next.prec = 'bf16';
    this.memory = next;
    this.writeUrl();
  }

  private setCount(k: number): void {
    this.count = Math.max(1, Math.min(MAX_SIDES, k));
    this.writeUrl();
  }

  /** Removes one model; the ones after it move up a letter. */
  private removeSide(side: Side): void {
    const order = SIDES.filter((s) => s !== side);
    const sides = {} as Record<Side, SideState>;
    const bases = {} as Record<Side, SideBase>;
    SIDES.forEach((s, i) => {
      const from = order[i] ?? side;
      sides[s] = this.sides[from];
      bases[s] = this.bases[from];
    });
    this.sides = sides;
    this.bases = bases;
    this.count = Math.max(1, this.count - 1);
    this.writeUrl();
  }

  private pickPreset(side: Side, preset: PresetName): void {
    if (!Object.hasOwn(PRESETS, preset)) return;
    this.bases = { ...this.bases, [side]: presetBase(preset) };
    this.pasteError = { ...this.pasteError, [side]: null };
    // A new preset starts from its own sizes; the sharing plan and adapter carry over.
    this.set(side, { preset, layers: 0, width: 0, experts: 0, k: 0, pasted: 0 });
  }

  /** Use a pasted config.json for a side; a bad one is explained and changes nothing. */
  private usePasted(side: Side, text: string): void {
    let base: SideBase;
    try {
      if (text.trim() === '') throw new Error('config.json: the box is empty; paste the text of a transformers config.json');
      base = readPaste(text);
    } catch (e) {
      this.pasteError = { ...this.pasteError, [side]: e instanceof Error ? e.message : String(e) };
      return;
    }
    try {
      window.localStorage.setItem(storageKey(side), text);
    } catch {
      // Storage full or off: the paste still works in this tab.
    }
    this.pasteError = { ...this.pasteError, [side]: null };
    this.bases = { ...this.bases, [side]: base };
    this.set(side, { layers: 0, width: 0, experts: 0, k: 0, sharing: 'none', pasted: 1 });
  }

  private async loadFile(side: Side, e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (file.size > 4 * CALCULATOR_LIMITS.maxConfigChars) {
      this.pasteError = { ...this.pasteError, [side]: `config.json: the file is ${(file.size / MB).toFixed(1)} MB; a config.json is a few KB (at most ${formatInt(CALCULATOR_LIMITS.maxConfigChars)} characters)` };
      return;
    }
    const text = await file.text();
    this.pasteText = { ...this.pasteText, [side]: text.length > 20_000 ? `${text.slice(0, 20_000)}…` : text };
    this.usePasted(side, text);
  }

  private followTry(e: Event, query: string): void {
    e.preventDefault();
    this.pasteError = { a: null, b: null, c: null, d: null };
    this.load(query);
    this.writeUrl();
    window.scrollTo({ top: 0, behavior: 'smooth' });
  }

  private writeUrl(): void {
    const url = new URL(window.location.href);
    url.search = formatSides(this.sides, this.count, this.memory);
    history.replaceState(history.state, '', url);
  }
}

/** An integer from a number field, clamped; `fallback` when it is not a number. */
function clampInt(text: string, min: number, max: number, fallback: number): number {
  const v = Math.round(Number(text));
  return Number.isFinite(v) ? Math.max(min, Math.min(max, v)) : fallback;
}

customElements.define('weft-params-page', WeftParamsPage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-params-page': WeftParamsPage;
  }
}
