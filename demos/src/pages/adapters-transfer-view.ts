// adapters.html's transfer view: the page's own task learned from 100 of its points by composing the
// frozen LoRAs of its two neighbouring tasks — AdapterHub's Average (nothing trains), ScaLearn (one
// scalar per source and layer) and AdapterFusion (attention over the sources) — next to the task's
// own LoRA and the base. Drawn with the page's styles (styles/adapters.ts).
import { html, nothing } from 'lit';
import { formatInt, formatPercent } from '../format.js';
import { TRANSFER_POINTS, type TransferRow } from '../jobs/transfer.js';

/** What the view shows. */
export interface TransferViewProps {
  rows: TransferRow[];
  /** Rotation of each explorer task, degrees: [source, target, source]. */
  angles: number[];
  /** The target task's own LoRA and the frozen base on the target's held-out half. */
  own: number;
  base: number;
}

/** The compositions' table with its explanation. */
export function renderTransfer(p: TransferViewProps) {
  if (p.rows.length === 0) return nothing;
  const [a0, target, a2] = p.angles;
  const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
  const ref = (label: string, v: number) => html`<tr class="total"><td>${label}</td><td class="n">—</td><td class="n">${formatPercent(v)}</td><td class="barcell">${bar(v)}</td></tr>`;
  return html`<h3 class="sub">Or compose them for a new task: AdapterHub and ScaLearn <span class="aside">arXiv:2007.07779 · arXiv:2310.01217</span></h3>
    <p class="note">
      The ${target}° task learned without its own LoRA: the LoRAs of ${a0}° and ${a2}° stay frozen and a composition over them learns from
      ${TRANSFER_POINTS} of its points. Average mixes the two halves and learns nothing; ScaLearn learns one scale per LoRA and layer;
      AdapterFusion learns attention over the LoRAs' outputs (query, key and value per layer).
    </p>
    <div class="scroll">
      <table class="merge-all transfer">
        <thead><tr><th>composition</th><th class="n">trained parameters</th><th class="n">${target}° task</th><th class="barcell"></th></tr></thead>
        <tbody>
          ${p.rows.map(
            (r) => html`<tr data-transfer-row=${r.kind} data-accuracy=${r.accuracy} data-trainable=${r.trainable}>
              <td>${r.label}</td>
              <td class="n">${formatInt(r.trainable)}</td>
              <td class="n"><strong>${formatPercent(r.accuracy)}</strong></td>
              <td class="barcell">${bar(r.accuracy)}</td>
            </tr>`,
          )}
          ${ref(`the ${target}° task's own LoRA (all its points)`, p.own)}
          ${ref('the base alone', p.base)}
        </tbody>
      </table>
    </div>`;
}
