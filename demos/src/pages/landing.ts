// index.html: what Weft is, the MLP page, one card per technique family — linking to the
// family's page when it exists (src/site.ts), marked "coming" otherwise — and every technique of
// the README's table with a link to the view that shows it (read from the README at build time).
import '../styles/base.css';
import '../components/site-header.js';
import { LitElement, html } from 'lit';
import { FAMILIES, FAMILY_INFO, PAGES, hrefOf, pageOf } from '../site.js';
import { landingStyles } from '../styles/landing.js';
import { shortName, techniqueRows, type TechniqueRow } from '../techniques-table.js';
import readme from '../../../README.md?raw';

/** The README's techniques, grouped by the page of their first view (in the site's order), then those on no page. */
function techniqueGroups(): Array<{ file: string | null; title: string; rows: TechniqueRow[] }> {
  const rows = techniqueRows(readme);
  const pageOf = (r: TechniqueRow) => r.views[0]?.replace(/[?#].*$/, '').replace(/\.html$/, '') ?? null;
  const groups = PAGES.map((p) => ({ file: p.file as string | null, title: p.title, rows: rows.filter((r) => pageOf(r) === p.file) }));
  const known = new Set(PAGES.map((p) => p.file));
  groups.push({ file: null, title: 'In the library (no page of its own)', rows: rows.filter((r) => pageOf(r) === null || !known.has(pageOf(r)!)) });
  return groups.filter((g) => g.rows.length > 0);
}

/** A short label for a row's further view: its setting's value, its anchor, or its page (`?expert=lora` → "lora"). */
function viewLabel(view: string): string {
  const [page = '', rest = ''] = view.split(/(?=[?#])/);
  if (rest.startsWith('#')) return rest.slice(1).replace(/-title$/, '').replace(/-/g, ' ');
  const values = [...new URLSearchParams(rest.slice(1)).values()];
  return values.length > 0 ? values.join(' · ') : page.replace(/\.html$/, '');
}

/** The landing page. */
export class WeftLanding extends LitElement {
  static override styles = landingStyles;

  override render() {
    const train = PAGES.find((p) => p.file === 'train');
    return html`<section class="hero">
        <div>
          <span class="eyebrow">TypeScript · TensorFlow.js · in your browser</span>
          <h1>Parameter sharing you can watch train.</h1>
          <p class="lead">
            Weft is a small neural-network library that implements the parameter-sharing techniques of modern deep learning —
            tied layers, adapters, mixtures of experts, supernets — as short, tested reference code on TensorFlow.js.
          </p>
          <p class="lead">
            Every page trains a toy model live in this tab and shows its parameter ledger: what is stored, what is used, what
            trains and what one input actually touches.
          </p>
          <ul class="facts">
            <li>WebGPU, WebGL, wasm or CPU</li>
            <li>no server, no downloads</li>
            <li>seeded and reproducible</li>
          </ul>
        </div>
        ${train
          ? html`<a class="start" href=${hrefOf(train)} data-page="train">
              ${spiralPicture}
              <div class="k">Start here</div>
              <h2>${train.title}</h2>
              <p>${train.summary}</p>
              <span class="go">Open the page →</span>
            </a>`
          : ''}
      </section>
      <h2 class="section">Technique families</h2>
      <p class="section-lead">One page per family, each on the same core: modules, the ledger, the trainer and the toy data.</p>
      <div class="grid">
        ${FAMILIES.map((f) => {
          const info = FAMILY_INFO[f];
          const page = pageOf(f);
          const body = html`<h3>${info.title}</h3>
            <p>${info.summary}</p>
            <div class="chips">${info.techniques.map((t) => html`<span>${t}</span>`)}</div>
            ${page ? html`<span class="status open">Open →</span>` : html`<span class="status coming">Coming</span>`}`;
          return page
            ? html`<a class="card family" href=${hrefOf(page)} data-family=${f}>${body}</a>`
            : html`<div class="card family" data-family=${f} data-coming>${body}</div>`;
        })}
      </div>
      <h2 class="section" id="techniques">Every technique</h2>
      <p class="section-lead">The README's table, row by row: each links to the page (or the view on it) that shows it working.</p>
      <div class="techniques">
        ${techniqueGroups().map(
          (g) => html`<section class="card tech-group" data-group=${g.file ?? 'library'}>
            <h3>${g.file ? html`<a href=${g.file === 'index' ? './' : `./${g.file}.html`}>${g.title}</a>` : g.title}</h3>
            <ul>
              ${g.rows.map((r) =>
                g.file
                  ? html`<li>
                      <a href=${`./${r.views[0]}`} data-technique title=${r.technique}>${shortName(r.technique)}</a>${r.views
                        .slice(1)
                        .map((v) => html` <a class="also" href=${`./${v}`} data-view title=${r.technique}>${viewLabel(v)}</a>`)}
                    </li>`
                  : html`<li data-technique data-library title=${r.technique}>${shortName(r.technique)} <span class="pkg">${r.pkg}</span></li>`,
              )}
            </ul>
          </section>`,
        )}
      </div>
      <footer>Everything on these pages runs in this tab: data, models and training. Nothing is sent anywhere.</footer>`;
  }
}

// A static sketch of two spirals with a soft boundary (decoration for the start card).
const spiralPicture = (() => {
  const arms: string[] = [];
  for (let k = 0; k < 2; k++) {
    const pts: string[] = [];
    for (let i = 0; i <= 60; i++) {
      const t = i / 60;
      const a = 2 * Math.PI * (1.5 * t + k / 2);
      pts.push(`${(160 + 70 * t * Math.cos(a)).toFixed(1)},${(60 + 50 * t * Math.sin(a)).toFixed(1)}`);
    }
    arms.push(pts.join(' '));
  }
  return html`<svg class="mini" viewBox="0 0 320 120" role="img" aria-label="Two interleaved spirals">
    <rect width="320" height="120" rx="10" fill="var(--surface)" opacity="0.7" />
    <polyline points=${arms[0]!} fill="none" stroke="var(--class-0)" stroke-width="7" stroke-linecap="round" stroke-linejoin="round" stroke-dasharray="0.1 11" />
    <polyline points=${arms[1]!} fill="none" stroke="var(--class-1)" stroke-width="7" stroke-linecap="round" stroke-linejoin="round" stroke-dasharray="0.1 11" />
  </svg>`;
})();

customElements.define('weft-landing', WeftLanding);

declare global {
  interface HTMLElementTagNameMap {
    'weft-landing': WeftLanding;
  }
}
