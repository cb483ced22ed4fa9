// adapters.html's Selective LoRA view (Fine Tuning without Catastrophic Forgetting via Selective Low
// Rank Adaptation, arXiv:2501.15377): the pretrained base tuned on the rotated task (B) by plain LoRA
// and by Selective LoRA, the LoRA blocks the input gate leaves on, and how much of the base task (A)
// each keeps. Computed in the page's worker (jobs/selective-lora.ts); drawn with the page's styles.
import { html, nothing } from 'lit';
import { formatInt, formatPercent } from '../format.js';
import { SELECTIVE, type SelectiveRow } from '../jobs/selective-lora.js';

/** What the view shows. */
export interface SelectiveViewProps {
  rows: SelectiveRow[];
  /** Whether the run button is enabled (a base is ready and nothing else runs). */
  canRun: boolean;
  onRun: () => void;
}

/** Accuracy change in points, signed. */
const delta = (v: number) => `${v >= 0 ? '+' : '−'}${(100 * Math.abs(v)).toFixed(1)}`;

/** The explanation, the run button and, once run, the gates and the before/after table. */
export function renderSelective(p: SelectiveViewProps) {
  const button = html`<button class="btn" type="button" data-action="selective" ?disabled=${!p.canRun} @click=${p.onRun}>Tune LoRA and Selective LoRA on the rotated task</button>`;
  const intro = html`<p class="note">
    Selective LoRA puts a learned gate on each layer's LoRA block (TAPS' indicator: a score, on above ${SELECTIVE.threshold}, pushed down by a
    sparsity penalty λ = ${SELECTIVE.sparsity}). Blocks switched off leave their layer as the base had it — the paper's claim is that this keeps
    more of the task the base was trained on (A) than plain LoRA when tuning on a new one (B). Both use rank ${SELECTIVE.r} on every layer.
  </p>`;
  if (p.rows.length === 0) return html`${intro}${button}`;
  const base = p.rows.find((r) => r.kind === 'base')!;
  const sel = p.rows.find((r) => r.kind === 'selective');
  const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
  return html`${intro}
    ${sel
      ? html`<p class="note" data-selective-gates=${sel.gates.filter((g) => g.on).length} data-selective-layers=${sel.gates.length}>
          Gate per layer after tuning:
          ${sel.gates.map((g) => html`<span class="gate ${g.on ? 'on' : 'off'}" data-gate=${g.path} data-on=${g.on}>${g.path} ${g.on ? 'on' : 'off'} (score ${g.score.toFixed(2)})</span> `)}
          — ${sel.gates.filter((g) => g.on).length} of ${sel.gates.length} blocks on.
        </p>`
      : nothing}
    <div class="scroll">
      <table class="merge-all selective">
        <thead><tr><th>model</th><th class="n">trained</th><th class="n">task A</th><th class="n">A change</th><th class="n">task B</th><th class="barcell"></th></tr></thead>
        <tbody>
          ${p.rows.map(
            (r) => html`<tr data-selective-row=${r.kind} data-a=${r.a} data-b=${r.b} data-trainable=${r.trainable}>
              <td>${r.label}</td>
              <td class="n">${formatInt(r.trainable)}</td>
              <td class="n"><strong>${formatPercent(r.a)}</strong></td>
              <td class="n">${r.kind === 'base' ? '—' : delta(r.a - base.a)}</td>
              <td class="n">${formatPercent(r.b)}</td>
              <td class="barcell">${bar(r.b)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p class="note">Task A: the base task's held-out points; task B: the rotated task's held-out half; A change in percentage points from the base. One run of the page's seed, not an average.</p>
    ${button}`;
}
