// <weft-ledger-table>: a module's parameter ledger — the totals (stored, effective, trainable,
// active per token, bytes) as tiles, then one row per parameter path with its shape, size,
// uses and what it shares with. Reads only the ledger, so every page's model shows the same way.
import { LitElement, css, html, nothing } from 'lit';
import { formatBytes, type Ledger } from '@weft/core';
import { formatCompact, formatInt } from '../format.js';
import { boxStyles, cardStyles, numberStyles, tableStyles } from '../styles/shared.js';

const TOTALS = [
  ['stored', 'Stored', 'unique parameters in memory'],
  ['effective', 'Effective', 'counted once per use'],
  ['trainable', 'Trainable', 'updated by the optimiser'],
  ['active', 'Active / token', 'touched by one example'],
] as const;

/** The parameter ledger of a model. */
export class WeftLedgerTable extends LitElement {
  static override properties = { ledger: { attribute: false }, maxRows: { type: Number, attribute: 'max-rows' } };
  /** The ledger (`parameterLedger(model)`); `null` shows a short "appears once the model is built" line. */
  declare ledger: Ledger | null;
  /** Rows shown before "show all". Default 50. */
  declare maxRows: number;
  private showAll = false;

  constructor() {
    super();
    this.ledger = null;
    this.maxRows = 50;
  }

  static override styles = [
    boxStyles,
    cardStyles,
    numberStyles,
    tableStyles,
    css`
      :host {
        display: block;
        min-width: 0;
        container-type: inline-size;
      }
      .shape-inline {
        display: none;
      }
      /* A phone: the shape goes under its path, so every column fits without scrolling. */
      @container (max-width: 520px) {
        th.shape,
        td.shape {
          display: none;
        }
        .shape-inline {
          display: block;
          font-size: 11.5px;
          color: var(--faint);
        }
        th,
        td {
          padding: 6px 7px;
        }
        td.path {
          font-size: 12px;
          white-space: normal;
          overflow-wrap: anywhere;
        }
      }
      .totals {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(130px, 1fr));
        gap: 10px;
        margin-bottom: 14px;
      }
      .tile {
        padding: 10px 12px;
        border: 1px solid var(--border);
        border-radius: var(--radius-sm);
        background: var(--surface-2);
      }
      .tile .k {
        font-size: 12px;
        font-weight: 600;
        color: var(--muted);
      }
      .tile .v {
        font-size: 20px;
        font-weight: 700;
        letter-spacing: -0.01em;
        line-height: 1.3;
      }
      .tile .d {
        font-size: 11.5px;
        color: var(--faint);
      }
      th,
      td {
        padding: 7px 12px;
        text-align: left;
      }
      td.r,
      th.r {
        text-align: right;
      }
      td.path {
        font-family: var(--mono);
        font-size: 12.5px;
      }
      tbody tr:hover td {
        background: var(--surface-2);
      }
      .tag {
        display: inline-block;
        padding: 1px 8px;
        border-radius: 999px;
        font-size: 11.5px;
        font-weight: 600;
        background: var(--accent-soft);
        color: var(--accent);
      }
      .tag.frozen {
        background: var(--surface-2);
        color: var(--muted);
      }
      .note {
        color: var(--muted);
      }
      .more {
        margin-top: 8px;
        background: none;
        border: none;
        color: var(--accent);
        font: inherit;
        font-size: 13px;
        cursor: pointer;
        padding: 4px 0;
      }
      .empty {
        color: var(--faint);
        padding: 12px 0;
      }
    `,
  ];

  override render() {
    const l = this.ledger;
    if (!l) return html`<div class="empty">The ledger appears once the model is built.</div>`;
    const t = l.totals;
    const firstPath = new Map(l.unique.map((u) => [u.id, u.paths[0]!]));
    const rows = this.showAll ? l.rows : l.rows.slice(0, this.maxRows);
    const notesOf = (r: Ledger['rows'][number]) => {
      const first = firstPath.get(r.id)!;
      return [first !== r.path ? `shared with ${first}` : '', r.activeShare < 1 ? `active ${(r.activeShare * 100).toFixed(1)}%` : ''].filter(Boolean);
    };
    // The note column only when some row has a note (a plain model has none).
    const withNotes = rows.some((r) => notesOf(r).length > 0);
    return html`<div class="totals">
        ${TOTALS.map(
          ([key, label, detail]) => html`<div class="tile" data-total=${key} data-value=${Math.round(t[key])}>
            <div class="k">${label}</div>
            <div class="v num" title=${formatInt(t[key])}>${formatInt(t[key])}</div>
            <div class="d">${detail}</div>
          </div>`,
        )}
        <div class="tile" data-total="bytes" data-value=${t.bytes}>
          <div class="k">Memory</div>
          <div class="v num">${formatBytes(t.bytes)}</div>
          <div class="d">${formatCompact(t.stored)} × dtype size</div>
        </div>
      </div>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>parameter</th>
              <th class="shape">shape</th>
              <th class="r">size</th>
              <th class="r">uses</th>
              <th>trains</th>
              ${withNotes ? html`<th>note</th>` : nothing}
            </tr>
          </thead>
          <tbody>
            ${rows.map((r) => {
              const shape = `[${r.shape.join(' × ')}]`;
              return html`<tr>
                <td class="path">${r.path}<span class="shape-inline">${shape}</span></td>
                <td class="mono shape">${shape}</td>
                <td class="r num">${formatInt(r.size)}</td>
                <td class="r num">${Number.isInteger(r.uses) ? r.uses : r.uses.toFixed(2)}</td>
                <td><span class="tag ${r.trainable ? '' : 'frozen'}">${r.trainable ? 'yes' : 'frozen'}</span></td>
                ${withNotes ? html`<td class="note">${notesOf(r).join(', ')}</td>` : nothing}
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${l.rows.length > this.maxRows
        ? html`<button class="more" @click=${this.toggle}>
            ${this.showAll ? 'Show fewer rows' : `Show all ${formatInt(l.rows.length)} rows`}
          </button>`
        : nothing}`;
  }

  private toggle(): void {
    this.showAll = !this.showAll;
    this.requestUpdate();
  }
}

customElements.define('weft-ledger-table', WeftLedgerTable);

declare global {
  interface HTMLElementTagNameMap {
    'weft-ledger-table': WeftLedgerTable;
  }
}
