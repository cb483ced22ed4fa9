// <weft-nas-ranking>: @weft/nas's ranking benchmark on nas.html. 24 subnets of a weight-entangled
// space, each trained stand-alone with three seeds (the cached table, made by
// scripts/nas-ranking-table.mjs), against another ranking of the same subnets: a supernet's
// inherited-weight accuracy or a zero-cost proxy. A scatter (x: stand-alone accuracy, y: the other
// score), Kendall τ-b and top-k overlap computed here from the table, and the τ between two
// stand-alone seeds, the noise floor no ranking can be judged beyond.
import { LitElement, css, html, svg, nothing } from 'lit';
import { RANKING_BENCHMARKS, RANKING_TABLES, kendallTau, rankingAgreement, rankingBenchmark, standaloneMeans, topIndices, type RankingBenchmarkName } from '@weft/nas';
import { WidthController } from '../controllers/width-controller.js';
import { boxStyles, fieldStyles, numberStyles } from '../styles/shared.js';
import { formatPercent } from '../format.js';

const M = { left: 62, right: 14, top: 12, bottom: 44 };

/** Short axis numbers: 3 significant digits. */
const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** Round ticks (steps of 1, 2 or 5 × 10^k) inside [lo, hi], about four of them. */
function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A reader's name of a ranking in the table. */
function scoreLabel(key: string): string {
  const seed = /^supernet_spos_seed(\d+)$/.exec(key);
  if (seed) return `SPOS supernet, seed ${seed[1]}`;
  return ({ params: 'parameter count', grad_norm: 'grad-norm', snip: 'SNIP', synflow: 'SynFlow (log)', naswot: 'NASWOT', gradsign: 'GradSign' } as Record<string, string>)[key] ?? key;
}

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
    css`
      :host {
        display: block;
        min-width: 0;
      }
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
      .stats {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 28px;
        margin: 12px 0 4px;
      }
      .k {
        font-size: 12.5px;
        font-weight: 600;
        color: var(--muted);
      }
      .v {
        font-size: 20px;
        font-weight: 700;
      }
      .s,
      .note {
        font-size: 12.5px;
        color: var(--faint);
      }
      .note {
        margin: 6px 0 0;
        max-width: 80ch;
      }
      svg {
        width: 100%;
        height: auto;
        display: block;
      }
      .grid {
        stroke: var(--border);
      }
      .tick {
        fill: var(--muted);
        font-size: 12px;
      }
      .axis-label {
        fill: var(--muted);
        font-size: 12.5px;
        font-weight: 600;
      }
      .pt {
        fill: var(--surface);
        stroke: var(--muted);
        stroke-width: 1.5;
      }
      .pt.top {
        fill: var(--accent);
        stroke: var(--accent);
      }
    `,
  ];

  override render() {
    const table = RANKING_TABLES[this.bench];
    const b = rankingBenchmark(this.bench);
    const names = Object.keys(table.scores);
    const score = names.includes(this.score) ? this.score : names[0]!;
    const ref = standaloneMeans(table);
    const ys = table.scores[score]!;
    const agree = rankingAgreement(ys, ref);
    const seedTau = kendallTau(table.rows.map((r) => r.standalone[0]!), table.rows.map((r) => r.standalone[1]!));
    const top = new Set(topIndices(ref, agree.k));
    const W = Math.max(280, this.size.width);
    const H = Math.round(Math.min(360, Math.max(260, W * 0.5)));
    const finite = ys.filter(Number.isFinite);
    const span = (lo: number, hi: number) => (hi - lo > 1e-12 ? [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)] : [lo - 1, hi + 1]) as [number, number];
    const [x0, x1] = span(Math.min(...ref), Math.max(...ref));
    const [y0, y1] = span(Math.min(...finite), Math.max(...finite));
    const x = (v: number) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right);
    const y = (v: number) => M.top + (1 - (v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
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
      <p class="note">${b.description}. Ranking: ${table.notes[score] ?? score}.</p>
      <div class="stats num">
        <div><div class="k">Kendall τ-b</div><div class="v" data-tau=${agree.tau}>${agree.tau.toFixed(2)}</div><div class="s">vs mean stand-alone accuracy</div></div>
        <div><div class="k">top-${agree.k} overlap</div><div class="v" data-topk=${agree.topK}>${formatPercent(agree.topK, 0)}</div><div class="s">random: ${formatPercent(agree.k / ref.length, 0)}</div></div>
        <div><div class="k">seed vs seed τ</div><div class="v" data-seed-tau=${seedTau}>${seedTau.toFixed(2)}</div><div class="s">stand-alone, seeds 0 and 1</div></div>
      </div>
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${scoreLabel(score)} against stand-alone accuracy for ${ref.length} subnets">
        ${niceTicks(x0, x1).map((v) => svg`<line class="grid" x1=${x(v)} x2=${x(v)} y1=${M.top} y2=${H - M.bottom} stroke-dasharray="2 4"></line>
          <text class="tick num" x=${x(v)} y=${H - M.bottom + 16} text-anchor="middle">${formatPercent(v, 0)}</text>`)}
        ${niceTicks(y0, y1).map((v) => svg`<line class="grid" x1=${M.left} x2=${W - M.right} y1=${y(v)} y2=${y(v)}></line>
          <text class="tick num" x=${M.left - 6} y=${y(v) + 4} text-anchor="end">${asPercent ? formatPercent(v, 0) : fmt(v)}</text>`)}
        <text class="axis-label" x=${(M.left + W - M.right) / 2} y=${H - 6} text-anchor="middle">stand-alone accuracy (mean of ${b.standalone.seeds.length} seeds)</text>
        <text class="axis-label" transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${scoreLabel(score)}</text>
        ${table.rows.map((r, i) =>
          Number.isFinite(ys[i]!)
            ? svg`<circle class=${top.has(i) ? 'pt top' : 'pt'} data-point=${r.key} cx=${x(ref[i]!)} cy=${y(ys[i]!)} r="5"><title>${r.key}: stand-alone ${r.standalone.map((a) => formatPercent(a)).join(' / ')}, ${scoreLabel(score)} ${asPercent ? formatPercent(ys[i]!) : fmt(ys[i]!)}</title></circle>`
            : nothing,
        )}
      </svg>
      <p class="note">Filled: the ${agree.k} best subnets by stand-alone accuracy. The table was made once by
        <code>node scripts/nas-ranking-table.mjs</code> (this benchmark: ${table.seconds} s on a shared 2-core machine); τ and the overlap are computed here from it.</p>`;
  }
}

customElements.define('weft-nas-ranking', WeftNasRanking);
