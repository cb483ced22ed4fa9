// moe.html: mixture-of-experts routing live — choose the router, E, k, capacity (or dropless) and
// the aux-loss weights; an MoE regressor trains on Gaussian clusters with a different target per
// cluster; a heatmap shows where probe tokens go (grouped by cluster), bars show per-expert load,
// curves show the task loss, the balance loss and the z-loss; the ledger gives total vs active
// parameters. The state lives in the URL. Below, one view per further @weft/moe technique (μP, the
// routed scaling law, PERFT, DNA, product-key memory, UMoE, experts shared across layers, WEMoE, Hydra) runs its own seeded
// experiment on demand in a second worker (jobs/moe-lab.ts), one experiment at a time.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/ledger-table.js';
import '../components/url-notice.js';
import './moe-views.js';
import './moe-mup-view.js';
import './moe-scaling-view.js';
import './moe-perft-view.js';
import './moe-dna-view.js';
import './moe-pkm-view.js';
import './moe-wemoe-view.js';
import './moe-umoe-view.js';
import './moe-shared-experts-view.js';
import './moe-hydra-view.js';
import './moe-inference-view.js';
import { LitElement, html, nothing } from 'lit';
import type { Ledger } from '@weft/core';
import { routerEntry } from '@weft/moe';
import { TrainingController } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { RunButtonsController } from '../controllers/run-buttons-controller.js';
import { CopyLinkController } from '../controllers/copy-link-controller.js';
import { formatUrlState } from '../url-state.js';
import { moeStyles } from '../styles/moe.js';
import { formatInt, formatLoss, formatPercent } from '../format.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import type { MoEView } from '../jobs/moe-job.js';
import { JobWorker, type WorkerJob } from '../jobs/worker-job.js';
import { MoELabClient } from '../jobs/moe-lab-client.js';
import { MOE_BALANCE, MOE_DROP, MOE_EXPERTS, MOE_LAYERS, MOE_ROUTERS, MOE_SCHEMA, type MoEState } from './moe-state.js';

type Key = keyof MoEState;

/** Minimum time between two refreshes of the token → expert heatmap while training, ms. */
const VIEW_REFRESH_MS = 300;

/** Links that change a setting or two to show something. */
const TRY: Array<{ label: string; why: string; patch: Partial<MoEState> }> = [
  { label: 'A tight capacity', why: '(0.5): half the routed pairs are dropped — watch the dropped fraction.', patch: { capacity: 0.5 } },
  { label: 'No load balancing', why: ': a few experts take most tokens.', patch: { balance: 'none' } },
  { label: 'Switch, top-1', why: 'with input jitter (Fedus et al.).', patch: { router: 'switch', k: 1 } },
  { label: 'Expert choice', why: ': every expert takes the same number of tokens.', patch: { router: 'expert-choice', capacity: 1 } },
  { label: '32 experts, top-2', why: ': the total grows 4×, the active count barely moves.', patch: { experts: 32 } },
  { label: 'MoLoRA experts', why: 'over one frozen FFN: a fraction of the trainable parameters.', patch: { expert: 'lora' } },
  { label: 'k larger than E', why: 'shows the library’s error.', patch: { experts: 4, k: 6 } },
];

/** The mixture-of-experts page. */
export class WeftMoEPage extends LitElement {
  static override properties = {
    job: { state: true },
    ledger: { state: true },
    view: { state: true },
    jobError: { state: true },
  };
  private declare job: WorkerJob<object> | null;
  private declare ledger: Ledger | null;
  private declare view: MoEView | null;
  private declare jobError: string | null;

  private readonly training = new TrainingController(this, {
    onProgress: async (p) => {
      // The heatmap's probe pass and its 96 × E cells at most every VIEW_REFRESH_MS (and at the end).
      if (!this.job || (performance.now() - this.lastView < VIEW_REFRESH_MS && p.step < this.training.totalSteps)) return;
      this.lastView = performance.now();
      this.view = await this.job.call<MoEView>('view');
    },
    onStatus: (s) => {
      if ((s === 'paused' || s === 'stopped') && this.job) void this.job.call<MoEView>('view').then((v) => (this.view = v), () => undefined);
    },
  });
  /** Where the model lives and trains (the main thread only draws). */
  private readonly worker = new JobWorker<MoEState, object>(() => new Worker(new URL('../workers/moe-worker.ts', import.meta.url), { type: 'module', name: 'weft-moe' }));
  private readonly page = new PageStateController(this, MOE_SCHEMA, {
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
  /** The technique views' experiments run in their own worker, on the page's backend choice. */
  private readonly lab = new MoELabClient(() => this.page.state.backend);
  private lastView = 0;

  constructor() {
    super();
    this.job = null;
    this.ledger = null;
    this.view = null;
    this.jobError = null;
  }

  static override styles = moeStyles;

  override render() {
    const t = this.training;
    const latest = t.latest;
    const s = this.page.state;
    const hist = t.history;
    const stat = (p: (typeof hist)[number], k: string) => {
      const v = p.stats[k];
      return typeof v === 'number' ? v : NaN;
    };
    const L = this.ledger;
    // The report a pause or stop writes carries no statistics (no step ran since the last one):
    // the router's numbers and the load chart keep the latest report that has them.
    const routed = [...hist].reverse().find((p) => Object.keys(p.stats).length > 0);
    const load = (routed?.stats['moe.load'] as number[] | undefined) ?? [];
    const dropped = routed ? stat(routed, 'moe.dropped') : NaN;
    const entropy = routed ? stat(routed, 'moe.entropy') : NaN;
    const total = t.totalSteps || s.steps;
    return html`<div class="top">
        <div>
          <h1>Mixture of experts</h1>
          <p class="lead">
            A router sends each token to a few of many experts. Eight Gaussian clusters each hide a different target function:
            watch the experts specialise, the load spread (or not), and the total parameters grow while the active ones stay put.
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
          <section class="card" aria-labelledby="params-title">
            <h2 class="card-title" id="params-title">Parameters <span class="aside">${s.router} · top-${s.k} of ${s.experts} · ${s.capacity > 0 ? `capacity ${s.capacity}` : 'dropless'}</span></h2>
            <p class="about">${routerEntry(s.router).description}.</p>
            ${L
              ? html`<div class="counts num" data-ledger>
                  <div class="stat"><div class="k">total</div><div class="v" data-stored=${L.totals.stored}>${formatInt(L.totals.stored)}</div><div class="s">stored parameters</div></div>
                  <div class="stat"><div class="k">active per token</div><div class="v" data-active=${Math.round(L.totals.active)}>${formatInt(Math.round(L.totals.active))}</div><div class="s">router + k/E of the experts</div></div>
                  <div class="stat"><div class="k">active / total</div><div class="v">${formatPercent(L.totals.active / L.totals.stored)}</div><div class="s">of the stored</div></div>
                  <div class="stat"><div class="k">trainable</div><div class="v">${formatInt(L.totals.trainable)}</div><div class="s">${s.expert === 'ia3' || s.expert === 'lora' ? 'the base FFN is frozen' : 'everything trains'}</div></div>
                </div>`
              : nothing}
            ${this.jobError ? html`<div class="alert" role="alert" data-job-error>${this.jobError}</div>` : nothing}
          </section>
          <section class="card" aria-label="Progress">
            <weft-progress-bar .step=${t.step} .total=${total} .stepsPerSecond=${latest?.stepsPerSecond ?? 0} .loss=${latest?.loss ?? Number.NaN} .elapsedMs=${t.elapsedMs} .status=${t.status}></weft-progress-bar>
            <div class="versus num">
              <div class="stat"><div class="k">task loss (MSE + aux)</div><div class="v" data-loss=${latest?.loss ?? ''}>${latest ? formatLoss(latest.loss) : '—'}</div></div>
              <div class="stat"><div class="k">dropped pairs</div><div class="v" data-dropped=${Number.isFinite(dropped) ? dropped : ''}>${Number.isFinite(dropped) ? formatPercent(dropped) : '—'}</div></div>
              <div class="stat"><div class="k">router entropy</div><div class="v" data-entropy=${Number.isFinite(entropy) ? entropy : ''}>${Number.isFinite(entropy) ? formatLoss(entropy) : '—'}</div></div>
              <div class="stat"><div class="k">NMI expert ↔ cluster</div><div class="v" data-nmi=${this.view?.nmi ?? ''}>${this.view ? this.view.nmi.toFixed(2) : '—'}</div></div>
            </div>
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
          </section>
          <section class="card" aria-labelledby="heat-title">
            <h2 class="card-title" id="heat-title">Token → expert <span class="aside">12 probe points per cluster</span></h2>
            <weft-moe-heatmap .weights=${this.view?.weights ?? []} .cluster=${this.view?.cluster ?? []}></weft-moe-heatmap>
            <p class="legend">Columns are points grouped by cluster (c0…c7), rows are experts; darker = larger combine weight. A specialised router gives each cluster its own rows.</p>
          </section>
          <div class="curves">
            <section class="card" aria-labelledby="load-title">
              <h2 class="card-title" id="load-title">Per-expert load <span class="aside">share of routed pairs</span></h2>
              <weft-moe-load .load=${load}></weft-moe-load>
              <p class="legend">Dashed: the uniform share 1/E.</p>
            </section>
            <section class="card" aria-labelledby="loss-title">
              <h2 class="card-title" id="loss-title">Loss <span class="aside">MSE + weighted aux losses</span></h2>
              <weft-loss-chart .history=${hist} metric=""></weft-loss-chart>
            </section>
            <section class="card" aria-labelledby="aux-title">
              <h2 class="card-title" id="aux-title">Balance loss <span class="aside">${s.balance === 'none' ? 'switch form, not trained' : `${s.balance} form`}</span></h2>
              <weft-moe-line label="balance loss" .total=${total} .points=${hist.map((p) => [p.step, stat(p, 'moe.load_balance_value')] as const)}></weft-moe-line>
            </section>
            <section class="card" aria-labelledby="z-title">
              <h2 class="card-title" id="z-title">Router z-loss <span class="aside">mean logsumexp²</span></h2>
              <weft-moe-line label="z-loss" color="hsl(28 85% 52%)" .total=${total} .points=${hist.map((p) => [p.step, stat(p, 'moe.z_loss_value')] as const)}></weft-moe-line>
            </section>
          </div>
          <section class="card" aria-labelledby="ledger-title">
            <h2 class="card-title" id="ledger-title">Parameter ledger <span class="aside">${L ? `${L.rows.length} paths` : ''}</span></h2>
            <weft-ledger-table .ledger=${L} max-rows="14"></weft-ledger-table>
          </section>
          <h2 class="section-title" id="lab-title">More techniques of @weft/moe <span class="aside">each runs its own seeded experiment in a worker when you press its button</span></h2>
          <section class="card" aria-labelledby="mup-title">
            <h2 class="card-title" id="mup-title"><span><span class="keep">μP</span> for MoE</span><span class="aside">the best learning rate across widths</span></h2>
            <weft-moe-mup-view .lab=${this.lab}></weft-moe-mup-view>
          </section>
          <section class="card" aria-labelledby="scaling-title">
            <h2 class="card-title" id="scaling-title">Scaling law for routed models <span class="aside">loss vs N and E, with the fitted law</span></h2>
            <weft-moe-scaling-view .lab=${this.lab}></weft-moe-scaling-view>
          </section>
          <section class="card" aria-labelledby="perft-title">
            <h2 class="card-title" id="perft-title">PERFT <span class="aside">routed adapters beside a frozen MoE: the variants compared</span></h2>
            <weft-moe-perft-view .lab=${this.lab} .seed=${s.seed}></weft-moe-perft-view>
          </section>
          <section class="card" aria-labelledby="dna-title">
            <h2 class="card-title" id="dna-title">Distributed neural architectures <span class="aside">each token's path through a pool of modules</span></h2>
            <weft-moe-dna-view .lab=${this.lab} .seed=${s.seed}></weft-moe-dna-view>
          </section>
          <section class="card" aria-labelledby="pkm-title">
            <h2 class="card-title" id="pkm-title">Product-key memory <span class="aside">which keys and values a query picks</span></h2>
            <weft-moe-pkm-view .lab=${this.lab} .seed=${s.seed}></weft-moe-pkm-view>
          </section>
          <section class="card" aria-labelledby="umoe-title">
            <h2 class="card-title" id="umoe-title">UMoE <span class="aside">one set of experts for attention and FFN</span></h2>
            <weft-moe-umoe-view .lab=${this.lab} .seed=${s.seed}></weft-moe-umoe-view>
          </section>
          <section class="card" aria-labelledby="shared-experts-title">
            <h2 class="card-title" id="shared-experts-title">Experts shared across layers <span class="aside">one bank, a router per layer (parameter-efficient Conformers)</span></h2>
            <weft-moe-shared-experts-view .lab=${this.lab} .seed=${s.seed}></weft-moe-shared-experts-view>
          </section>
          <section class="card" aria-labelledby="wemoe-title">
            <h2 class="card-title" id="wemoe-title">WEMoE <span class="aside">merging task models: a router over their task vectors</span></h2>
            <weft-moe-wemoe-view .lab=${this.lab} .seed=${s.seed}></weft-moe-wemoe-view>
          </section>
          <section class="card" aria-labelledby="hydra-title">
            <h2 class="card-title" id="hydra-title">Hydra <span class="aside">a recurrence with MoE and memory on a delayed copy</span></h2>
            <weft-moe-hydra-view .lab=${this.lab} .seed=${s.seed}></weft-moe-hydra-view>
          </section>
          <section class="card" aria-labelledby="inference-title">
            <h2 class="card-title" id="inference-title">Inference optimisations <span class="aside">pruning, merging, quantising, dynamic top-k and caching a trained MoE</span></h2>
            <weft-moe-inference-view .lab=${this.lab} .seed=${s.seed}></weft-moe-inference-view>
          </section>
        </div>
        <section class="card try" aria-labelledby="try-title">
          <h2 class="card-title" id="try-title">Things to try</h2>
          <ul>
            ${TRY.map((x) => html`<li><a href=${formatUrlState(MOE_SCHEMA, { ...this.page.state, ...x.patch })}>${x.label}</a> ${x.why}</li>`)}
          </ul>
        </section>
      </div>`;
  }

  private renderForm() {
    const s = this.page.state;
    const locked = this.buttons.locked;
    const err = (k: Key) => (this.page.fieldErrors[k] ? html`<span class="error" role="alert">${this.page.fieldErrors[k]}</span>` : nothing);
    const cls = (k: Key) => `field ${this.page.fieldErrors[k] ? 'invalid' : ''}`;
    const select = (name: Key, label: string, choices: readonly string[], value: string) => html`<label class="field">
      <span>${label}</span>
      <select name=${name}>${choices.map((c) => html`<option value=${c} ?selected=${c === value}>${c}</option>`)}</select>
    </label>`;
    const num = (name: Key, label: string, value: number, attrs: { min: number; max: number; step?: string }) => html`<label class=${cls(name)}>
      <span>${label}</span>
      <input name=${name} type="number" min=${attrs.min} max=${attrs.max} step=${attrs.step ?? '1'} .value=${String(value)} />
      ${err(name)}
    </label>`;
    const dec = (name: Key, label: string, value: number, hint?: string) => html`<label class=${cls(name)}>
      <span>${label}</span>
      <input name=${name} inputmode="decimal" .value=${String(value)} autocomplete="off" />
      ${this.page.fieldErrors[name] ? err(name) : hint ? html`<small>${hint}</small>` : nothing}
    </label>`;
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.page.onChange}>
      <fieldset ?disabled=${locked}>
        ${select('layer', 'Layer', MOE_LAYERS, s.layer)}
        <p class="note">chain-of-experts: 2 routed iterations through one set of experts; grove: expert groups of 2 with an adjugate expert each; mpoe: experts as matrix product operators sharing their central cores.</p>
        ${select('router', 'Router', MOE_ROUTERS, s.router)}
        <div class="pair">${num('experts', 'Experts E', s.experts, { min: 2, max: 32 })}${num('k', 'Top-k', s.k, { min: 1, max: 8 })}</div>
        <div class="pair">${select('expert', 'Expert kind', MOE_EXPERTS, s.expert)}${dec('capacity', 'Capacity', s.capacity)}</div>
        <p class="note">Capacity 0 is dropless; c &gt; 0 gives each expert ⌈c·N·k/E⌉ slots.</p>
        <div class="pair">${select('drop', 'Drop priority', MOE_DROP, s.drop)}${select('balance', 'Balance loss', MOE_BALANCE, s.balance)}</div>
        <div class="pair">${dec('aux', 'Balance weight', s.aux)}${dec('z', 'z-loss weight', s.z)}</div>
        <div class="pair">${num('steps', 'Steps', s.steps, { min: 1, max: 20000, step: '100' })}${num('seed', 'Seed', s.seed, { min: 0, max: 2 ** 31 - 1 })}</div>
        ${select('backend', 'Backend', BACKEND_CHOICES, s.backend)}
      </fieldset>
      <fieldset class="live">
        <label class=${cls('lr')}>
          <span>Learning rate <small class="live-tag">live</small></span>
          <input name="lr" inputmode="decimal" .value=${String(s.lr)} autocomplete="off" />
          ${err('lr')}
        </label>
      </fieldset>
      <div class="buttons">${this.buttons.render()}</div>
      ${locked ? html`<p class="note">The settings above the learning rate are locked during a run (they rebuild the model); the learning rate changes at once.</p>` : html`<p class="note">Adam, batches of 128 points, MSE plus the weighted aux losses.</p>`}
      <div class="share">
        <span class="note">The link reproduces this run.</span>
        ${this.link.render()}
      </div>
    </form>`;
  }

  /** Build the untrained model from the state (a bad combination shows the library's error). */
  private async build(): Promise<void> {
    this.jobError = null;
    this.view = null;
    try {
      this.job = await this.worker.build({ ...this.page.state });
    } catch (e) {
      this.jobError = e instanceof Error ? e.message : String(e);
      return;
    }
    this.ledger = this.job.ledger();
  }

  private disposeJob(): void {
    this.job?.dispose();
    this.job = null;
    this.ledger = null;
  }
}

customElements.define('weft-moe-page', WeftMoEPage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-page': WeftMoEPage;
  }
}
