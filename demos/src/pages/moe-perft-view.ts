// moe.html's PERFT view (PERFT: Parameter-Efficient Routed Fine-Tuning for Mixture-of-Expert Model,
// arXiv:2411.08212): in the lab worker a MoE regressor is pretrained on one clusterTasks task and
// frozen, then each PERFT placement of bottleneck adapters beside the frozen MoE (shared, routed by
// their own router, embedded in the experts' routing) is fine-tuned on a new task. The view draws
// each phase's training loss as it comes and, at the end, the new task's test MSE of each variant
// beside the frozen model's, with the parameters each trains and activates per token.
import { html, nothing, svg } from 'lit';
import { PERFT_LAB_CONFIG, type PerftLabResult, type PhaseLoss } from '../jobs/moe-lab.js';
import { formatInt } from '../format.js';
import { MoELabView } from './moe-lab-view.js';

const PHASES = ['pretrain', 'shared', 'routed', 'embedded'] as const;
const COLOURS: Record<string, string> = { pretrain: 'var(--faint)', shared: 'var(--class-1)', routed: 'var(--class-0)', embedded: 'var(--class-2)' };
const ABOUT: Record<string, string> = {
  shared: 'PERFT-S: 2 adapters (rank 4) on every token, no router',
  routed: 'PERFT-R: 4 adapters (rank 4), their own router picks 2 per token',
  embedded: 'PERFT-E: one adapter (rank 4) per expert, routed as the frozen experts (2 of 8)',
};

/** The PERFT view. */
export class WeftMoEPerftView extends MoELabView<PhaseLoss, PerftLabResult> {

  constructor() {
    super('perft');
  }

  override render() {
    const c = PERFT_LAB_CONFIG;
    const e = this.experiment;
    const r = e.result;
    const total = c.pretrainSteps + 3 * c.finetuneSteps;
    const last = e.progress.at(-1);
    const phase = last ? PHASES.indexOf(last.phase as (typeof PHASES)[number]) : -1;
    const done = !last ? 0 : phase === 0 ? last.step : c.pretrainSteps + (phase - 1) * c.finetuneSteps + last.step;
    return html`<p class="about">
        A regressor with a MoE (${c.moe.numExperts} experts, top-${c.moe.topK}) learns one task of eight Gaussian clusters (${c.pretrainSteps} steps) and is frozen.
        A second task (new targets) is then learnt only by adapters beside the frozen MoE, y = MoE(x) + Δ(x), in PERFT's three placements, each
        with the same activated adapter width (2 × rank 4) and ${c.finetuneSteps} steps. Seed ${this.seed} (the page's seed).
      </p>
      <div class="run-row">
        ${e.button('Run the experiment')}
        <span class="status num" data-perft-status=${e.status}>${e.status === 'idle' ? `${total} steps in four phases, about half a minute on wasm` : e.status === 'waiting' ? e.statusText('', 0) : `${last ? `${last.phase}, step ${last.step}` : 'starting'} · ${done} of ${total} steps${e.status === 'done' ? ' — done' : e.status === 'stopped' ? ' (stopped)' : '…'}`}</span>
      </div>
      ${e.error ? html`<div class="alert" role="alert">${e.error}</div>` : nothing}
      <div class="legend-row">${PHASES.map((p) => html`<span class="swatch"><i class=${`p-${p}`}></i>${p === 'pretrain' ? 'pretraining (task 1)' : `${p} (task 2)`}</span>`)}</div>
      ${this.renderCurves(e.progress)}
      ${r ? this.renderTable(r) : nothing}`;
  }

  private renderCurves(losses: PhaseLoss[]) {
    if (!losses.length) return html`<div class="empty">Run the experiment to see each phase train.</div>`;
    const W = Math.max(280, this.size.width), H = 180, left = 52, right = 10, top = 22, bottom = 30;
    const steps = Math.max(PERFT_LAB_CONFIG.pretrainSteps, PERFT_LAB_CONFIG.finetuneSteps);
    const vals = losses.map((l) => l.loss).filter((v) => v > 0 && Number.isFinite(v));
    const lo = Math.log10(Math.min(...vals)), hi = Math.log10(Math.max(...vals));
    const span = Math.max(0.1, hi - lo);
    const x = (s: number) => left + ((W - left - right) * s) / steps;
    const y = (v: number) => top + (H - top - bottom) * (1 - (Math.log10(v) - lo + span * 0.05) / (span * 1.1));
    const ticks = [10 ** lo, 10 ** ((lo + hi) / 2), 10 ** hi];
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="training loss of each phase" data-perft-curves>
      ${ticks.map((v) => svg`<line class="grid" x1=${left} x2=${W - right} y1=${y(v)} y2=${y(v)}></line><text class="lbl" x=${left - 6} y=${y(v) + 4} text-anchor="end">${v < 0.01 ? v.toExponential(1) : v.toPrecision(2)}</text>`)}
      <text class="lbl" x=${left} y=${H - 10}>0</text>
      <text class="lbl" x=${W - right} y=${H - 10} text-anchor="end">step ${steps}</text>
      <text class="lbl" x=${4} y=${11}>training MSE (log scale)</text>
      ${PHASES.map((p) => {
        const pts = losses.filter((l) => l.phase === p && l.loss > 0 && Number.isFinite(l.loss));
        const d = pts.map((l, i) => `${i ? 'L' : 'M'}${x(l.step).toFixed(1)},${y(l.loss).toFixed(1)}`).join('');
        return svg`<path d=${d} fill="none" stroke=${COLOURS[p]!} stroke-width="2" stroke-linejoin="round"></path>`;
      })}
    </svg>`;
  }

  private renderTable(r: PerftLabResult) {
    const max = Math.max(r.frozen, ...r.variants.map((v) => v.mse));
    const bar = (v: number, colour: string) => html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect x="0" y="1" width=${(100 * v) / max} height="8" rx="1.5" fill=${colour}></rect></svg>`;
    const best = r.variants.reduce((b, v) => (v.mse < b.mse ? v : b));
    return html`<div class="scroll"><table data-perft-table>
        <thead><tr><th>model on task 2</th><th>test MSE</th><th class="bars"></th><th>trains</th><th>adapter params active / token</th></tr></thead>
        <tbody>
          <tr><td>frozen (no adapters)</td><td class="num" data-mse="frozen">${r.frozen.toFixed(3)}</td><td class="bars">${bar(r.frozen, 'var(--faint)')}</td><td class="num">0</td><td class="num">—</td></tr>
          ${r.variants.map((v) => html`<tr><td><b>${v.variant}</b><div class="sub">${ABOUT[v.variant]}</div></td><td class="num" data-mse=${v.variant}>${v.mse.toFixed(3)}</td><td class="bars">${bar(v.mse, COLOURS[v.variant]!)}</td><td class="num">${formatInt(v.trainable)}</td><td class="num">${formatInt(v.activeAdapters)}</td></tr>`)}
        </tbody>
      </table></div>
      <p class="summary"><span>Lowest test MSE: <b>${best.variant}</b>. ${(() => {
        const get = (n: string) => r.variants.find((v) => v.variant === n)!.mse;
        return get('routed') < get('shared')
          ? `Routed adapters beat shared ones at the same activated width (${get('routed').toFixed(3)} vs ${get('shared').toFixed(3)}), the paper's finding for PERFT-R over PERFT-S.`
          : `Here shared adapters did as well as routed ones (${get('shared').toFixed(3)} vs ${get('routed').toFixed(3)}): the paper finds routing pays; its test in @weft/moe measured routed below shared on each of 3 seeds.`;
      })()}</span>
      <span class="note">The frozen model has ${formatInt(r.baseParams)} parameters; its in/out layers stay frozen too.</span></p>`;
  }
}

customElements.define('weft-moe-perft-view', WeftMoEPerftView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-perft-view': WeftMoEPerftView;
  }
}
