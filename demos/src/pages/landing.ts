// index.html: what Weft is, the MLP page, and one card per technique family — linking to the
// family's page when it exists (src/site.ts), marked "coming" otherwise.
import '../styles/base.css';
import '../components/site-header.js';
import { LitElement, css, html } from 'lit';
import { FAMILIES, FAMILY_INFO, PAGES, hrefOf, pageOf } from '../site.js';
import { boxStyles, cardStyles } from '../styles/shared.js';

/** The landing page. */
export class WeftLanding extends LitElement {
  static override styles = [
    boxStyles,
    cardStyles,
    css`
      :host {
        display: block;
      }
      .hero {
        display: grid;
        grid-template-columns: minmax(0, 1.35fr) minmax(0, 1fr);
        gap: 28px;
        align-items: center;
        margin: 12px 0 44px;
      }
      @media (max-width: 860px) {
        .hero {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .eyebrow {
        display: inline-block;
        margin-bottom: 12px;
        padding: 3px 10px;
        border-radius: 999px;
        background: var(--accent-soft);
        color: var(--accent);
        font-size: 12.5px;
        font-weight: 650;
      }
      h1 {
        margin: 0 0 14px;
        font-size: clamp(30px, 4.4vw, 44px);
        line-height: 1.1;
        letter-spacing: -0.03em;
      }
      .lead {
        margin: 0 0 12px;
        font-size: 17px;
        color: var(--muted);
        max-width: 60ch;
      }
      .facts {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        margin: 18px 0 0;
        padding: 0;
        list-style: none;
      }
      .facts li {
        padding: 4px 10px;
        border: 1px solid var(--border);
        border-radius: 999px;
        background: var(--surface);
        font-size: 13px;
        color: var(--muted);
      }
      .start {
        display: block;
        padding: 22px;
        border-radius: var(--radius);
        border: 1px solid var(--border);
        background: linear-gradient(160deg, var(--accent-soft), var(--surface) 70%);
        box-shadow: var(--shadow-lg);
        color: var(--text);
        text-decoration: none;
        transition: transform 0.15s, box-shadow 0.15s;
      }
      .start:hover {
        transform: translateY(-2px);
      }
      .start:focus-visible,
      a.family:focus-visible {
        outline: 2px solid var(--accent);
        outline-offset: 3px;
      }
      .start .k {
        font-size: 12.5px;
        font-weight: 650;
        color: var(--accent);
        text-transform: uppercase;
        letter-spacing: 0.04em;
      }
      .start h2 {
        margin: 6px 0 6px;
        font-size: 21px;
        letter-spacing: -0.01em;
      }
      .start p {
        margin: 0 0 14px;
        color: var(--muted);
      }
      .start .go {
        font-weight: 650;
        color: var(--accent);
      }
      .mini {
        display: block;
        width: 100%;
        height: auto;
        margin-bottom: 14px;
        border-radius: var(--radius-sm);
      }
      h2.section {
        margin: 0 0 6px;
        font-size: 20px;
        letter-spacing: -0.01em;
      }
      .section-lead {
        margin: 0 0 18px;
        color: var(--muted);
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(300px, 100%), 1fr));
        gap: 16px;
      }
      .family {
        display: flex;
        flex-direction: column;
        gap: 8px;
        color: var(--text);
        text-decoration: none;
        transition: border-color 0.15s, transform 0.15s;
      }
      a.family:hover {
        border-color: var(--accent);
        transform: translateY(-2px);
      }
      .family h3 {
        margin: 0;
        font-size: 17px;
        letter-spacing: -0.01em;
      }
      .family p {
        margin: 0;
        color: var(--muted);
        font-size: 14px;
        flex: 1;
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin: 4px 0 6px;
      }
      .chips span {
        padding: 2px 8px;
        border-radius: 6px;
        background: var(--surface-2);
        color: var(--muted);
        font-size: 12px;
      }
      .status {
        font-size: 13px;
        font-weight: 650;
      }
      .status.open {
        color: var(--accent);
      }
      .status.coming {
        color: var(--faint);
      }
      .status.coming::before {
        content: '';
        display: inline-block;
        width: 7px;
        height: 7px;
        margin-right: 7px;
        border-radius: 50%;
        background: var(--faint);
        opacity: 0.6;
        vertical-align: 1px;
      }
      footer {
        margin-top: 48px;
        padding-top: 18px;
        border-top: 1px solid var(--border);
        color: var(--faint);
        font-size: 13.5px;
      }
    `,
  ];

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
