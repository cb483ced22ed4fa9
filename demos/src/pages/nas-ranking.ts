// <weft-nas-ranking>: @weft/nas's ranking benchmark on nas.html. 24 subnets of a weight-entangled
// space, each trained stand-alone with three seeds (the cached table, made by
// scripts/nas-ranking-table.mjs), against another ranking of the same subnets: a supernet's
// inherited-weight accuracy, a zero-cost proxy, or ParZC's held-out scores (scripts/nas-parzc-scores.mjs). A scatter (x: stand-alone accuracy, y: the other
// score), Kendall τ-b and top-k overlap computed here from the table, and the τ between two
// stand-alone seeds, the noise floor no ranking can be judged beyond.
import { LitElement, css, html, svg, nothing } from 'lit';
import { axisLabels, chartFrame, chartStyles, niceTicks, xGrid, yGrid } from './nas-chart.js';
import { PARZC_SCORES, RANKING_BENCHMARKS, RANKING_TABLES, kendallTau, rankingAgreement, rankingBenchmark, standaloneMeans, topIndices, type RankingBenchmarkName } from '@weft/nas';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, fieldStyles, numberStyles, tableStyles } from '../styles/shared.js';
import { formatPercent } from '../format.js';

/** Short axis numbers: 3 significant digits. */
const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** Readers' names of the supernet trainings in the table (key between `supernet_` and `_seed`). */
const SUPERNET_LABELS: Record<string, string> = {
  spos: 'SPOS supernet (uniform)',
  fair: 'SPOS, fair sampling',
  cosine: 'SPOS, warm-up + cosine rate',
  fewshot_gm: 'Few-shot, gradient matching',
  alphanet_alpha: 'AlphaNet (α-divergence)',
  alphanet_kl: 'Sandwich, KL distillation',
  mixture_supernet: 'Mixture-of-Supernets (2 experts)',
  smash: 'SMASH HyperNet',
};
/** Readers' names of the other rankings. */
const LABELS: Record<string, string> = { params: 'parameter count', grad_norm: 'grad-norm', snip: 'SNIP', synflow: 'SynFlow (log)', naswot: 'NASWOT', gradsign: 'GradSign', parzc: 'ParZC (held out)' };

/** A ranking key's group (one per supernet training or proxy) and seed. */
function parseKey(key: string): { group: string; seed: number | null } {
  const m = /^(?:supernet_)?(.+)_seed(\d+)$/.exec(key);
  return m ? { group: m[1]!, seed: Number(m[2]) } : { group: key, seed: null };
}

/** A reader's name of a ranking in the table. */
function scoreLabel(key: string): string {
  const { group, seed } = parseKey(key);
  if (seed !== null) return `${SUPERNET_LABELS[group] ?? LABELS[group] ?? group}, seed ${seed}`;
  return LABELS[key] ?? key;
}

/** A benchmark's rankings: the cached table's and ParZC's held-out scores (parzc-scores.ts), with how each was made. */
function rankings(bench: RankingBenchmarkName): { scores: Record<string, number[]>; notes: Record<string, string> } {
  const t = RANKING_TABLES[bench];
  const p = PARZC_SCORES[bench];
  return { scores: { ...t.scores, ...p.scores }, notes: { ...t.notes, ...p.notes } };
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

/** Scatter of one ranking against the stand-alone accuracies, with τ and top-k overlap. */
export class WeftNasRanking extends LitElement {
  static override properties = { bench: { state: true }, score: { state: true } };
  private declare bench: RankingBenchmarkName;
  private declare score: string;
  private readonly size = new WidthController(this, 640);

  constructor() {
    super();
    this.bench = 'conv8';
    this.score = 'supernet_spos_seed0';
  }

  static override styles = [
    boxStyles,
    fieldStyles,
    numberStyles,
    tableStyles,
    chartStyles,
    css`
      .controls {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 10px;
        max-width: 560px;
      }
      @media (max-width: 520px) {
        .controls {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .pt {
        fill: var(--surface);
        stroke: var(--muted);
        stroke-width: 1.5;
      }
      .summary {
        margin-top: 14px;
      }
      tr.current td {
        font-weight: 700;
      }
      .pt.top {
        fill: var(--accent);
        stroke: var(--accent);
      }
    `,
  ];

  private renderSummary(ref: number[], k: number, current: string) {
    const rows = summaryRows(rankings(this.bench).scores, ref, k);
    return html`<div class="scroll summary">
      <table class="num" data-summary>
        <thead><tr><th>ranking</th><th>Kendall τ-b</th><th>top-${k} overlap</th><th>runs</th></tr></thead>
        <tbody>
          ${rows.map(
            (r) => html`<tr class=${r.keys.includes(current) ? 'current' : ''} data-group=${r.group} data-tau-mean=${mean(r.taus)}>
              <td>${r.label}</td>
              <td>${r.taus.length > 1 ? `${mean(r.taus).toFixed(2)} ± ${sd(r.taus).toFixed(2)}` : r.taus[0]!.toFixed(2)}</td>
              <td>${formatPercent(mean(r.tops), 0)}</td>
              <td>${r.taus.length > 1 ? `${r.taus.length} seeds` : 'init seed 0'}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  override render() {
    const table = RANKING_TABLES[this.bench];
    const b = rankingBenchmark(this.bench);
    const all = rankings(this.bench);
    const names = Object.keys(all.scores);
    const score = names.includes(this.score) ? this.score : names[0]!;
    const ref = standaloneMeans(table);
    const ys = all.scores[score]!;
    const agree = rankingAgreement(ys, ref);
    const seedTau = kendallTau(table.rows.map((r) => r.standalone[0]!), table.rows.map((r) => r.standalone[1]!));
    const top = new Set(topIndices(ref, agree.k));
    const finite = ys.filter(Number.isFinite);
    const span = (lo: number, hi: number) => (hi - lo > 1e-12 ? [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)] : [lo - 1, hi + 1]) as [number, number];
    const [x0, x1] = span(Math.min(...ref), Math.max(...ref));
    const [y0, y1] = span(Math.min(...finite), Math.max(...finite));
    const f = chartFrame(this.size.width, [x0, x1], [y0, y1], { left: 62, aspect: 0.5, minH: 260, maxH: 360 });
    const { W, H, x, y } = f;
    const asPercent = score.startsWith('supernet');
    return html`<div class="controls">
        <label class="field"><span>Benchmark</span>
          <select data-bench @change=${(e: Event) => (this.bench = (e.target as HTMLSelectElement).value as RankingBenchmarkName)}>
            ${RANKING_BENCHMARKS.map((n) => html`<option value=${n} ?selected=${n === this.bench}>${n}</option>`)}
          </select>
        </label>
        <label class="field"><span>Ranking</span>
          <select data-score @change=${(e: Event) => (this.score = (e.target as HTMLSelectElement).value)}>
            ${names.map((n) => html`<option value=${n} ?selected=${n === score}>${scoreLabel(n)}</option>`)}
          </select>
        </label>
      </div>
      <p class="note">${b.description}. Ranking: ${all.notes[score] ?? score}.</p>
      <div class="stats num">
        <div><div class="k">Kendall τ-b</div><div class="v" data-tau=${agree.tau}>${agree.tau.toFixed(2)}</div><div class="s">vs mean stand-alone accuracy</div></div>
        <div><div class="k">top-${agree.k} overlap</div><div class="v" data-topk=${agree.topK}>${formatPercent(agree.topK, 0)}</div><div class="s">random: ${formatPercent(agree.k / ref.length, 0)}</div></div>
        <div><div class="k">seed vs seed τ</div><div class="v" data-seed-tau=${seedTau}>${seedTau.toFixed(2)}</div><div class="s">stand-alone, seeds 0 and 1</div></div>
      </div>
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${scoreLabel(score)} against stand-alone accuracy for ${ref.length} subnets">
        ${xGrid(f, niceTicks(x0, x1), (v) => formatPercent(v, 0))}
        ${yGrid(f, niceTicks(y0, y1), (v) => (asPercent ? formatPercent(v, 0) : fmt(v)))}
        ${axisLabels(f, `stand-alone accuracy (${W < 480 ? `${b.standalone.seeds.length}-seed mean` : `mean of ${b.standalone.seeds.length} seeds`})`, scoreLabel(score))}
        ${table.rows.map((r, i) =>
          Number.isFinite(ys[i]!)
            ? svg`<circle class=${top.has(i) ? 'pt top' : 'pt'} data-point=${r.key} data-x=${ref[i]!} data-y=${ys[i]!} cx=${x(ref[i]!)} cy=${y(ys[i]!)} r="5"><title>${r.key}: stand-alone ${r.standalone.map((a) => formatPercent(a)).join(' / ')}, ${scoreLabel(score)} ${asPercent ? formatPercent(ys[i]!) : fmt(ys[i]!)}</title></circle>`
            : nothing,
        )}
      </svg>
      ${this.renderSummary(ref, agree.k, score)}
      <p class="note">Filled: the ${agree.k} best subnets by stand-alone accuracy. The table was made by
        <code>node scripts/nas-ranking-table.mjs</code> (this benchmark: ${Math.round(table.seconds / 60)} min on a shared 2-core machine, over the runs that added its rankings); τ and the overlap are computed here from it.</p>`;
  }
}

/** τ and top-k overlap of every ranking of the table, supernet trainings as mean ± sd over their seeds. */
function summaryRows(scores: Record<string, number[]>, ref: number[], k: number) {
  const groups = new Map<string, { taus: number[]; tops: number[]; keys: string[] }>();
  for (const [key, v] of Object.entries(scores)) {
    const { group } = parseKey(key);
    const g = groups.get(group) ?? { taus: [], tops: [], keys: [] };
    const a = rankingAgreement(v, ref, k);
    g.taus.push(a.tau);
    g.tops.push(a.topK);
    g.keys.push(key);
    groups.set(group, g);
  }
  return [...groups].map(([group, g]) => ({ group, label: SUPERNET_LABELS[group] ?? LABELS[group] ?? group, ...g }));
}

customElements.define('weft-nas-ranking', WeftNasRanking);
