// adapters.html's taxonomy view: every registered adapter method grouped by the PEFT survey's
// category (Parameter-Efficient Fine-Tuning for Large Models: A Comprehensive Survey, arXiv:2403.14608),
// with its Modular Deep Learning dimensions (arXiv:2302.11529), read from the registry entries.
import { LitElement, css, html } from 'lit';
import { adapterMethod, adapterMethodNames, PEFT_CATEGORIES } from '@weft/sharing';
import { boxStyles, numberStyles } from '../styles/shared.js';

const ABOUT: Record<(typeof PEFT_CATEGORIES)[number], string> = {
  additive: 'new modules or vectors beside the frozen weights',
  selective: 'a chosen part of the existing weights trains',
  reparameterised: 'the update ΔW is a small reparameterisation',
  hybrid: 'several of these at once',
};

/** Every registered adapter method in both surveys' taxonomies. */
export class WeftAdapterTaxonomy extends LitElement {
  static override styles = [
    boxStyles,
    numberStyles,
    css`
      :host { display: block; }
      .scroll { overflow-x: auto; }
      table { border-collapse: collapse; font-size: 13.5px; width: 100%; }
      th, td { padding: 6px 10px; text-align: left; border-bottom: 1px solid var(--border); }
      thead th { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--surface-2); }
      tr.group td { font-weight: 600; background: var(--surface-2); }
      tr.group .sub { font-weight: 400; color: var(--muted); font-size: 12px; }
      @media (max-width: 560px) { table { font-size: 12px; } th, td { padding: 6px 4px; } tr.group .sub { display: block; } }
    `,
  ];

  override render() {
    const names = adapterMethodNames();
    return html`<div class="scroll"><table data-taxonomy>
      <thead><tr><th>method</th><th>computation</th><th>routing</th><th>aggregation</th></tr></thead>
      <tbody>
        ${PEFT_CATEGORIES.map((c) => {
          const mine = names.filter((n) => adapterMethod(n).taxonomy.peft === c);
          if (!mine.length) return html``;
          return html`<tr class="group"><td colspan="4">${c} <span class="sub">${ABOUT[c]} · ${mine.length} method${mine.length > 1 ? 's' : ''}</span></td></tr>
            ${mine.map((n) => {
              const m = adapterMethod(n);
              return html`<tr data-method=${n}><td>${m.label}</td><td>${m.taxonomy.modular.computation}</td><td>${m.taxonomy.modular.routing}</td><td>${m.taxonomy.modular.aggregation}</td></tr>`;
            })}`;
        })}
      </tbody>
    </table></div>`;
  }
}

customElements.define('weft-adapter-taxonomy', WeftAdapterTaxonomy);

declare global {
  interface HTMLElementTagNameMap {
    'weft-adapter-taxonomy': WeftAdapterTaxonomy;
  }
}
