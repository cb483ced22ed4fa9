// params.html: two real-scale models side by side — a preset or a pasted config.json each, with
// sliders for layers, width, experts, k, the sharing plan and an adapter — and their exact
// parameter counts (total, stored, effective, trainable, active per token) and memory at five
// precisions, as a table and bar charts. Everything is computed by @weft/core's calculator from
// the config alone (no tensors), so every change updates at once. Settings live in the URL.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/url-notice.js';
import '../components/bar-chart.js';
import { LitElement, html, nothing } from 'lit';
import {
  CALCULATOR_LIMITS,
  PARAM_PRECISIONS,
  PRESETS,
  PRESET_NAMES,
  SHARING_PLANS,
  formatBytes,
  parseConfigJson,
  type ModelConfig,
  type ParamReport,
  type PresetName,
} from '@weft/core';
import { CopyLinkController } from '../controllers/copy-link-controller.js';
import { parseUrlState, type UrlProblem } from '../url-state.js';
import { paramsStyles } from '../styles/params.js';
import { formatCompact, formatInt } from '../format.js';
import {
  ADAPTER_CHOICES,
  HEAD_CHOICES,
  PARAMS_SCHEMA,
  SHARING_CHOICES,
  SIDES,
  TARGET_CHOICES,
  formatSides,
  planOfChoice,
  sideOf,
  type Side,
  type SideState,
} from './params-state.js';
import { computeSide, expertsOf, rankApplies, sharingApplies, widthStep, type SideResult } from './params-model.js';
import type { BarGroup } from '../components/bar-chart.js';

/** The registry name of a sharing choice's plan. */
const planName = (choice: string): string => {
  const plan = planOfChoice(choice);
  return typeof plan === 'string' ? plan : plan.name;
};
/** A sharing choice in words: `groups-4` is "groups (groups = 4)". */
function sharingLabel(choice: string): string {
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
  ['activePerToken', 'Active / token', 'touched by one token (k of E routed experts)'],
] as const;
type Metric = (typeof METRICS)[number][0];

/** Links that set up a comparison worth seeing. */
const TRY: Array<{ label: string; why: string; query: string }> = [
  { label: 'BERT-base vs ALBERT-base', why: 'factorised embeddings and one shared layer: 9× fewer stored parameters, the same effective count per layer.', query: '?a=bert-base-uncased&b=albert-base-v2' },
  { label: 'Mixtral-8x7B: total vs active', why: '46.7B stored, 12.9B touched per token; next to Mistral-7B, which has the same attention and one of its 8 experts per layer.', query: '?a=Mixtral-8x7B&b=Mistral-7B-v0.1' },
  { label: 'LLaMA-7B with LoRA r=8 on q, v', why: '4.2M trainable parameters on a frozen 6.7B model.', query: '?a=Llama-2-7b&b=Llama-2-7b&b_adapter=lora&b_rank=8&b_targets=qv' },
  { label: 'MobileLLM block repeat', why: 'TinyLlama with each block run twice in a row: half the stored blocks, the same depth.', query: '?a=TinyLlama-1.1B&b=TinyLlama-1.1B&b_sharing=block-repeat-2' },
  { label: 'Mixtral with top-1 routing', why: 'k=1 instead of 2: active per token drops by one expert per layer, stored stays.', query: '?a=Mixtral-8x7B&b=Mixtral-8x7B&b_k=1' },
  { label: 'DeepSeek-V2 vs Mixtral-8x7B', why: 'fine-grained experts and latent attention: 5× the stored parameters, 1.7× the active.', query: '?a=Mixtral-8x7B&b=DeepSeek-V2' },
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

/** The parameter comparator page. */
export class WeftParamsPage extends LitElement {
  static override properties = {
    sides: { state: true },
    bases: { state: true },
    problems: { state: true },
    pasteText: { state: true },
    pasteError: { state: true },
  };
  private declare sides: Record<Side, SideState>;
  private declare bases: Record<Side, SideBase>;
  private declare problems: UrlProblem[];
  private declare pasteText: Record<Side, string>;
  private declare pasteError: Record<Side, string | null>;
  private readonly link = new CopyLinkController(this);

  constructor() {
    super();
    const { state, problems } = parseUrlState(PARAMS_SCHEMA, window.location.search);
    this.sides = { a: sideOf(state, 'a'), b: sideOf(state, 'b') };
    this.bases = { a: presetBase(this.sides.a.preset), b: presetBase(this.sides.b.preset) };
    this.problems = problems;
    this.pasteText = { a: '', b: '' };
    this.pasteError = { a: null, b: null };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.writeUrl();
  }

  static override styles = paramsStyles;

  override render() {
    const results = { a: computeSide(this.bases.a.config, this.sides.a), b: computeSide(this.bases.b.config, this.sides.b) };
    return html`<h1>Parameter comparator</h1>
      <p class="lead">
        Exact parameter counts of real-scale models from their config alone — the numbers transformers reports, plus what sharing,
        experts and adapters change: what is stored, what is used, what trains and what one token touches.
      </p>
      <weft-url-notice .problems=${this.problems}></weft-url-notice>
      <div class="sides">${SIDES.map((s) => this.renderSide(s, results[s]))}</div>
      <div class="results">
        <section class="card" aria-labelledby="table-title">
          <h2 class="card-title" id="table-title">
            Counts <span class="aside share"><span>The link holds both sides.</span>${this.link.render()}</span>
          </h2>
          ${this.renderTable(results)}
        </section>
        <div class="charts">
          <section class="card" aria-labelledby="pchart-title">
            <h2 class="card-title" id="pchart-title">Parameters <span class="aside">A vs B</span></h2>
            <weft-bar-chart
              data-chart="params"
              .series=${this.seriesNames()}
              scale="log"
              .format=${formatCompact}
              .groups=${METRICS.filter(([m]) => m !== 'total').map(
                ([m, label]): BarGroup => ({ label, values: SIDES.map((s) => results[s].report?.[m] ?? null) }),
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
              .groups=${PARAM_PRECISIONS.map((p): BarGroup => ({ label: p, values: SIDES.map((s) => results[s].report?.bytes[p] ?? null) }))}
            ></weft-bar-chart>
          </section>
        </div>
        <section class="card" aria-labelledby="breakdown-title">
          <h2 class="card-title" id="breakdown-title">Breakdown <span class="aside">by part of the model</span></h2>
          <div class="charts">${SIDES.map((s) => this.renderBreakdown(s, results[s]))}</div>
        </section>
        <section class="card try" aria-labelledby="try-title">
          <h2 class="card-title" id="try-title">Things to try</h2>
          <ul>
            ${TRY.map((t) => html`<li><a href=${t.query} @click=${(e: Event) => this.followTry(e, t.query)}>${t.label}</a>: ${t.why}</li>`)}
          </ul>
        </section>
      </div>`;
  }

  private seriesNames(): string[] {
    return SIDES.map((s) => `${s.toUpperCase()}: ${this.bases[s].name}`);
  }

  private renderSide(side: Side, r: SideResult) {
    const s = this.sides[side];
    const base = this.bases[side];
    const cfg = base.config;
    const moe = expertsOf(cfg);
    const used = r.config;
    const usedMoe = expertsOf(used);
    const step = widthStep(cfg);
    const widthNow = used.hidden_size;
    const layersNow = used.num_hidden_layers;
    const maxLayers = Math.min(CALCULATOR_LIMITS.maxLayers, Math.max(96, cfg.num_hidden_layers * 2));
    const maxWidth = Math.min(CALCULATOR_LIMITS.maxWidth, Math.max(step * 4, Math.ceil((cfg.hidden_size * 2) / step) * step));
    const minWidth = step;
    const sharingOk = sharingApplies(cfg);
    const rankOff = !rankApplies(s.adapter);
    const preset = base.pasted ? null : PRESETS[s.preset];
    return html`<section class="card side" data-side=${side} aria-labelledby="side-${side}">
      <h2 class="card-title" id="side-${side}">
        <span><span class="side-name ${side}">${side.toUpperCase()}</span>Model ${side.toUpperCase()}</span>
        <span class="aside">${cfg.model_type}</span>
      </h2>
      <label class="field">
        <span>Preset</span>
        <select name="preset" @change=${(e: Event) => this.pickPreset(side, (e.target as HTMLSelectElement).value as PresetName)}>
          ${base.pasted ? html`<option value="" selected>pasted config.json</option>` : nothing}
          ${PRESET_NAMES.map((p) => html`<option value=${p} ?selected=${!base.pasted && p === s.preset}>${p}</option>`)}
        </select>
      </label>
      <p class="source">${preset ? html`${preset.source} · ${preset.reference}` : 'A pasted config.json (kept in this tab only; the link holds presets).'}</p>
      <div class="sliders">
        ${this.slider(side, 'layers', 'Layers', layersNow, 1, maxLayers, 1, formatInt(layersNow), true, 'num_hidden_layers')}
        ${this.slider(side, 'width', 'Width', widthNow, minWidth, maxWidth, step, formatInt(widthNow), true, 'hidden_size; FFN widths scale with it')}
        ${this.slider(side, 'experts', 'Experts', usedMoe?.experts ?? 0, 1, Math.max(256, (moe?.experts ?? 0) * 2), 1, usedMoe ? formatInt(usedMoe.experts) : '—', moe !== null, moe ? 'routed experts per MoE layer' : 'dense model: no experts')}
        ${this.slider(side, 'k', 'Experts per token (k)', usedMoe?.k ?? 0, 1, Math.max(1, usedMoe?.experts ?? 1), 1, usedMoe ? String(usedMoe.k) : '—', moe !== null, moe ? 'num_experts_per_tok' : 'dense model')}
      </div>
      <label class="field">
        <span>Model class</span>
        <select name="head" @change=${(e: Event) => this.set(side, { head: (e.target as HTMLSelectElement).value as SideState['head'] })}>
          ${HEAD_CHOICES.map((c) => html`<option value=${c} ?selected=${c === s.head}>${HEAD_LABELS[c]}</option>`)}
        </select>
      </label>
      <label class="field">
        <span>Sharing plan</span>
        <select name="sharing" ?disabled=${!sharingOk} @change=${(e: Event) => this.set(side, { sharing: (e.target as HTMLSelectElement).value as SideState['sharing'] })}>
          ${SHARING_CHOICES.map((c) => html`<option value=${c} ?selected=${c === s.sharing}>${sharingLabel(c)}</option>`)}
        </select>
        <small>${sharingOk ? (SHARING_PLANS[planName(s.sharing)]?.description ?? 'which layer slots use the same block') : 'ALBERT shares through its own num_hidden_groups'}</small>
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
    const a = results.a.report;
    const b = results.b.report;
    const cell = (side: Side, r: ParamReport | null, m: Metric) =>
      html`<td class="num" data-side=${side} data-metric=${m} data-value=${r ? r[m] : ''}>
        ${r ? html`${formatInt(r[m])}<span class="c">${formatCompact(r[m])}</span>` : '—'}
      </td>`;
    const ratio = (x: number | undefined, y: number | undefined) =>
      x !== undefined && y !== undefined && x > 0 ? html`<td class="num ratio">${y / x >= 100 || y / x < 0.01 ? (y / x).toExponential(1) : (y / x).toFixed(2)}×</td>` : html`<td class="ratio">—</td>`;
    return html`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>count</th>
            <th>A · ${this.bases.a.name}</th>
            <th>B · ${this.bases.b.name}</th>
            <th>B / A</th>
          </tr>
        </thead>
        <tbody>
          ${METRICS.map(
            ([m, label, detail]) => html`<tr data-metric=${m}>
              <td class="metric">${label}<span class="d">${detail}</span></td>
              ${cell('a', a, m)} ${cell('b', b, m)} ${ratio(a?.[m], b?.[m])}
            </tr>`,
          )}
          <tr class="sep">
            <td class="metric">Layer blocks<span class="d">distinct blocks stored / layer slots run</span></td>
            ${SIDES.map((s) => {
              const r = results[s].report;
              return html`<td class="num" data-side=${s} data-metric="blocks">${r ? `${r.uniqueBlocks} / ${r.slots}` : '—'}</td>`;
            })}
            <td></td>
          </tr>
          ${PARAM_PRECISIONS.map(
            (p, i) => html`<tr class=${i === 0 ? 'sep' : ''} data-precision=${p}>
              <td class="metric">Memory at ${p}<span class="d">${p === 'int4' ? 'two parameters per byte' : p === 'int8' ? 'one byte each' : p === 'fp32' ? 'four bytes each' : 'two bytes each'}</span></td>
              ${SIDES.map((s) => {
                const r = results[s].report;
                return html`<td class="num" data-side=${s} data-bytes=${p} data-value=${r ? r.bytes[p] : ''}>${r ? formatBytes(r.bytes[p]) : '—'}</td>`;
              })}
              ${ratio(a?.bytes[p], b?.bytes[p])}
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

  private set(side: Side, patch: Partial<SideState>): void {
    const next = { ...this.sides[side], ...patch };
    // Slider values equal to the base config's are stored as 0 ("the preset's own"): short links.
    const cfg = this.bases[side].config;
    const moe = expertsOf(cfg);
    if (next.layers === cfg.num_hidden_layers) next.layers = 0;
    if (next.width === cfg.hidden_size) next.width = 0;
    if (moe && next.experts === moe.experts) next.experts = 0;
    if (moe && next.k === moe.k) next.k = 0;
    this.sides = { ...this.sides, [side]: next };
    this.writeUrl();
  }

  private pickPreset(side: Side, preset: PresetName): void {
    if (!Object.hasOwn(PRESETS, preset)) return;
    this.bases = { ...this.bases, [side]: presetBase(preset) };
    this.pasteError = { ...this.pasteError, [side]: null };
    // A new preset starts from its own sizes; the sharing plan and adapter carry over.
    this.set(side, { preset, layers: 0, width: 0, experts: 0, k: 0 });
  }

  /** Use a pasted config.json for a side; a bad one is explained and changes nothing. */
  private usePasted(side: Side, text: string): void {
    let config: ModelConfig;
    try {
      if (text.trim() === '') throw new Error('config.json: the box is empty; paste the text of a transformers config.json');
      config = parseConfigJson(text);
    } catch (e) {
      this.pasteError = { ...this.pasteError, [side]: e instanceof Error ? e.message : String(e) };
      return;
    }
    this.pasteError = { ...this.pasteError, [side]: null };
    this.bases = { ...this.bases, [side]: { config, name: 'pasted config.json', pasted: true } };
    this.set(side, { layers: 0, width: 0, experts: 0, k: 0, sharing: 'none' });
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
    const { state, problems } = parseUrlState(PARAMS_SCHEMA, query);
    this.sides = { a: sideOf(state, 'a'), b: sideOf(state, 'b') };
    this.bases = { a: presetBase(this.sides.a.preset), b: presetBase(this.sides.b.preset) };
    this.problems = problems;
    this.pasteError = { a: null, b: null };
    this.writeUrl();
    window.scrollTo({ top: 0, behavior: 'smooth' });
  }

  private writeUrl(): void {
    // A pasted side is not in the link: its slot keeps the last preset.
    const url = new URL(window.location.href);
    url.search = formatSides(this.sides);
    history.replaceState(history.state, '', url);
  }
}

customElements.define('weft-params-page', WeftParamsPage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-params-page': WeftParamsPage;
  }
}
