// adapters.html's cost view: the per-method cost the PEFT survey tabulates (Parameter-Efficient
// Fine-Tuning for Large Models: A Comprehensive Survey, arXiv:2403.14608) — trainable parameters,
// extra inference FLOPs per token unmerged and merged, extra training memory — for every registered
// method at its defaults on one Linear layer, computed by @weft/sharing's adapterCost; sortable by any column.
import { LitElement, css, html } from 'lit';
import { adapterCost, adapterMethod, adapterMethodNames, type AdapterCost } from '@weft/sharing';
import { boxStyles, numberStyles } from '../styles/shared.js';
import { formatCompact, formatInt } from '../format.js';

/** The layer shapes offered: the projections of two well-known models. */
const SHAPES = [
  { id: '768', label: 'BERT-base attention projection, 768 → 768', inFeatures: 768, outFeatures: 768 },
  { id: '4096', label: 'LLaMA-7B attention projection, 4096 → 4096', inFeatures: 4096, outFeatures: 4096 },
  { id: '11008', label: 'LLaMA-7B feed-forward up-projection, 4096 → 11008', inFeatures: 4096, outFeatures: 11008 },
] as const;

type Column = 'label' | 'trainable' | 'flopsPerToken' | 'flopsPerCall' | 'mergedFlopsPerToken' | 'trainBytes';

interface Row extends AdapterCost {
  label: string;
  /** The PEFT survey's category (in the tooltip: the taxonomy table above shows it). */
  category: string;
  /** The defaults the row is costed at, for the tooltip. */
  settings: string;
}

/** Kilobytes / megabytes of a byte count. */
function formatBytes(n: number): string {
  return n < 1 << 20 ? `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB` : `${(n / (1 << 20)).toFixed(n < 10 << 20 ? 2 : 1)} MiB`;
}

/** Every registered adapter method's cost on one Linear layer, in a sortable table. */
export class WeftAdapterCosts extends LitElement {
  static override properties = { shape: { state: true }, sortBy: { state: true }, ascending: { state: true } };
  private declare shape: (typeof SHAPES)[number]['id'];
  private declare sortBy: Column;
  private declare ascending: boolean;

  constructor() {
    super();
    this.shape = '4096';
    this.sortBy = 'trainable';
    this.ascending = true;
  }

  static override styles = [
    boxStyles,
    numberStyles,
    css`
      :host { display: block; }
      .scroll { overflow-x: auto; }
      table { border-collapse: collapse; font-size: 13.5px; width: 100%; }
      th, td { padding: 6px 10px; text-align: left; border-bottom: 1px solid var(--border); white-space: nowrap; }
      td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
      thead th { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--surface-2); }
      thead th button { all: unset; cursor: pointer; }
      thead th button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
      .faint { color: var(--muted); font-size: 12px; }
      .no { color: var(--muted); }
      label { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; font-size: 13.5px; margin-bottom: 8px; }
      select { font: inherit; max-width: 100%; }
      p.note { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
      @media (max-width: 560px) { table { font-size: 12px; } th, td { padding: 6px 4px; } }
    `,
  ];

  private rows(): Row[] {
    const s = SHAPES.find((x) => x.id === this.shape)!;
    return adapterMethodNames().map((name) => {
      const m = adapterMethod(name);
      const settings = Object.entries(m.defaults as Record<string, unknown>)
        .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || Array.isArray(v))
        .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
        .join(' ');
      return { ...adapterCost({ method: name }, { inFeatures: s.inFeatures, outFeatures: s.outFeatures }, 'layer'), label: m.label, category: m.taxonomy.peft, settings };
    });
  }

  private sort(column: Column) {
    this.ascending = this.sortBy === column ? !this.ascending : column === 'label';
    this.sortBy = column;
  }

  override render() {
    const s = SHAPES.find((x) => x.id === this.shape)!;
    const base = 2 * s.inFeatures * s.outFeatures + s.outFeatures; // the layer's own FLOPs per token (x·W + b)
    const layer = s.inFeatures * s.outFeatures + s.outFeatures;
    const key = this.sortBy;
    const rows = this.rows().sort((a, b) => {
      const d = typeof a[key] === 'string' ? String(a[key]).localeCompare(String(b[key])) : (a[key] as number) - (b[key] as number);
      return this.ascending ? d : -d;
    });
    const head = (column: Column, label: string, numeric = true) => {
      const sorted = key === column;
      return html`<th class=${numeric ? 'n' : ''} aria-sort=${sorted ? (this.ascending ? 'ascending' : 'descending') : 'none'}>
        <button type="button" data-sort=${column} @click=${() => this.sort(column)}>${label}${sorted ? (this.ascending ? ' ▲' : ' ▼') : ''}</button>
      </th>`;
    };
    const times = (f: number) => html`<span class="faint">${f === 0 ? '' : `${(f / base).toFixed(f / base < 0.01 ? 4 : 2)}×`}</span>`;
    return html`<label>Layer
        <select name="cost-shape" @change=${(e: Event) => (this.shape = (e.target as HTMLSelectElement).value as typeof this.shape)}>
          ${SHAPES.map((x) => html`<option value=${x.id} ?selected=${x.id === this.shape}>${x.label}</option>`)}
        </select></label>
      <div class="scroll"><table data-costs=${this.shape}>
        <thead><tr>
          ${head('label', 'method', false)}${head('trainable', 'trainable')}
          ${head('flopsPerToken', 'extra FLOPs / token')}${head('flopsPerCall', 'per call')}${head('mergedFlopsPerToken', 'merged')}${head('trainBytes', 'Adam state')}
        </tr></thead>
        <tbody>
          ${rows.map(
            (r) => html`<tr data-cost=${r.method} data-trainable=${r.trainable} data-flops-per-token=${r.flopsPerToken} data-mergeable=${String(r.mergeable)}>
              <td title=${`${r.category}; defaults: ${r.settings}`}>${r.label}</td>
              <td class="n">${formatInt(r.trainable)} <span class="faint">${((100 * r.trainable) / layer).toFixed(r.trainable / layer < 0.001 ? 3 : 2)}%</span></td>
              <td class="n">${formatCompact(r.flopsPerToken)} ${times(r.flopsPerToken)}</td>
              <td class="n">${r.flopsPerCall === 0 ? '0' : formatCompact(r.flopsPerCall)}</td>
              <td class="n">${r.mergeable ? '0' : html`<span class="no" title="this method cannot fold into the base weights">${formatCompact(r.mergedFlopsPerToken)} · no merge</span>`}</td>
              <td class="n">${formatBytes(r.trainBytes)}</td>
            </tr>`,
          )}
        </tbody>
      </table></div>
      <p class="note">
        Each method at its defaults (hover a name for them and its PEFT category) on one ${s.inFeatures} → ${s.outFeatures} layer, which has ${formatInt(layer)} parameters and
        costs ${formatCompact(base)} FLOPs a token. FLOPs count 2 per multiply-add and 1 per other arithmetic operation, exactly as Weft's forward runs them
        (the test counts its kernels); the figure after the count is the extra cost as a multiple of the layer's own. "Per call" is computed once per forward whatever the number of tokens
        (building ΔW, factors or gates from parameters). "Merged": extra cost after folding the adapter into W — zero for every method that can merge.
        Adam state: value, gradient and two moments of each trainable parameter (16 bytes); activations are not included.
      </p>`;
  }
}

customElements.define('weft-adapter-costs', WeftAdapterCosts);

declare global {
  interface HTMLElementTagNameMap {
    'weft-adapter-costs': WeftAdapterCosts;
  }
}
