// adapters.html's Astraios view (Astraios: Parameter-Efficient Instruction Tuning Code Large Language
// Models, arXiv:2401.00788): @weft/sharing's peftScalingStudy at toy scale — three TinyTransformer
// sizes, each tuned by full fine-tuning and four PEFT methods — from the committed table
// (PEFT_SCALING_TABLE, made by scripts/astraios-table.mjs: minutes per seed, too long to run live),
// with the paper's three checks computed here from it per seed. Drawn with the page's styles.
import { html } from 'lit';
import { PEFT_SCALING_DEFAULTS, PEFT_SCALING_TABLE, astraiosChecks, type PeftScalingTable, type PeftStudyRun } from '@weft/sharing';
import { formatInt, formatPercent } from '../format.js';

/** Mean and half-range of some values. */
function meanSpread(v: readonly number[]): { mean: number; spread: number } {
  return { mean: v.reduce((s, x) => s + x, 0) / v.length, spread: (Math.max(...v) - Math.min(...v)) / 2 };
}

const LABELS: Record<string, string> = { full: 'full fine-tuning', lora: 'LoRA r 4', ia3: '(IA)³', loha: 'LoHa r 4', residual: 'bottleneck adapter b 4' };

/** The study's table (accuracy mean ± half-range over seeds, trainable parameters) and the three checks. */
export function renderAstraios(table: PeftScalingTable = PEFT_SCALING_TABLE) {
  if (table.seeds.length === 0) return html`<p class="note">The study's table has not been made yet: run <code>node scripts/astraios-table.mjs</code>.</p>`;
  const { sizes, methods } = table;
  const seeds = table.seeds.map((s) => s.seed);
  const runsOf = (size: number, method: string) => table.seeds.map((s) => s.runs.find((r) => r.size === size && r.method === method)!);
  const studyMethods = PEFT_SCALING_DEFAULTS.methods.filter((m) => methods.includes(m.name));
  const checks = table.seeds.map((s) => astraiosChecks(s.runs, sizes.length, studyMethods));
  const fullBest = checks.flatMap((c) => c.fullBestPerSize);
  const winners = new Map<string, number>();
  for (const c of checks) for (const m of c.gainPerParameter.perSize) winners.set(m, (winners.get(m) ?? 0) + 1);
  const tau = meanSpread(checks.map((c) => c.lossAccuracyTau));
  const base = meanSpread(table.seeds.flatMap((s) => s.runs.filter((r) => r.method === methods[0]).map((r) => r.baseAccuracy)));
  const cell = (runs: PeftStudyRun[]) => {
    const a = meanSpread(runs.map((r) => r.accuracy));
    return html`<td class="n" data-astraios-accuracy=${a.mean}><strong>${formatPercent(a.mean)}</strong> <span class="faint">± ${formatPercent(a.spread)}</span><span class="what">${formatInt(runs[0]!.trainable)} trained</span></td>`;
  };
  const loraBest = [...winners].every(([m, n]) => m === 'lora' || n < (winners.get('lora') ?? 0));
  const winnerText = [...winners].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${LABELS[m] ?? m} in ${n}`).join(', ');
  return html`<p class="note">
      A TinyTransformer of each size learns to copy sequences, then is tuned for ${PEFT_SCALING_DEFAULTS.tuneSteps} steps to reverse them by full fine-tuning
      or by a PEFT method on its frozen weights; token accuracy on held-out sequences, mean ± half-range over seeds ${seeds.join(', ')}. The pretrained base
      scores ${formatPercent(base.mean)} on reversing before tuning.
    </p>
    <div class="scroll">
      <table class="merge-all astraios" data-astraios-seeds=${seeds.join(',')}>
        <thead><tr><th>base size</th>${methods.map((m) => html`<th class="n">${LABELS[m] ?? m}</th>`)}</tr></thead>
        <tbody>
          ${sizes.map(
            (s, k) => html`<tr data-astraios-size=${k}>
              <td>width ${s.dim}, ${s.depth} block${s.depth > 1 ? 's' : ''}<span class="what">${formatInt(table.seeds[0]!.runs.find((r) => r.size === k)!.baseParameters)} parameters</span></td>
              ${methods.map((m) => cell(runsOf(k, m)))}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <ul class="claims">
      <li data-astraios-check="full-best" data-value=${fullBest.filter(Boolean).length}>
        <strong>Full fine-tuning is best:</strong> at ${fullBest.filter(Boolean).length} of ${fullBest.length} (size, seed) pairs —
        ${fullBest.every(Boolean) ? "the paper's finding holds here, at full fine-tuning's default learning rate (the study's test shows it need not at a lower one)" : "the paper's finding does not hold at every pair here"}.
      </li>
      <li data-astraios-check="gain-per-parameter">
        <strong>Accuracy gained per trained parameter:</strong> best for ${winnerText} of ${fullBest.length} — the paper finds LoRA the best trade-off;
        ${loraBest ? 'it holds here' : 'at this scale it does not hold'}.
      </li>
      <li data-astraios-check="tau" data-value=${tau.mean}>
        <strong>Validation loss predicts accuracy:</strong> Kendall τ between them over the ${sizes.length * methods.length} runs of a seed is
        ${tau.mean.toFixed(3)} ± ${tau.spread.toFixed(3)} (negative: lower loss, higher accuracy) — ${checks.every((c) => c.lossAccuracyTau < 0) ? 'holds at every seed' : 'not at every seed'}.
      </li>
    </ul>
    <p class="note">Made by <code>node scripts/astraios-table.mjs</code> (${Math.round(table.seconds / 60)} minutes on a shared 2-core machine); the checks are computed here from it.</p>`;
}
