// nas.html: neural architecture search live — pick a space (a DARTS-style cell over vector ops,
// DARTS' conv cell on 8×8 shapes, or a weight-entangled MLP) and a method from @weft/nas's
// registry; in the vector and entangled spaces a planted teacher made the data, so the page can
// mark the teacher's op on every edge. Watch α (or β) move as bars, the current
// genotype drawn as a cell, the supernet's training and validation loss, a warning when
// skip-connections take over (DARTS collapse); switch to perturbation-based selection; retrain
// the found architecture and a random one. The search lives and runs in a Web Worker
// (../workers/nas-worker.ts): the main thread only draws. The state lives in the URL.
import '../styles/base.css';
import '../components/site-header.js';
import '../components/backend-badge.js';
import '../components/progress-bar.js';
import '../components/loss-chart.js';
import '../components/url-notice.js';
import './nas-views.js';
import './nas-cell-alphas.js';
import './nas-ranking.js';
import './nas-regnet.js';
import './nas-puzzle.js';
import './nas-pooling.js';
import { renderRetrainResult } from './nas-retrain.js';
import { LitElement, html, nothing } from 'lit';
import type { Ledger } from '@weft/core';
import { searchMethod } from '@weft/nas';
import { TrainingController } from '../controllers/training-controller.js';
import { PageStateController } from '../controllers/page-state-controller.js';
import { RunButtonsController } from '../controllers/run-buttons-controller.js';
import { formatUrlState } from '../url-state.js';
import { nasStyles } from '../styles/nas.js';
import { formatInt, formatLoss, formatPercent } from '../format.js';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { CELL_SPACE, CONV_SPACE, ENTANGLED_SPACE, type NasView, type RetrainResult } from '../jobs/nas-job.js';
import { JobWorker, type WorkerJob } from '../jobs/worker-job.js';
import { NAS_METHODS, NAS_SCHEMA, NAS_SELECTION, NAS_SPACES, type NasState } from './nas-state.js';

type Key = keyof NasState;

/** What the worker says of a built search besides its ledger. */
interface NasJobInfo {
  /** The supernet's ledger, and (entangled) its largest subnet's. */
  ledgers: { supernet: Ledger; largest: Ledger | null };
}

/** Chance of guessing the teacher's op on a cell edge: one of the ops besides `none` (never selected). */
const CELL_CHANCE = 1 / CELL_SPACE.ops.filter((op) => op !== 'none').length;
/** Chance of guessing one of the teacher's choices in the entangled space: the mean over its depth and width choices. */
const ENTANGLED_CHANCE = (1 / ENTANGLED_SPACE.depthChoices.length + 1 / ENTANGLED_SPACE.widthChoices.length) / 2;

const TRY: Array<{ label: string; why: string; patch: Partial<NasState> }> = [
  { label: 'Perturbation selection', why: 'reads the same supernet by how much removing each op hurts (Wang et al. 2021).', patch: { selection: 'perturbation' } },
  { label: 'A fast α', why: '(lr 0.1): α commits within a few dozen steps; one op (often skip_connect or linear) takes over the edges.', patch: { archLr: 0.1 } },
  { label: 'DARTS, second order', why: ': the unrolled step with a finite-difference Hessian-vector product.', patch: { method: 'darts-2nd', steps: 150 } },
  { label: 'GDAS', why: ': one op per edge, sampled by Gumbel-softmax.', patch: { method: 'gdas' } },
  { label: 'The DARTS conv cell', why: 'on 8×8 shapes: normal and reduction cells over the 8 DARTS primitives (no teacher: classification). GDAS runs one op per edge, several times faster than DARTS here.', patch: { space: 'conv', method: 'gdas', steps: 150 } },
  { label: 'TangleNAS', why: 'on the weight-entangled MLP: β over depth and widths, memory of the largest subnet.', patch: { space: 'entangled', method: 'tanglenas', archLr: 0.05 } },
  { label: 'A cell method on the entangled space', why: 'shows the library’s error.', patch: { space: 'entangled', method: 'darts' } },
];

/** The NAS page. */
export class WeftNasPage extends LitElement {
  static override properties = {
    job: { state: true },
    ledgers: { state: true },
    view: { state: true },
    jobError: { state: true },
    retrained: { state: true },
    retraining: { state: true },
  };
  private declare job: WorkerJob<NasJobInfo> | null;
  private declare ledgers: { supernet: Ledger; largest: Ledger | null } | null;
  private declare view: NasView | null;
  private declare jobError: string | null;
  private declare retrained: RetrainResult | null;
  private declare retraining: boolean;
  /** Skip-connection share of the derived cell by step (cell spaces). */
  private readonly skipAt = new Map<number, number>();

  private readonly training = new TrainingController(this, {
    onProgress: async (p) => {
      const job = this.job;
      if (!job) return;
      const view = await job.call<NasView | null>('view');
      if (this.job !== job || !view) return;
      this.view = view;
      // DARTS collapse over time: the derived cell's skip-connection share at every report.
      if (this.view && this.page.state.space !== 'entangled') this.skipAt.set(p.step, this.view.skipShare);
    },
  });
  /** Where the search lives and runs (the main thread only draws). */
  private readonly worker = new JobWorker<NasState, NasJobInfo>(() => new Worker(new URL('../workers/nas-worker.ts', import.meta.url), { type: 'module', name: 'weft-nas' }));
  private readonly page = new PageStateController(this, NAS_SCHEMA, {
    training: this.training,
    chooseBackend: (choice) => this.worker.chooseBackend(choice),
    release: () => this.disposeJob(),
    rebuild: () => this.build(),
    // Keep the method consistent with the space when the space changes.
    adjustPatch: (patch) => {
      if (patch.space !== undefined) patch.method = patch.space === 'entangled' ? 'tanglenas' : 'darts';
    },
  });
  private readonly buttons = new RunButtonsController(this, {
    training: this.training,
    settings: this.page,
    job: () => this.job,
    startLabel: 'Search',
  });

  constructor() {
    super();
    this.job = null;
    this.ledgers = null;
    this.view = null;
    this.jobError = null;
    this.retrained = null;
    this.retraining = false;
  }

  static override styles = nasStyles;

  override render() {
    const t = this.training;
    const latest = t.latest;
    const s = this.page.state;
    const v = this.view;
    const total = t.totalSteps || s.steps;
    const valHistory = t.history.map((p) => ({ ...p, loss: p.metrics.valLoss ?? Number.NaN, metrics: this.skipAt.has(p.step) ? { ...p.metrics, 'skip share': this.skipAt.get(p.step)! } : p.metrics }));
    const L = this.ledgers;
    return html`<div class="top">
        <div>
          <h1>Supernets &amp; NAS</h1>
          <p class="lead">
            A hidden teacher network built from known operations made the data. A supernet holding every candidate is trained by
            bilevel search — weights on training batches, architecture weights on validation batches — and the page marks (★) the
            teacher's choice on every edge, so you can see whether the search finds it.${s.space === 'conv' ? ' The conv space has no teacher: the supernet of DARTS cells learns to classify 8×8 shapes.' : ''}
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
            <p class="about">${this.methodDescription()}</p>
            <weft-progress-bar .step=${t.step} .total=${total} .stepsPerSecond=${latest?.stepsPerSecond ?? 0} .loss=${latest?.loss ?? Number.NaN} .elapsedMs=${t.elapsedMs} .status=${t.status}></weft-progress-bar>
            <div class="counts num">
              <div class="stat"><div class="k">train loss</div><div class="v" data-loss=${latest?.loss ?? ''}>${latest ? formatLoss(latest.loss) : '—'}</div></div>
              <div class="stat"><div class="k">validation loss</div><div class="v">${latest?.metrics.valLoss !== undefined ? formatLoss(latest.metrics.valLoss) : '—'}</div></div>
              <div class="stat"><div class="k">teacher recovered</div><div class="v" data-recovery=${v?.recovery ?? ''}>${v && v.recovery !== null ? formatPercent(v.recovery, 0) : '—'}</div><div class="s">${s.space === 'cell' ? `edges, chance ${formatPercent(CELL_CHANCE, 0)}` : s.space === 'conv' ? 'no teacher: shapes' : `choices, chance ${formatPercent(ENTANGLED_CHANCE, 0)}`}</div></div>
              ${L
                ? html`<div class="stat"><div class="k">supernet stores</div><div class="v" data-stored=${L.supernet.totals.stored}>${formatInt(L.supernet.totals.stored)}</div><div class="s">${L.largest ? `largest subnet ${formatInt(L.largest.totals.stored)} (×${(L.supernet.totals.stored / L.largest.totals.stored).toFixed(3)})` : 'every candidate op: the sum'}</div></div>`
                : nothing}
            </div>
            ${s.space === 'entangled' && v && v.recovery !== null ? this.renderChanceNote(v.recovery) : nothing}
            ${v && v.skipShare >= 0.5 ? html`<div class="warn" role="status" data-collapse>Skip-connections take ${formatPercent(v.skipShare, 0)} of the genotype: DARTS collapse. Try perturbation-based selection or a smaller architecture learning rate.</div>` : nothing}
            ${this.jobError ? html`<div class="alert" role="alert" data-job-error>${this.jobError}</div>` : nothing}
            ${t.error ? html`<div class="alert" role="alert">${t.error}</div>` : nothing}
          </section>
          <section class="card" aria-labelledby="alpha-title">
            <h2 class="card-title" id="alpha-title">${s.space === 'entangled' ? 'Architecture weights per choice' : 'Architecture weights per edge'} <span class="aside">${s.space === 'entangled' ? 'softmax(β) · ★ = teacher' : `${v?.ownRows ? 'edge weight × op share' : 'softmax(α)'}${v?.cells ? ', first cell of each type' : ''}${s.space === 'conv' ? ', normal then reduction cell' : ' · ★ = teacher'}`}</span></h2>
            <weft-nas-bars .groups=${v?.groups ?? []}></weft-nas-bars>
            ${v?.cells
              ? html`<h2 class="card-title spaced" data-cell-alphas>Every cell's own α <span class="aside">D-DARTS: softmax(α) per cell, edges × ops, darker = larger · outlined = strongest op</span></h2>
                  <weft-nas-cell-alphas .cells=${v.cells}></weft-nas-cell-alphas>`
              : nothing}
          </section>
          <div class="two">
            <section class="card" aria-labelledby="geno-title">
              <h2 class="card-title" id="geno-title">${s.space === 'entangled' ? 'Current subnet' : 'Current genotype'} <span class="aside">${s.space === 'entangled' ? 'argmax β' : s.method === 'spos' ? 'best random genotype' : s.selection === 'perturbation' ? 'perturbation selection' : v?.ownRows ? 'top-2 edges by weight, strongest op' : 'α-argmax, top-2 inputs'}</span></h2>
              ${s.space === 'cell' ? html`<weft-nas-cell .genotype=${v?.genotype ?? null} .steps=${CELL_SPACE.steps}></weft-nas-cell>` : nothing}
              ${s.space === 'conv'
                ? html`<p class="legend">Normal cell</p><weft-nas-cell .genotype=${v?.genotype ?? null} .steps=${CONV_SPACE.steps}></weft-nas-cell>
                    <p class="legend">Reduction cell</p><weft-nas-cell .genotype=${v?.genotype ?? null} .steps=${CONV_SPACE.steps} cell="reduce"></weft-nas-cell>`
                : nothing}
              ${v ? html`<code class="geno" data-genotype>${v.text}</code>` : nothing}
              ${s.space !== 'entangled' ? this.renderRetrain() : nothing}
            </section>
            <section class="card" aria-labelledby="loss-title">
              <h2 class="card-title" id="loss-title">Supernet loss <span class="aside">train (w step)</span></h2>
              <weft-loss-chart .history=${t.history} metric=""></weft-loss-chart>
              <h2 class="card-title spaced">Validation loss <span class="aside">(α step)${s.space !== 'entangled' ? ' · right: skip-connection share of the cell' : ''}</span></h2>
              <weft-loss-chart .history=${valHistory} metric=${s.space !== 'entangled' ? 'skip share' : ''}></weft-loss-chart>
            </section>
          </div>
          <section class="card" aria-labelledby="ranking-title" data-ranking>
            <h2 class="card-title" id="ranking-title">Does the supernet rank like training does? <span class="aside">24 subnets, cached stand-alone accuracies</span></h2>
            <weft-nas-ranking></weft-nas-ranking>
          </section>
          <section class="card" aria-labelledby="regnet-title" data-regnet>
            <h2 class="card-title" id="regnet-title">Design spaces: AnyNet vs RegNet <span class="aside">error EDFs of trained samples (Radosavovic et al.)</span></h2>
            <weft-nas-regnet></weft-nas-regnet>
          </section>
          <section class="card" aria-labelledby="puzzle-title" data-puzzle>
            <h2 class="card-title" id="puzzle-title">Puzzle: distil cheaper blocks, then choose per block <span class="aside">searched vs uniform child by budget</span></h2>
            <weft-nas-puzzle></weft-nas-puzzle>
          </section>
          <section class="card" aria-labelledby="pooling-title" data-pooling>
            <h2 class="card-title" id="pooling-title">Balanced Mixture of SuperNets: where to pool <span class="aside">2 supernets over 8 pooling configurations, cached</span></h2>
            <weft-nas-pooling></weft-nas-pooling>
          </section>
        </div>
        <section class="card try" aria-labelledby="try-title">
          <h2 class="card-title" id="try-title">Things to try</h2>
          <ul>
            ${TRY.map((x) => html`<li><a href=${formatUrlState(NAS_SCHEMA, { ...this.page.state, ...x.patch })}>${x.label}</a> ${x.why}</li>`)}
          </ul>
        </section>
      </div>`;
  }

  /**
   * Where the entangled search's recovery shows: at or below chance, say so, and why a share of
   * matching choices can sit at chance while the search fits the data (widths are nested).
   */
  private renderChanceNote(recovery: number) {
    const atChance = recovery <= ENTANGLED_CHANCE + 1e-9;
    return html`<p class="chance" data-chance-note=${atChance ? 'at-or-below' : 'above'}>
      ${atChance
        ? html`<b>${formatPercent(recovery, 0)} is ${recovery < ENTANGLED_CHANCE - 1e-9 ? 'below' : ''} chance level</b> (${formatPercent(ENTANGLED_CHANCE, 0)}: a random subnet matches as many of the teacher's choices).`
        : html`Chance level is ${formatPercent(ENTANGLED_CHANCE, 0)}.`}
      Widths here are nested: a layer of width 16 begins with the units of widths 8 and 4, so any subnet at least as wide as the
      teacher can compute its function exactly (the extra units at zero). The data cannot tell those subnets apart, β is free
      to prefer a wider one, and "recovered" counts that as a miss: judge the subnet by its validation loss as well.
    </p>`;
  }

  private methodDescription(): string {
    try {
      return `${searchMethod(this.page.state.method).description}.`;
    } catch {
      return this.page.state.method;
    }
  }

  private renderRetrain() {
    const v = this.view;
    const r = this.retrained;
    const busy = this.training.busy || this.retraining;
    return html`<div class="spaced">
      <button type="button" class="btn" data-action="retrain" ?disabled=${!v?.genotype || busy} @click=${this.retrain}>${this.retraining ? 'Retraining…' : 'Retrain found vs random'}</button>
      ${r
        ? renderRetrainResult(r, this.page.state.space === 'conv')
        : html`<p class="legend">Trains the genotype from scratch as a discrete network, and three random genotypes of the same space: the relative improvement over their mean (Yang et al.).</p>`}
    </div>`;
  }

  private renderForm() {
    const s = this.page.state;
    const locked = this.buttons.locked;
    const select = (name: Key, label: string, choices: readonly string[], value: string) => html`<label class="field">
      <span>${label}</span>
      <select name=${name}>${choices.map((c) => html`<option value=${c} ?selected=${c === value}>${c}</option>`)}</select>
    </label>`;
    const num = (name: Key, label: string, value: number, attrs: { min: number; max: number; step?: string }) => html`<label class="field">
      <span>${label}</span>
      <input name=${name} type="number" min=${attrs.min} max=${attrs.max} step=${attrs.step ?? 'any'} .value=${String(value)} />
    </label>`;
    return html`<form @submit=${(e: Event) => e.preventDefault()} @change=${this.page.onChange}>
      <fieldset ?disabled=${locked}>
        <div class="pair">${select('space', 'Space', NAS_SPACES, s.space)}${select('method', 'Method', NAS_METHODS, s.method)}</div>
        ${select('selection', 'Selection', NAS_SELECTION, s.selection)}
        <div class="pair">${num('steps', 'Steps', s.steps, { min: 1, max: 5000, step: '50' })}${num('archLr', 'α learning rate', s.archLr, { min: 0.0001, max: 1 })}</div>
        <div class="pair">${num('seed', 'Seed', s.seed, { min: 0, max: 2 ** 31 - 1, step: '1' })}${select('backend', 'Backend', BACKEND_CHOICES, s.backend)}</div>
      </fieldset>
      <div class="buttons">${this.buttons.render()}</div>
      <p class="note">${s.space === 'cell'
        ? `Cell: 2 inputs, 2 nodes, ops ${CELL_SPACE.ops.join(' · ')}; Adam for w (0.01) and α (β1 0.5). Batches of 64 training and 64 validation points.`
        : s.space === 'conv'
          ? 'Conv: DARTS cells with 2 nodes (normal, reduce, reduce) over the 8 DARTS primitives, 4 channels, 8×8 shapes in 6 classes. Batches of 32 training and 32 validation images.'
          : 'Entangled MLP: depth 1–3, widths 4/8/16 per layer, one set of weights. Batches of 64 training and 64 validation points.'}</p>
    </form>`;
  }

  private async build(): Promise<void> {
    this.skipAt.clear();
    this.jobError = null;
    this.view = null;
    this.retrained = null;
    try {
      this.job = await this.worker.build({ ...this.page.state });
    } catch (e) {
      this.jobError = e instanceof Error ? e.message : String(e);
      return;
    }
    this.ledgers = this.job.info.ledgers;
  }

  private disposeJob(): void {
    this.job?.dispose();
    this.job = null;
    this.ledgers = null;
  }

  private async retrain(): Promise<void> {
    const g = this.view?.genotype;
    if (!g || !this.job) return;
    this.retraining = true;
    try {
      this.retrained = await this.job.call<RetrainResult>('retrain', g);
    } catch (e) {
      this.jobError = e instanceof Error ? e.message : String(e);
    } finally {
      this.retraining = false;
    }
  }
}

customElements.define('weft-nas-page', WeftNasPage);

declare global {
  interface HTMLElementTagNameMap {
    'weft-nas-page': WeftNasPage;
  }
}
