// adapters.html's routed merges view: Mediator and 1bit-Merging over the merge explorer's three task
// LoRAs, each held-out point routed to the expert whose prediction is least uncertain, with sliders
// for Mediator's density (its sparse task residuals) and the routing confidence (below it a point
// mixes the experts). A table per method: accuracy per task, average, storage, and how often a task's
// points picked that task's own expert (on a phone the per-task columns go, as the bars do). Drawn
// with the page's styles (styles/adapters.ts).
import { html, nothing } from 'lit';
import { formatPercent } from '../format.js';
import type { RoutedMerges, RoutedOptions, RoutedOutcome } from '../jobs/routed-merges.js';

/** What the view shows and where its sliders report. */
export interface RoutedViewProps {
  outcome: RoutedMerges | null;
  /** Rotation of each task, degrees. */
  angles: number[];
  /** Each task's own LoRA on its task (the reference a routed expert approaches). */
  own: number[];
  options: RoutedOptions;
  onOption: (name: keyof RoutedOptions, value: number) => void;
}

const SLIDERS: Array<{ name: keyof RoutedOptions; label: string }> = [
  { name: 'density', label: 'density' },
  { name: 'confidence', label: 'confidence' },
];

/** The routed merges: explanation, sliders, one table. */
export function renderRoutedMerges(p: RoutedViewProps) {
  const o = p.outcome;
  if (!o) return nothing;
  const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const row = (key: string, label: string, r: RoutedOutcome) => html`<tr data-routed-row=${key} data-average=${r.average} data-storage=${r.storageRatio}>
      <td>${label}</td>
      ${r.perTask.map((v) => html`<td class="n task">${formatPercent(v)}</td>`)}
      <td class="n"><strong>${formatPercent(r.average)}</strong></td>
      <td class="barcell">${bar(r.average)}</td>
      <td class="n">${formatPercent(r.storageRatio)}</td>
      <td class="n" data-own-share=${r.ownShare.join(',')}>${formatPercent(mean(r.ownShare))}</td>
    </tr>`;
  const routed = o.mediator.layers.filter((l) => l.routed);
  const averaged = o.mediator.layers.filter((l) => !l.routed);
  const layerList = (ls: typeof routed) => (ls.length === 0 ? 'none' : ls.map((l, i) => html`${i > 0 ? ', ' : ''}<code>${l.path}</code> (${formatPercent(l.conflict)})`));
  return html`<h3 class="sub">Or keep task experts: Mediator and 1bit-Merging <span class="aside">arXiv:2502.04411 · arXiv:2502.10743 · routed by uncertainty</span></h3>
    <p class="note">
      Both keep part of each task LoRA and send every point to the task expert whose prediction is least uncertain (lowest entropy); below the
      confidence a point mixes all experts, weighted by their certainty. <strong>Mediator</strong> averages the layers where the LoRAs' signs
      conflict least and keeps the others per task, stored as their average plus each task's residual cut to the density.
      <strong>1bit-Merging</strong> keeps every task's ΔW as its signs times one scale per layer. Storage is against keeping the three ΔW in float32.
    </p>
    <div class="sliders">
      ${SLIDERS.map(
        (s) => html`<label class="slider"><span>${s.label}</span>
          <input type="range" min=${s.name === 'density' ? 0.05 : 0} max="1" step="0.05" name=${`routed-${s.name}`} .value=${String(p.options[s.name])}
            @change=${(e: Event) => p.onOption(s.name, Number((e.target as HTMLInputElement).value))} />
          <span class="num">${p.options[s.name].toFixed(2)}</span></label>`,
      )}
    </div>
    <div class="scroll">
      <table class="merge-all routed">
        <thead><tr><th>method</th>${p.angles.map((a) => html`<th class="n task">${a}°</th>`)}<th class="n">average</th><th class="barcell"></th><th class="n">storage</th><th class="n">own expert</th></tr></thead>
        <tbody>
          ${row('mediator', 'Mediator', o.mediator)}
          ${row('1bit', '1bit-Merging', o.oneBit)}
          <tr class="total"><td>own LoRAs</td>${p.own.map((v) => html`<td class="n task">${formatPercent(v)}</td>`)}<td class="n">${formatPercent(mean(p.own))}</td><td class="barcell">${bar(mean(p.own))}</td><td class="n">100%</td><td class="n">—</td></tr>
        </tbody>
      </table>
    </div>
    <p class="paper" data-mediator-routed=${routed.map((l) => l.path).join(',')}>
      Mediator kept per task: ${layerList(routed)}; averaged: ${layerList(averaged)} (sign conflict in brackets). “Own expert”: the share of a task's
      points whose least uncertain expert is that task's own.
    </p>`;
}
