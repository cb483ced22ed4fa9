// adapters.html's CRaSh view (CRaSh: Clustering, Removing, and Sharing Enhance Fine-tuning without Full
// Large Language Model, arXiv:2310.15477): a deeper MLP's middle layers clustered by linear CKA, the
// emulator built from one layer per cluster, its LoRA plugged back into the full model against the
// untuned model and a LoRA tuned on the full model. Computed in the page's worker (jobs/crash.ts).
import { html } from 'lit';
import { formatPercent } from '../format.js';
import { CRASH, type CrashOutcome } from '../jobs/crash.js';

/** What the view shows. */
export interface CrashViewProps {
  outcome: CrashOutcome | null;
  /** Whether the run button is enabled (nothing else runs). */
  canRun: boolean;
  onRun: () => void;
}

/** The explanation, the run button and, once run, the clusters and the accuracies. */
export function renderCrash(p: CrashViewProps) {
  const button = html`<button class="btn" type="button" data-action="crash" ?disabled=${!p.canRun} @click=${p.onRun}>Pretrain, cluster, tune the emulator, plug its LoRA back</button>`;
  const intro = html`<p class="note">
    CRaSh tunes a cheaper stand-in: the middle layers are cut into ${CRASH.clusters} contiguous clusters where neighbouring layers' outputs are least
    alike (linear CKA on the base task's points), each cluster is replaced by its first layer, and a LoRA (r=${CRASH.r}) tuned on this emulator for the
    rotated task is plugged into the full model. The page's base is too shallow to cluster, so this card pretrains its own MLP of
    ${CRASH.hidden.length} hidden layers of ${CRASH.hidden[0]} on the base task.
  </p>`;
  const o = p.outcome;
  if (!o) return html`${intro}${button}`;
  const group = (i: number) => o.groups.findIndex((g) => g.includes(i));
  const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
  return html`${intro}
    <p class="note" data-crash-groups=${o.groups.map((g) => g.join('')).join('|')}>
      CKA of neighbouring layers:
      ${o.similarity.map((s, k) => html`<span class="gate ${group(k + 1) === group(k + 2) ? 'on' : 'off'}" data-cka=${s}>layers.${k + 1}–${k + 2} ${s.toFixed(2)}</span> `)}
      — clusters ${o.groups.map((g) => `{${g.map((i) => `layers.${i}`).join(', ')}}`).join(' and ')} (filled: same cluster; the cut falls at the least alike pair).
    </p>
    <div class="scroll">
      <table class="merge-all crash">
        <thead><tr><th>model</th><th class="n">rotated task</th><th class="barcell"></th></tr></thead>
        <tbody>
          ${o.rows.map(
            (r) => html`<tr data-crash-row=${r.kind} data-accuracy=${r.accuracy}>
              <td>${r.label}</td>
              <td class="n"><strong>${formatPercent(r.accuracy)}</strong></td>
              <td class="barcell">${bar(r.accuracy)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p class="note">Accuracy on the rotated task's held-out half; one run at the page's seed. At this toy scale the plugged LoRA need not beat the untuned model (crash.test.ts: the claim does not hold over 3 seeds).</p>
    ${button}`;
}
