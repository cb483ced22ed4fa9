// moe.html's scaling-law view (Unified Scaling Laws for Routed Language Models, arXiv:2202.01169): a
// toy routed LM trained at three widths (dense size N) × four expert counts E in the lab worker with
// @weft/moe's routedScalingSweep; the points (mean test loss over the seeds so far) are drawn against
// N, one colour per E, with the paper's law log L = a·log N + b·log Ê + c·log N·log Ê + d fitted to
// them (fitRoutedScalingLaw, here on the main thread: a 4-parameter least squares) drawn as curves.
import { html, nothing, svg } from 'lit';
import { fitRoutedScalingLaw, routedScalingLoss, type RoutedScalingFit, type RoutedScalingRun, type RoutedScalingSweepResult } from '@weft/moe';
import { SCALING_LAB_CONFIG } from '../jobs/moe-lab.js';
import { MoELabView } from './moe-lab-view.js';

/** Series colours by expert-count index. */
const COLOURS = ['var(--class-1)', 'var(--class-0)', 'var(--class-2)', 'var(--class-3)', 'var(--class-4)', 'var(--class-5)'];

/** One (width, E) point: N and the mean loss over the seeds reported so far. */
interface Point {
  width: number;
  e: number;
  n: number;
  loss: number;
  seeds: number;
}

function pointsOf(runs: readonly RoutedScalingRun[]): Point[] {
  const by = new Map<string, Point>();
  for (const r of runs) {
    const key = `${r.width}/${r.e}`;
    const p = by.get(key) ?? { width: r.width, e: r.e, n: r.n, loss: 0, seeds: 0 };
    p.loss = (p.loss * p.seeds + r.loss) / (p.seeds + 1);
    p.seeds += 1;
    by.set(key, p);
  }
  return [...by.values()];
}

/** The law fitted to the points, or null while they cannot determine it (fewer than 4, or one N or one E). */
function fitOf(points: Point[]): RoutedScalingFit | null {
  if (points.length < 4 || new Set(points.map((p) => p.n)).size < 2 || new Set(points.map((p) => p.e)).size < 2) return null;
  try {
    return fitRoutedScalingLaw(points);
  } catch {
    return null;
  }
}

/** The scaling-law view. */
export class WeftMoEScalingView extends MoELabView<RoutedScalingRun, RoutedScalingSweepResult> {

  constructor() {
    super('scaling');
  }

  protected override jobArgs(): unknown[] {
    return [];
  }

  override render() {
    const c = SCALING_LAB_CONFIG;
    const s = this.experiment;
    const total = c.seeds.length * c.widths.length * c.experts.length;
    const pts = pointsOf(s.progress);
    const fit = fitOf(pts);
    return html`<p class="about">
        A next-token model over the two previous tokens of a seeded order-2 Markov language (${c.vocabSize} tokens) with a residual
        top-1 Switch MoE (E = 1: the dense MLP), at widths ${c.widths.join(' / ')} (N: dense parameters without embeddings) and
        E = ${c.experts.join(' / ')}, ${c.steps} Adam steps, seeds ${c.seeds.join(', ')}: ${total} runs. The curves are the paper's law fitted to the points,
        with Ê the saturating transform of E (E_start 1, E_max picked by the residual).
      </p>
      <div class="run-row">
        ${s.button('Run the sweep')}
        <span class="status num" data-scaling-done=${s.progress.length}>${s.statusText(`${total} runs, about half a minute on wasm`, total)}</span>
      </div>
      ${s.error ? html`<div class="alert" role="alert">${s.error}</div>` : nothing}
      <div class="legend-row">${c.experts.map((e, i) => html`<span class="swatch"><i class=${`c${i}`}></i>E = ${e}${e === 1 ? ' (dense)' : ''}</span>`)}<span class="swatch">dots: measured · lines: fitted law</span></div>
      ${this.renderPlot(pts, fit, c.experts)}
      ${fit
        ? html`<p class="summary num" data-fit=${JSON.stringify({ a: fit.a, b: fit.b, c: fit.c, d: fit.d, eMax: fit.eMax })}>
            <span>log L = ${fit.a.toFixed(3)}·log N ${sign(fit.b)}·log Ê ${sign(fit.c, 4)}·log N·log Ê ${sign(fit.d)}, E_max = ${fit.eMax === Infinity ? '∞' : fit.eMax}, rms residual ${fit.rms.toFixed(3)} in log L${s.status === 'done' ? '' : ' (so far)'}</span>
            <span class="note">${fit.a < 0 && fit.b < 0 ? 'Loss falls with N (a < 0) and with E (b < 0), as the paper finds.' : 'At this point the fit does not show both falls (a < 0 and b < 0) the paper finds.'}
              The paper also finds c &gt; 0 (routing helps less as N grows); here c = ${fit.c.toFixed(4)}.</span>
          </p>`
        : nothing}`;
  }

  private renderPlot(pts: Point[], fit: RoutedScalingFit | null, experts: number[]) {
    const W = Math.max(280, this.size.width), H = 260;
    const left = 52, right = 14, top = 26, bottom = 40;
    if (!pts.length) return html`<div class="empty">Run the sweep to see the loss against N and E.</div>`;
    const ns = [...new Set(pts.map((p) => p.n))].sort((a, b) => a - b);
    const nLo = Math.log10(ns[0]!) - 0.1, nHi = Math.log10(ns.at(-1)!) + 0.1;
    const curve = (e: number) => (fit ? Array.from({ length: 41 }, (_, i) => 10 ** (nLo + ((nHi - nLo) * i) / 40)).map((n) => [n, routedScalingLoss(fit, n, e)] as const) : []);
    const all = [...pts.map((p) => p.loss), ...experts.flatMap((e) => curve(e).map(([, l]) => l))].filter((v) => v > 0 && Number.isFinite(v));
    const lLo = Math.log10(Math.min(...all)), lHi = Math.log10(Math.max(...all));
    const pad = Math.max(0.01, (lHi - lLo) * 0.08);
    const x = (n: number) => left + ((W - left - right) * (Math.log10(n) - nLo)) / (nHi - nLo);
    const y = (l: number) => top + (H - top - bottom) * (1 - (Math.log10(l) - (lLo - pad)) / (lHi - lLo + 2 * pad));
    const yTicks = [lLo, (lLo + lHi) / 2, lHi].map((v) => 10 ** v);
    return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="test loss against dense parameters N, per expert count E" data-scaling-plot>
      ${yTicks.map((v) => svg`<line class="grid" x1=${left} x2=${W - right} y1=${y(v)} y2=${y(v)}></line><text class="lbl" x=${left - 6} y=${y(v) + 4} text-anchor="end">${v.toFixed(2)}</text>`)}
      ${ns.map((n) => svg`<text class="lbl" x=${x(n)} y=${H - bottom + 16} text-anchor="middle">${n.toLocaleString('en-US')}</text>`)}
      <text class="lbl" x=${left - 44} y=${12}>test loss, nats/token (log scale)</text>
      <text class="lbl" x=${(left + W - right) / 2} y=${H - 6} text-anchor="middle">dense parameters N (log scale)</text>
      ${experts.map((e, i) => {
        const d = curve(e).map(([n, l], j) => `${j ? 'L' : 'M'}${x(n).toFixed(1)},${y(l).toFixed(1)}`).join('');
        return svg`<path d=${d} fill="none" stroke=${COLOURS[i % COLOURS.length]!} stroke-width="1.6" stroke-dasharray="5 3" opacity="0.9"></path>`;
      })}
      ${pts.map((p) => svg`<circle data-point=${`${p.width}/${p.e}`} cx=${x(p.n)} cy=${y(p.loss)} r="4.5" fill=${COLOURS[experts.indexOf(p.e) % COLOURS.length]!}><title>d=${p.width} (N=${p.n}) E=${p.e}: ${p.loss.toFixed(4)} (${p.seeds} seed${p.seeds > 1 ? 's' : ''})</title></circle>`)}
    </svg>`;
  }
}

/** "+ 0.123" or "− 0.123". */
function sign(v: number, digits = 3): string {
  return `${v < 0 ? '−' : '+'} ${Math.abs(v).toFixed(digits)}`;
}

customElements.define('weft-moe-scaling-view', WeftMoEScalingView);

declare global {
  interface HTMLElementTagNameMap {
    'weft-moe-scaling-view': WeftMoEScalingView;
  }
}
