// <weft-nas-cell-alphas>: D-DARTS' per-cell α on nas.html, compactly — one small heatmap per cell
// of the supernet (rows: edges `node ← input`, columns: ops), the shade of a square its softmax
// weight relative to the cell's largest (squared, for contrast; the exact share in its tooltip),
// the strongest op of each edge outlined, so cells of one type can be seen to differ.
import { LitElement, css, html } from 'lit';
import type { CellAlphas } from '../jobs/nas-job.js';

/** Short column heads for the ops of both cell spaces. */
const SHORT: Record<string, string> = {
  none: 'none', skip_connect: 'skip', linear: 'lin', relu: 'relu', tanh: 'tanh', sigmoid: 'sig',
  max_pool_3x3: 'max', avg_pool_3x3: 'avg', sep_conv_3x3: 'sep3', sep_conv_5x5: 'sep5', dil_conv_3x3: 'dil3', dil_conv_5x5: 'dil5',
};
const short = (op: string) => SHORT[op] ?? op.replace(/_/g, ' ');

/** Every cell's softmax α as a heatmap of edges × ops. */
export class WeftNasCellAlphas extends LitElement {
  static override properties = { cells: { attribute: false } };
  declare cells: CellAlphas[];
  constructor() {
    super();
    this.cells = [];
  }
  static override styles = css`
    :host {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
      gap: 14px 18px;
    }
    h3 {
      margin: 0 0 4px;
      font-size: 13px;
      font-weight: 700;
    }
    table {
      border-collapse: separate;
      border-spacing: 2px;
      font-size: 11.5px;
    }
    th {
      font-weight: 600;
      color: var(--muted, #555);
      white-space: nowrap;
    }
    thead th {
      writing-mode: vertical-rl;
      transform: rotate(180deg);
      text-align: left;
      padding: 2px 0;
    }
    tbody th {
      text-align: right;
      padding-right: 4px;
      font-variant-numeric: tabular-nums;
    }
    td {
      width: 20px;
      height: 18px;
      border-radius: 3px;
    }
    td.best {
      outline: 2px solid var(--text, #111);
      outline-offset: -1px;
    }
  `;
  override render() {
    return this.cells.map((c) => {
      // Shade relative to the cell's largest weight: early in a search every α is near 1/ops.
      const top = Math.max(...c.weights.flat());
      return html`<div data-cell=${c.label}>
        <h3>${c.label}</h3>
        <table>
          <thead><tr><th></th>${c.ops.map((op) => html`<th title=${op}>${short(op)}</th>`)}</tr></thead>
          <tbody>
            ${c.weights.map((row, e) => {
              const best = row.indexOf(Math.max(...row));
              return html`<tr><th>${c.edges[e]}</th>${row.map(
                (w, k) => html`<td class=${k === best ? 'best' : ''} title=${`${c.edges[e]}: ${c.ops[k]} ${(w * 100).toFixed(0)}%`} .style=${`background:color-mix(in srgb, var(--accent, #3b6fd8) ${(4 + 96 * (w / top) ** 2).toFixed(1)}%, var(--surface, #fff))`}></td>`,
              )}</tr>`;
            })}
          </tbody>
        </table>
      </div>`;
    });
  }
}

customElements.define('weft-nas-cell-alphas', WeftNasCellAlphas);
