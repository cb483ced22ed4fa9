// FoldGPT's view on sharing.html: one card per block of the parent with its importance (|gate| after
// the gate training, as a bar against the largest) and its fate in the fold (folded into group g, or
// removed) and in pruning alone (kept or removed); then parent, fold and pruning alone side by side:
// blocks stored, stored parameters (the ledgers'), token accuracy right after the cut on the probe
// sequences and on the latest training batches. Everything comes from the job's FoldReport.
import { LitElement, css, html, nothing } from 'lit';
import { boxStyles } from '../styles/shared.js';
import { formatInt, formatPercent } from '../format.js';
import type { FoldReport } from '../jobs/sharing-job.js';

/** A group's colour: hues spread around the wheel from the page's blue. */
const groupColor = (g: number) => `hsl(${(215 + 137 * g) % 360} 65% 50%)`;

/** Per-block importance and fate, and the parent / fold / pruning comparison. */
export class WeftSharingFold extends LitElement {
  static override properties = { report: { attribute: false }, depth: { type: Number }, foldAt: { type: Number }, latest: { attribute: false } };
  /** The job's cut, or null before it. */
  declare report: FoldReport | null;
  /** Blocks of the parent (shown before the cut). */
  declare depth: number;
  /** The step the cut is due at. */
  declare foldAt: number;
  /** Token accuracy of the fold (shared) and pruning alone (baseline) on the latest training batches, after the cut. */
  declare latest: { folded: number; pruned: number } | null;
  constructor() {
    super();
    this.report = null;
    this.depth = 0;
    this.foldAt = 0;
    this.latest = null;
  }
  static override styles = [
    boxStyles,
    css`
      :host { display: block; }
      .blocks { display: grid; grid-template-columns: repeat(auto-fill, minmax(92px, 1fr)); gap: 8px; }
      .block { border: 1px solid var(--border); border-radius: 6px; padding: 8px; font-size: 13px; display: grid; gap: 4px; }
      .block.removed { opacity: 0.55; border-style: dashed; }
      .name { font-weight: 600; }
      .bar { height: 6px; border-radius: 3px; background: var(--border); overflow: hidden; }
      .bar > span { display: block; height: 100%; background: var(--accent); }
      .imp { font-family: var(--font-mono, ui-monospace, monospace); font-size: 12px; color: var(--muted); }
      .fate { font-size: 12px; font-weight: 600; border-radius: 4px; padding: 1px 6px; justify-self: start; color: #fff; }
      .fate.gone { color: var(--muted); background: none; border: 1px solid var(--border); font-weight: 400; }
      .prune { font-size: 12px; color: var(--muted); }
      .prune b { color: hsl(28 85% 45%); font-weight: 600; }
      table { width: 100%; border-collapse: collapse; margin-top: 14px; font-size: 13px; }
      th, td { text-align: right; padding: 5px 6px; border-bottom: 1px solid var(--border); }
      th:first-child, td:first-child { text-align: left; }
      td { font-family: var(--font-mono, ui-monospace, monospace); }
      td:first-child { font-family: inherit; }
      th { font-weight: 600; color: var(--muted); font-size: 12px; vertical-align: bottom; }
      @media (max-width: 520px) { th, td { padding: 5px 3px; font-size: 12px; } }
      .table { overflow-x: auto; }
      .empty { color: var(--faint); font-size: 14px; padding: 8px 0 0; }
    `,
  ];

  override render() {
    const r = this.report;
    if (!r) {
      return html`<div class="blocks">${Array.from({ length: this.depth }, (_, i) => html`<div class="block" data-block=${i}><span class="name">block ${i}</span><span class="imp">not scored yet</span></div>`)}</div>
        <div class="empty">The parent trains until about step ${this.foldAt.toLocaleString('en-US')} (the cut comes at the first progress report from there); then its blocks are scored, cut and folded here.</div>`;
    }
    const max = Math.max(...r.importance, 1e-12);
    const groups = Math.max(...r.folded.group) + 1;
    const rows: Array<{ name: string; key: string; layers: number; blocks: number; stored: number; probe: number; now: number | null }> = [
      { name: 'parent', key: 'parent', layers: r.importance.length, blocks: r.importance.length, stored: r.stored.parent, probe: r.probe.parent, now: null },
      { name: 'fold', key: 'folded', layers: r.folded.kept.length, blocks: groups, stored: r.stored.folded, probe: r.probe.folded, now: this.latest?.folded ?? null },
      { name: 'pruning alone', key: 'pruned', layers: r.pruned.length, blocks: r.pruned.length, stored: r.stored.pruned, probe: r.probe.pruned, now: this.latest?.pruned ?? null },
    ];
    return html`<div class="blocks" data-fold-blocks=${r.importance.length}>
        ${r.importance.map((v, i) => {
          const k = r.folded.kept.indexOf(i);
          const g = k >= 0 ? r.folded.group[k]! : -1;
          const pruneKept = r.pruned.includes(i);
          return html`<div class=${`block${k < 0 ? ' removed' : ''}`} data-block=${i} data-fate=${k < 0 ? 'removed' : `group ${g}`} data-importance=${v.toFixed(4)}>
            <span class="name">block ${i}</span>
            <span class="bar" title=${`|gate| ${v.toFixed(3)}`}><span .style=${`width:${((100 * v) / max).toFixed(1)}%`}></span></span>
            <span class="imp">|g| ${v.toFixed(3)}</span>
            ${k < 0 ? html`<span class="fate gone">removed</span>` : html`<span class="fate" .style=${`background:${groupColor(g)}`}>group ${g}</span>`}
            <span class="prune">pruning: ${pruneKept ? html`<b>kept</b>` : 'removed'}</span>
          </div>`;
        })}
      </div>
      <div class="table"><table>
        <thead><tr><th>model</th><th>layers</th><th>blocks stored</th><th>stored params</th><th>acc. after cut</th><th>acc. now</th></tr></thead>
        <tbody>${rows.map((x) => html`<tr data-fold-row=${x.key} data-fold-stored=${x.stored}>
          <td>${x.name}</td><td>${x.layers}</td><td>${x.blocks}</td><td>${formatInt(x.stored)}</td><td>${formatPercent(x.probe)}</td><td>${x.now === null ? (x.key === 'parent' ? '—' : nothing) : formatPercent(x.now)}</td>
        </tr>`)}</tbody>
      </table></div>`;
  }
}

customElements.define('weft-sharing-fold', WeftSharingFold);

declare global {
  interface HTMLElementTagNameMap {
    'weft-sharing-fold': WeftSharingFold;
  }
}
