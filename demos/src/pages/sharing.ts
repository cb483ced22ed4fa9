// sharing.html: cross-layer and hashed weight sharing live — choose a plan (drawn as slots →
// blocks), depth, width or compression; a shared model and its unshared baseline train side by
// side on the same batches; their loss and accuracy curves share axes, and the parameter ledger
// (stored vs effective) follows every change of the settings; ACT and MoR show each token's depth.
// Both models live and train in a Web Worker (../workers/sharing-worker.ts): the main thread only
// draws. The state lives in the URL.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/ledger-table.js';
import '../components/url-notice.js';
import './sharing-diagram.js';
import './sharing-curves.js';
import './sharing-modules-diagram.js';
import '../components/decision-boundary.js';
import './sharing-depth.js';
import './sharing-experts.js';
import './sharing-fold.js';
import { LitElement, html, nothing } from 'lit';
import type { Ledger } from '@weft/core';
import { SHARING_PLANS, energyDistance } from '@weft/sharing';
import { PAGE_TECHNIQUES, isTechnique, type PageTechnique } from './sharing-techniques.js';
import { TrainingController } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { RunButtonsController } from '../controllers/run-buttons-controller.js';
import { CopyLinkController } from '../controllers/copy-link-controller.js';
import { formatUrlState } from '../url-state.js';
import { sharingStyles } from '../styles/sharing.js';
import { formatInt, formatLoss, formatPercent } from '../format.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { slotsOf, type ExpertLoads, type FoldReport, type SharingJobInfo, type TokenDepths } from '../jobs/sharing-job.js';
import { JobWorker, type WorkerJob } from '../jobs/worker-job.js';
import type { Extent, LabelledPoints, ProbabilityField } from '../components/decision-boundary.js';
import { SHARING_CHOICES, SHARING_MODELS, SHARING_SCHEMA, isHashed, planFields, type SharingChoice, type SharingState } from './sharing-state.js';

type Key = keyof SharingState;

const SHARED_COLOR = 'var(--accent)';
/** Minimum time between two refreshes of the decision boundaries while training, ms. */
const FIELD_REFRESH_MS = 400;
const BASELINE_COLOR = 'hsl(28 85% 52%)';

/** What each hashed method is, in one line (a plan's line is its registry description). */
const HASHED_ABOUT: Readonly<Record<string, string>> = {
  'stable-rps': 'STABLE-RPS: every weight read from a small array by a balanced hash (MLP).',
  roast: 'ROAST: every weight read from a small array by a random hash (MLP).',
};

/** One line on a choice. */
function about(choice: SharingChoice): string {
  if (isTechnique(choice)) return PAGE_TECHNIQUES[choice]!.about;
  return isHashed(choice) ? (HASHED_ABOUT[choice] ?? `${choice}: hashed sharing (MLP).`) : `${SHARING_PLANS[choice]?.description ?? choice}.`;
}

/** The K field's label for a plan's integer option. */
const SIZE_LABEL: Readonly<Record<string, string>> = { groups: 'Groups', repeat: 'Repeat', unique: 'Unique blocks K' };

/** Links that change a setting or two to show something. */
const TRY: Array<{ label: string; why: string; patch: Partial<SharingState> }> = [
  { label: 'Twelve slots, one block', why: 'store 1/12 of the effective block weights.', patch: { sharing: 'all-shared', depth: 12 } },
  { label: 'A sandwich', why: 'keeps the first and last slots unique.', patch: { sharing: 'sandwich' } },
  { label: 'MobileLLM repeat', why: 'runs each of three blocks twice in a row.', patch: { sharing: 'block-repeat', unique: 2 } },
  { label: 'Sort with a shared Transformer', why: '(slower: 6 attention blocks, twice).', patch: { model: 'transformer', sharing: 'all-shared', steps: 600, width: 32 } },
  { label: 'Hashing at 20×', why: ': STABLE-RPS keeps 1 value per 20 weights.', patch: { sharing: 'stable-rps', compression: 20 } },
  { label: 'A plan that cannot work', why: ': sandwich needs at least 3 slots.', patch: { sharing: 'sandwich', depth: 2 } },
];

/** The sharing page. */
export class WeftSharingPage extends LitElement {
  static override properties = {
    job: { state: true },
    ledgers: { state: true },
    slots: { state: true },
    jobError: { state: true },
  };
  private declare job: WorkerJob<SharingJobInfo> | null;
  private declare ledgers: { shared: Ledger; baseline: Ledger } | null;
  private declare slots: number[] | null;
  private declare jobError: string | null;

  private readonly training = new TrainingController(this, {
    onProgress: async (p) => {
      const job = this.job;
      // A model that grew (TokenFormer) stores more: once its growth step has passed, the ledger follows.
      const grow = this.technique?.grow;
      if (job && grow && this.growth.length === 0 && p.step > grow.at(job.totalSteps)) {
        const g = await job.call<{ growth: Array<{ step: number; label: string }>; ledgers: { shared: Ledger; baseline: Ledger } }>('growth');
        if (this.job === job && g.growth.length) {
          this.growth = g.growth;
          this.ledgers = g.ledgers;
        }
      }
      // FoldGPT: once its cut has happened, the view, the ledgers and a marker on the loss follow it.
      const fold = this.technique?.fold;
      if (job && fold && !this.foldReport && p.step >= fold.at(job.totalSteps)) {
        const r = await job.call<FoldReport | null>('fold');
        if (this.job === job && r) {
          this.foldReport = r;
          this.growth = [{ step: r.step, label: 'cut and folded' }];
          this.ledgers = r.ledgers;
        }
      }
      if (performance.now() - this.lastField >= FIELD_REFRESH_MS || p.step === this.training.totalSteps) await this.refreshFields();
    },
    onStatus: (s) => {
      if (s === 'paused' || s === 'stopped') void this.refreshFields();
    },
  });
  /** Where both models live and train (the main thread only draws). */
  private readonly worker = new JobWorker<SharingState, SharingJobInfo>(() => new Worker(new URL('../workers/sharing-worker.ts', import.meta.url), { type: 'module', name: 'weft-sharing' }));
  /** The state the current job was built from. */
  private builtState: SharingState | null = null;
  /** Growth events of the current run (TokenFormer): the step and what changed. */
  private growth: Array<{ step: number; label: string }> = [];
  /** ACT / MoR: each probe token's depth, refreshed with the boundaries. */
  private depths: TokenDepths | null = null;
  private experts: ExpertLoads | null = null;
  private foldReport: FoldReport | null = null;
  /** MLP: both models' decision boundaries, side by side. */
  private fields: { shared: ProbabilityField; baseline: ProbabilityField } | null = null;
  private fieldStep = 0;
  /** DiT-Air: samples of both models beside the data, and the step they were drawn at. */
  private samples: { data: Float32Array; shared: Float32Array; baseline: Float32Array; step: number; distance: { shared: number; baseline: number } } | null = null;
  private lastField = 0;
  private readonly page = new PageStateController(this, SHARING_SCHEMA, {
    training: this.training,
    chooseBackend: (choice) => this.worker.chooseBackend(choice),
    liveKeys: ['lr'],
    applyLive: (p) => {
      if (p.lr !== undefined) this.job?.setLearningRate(p.lr);
    },
    release: () => this.disposeJob(),
    rebuild: () => this.build(),
  });
  private readonly buttons = new RunButtonsController(this, { training: this.training, settings: this.page, job: () => this.job });
  private readonly link = new CopyLinkController(this);

  constructor() {
    super();
    this.job = null;
    this.ledgers = null;
    this.slots = null;
    this.jobError = null;
  }

  static override styles = sharingStyles;

  /** The technique of the page's table the current job trains, or null (a plan, a hashed method, no job). */
  private get technique(): PageTechnique | null {
    return this.job && this.builtState ? (PAGE_TECHNIQUES[this.builtState.sharing] ?? null) : null;
  }

  override render() {
    const t = this.training;
    const latest = t.latest;
    const s = this.page.state;
    const hist = t.history;
    const pts = (f: (p: (typeof hist)[number]) => number | undefined) => hist.map((p) => [p.step, f(p) ?? NaN] as const);
    const L = this.ledgers;
    return html`<div class="top">
        <div>
          <h1>Weight sharing</h1>
          <p class="lead">
            One set of weights in many places. Pick how the layer slots share blocks (or hash every weight into a small array), and
            train the shared model beside the same network with nothing shared — on the same batches, in this tab.
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
          <section class="card" aria-labelledby="plan-title">
            <h2 class="card-title" id="plan-title">
              ${isHashed(s.sharing) ? 'Hashed layers' : isTechnique(s.sharing) ? 'What is shared' : 'Plan'} <span class="aside">${s.sharing}${isHashed(s.sharing) || PAGE_TECHNIQUES[s.sharing]?.usesCompression ? ` · ${s.compression}×` : ` · ${s.depth} ${isTechnique(s.sharing) ? 'layers' : 'slots'}`}</span>
            </h2>
            ${isTechnique(s.sharing)
              ? this.renderTechniqueView()
              : html`<weft-sharing-diagram .slots=${isHashed(s.sharing) ? null : this.slots} .hashed=${this.hashedView()}></weft-sharing-diagram>`}
            <p class="about">${about(s.sharing)}</p>
            ${L
              ? html`<div class="counts num" data-ledger>
                  <div class="stat"><div class="k">stored (shared)</div><div class="v" data-stored=${L.shared.totals.stored}>${formatInt(L.shared.totals.stored)}</div><div class="s">unique parameters</div></div>
                  <div class="stat"><div class="k">effective (shared)</div><div class="v" data-effective=${Math.round(L.shared.totals.effective)}>${formatInt(Math.round(L.shared.totals.effective))}</div><div class="s">counted once per use</div></div>
                  <div class="stat"><div class="k">stored (baseline)</div><div class="v" data-baseline=${L.baseline.totals.stored}>${formatInt(L.baseline.totals.stored)}</div><div class="s">${isTechnique(s.sharing) ? 'unique parameters' : 'nothing shared'}</div></div>
                  ${L.shared.totals.active < 0.995 * L.shared.totals.stored
                    ? html`<div class="stat"><div class="k">active per token (shared)</div><div class="v" data-active=${Math.round(L.shared.totals.active)}>${formatInt(Math.round(L.shared.totals.active))}</div><div class="s">baseline ${formatInt(Math.round(L.baseline.totals.active))}</div></div>`
                    : nothing}
                  <div class="stat"><div class="k">shared / baseline</div><div class="v" data-ratio=${L.shared.totals.stored / L.baseline.totals.stored}>${formatPercent(L.shared.totals.stored / L.baseline.totals.stored)}</div><div class="s">of the stored parameters</div></div>
                </div>`
              : nothing}
            ${this.jobError ? html`<div class="alert" role="alert" data-job-error>${this.jobError}</div>` : nothing}
          </section>
          <section class="card" aria-label="Progress">
            <weft-progress-bar .step=${t.step} .total=${t.totalSteps || s.steps} .stepsPerSecond=${latest?.stepsPerSecond ?? 0} .loss=${latest?.loss ?? Number.NaN} .elapsedMs=${t.elapsedMs} .status=${t.status}></weft-progress-bar>
            <div class="versus num">
              <div class="stat"><div class="k">loss · shared</div><div class="v" data-loss=${latest?.loss ?? ''}>${latest ? formatLoss(latest.loss) : '—'}</div></div>
              <div class="stat"><div class="k">loss · baseline</div><div class="v">${latest?.metrics.baseline_loss !== undefined ? formatLoss(latest.metrics.baseline_loss) : '—'}</div></div>
              <div class="stat"><div class="k">accuracy · shared</div><div class="v" data-accuracy=${latest?.metrics.accuracy ?? ''}>${latest?.metrics.accuracy !== undefined ? formatPercent(latest.metrics.accuracy) : '—'}</div></div>
              <div class="stat"><div class="k">accuracy · baseline</div><div class="v">${latest?.metrics.baseline_accuracy !== undefined ? formatPercent(latest.metrics.baseline_accuracy) : '—'}</div></div>
            </div>
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
          </section>
          <div class=${this.technique?.generate ? 'curves single' : 'curves'}>
            <section class="card" aria-labelledby="loss-title">
              <h2 class="card-title" id="loss-title">Loss <span class="aside">mean over each report</span></h2>
              <weft-sharing-curves label="loss" .total=${t.totalSteps || s.steps} .markers=${this.growth} .series=${[
                { label: 'shared', color: SHARED_COLOR, points: pts((p) => p.loss) },
                { label: 'baseline', color: BASELINE_COLOR, points: pts((p) => p.metrics.baseline_loss) },
              ]}></weft-sharing-curves>
            </section>
            ${this.technique?.generate ? nothing : html`<section class="card" aria-labelledby="acc-title">
              <h2 class="card-title" id="acc-title">Accuracy <span class="aside">${this.job?.info.model === 'transformer' ? 'sorted tokens, training batches' : 'training batches'}</span></h2>
              <weft-sharing-curves label="accuracy" percent .total=${t.totalSteps || s.steps} .series=${[
                { label: 'shared', color: SHARED_COLOR, points: pts((p) => p.metrics.accuracy) },
                { label: 'baseline', color: BASELINE_COLOR, points: pts((p) => p.metrics.baseline_accuracy) },
              ]}></weft-sharing-curves>
            </section>`}
          </div>
          ${this.job?.info.plane ? this.renderBoundaries(this.job.info.plane) : nothing}
          ${this.technique?.generate ? this.renderSamples() : nothing}
          ${this.technique?.depth ? this.renderDepths(this.technique.depth.unit) : nothing}
          ${this.technique?.experts ? this.renderExperts(this.technique.experts.note) : nothing}
          ${this.technique?.fold ? this.renderFold(this.technique.fold.at(this.job?.totalSteps ?? s.steps)) : nothing}
          <section class="card" aria-labelledby="ledger-title">
            <h2 class="card-title" id="ledger-title">Parameter ledger of the shared model <span class="aside">${L ? `${L.shared.rows.length} paths` : ''}</span></h2>
            <weft-ledger-table .ledger=${L?.shared ?? null} max-rows="14"></weft-ledger-table>
          </section>
        </div>
        <section class="card try" aria-labelledby="try-title">
          <h2 class="card-title" id="try-title">Things to try</h2>
          <ul>
            ${TRY.map((x) => html`<li><a href=${formatUrlState(SHARING_SCHEMA, { ...this.page.state, ...x.patch })}>${x.label}</a> ${x.why}</li>`)}
          </ul>
        </section>
      </div>`;
  }

  /** The data and both models' answers over the plane, side by side (MLP on spirals). */
  private renderBoundaries(plane: { points: LabelledPoints; extent: Extent }) {
    const f = this.fields;
    const step = this.fieldStep;
    return html`<section class="card" aria-labelledby="boundary-title">
      <h2 class="card-title" id="boundary-title">Decision boundaries <span class="aside">${f ? (step === 0 ? 'untrained' : `after ${step.toLocaleString('en-US')} steps`) : '3-arm spirals'}</span></h2>
      <div class="boundaries">
        <figure data-boundary="shared">
          <weft-decision-boundary compact .points=${plane.points} .extent=${plane.extent} .field=${f?.shared ?? null}></weft-decision-boundary>
          <figcaption><span class="sw" .style=${`background:${SHARED_COLOR}`}></span>shared · ${this.ledgers ? `${formatInt(this.ledgers.shared.totals.stored)} stored` : ''}</figcaption>
        </figure>
        <figure data-boundary="baseline">
          <weft-decision-boundary compact .points=${plane.points} .extent=${plane.extent} .field=${f?.baseline ?? null}></weft-decision-boundary>
          <figcaption><span class="sw" .style=${`background:${BASELINE_COLOR}`}></span>baseline · ${this.ledgers ? `${formatInt(this.ledgers.baseline.totals.stored)} stored` : ''}</figcaption>
        </figure>
      </div>
    </section>`;
  }

  /** DiT-Air: each model's samples (blue) over the data (orange), side by side; no curve swatches in the captions, whose colours would clash with the points'. */
  private renderSamples() {
    const smp = this.samples;
    const view = (pts: Float32Array | undefined) => {
      if (!smp || !pts) return null;
      const n = smp.data.length / 2;
      const m = pts.length / 2;
      const x = new Float32Array([...smp.data, ...pts]);
      const y = Int32Array.from({ length: n + m }, (_, i) => (i < n ? 0 : 1));
      return { points: { x, y, numClasses: 2 }, extent: [-1.6, 2.6, -1.2, 1.7] as const };
    };
    const [sv, bv] = [view(smp?.shared), view(smp?.baseline)];
    return html`<section class="card" aria-labelledby="samples-title">
      <h2 class="card-title" id="samples-title">Samples <span class="aside">${smp ? (smp.step === 0 ? 'untrained: noise' : `drawn after ${smp.step.toLocaleString('en-US')} steps`) : 'drawing…'} · 300 points, 50 denoising steps</span></h2>
      <div class="boundaries">
        <figure data-samples="shared">
          <weft-decision-boundary compact .points=${sv?.points ?? null} .extent=${sv?.extent ?? null} .field=${null}></weft-decision-boundary>
          <figcaption>shared · ${this.ledgers ? `${formatInt(this.ledgers.shared.totals.stored)} stored` : ''}${smp ? html` · <span data-energy="shared">D² ${smp.distance.shared.toFixed(3)}</span>` : nothing}</figcaption>
        </figure>
        <figure data-samples="baseline">
          <weft-decision-boundary compact .points=${bv?.points ?? null} .extent=${bv?.extent ?? null} .field=${null}></weft-decision-boundary>
          <figcaption>baseline · ${this.ledgers ? `${formatInt(this.ledgers.baseline.totals.stored)} stored` : ''}${smp ? html` · <span data-energy="baseline">D² ${smp.distance.baseline.toFixed(3)}</span>` : nothing}</figcaption>
        </figure>
      </div>
      <p class="about">Orange: the data. Blue: 300 points each model generates from noise. D² is their energy distance to the 300 data points shown (2·E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖; 0 when the two sets match, lower is better), the sample quality the DiT-Air test compares against stored parameters.</p>
    </section>`;
  }

  /** ACT / MoR: each probe token's depth, tokens × positions. */
  private renderDepths(unit: string) {
    const d = this.depths;
    const mean = d ? d.depth.reduce((a, v) => a + v, 0) / d.depth.length : NaN;
    // What the ledger counts per token for the shared block (ACT and token-choice: the probe's mean; expert-choice: Σ capacity).
    const uses = d?.ledger.rows.find((r) => r.path.startsWith('blocks.0.block.'))?.uses;
    return html`<section class="card" aria-labelledby="depth-title">
      <h2 class="card-title" id="depth-title">Per-token depth <span class="aside">${d ? `${d.rows} sequences · mean ${mean.toFixed(2)} of at most ${d.max}` : ''}</span></h2>
      <weft-sharing-depth .depths=${d}></weft-sharing-depth>
      <p class="about">Each row is one sequence of the sort task: 5 tokens, the separator →, then the sorted answer so far. A cell's shade is the token's depth: ${unit}. The baseline runs every token through all ${d?.max ?? this.page.state.depth} blocks.${uses !== undefined && Math.abs(uses - mean) > 1e-6 ? ` The ledger counts the block ${uses.toFixed(2)} times per token, the sum of the routers' capacities; at ${d!.cols} positions each router keeps a whole number of tokens, ${mean.toFixed(2)} per token here.` : ''}</p>
    </section>`;
  }

  /** FoldGPT: each parent block's importance and fate; parent, fold and pruning alone side by side. */
  private renderFold(at: number) {
    const r = this.foldReport;
    const p = this.training.history.at(-1);
    const latest = r && p && p.step > r.step ? { folded: p.metrics.accuracy ?? Number.NaN, pruned: p.metrics.baseline_accuracy ?? Number.NaN } : null;
    return html`<section class="card" aria-labelledby="fold-title">
      <h2 class="card-title" id="fold-title">Blocks of the parent <span class="aside">${r ? `scored by ${r.gateSteps} gate steps at step ${r.step.toLocaleString('en-US')}` : 'before the cut'}</span></h2>
      <weft-sharing-fold .report=${r} .depth=${this.page.state.depth} .foldAt=${at} .latest=${latest}></weft-sharing-fold>
      <p class="about">Each block's score is its |gate| after the gates alone trained with an L1 pull towards 0 (the parent frozen): a block the model can do without ends near 0. The fold keeps the most important blocks and shares one block per group, each layer scaling its output by its own learnable channel scale; pruning alone keeps one block per group, so both store about the same. Accuracy after the cut is on the first ${r?.probe.sequences ?? 256} sequences before any fine-tuning; now is on the latest training batches (the curves).</p>
    </section>`;
  }

  /** MoE techniques: each MoE layer's expert loads on the probe. */
  private renderExperts(note: string) {
    const d = this.experts;
    return html`<section class="card" aria-labelledby="experts-title">
      <h2 class="card-title" id="experts-title">Expert usage <span class="aside">${d ? `${d.layers.length} MoE layers · ${d.tokens} tokens` : ''}</span></h2>
      <weft-sharing-experts .loads=${d}></weft-sharing-experts>
      <p class="about">A cell is the share of the layer's routed (token, expert) pairs that went to that expert, in percent, on the first sequences of the sort task; an even split is ${d ? (100 / d.loads[0]!.length).toFixed(1) : '—'}%. ${note}</p>
    </section>`;
  }

  private async refreshFields(): Promise<void> {
    const job = this.job;
    if (job && this.technique?.experts) {
      this.lastField = performance.now();
      try {
        const d = await job.call<ExpertLoads | null>('experts');
        if (this.job === job && d) {
          this.experts = d;
          this.requestUpdate();
        }
      } catch {
        // The picture keeps its last state; training reports its own errors.
      }
      return;
    }
    if (job && this.technique?.depth) {
      this.lastField = performance.now();
      try {
        const d = await job.call<TokenDepths | null>('depths');
        if (this.job === job && d) {
          this.depths = d;
          this.ledgers = this.ledgers ? { ...this.ledgers, shared: d.ledger } : null;
          this.requestUpdate();
        }
      } catch {
        // The picture keeps its last state; training reports its own errors.
      }
      return;
    }
    if (job && this.technique?.generate) {
      this.lastField = performance.now() + 2600; // sampling costs more than a field: refresh less often
      const step = this.training.currentJob === job ? this.training.step : 0;
      try {
        const s = await job.call<{ data: Float32Array; shared: Float32Array; baseline: Float32Array } | null>('samples');
        if (this.job === job && s) {
          this.samples = { ...s, step, distance: { shared: energyDistance(s.data, s.shared), baseline: energyDistance(s.data, s.baseline) } };
          this.requestUpdate();
        }
      } catch {
        // The picture keeps its last state; training reports its own errors.
      }
      return;
    }
    if (!job?.info.plane) return;
    this.lastField = performance.now();
    const step = this.training.currentJob === job ? this.training.step : 0;
    try {
      const fields = await job.call<{ shared: ProbabilityField; baseline: ProbabilityField } | null>('fields');
      if (this.job === job) {
        this.fields = fields;
        this.fieldStep = step;
        this.requestUpdate();
      }
    } catch {
      // The picture keeps its last state; training reports its own errors.
    }
  }

  /** The picture of a technique of the table: its sub-module rows, or (Shapeshifter) its layers reading one bank, or its baseline in words. */
  private renderTechniqueView() {
    const s = this.page.state;
    const t = PAGE_TECHNIQUES[s.sharing]!;
    const job = this.job;
    const rows = t.rows({ depth: s.depth, width: s.width, unique: s.unique, compression: s.compression, vocabSize: 0, maxLen: 0 });
    if (rows) return html`<weft-sharing-modules .rows=${rows}></weft-sharing-modules><p class="about" data-baseline-about>Baseline: ${t.baseline}.</p>`;
    const pic = job?.info.picture;
    if (pic?.kind === 'memory') return html`<weft-sharing-diagram .hashed=${pic}></weft-sharing-diagram>`;
    if (pic?.kind === 'flops') {
      return html`<p class="about" data-baseline-about>Baseline: ${t.baseline}. Multiply-adds per image: <b data-flops=${pic.shared}>${formatInt(pic.shared)}</b> with max-pools, ${formatInt(pic.baseline)} with depthwise convolutions.</p>`;
    }
    const g = this.growth;
    return html`<p class="about" data-baseline-about>Baseline: ${t.baseline}.${t.grow && job ? (g.length ? ` The shared model was ${g[0]!.label} at step ${g[0]!.step.toLocaleString('en-US')} (dashed line on the loss).` : ` The shared model grows at step ${t.grow.at(job.totalSteps).toLocaleString('en-US')}.`) : ''}</p>`;
  }

  private hashedView(): { layers: number[]; memory: number } | null {
    const pic = this.job?.info.picture;
    return isHashed(this.page.state.sharing) && pic?.kind === 'memory' ? pic : null;
  }

  private renderForm() {
    const s = this.page.state;
    const locked = this.buttons.locked;
    const err = (k: Key) => (this.page.fieldErrors[k] ? html`<span class="error" role="alert">${this.page.fieldErrors[k]}</span>` : nothing);
    const cls = (k: Key) => `field ${this.page.fieldErrors[k] ? 'invalid' : ''}`;
    const hashed = isHashed(s.sharing);
    const technique = PAGE_TECHNIQUES[s.sharing] ?? null;
    const fields = planFields(s.sharing);
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.page.onChange}>
      <fieldset ?disabled=${locked}>
        <label class="field">
          <span>Sharing</span>
          <select name="sharing">
            <optgroup label="Cross-layer plans">
              ${SHARING_CHOICES.filter((c) => !isHashed(c)).map((c) => html`<option value=${c} ?selected=${c === s.sharing}>${c}</option>`)}
            </optgroup>
            <optgroup label="Hashed (MLP)">
              ${SHARING_CHOICES.filter(isHashed).map((c) => html`<option value=${c} ?selected=${c === s.sharing}>${c}</option>`)}
            </optgroup>
            ${[...new Set(Object.values(PAGE_TECHNIQUES).map((x) => x.group))].map(
              (g) => html`<optgroup label=${g}>
                ${Object.entries(PAGE_TECHNIQUES).filter(([, x]) => x.group === g).map(([c, x]) => html`<option value=${c} ?selected=${c === s.sharing}>${c} (${x.architecture ?? ({ mlp: 'MLP', transformer: 'Transformer', cnn: 'CNN', diffusion: 'diffusion' } as const)[x.model]})</option>`)}
              </optgroup>`,
            )}
          </select>
          <small>${about(s.sharing)}</small>
        </label>
        <label class="field">
          <span>Model</span>
          <select name="model" ?disabled=${hashed || technique !== null}>
            ${technique?.model === 'diffusion' || technique?.model === 'cnn' || technique?.architecture
              ? html`<option selected>${technique.architecture ? `${technique.architecture} · sort 5 tokens` : technique.model === 'cnn' ? 'CNN · 8×8 shapes' : 'DiT denoiser · two moons'}</option>`
              : SHARING_MODELS.map((m) => html`<option value=${m} ?selected=${m === (hashed ? 'mlp' : (technique?.model ?? s.model))}>${m === 'mlp' ? 'MLP · 3-arm spirals' : 'Transformer · sort 5 tokens'}</option>`)}
          </select>
        </label>
        <div class="pair">
          <label class=${cls('depth')}>
            <span>${hashed ? 'Hidden layers' : 'Slots (depth)'}</span>
            <input name="depth" type="number" min="1" max="12" .value=${String(s.depth)} />
            ${err('depth')}
          </label>
          <label class=${cls('width')}>
            <span>Width</span>
            <input name="width" type="number" min="4" max="128" .value=${String(s.width)} />
            ${err('width')}
          </label>
        </div>
        ${hashed || technique?.usesCompression
          ? html`<label class=${cls('compression')}>
              <span>Compression</span>
              <input name="compression" inputmode="decimal" .value=${String(s.compression)} autocomplete="off" />
              ${this.page.fieldErrors.compression ? err('compression') : html`<small>virtual weights per stored value (1–64)</small>`}
            </label>`
          : nothing}
        ${fields.size
          ? html`<label class=${cls('unique')}>
              <span>${SIZE_LABEL[fields.size] ?? fields.size}</span>
              <input name="unique" type="number" min="1" max="12" .value=${String(s.unique)} />
              ${err('unique')}
            </label>`
          : nothing}
        ${fields.map
          ? html`<label class=${cls('map')}>
              <span>Map</span>
              <input name="map" .value=${SHARING_SCHEMA.map.format(s.map)} placeholder="e.g. 0,1,1,0" spellcheck="false" autocomplete="off" />
              ${this.page.fieldErrors.map ? err('map') : html`<small>block index of each slot, comma-separated</small>`}
            </label>`
          : nothing}
        <label class=${cls('steps')}>
          <span>Steps</span>
          <input name="steps" type="number" min="1" max="20000" step="100" .value=${String(s.steps)} />
          ${err('steps')}
        </label>
        <div class="pair">
          <label class=${cls('seed')}>
            <span>Seed</span>
            <input name="seed" type="number" min="0" .value=${String(s.seed)} />
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
      ${locked ? html`<p class="note">The settings above the learning rate are locked during a run (they rebuild the models); the learning rate changes at once, for both.</p>` : html`<p class="note">Each step trains both models on the same batch (Adam).</p>`}
      <div class="share">
        <span class="note">The link reproduces this run.</span>
        ${this.link.render()}
      </div>
    </form>`;
  }

  /** Build both untrained models from the state: diagram, ledgers (a bad plan shows the library's error). */
  private async build(): Promise<void> {
    this.jobError = null;
    const state = { ...this.page.state, map: [...this.page.state.map] };
    try {
      this.slots = isHashed(state.sharing) || isTechnique(state.sharing) ? null : slotsOf(state);
      this.job = await this.worker.build(state);
    } catch (e) {
      this.slots = null;
      this.jobError = e instanceof Error ? e.message : String(e);
      return;
    }
    this.builtState = state;
    this.ledgers = this.job.info.ledgers;
    this.growth = [];
    this.depths = null;
    this.experts = null;
    this.foldReport = null;
    this.samples = null;
    this.fields = null;
    this.fieldStep = 0;
    await this.refreshFields();
  }

  private disposeJob(): void {
    this.job?.dispose();
    this.job = null;
    this.builtState = null;
    this.depths = null;
    this.ledgers = null;
    this.fields = null;
  }
}

customElements.define('weft-sharing-page', WeftSharingPage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-page': WeftSharingPage;
  }
}
