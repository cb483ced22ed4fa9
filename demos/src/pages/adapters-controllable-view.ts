// adapters.html's controllable multi-task view (Efficient Controllable Multi-Task Architectures,
// arXiv:2308.11744): one slimmable encoder with a slimmable decoder per task, trained once on the
// page's base task (A) and rotated task (B) in the page's worker (jobs/controllable.ts), then run at
// each width without retraining: accuracy per task against MACs. Drawn with the page's styles.
import { html } from 'lit';
import { formatInt, formatPercent } from '../format.js';
import { CONTROLLABLE, type ControllableRow } from '../jobs/controllable.js';

/** What the view shows. */
export interface ControllableViewProps {
  rows: ControllableRow[];
  /** Whether the run button is enabled (nothing else runs). */
  canRun: boolean;
  onRun: () => void;
  /** Sandwich-rule training steps. */
  steps: number;
}

/** The explanation, the run button and, once run, accuracy per task at each width. */
export function renderControllable(p: ControllableViewProps) {
  const button = html`<button class="btn" type="button" data-action="controllable" ?disabled=${!p.canRun} @click=${p.onRun}>Train once on both tasks (${formatInt(p.steps)} steps), run at every width</button>`;
  const intro = html`<p class="note">
    One network for both tasks: a shared encoder (two layers of ${CONTROLLABLE.encoderWidth} units) and a decoder per task (${CONTROLLABLE.decoderWidth} units),
    every layer slimmable — a width keeps the first units, so all widths share weights. Trained once by the sandwich rule (the largest, the smallest
    and a random width each step, the narrow encoders distilled from the full one); afterwards the width is chosen at run time, with no retraining.
    Task A is the base task, task B the rotated one.
  </p>`;
  if (p.rows.length === 0) return html`${intro}${button}`;
  const max = Math.max(...p.rows.map((r) => r.macs));
  const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
  return html`${intro}
    <div class="scroll">
      <table class="merge-all controllable">
        <thead><tr><th>width</th><th class="n">MACs / example</th><th class="barcell"></th><th class="n">task A</th><th class="n">task B</th></tr></thead>
        <tbody>
          ${p.rows.map(
            (r) => html`<tr data-width=${r.fraction} data-macs=${r.macs} data-a=${r.a} data-b=${r.b}>
              <td>${formatPercent(r.fraction, 0)} of every layer</td>
              <td class="n">${formatInt(r.macs)}</td>
              <td class="barcell">${bar(r.macs / max)}</td>
              <td class="n"><strong>${formatPercent(r.a)}</strong></td>
              <td class="n"><strong>${formatPercent(r.b)}</strong></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p class="note">Accuracy on each task's held-out points; MACs count the encoder and both decoders. One training run at the page's seed.</p>
    ${button}`;
}
