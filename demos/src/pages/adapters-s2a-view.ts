// adapters.html's S2A view (S2A: A Unified Framework for Parameter and Memory Efficient Transfer
// Learning, arXiv:2503.08154): the pretrained base tuned on the rotated task by a LoRA on every layer
// and by S2A's side module; trained parameters, bytes held for the backward pass (measured in the
// page's worker, jobs/s2a.ts) and accuracy. Drawn with the page's styles.
import { html } from 'lit';
import { formatInt, formatPercent } from '../format.js';
import { S2A_SETTINGS, type S2ARow } from '../jobs/s2a.js';

/** What the view shows. */
export interface S2AViewProps {
  rows: S2ARow[];
  /** Whether the run button is enabled (a base is ready and nothing else runs). */
  canRun: boolean;
  onRun: () => void;
}

/** Bytes as kB with one decimal. */
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;

/** The explanation, the run button and, once run, the memory table. */
export function renderS2A(p: S2AViewProps) {
  const button = html`<button class="btn" type="button" data-action="s2a" ?disabled=${!p.canRun} @click=${p.onRun}>Tune LoRA and the S2A side module on the rotated task</button>`;
  const intro = html`<p class="note">
    S2A trains a small side network (bottleneck ${S2A_SETTINGS.bottleneck}) on the frozen base's hidden features, computed outside the gradient
    tape, and its ReLU keeps only the 1-byte mask x &gt; 0 for the backward pass. LoRA (r=${S2A_SETTINGS.r}) sits inside every layer, so the
    backward pass must keep the base's activations too. Bytes held: what tfjs holds once a training step's forward pass has run (the whole
    rotated-task training half as one batch), less what it held before.
  </p>`;
  if (p.rows.length === 0) return html`${intro}${button}`;
  const max = Math.max(...p.rows.map((r) => r.backwardBytes));
  const lora = p.rows.find((r) => r.kind === 'lora');
  const side = p.rows.find((r) => r.kind === 's2a');
  const bar = (v: number) => html`<div class="bar" aria-hidden="true"><span .style=${`width:${(100 * v).toFixed(1)}%`}></span></div>`;
  return html`${intro}
    <div class="scroll">
      <table class="merge-all s2a">
        <thead><tr><th>method</th><th class="n">trained</th><th class="n">held for backward</th><th class="barcell"></th><th class="n">accuracy</th></tr></thead>
        <tbody>
          ${p.rows.map(
            (r) => html`<tr data-s2a-row=${r.kind} data-bytes=${r.backwardBytes} data-trainable=${r.trainable} data-accuracy=${r.accuracy}>
              <td>${r.label}</td>
              <td class="n">${formatInt(r.trainable)}</td>
              <td class="n"><strong>${kb(r.backwardBytes)}</strong></td>
              <td class="barcell">${bar(r.backwardBytes / max)}</td>
              <td class="n">${formatPercent(r.accuracy)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${lora && side
      ? html`<p class="note">The side module holds ${side.backwardBytes <= lora.backwardBytes ? `${(lora.backwardBytes / side.backwardBytes).toFixed(1)}× fewer` : `${(side.backwardBytes / lora.backwardBytes).toFixed(1)}× more`} bytes than LoRA
          (the paper reports about 4× less with 4-bit masks; tfjs keeps a bool in a byte) and trains ${formatInt(side.trainable)} parameters to LoRA's ${formatInt(lora.trainable)}.</p>`
      : ''}
    ${button}`;
}
