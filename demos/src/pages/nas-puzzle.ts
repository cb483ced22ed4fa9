// <weft-nas-puzzle>: Puzzle (distillation-based NAS) on nas.html, from the cached runs
// (scripts/nas-design-tables.mjs): a parent TinyTransformer's subblocks get cheaper variants,
// distilled block by block; the exact search picks one per subblock under a parameter budget. The
// chart: held-out token accuracy against the budget for the searched child and for the best
// uniform child that fits (same variant in every block), per seed and their mean, with the
// parent's accuracy; the table: each budget's searched choice, block by block, for one seed.
import { LitElement, css, html, svg, nothing } from 'lit';
import { axisLabels, chartFrame, chartStyles, xGrid, yGrid } from './nas-chart.js';
import { PUZZLE_TABLE } from '@weft/nas';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, fieldStyles, numberStyles, tableStyles } from '../styles/shared.js';
import { formatInt, formatLoss, formatPercent } from '../format.js';

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
/** Short names of the variants. */
const SHORT: Record<string, string> = { full: 'full', linear: 'linear', none: '—', 'ffn-0.5': '½', 'ffn-0.25': '¼' };
const short = (v: string) => SHORT[v] ?? v;

/** Searched vs uniform children of the toy parent by budget. */
export class WeftNasPuzzle extends LitElement {
  static override properties = { seed: { state: true } };
  private declare seed: number;
  private readonly size = new WidthController(this, 640);

  constructor() {
    super();
    this.seed = PUZZLE_TABLE.seeds[0]!.seed;
  }

  static override styles = [
    boxStyles,
    fieldStyles,
    numberStyles,
    tableStyles,
    chartStyles,
    css`
      path.line {
        fill: none;
        stroke-width: 2.5;
      }
      path.searched {
        stroke: var(--accent);
      }
      path.uniform {
        stroke: #e8853d;
      }
      circle.searched {
        fill: var(--accent);
      }
      circle.uniform {
        fill: #e8853d;
      }
      .parent {
        stroke: var(--muted);
        stroke-dasharray: 5 4;
        stroke-width: 1.5;
      }
      .seedpt {
        fill-opacity: 0.35;
        stroke: none;
      }
      .sw.searched {
        border-color: var(--accent);
      }
      .sw.uniform {
        border-color: #e8853d;
      }
      .sw.parent {
        border-top: 2px dashed var(--muted);
      }
      .controls {
        max-width: 220px;
        margin-top: 12px;
      }
      td.choice {
        white-space: nowrap;
      }
    `,
  ];

  override render() {
    const t = PUZZLE_TABLE;
    const shares = t.seeds[0]!.budgets.map((b) => b.share);
    const acc = (kind: 'searched' | 'uniform', i: number) => t.seeds.map((s) => s.budgets[i]![kind]?.accuracy).filter((v): v is number => v !== undefined);
    const parentAcc = mean(t.seeds.map((s) => s.parent.accuracy));
    const all = [...t.seeds.flatMap((s) => s.budgets.flatMap((b) => [b.searched.accuracy, b.uniform?.accuracy ?? 1])), parentAcc];
    const y0 = Math.max(0, Math.floor(Math.min(...all) * 10) / 10);
    const [x0, x1] = [shares[0]! - 0.05, shares.at(-1)! + 0.05];
    const f = chartFrame(this.size.width, [x0, x1], [y0, 1]);
    const { W, H, x, y } = f;
    const line = (kind: 'searched' | 'uniform') =>
      shares
        .map((s, i) => [s, acc(kind, i)] as const)
        .filter(([, a]) => a.length === t.seeds.length)
        .map(([s, a], k) => `${k ? 'L' : 'M'}${x(s)},${y(mean(a))}`)
        .join(' ');
    // Ticks down from 100 % in steps of 10 % (20 % when there would be more than 6).
    const tickStep = (1 - y0) / 0.1 > 5 ? 0.2 : 0.1;
    // Budget labels left to right, skipping one that would touch the last one drawn (narrow screens).
    const labelled = new Set<number>();
    let lastX = -Infinity;
    for (const s of shares) {
      if (x(s) - lastX < 36) continue;
      labelled.add(s);
      lastX = x(s);
    }
    const yTicks = Array.from({ length: Math.floor((1 - y0) / tickStep + 1e-9) + 1 }, (_, i) => Number((1 - i * tickStep).toFixed(1)));
    const run = t.seeds.find((s) => s.seed === this.seed) ?? t.seeds[0]!;
    const attentionShare = run.scores.filter((r) => r.kind === 'attention' && r.variant === 'full').reduce((a, r) => a + r.params, 0) / run.parent.params;
    const blocks = run.budgets[0]!.searched.choice.length;
    return html`<div class="legend">
        <span><span class="sw searched"></span>searched (exact, per subblock)</span>
        <span><span class="sw uniform"></span>best uniform child that fits</span>
        <span><span class="sw parent"></span>parent ${formatPercent(parentAcc)}</span>
      </div>
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Token accuracy against parameter budget, searched and uniform children, ${t.seeds.length} seeds">
        ${xGrid(f, shares, (s) => (labelled.has(s) ? formatPercent(s, 0) : null))}
        ${yGrid(f, yTicks, (v) => formatPercent(v, 0))}
        <line class="parent" x1=${f.M.left} x2=${W - f.M.right} y1=${y(parentAcc)} y2=${y(parentAcc)}></line>
        ${(['uniform', 'searched'] as const).map(
          (kind) => svg`<path class="line ${kind}" d=${line(kind)} data-line=${kind}></path>
            ${shares.flatMap((s, i) => acc(kind, i).map((a) => svg`<circle class="seedpt ${kind}" cx=${x(s) + (kind === 'searched' ? -4 : 4)} cy=${y(a)} r="4"></circle>`))}
            ${shares.map((s, i) => (acc(kind, i).length ? svg`<circle class=${kind} data-point=${kind} data-share=${s} data-accuracy=${mean(acc(kind, i))} cx=${x(s)} cy=${y(mean(acc(kind, i)))} r="4.5"></circle>` : nothing))}`,
        )}
        ${axisLabels(f, W < 480 ? 'budget (share of subblock params)' : "budget: share of the parent's subblock parameters", 'held-out token accuracy')}
      </svg>
      <p class="note">${t.task}; ${formatInt(t.seeds[0]!.parent.params)} parameters in its subblocks, of which full attention in every block takes ${formatPercent(attentionShare, 0)}:
        below that a uniform child has no attention left to move tokens, while the search can keep it in some blocks and drop it in others. Large dots: the mean over seeds ${t.seeds.map((s) => s.seed).join(', ')}; small: each seed.
        No global distillation after the search: every child uses the blockwise-distilled weights as they are.</p>
      <div class="controls">
        <label class="field"><span>Choices of seed</span>
          <select data-puzzle-seed @change=${(e: Event) => (this.seed = Number((e.target as HTMLSelectElement).value))}>
            ${t.seeds.map((s) => html`<option value=${String(s.seed)} ?selected=${s.seed === this.seed}>${s.seed}</option>`)}
          </select>
        </label>
      </div>
      <div class="scroll">
        <table class="num" data-puzzle-table>
          <thead><tr><th>budget</th>${Array.from({ length: blocks }, (_, i) => html`<th>block ${i + 1}<br />attn · FFN</th>`)}<th>searched</th><th>uniform</th></tr></thead>
          <tbody>
            ${run.budgets.map(
              (b) => html`<tr data-budget=${b.share}>
                <td>${formatPercent(b.share, 0)}<br /><span class="s">${formatInt(b.searched.params)} / ${formatInt(b.budget)}</span></td>
                ${b.searched.choice.map((c) => html`<td class="choice">${short(c.attention)} · ${short(c.ffn)}</td>`)}
                <td>${formatPercent(b.searched.accuracy)}<br /><span class="s">loss ${formatLoss(b.searched.loss)}</span></td>
                <td>${b.uniform ? html`${formatPercent(b.uniform.accuracy)}<br /><span class="s">${short(b.uniform.choice[0]!.attention)} · ${short(b.uniform.choice[0]!.ffn)}, loss ${formatLoss(b.uniform.loss)}</span>` : '—'}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <p class="note">Attention: full, linear (one Linear, initialised W_v·W_o) or — (removed); FFN: full, ½ or ¼ of its hidden units (those of largest channel contribution) or — (removed).</p>`;
  }
}

customElements.define('weft-nas-puzzle', WeftNasPuzzle);
