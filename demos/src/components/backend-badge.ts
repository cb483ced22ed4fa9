// <weft-backend-badge>: which tfjs backend the page runs on, and why each other backend was not
// picked (the `reasons` of initBackend's report), in a disclosure so the badge stays small.
import { LitElement, css, html, nothing } from 'lit';
import { boxStyles } from '../styles/shared.js';
import type { BackendReport } from '@weft/core';

/** Shows an `initBackend` report: the active backend, and the reasons the others were skipped. */
export class WeftBackendBadge extends LitElement {
  static override properties = { report: { attribute: false }, error: { type: String } };
  /** The report of `initBackend`; `null` while it runs. */
  declare report: BackendReport | null;
  /** Set when no backend could be initialised. */
  declare error: string | null;

  constructor() {
    super();
    this.report = null;
    this.error = null;
  }

  static override styles = [
    boxStyles,
    css`
      :host {
        display: block;
        position: relative;
        max-width: 100%;
        min-width: 0;
        font-size: 13px;
      }
      details {
        position: relative;
        max-width: 100%;
      }
      summary {
        list-style: none;
        display: flex;
        width: fit-content;
        align-items: center;
        gap: 8px;
        padding: 5px 12px 5px 10px;
        border: 1px solid var(--border);
        border-radius: 999px;
        background: var(--surface);
        box-shadow: var(--shadow);
        cursor: pointer;
        user-select: none;
        max-width: 100%;
      }
      .name {
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      summary::-webkit-details-marker {
        display: none;
      }
      summary:focus-visible {
        outline: 2px solid var(--accent);
        outline-offset: 2px;
      }
      .dot {
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: var(--faint);
      }
      .ok .dot {
        background: var(--ok);
        box-shadow: 0 0 0 3px var(--ok-soft);
      }
      .bad .dot {
        background: var(--danger);
      }
      .label {
        color: var(--muted);
      }
      .name {
        font-weight: 650;
        color: var(--text);
      }
      .chev {
        color: var(--faint);
        transition: transform 0.15s;
      }
      details[open] .chev {
        transform: rotate(180deg);
      }
      .panel {
        position: absolute;
        right: 0;
        max-width: calc(100vw - 28px);
        top: calc(100% + 6px);
        z-index: 10;
        width: min(380px, 86vw);
        padding: 12px 14px;
        border: 1px solid var(--border);
        border-radius: var(--radius-sm);
        background: var(--surface);
        box-shadow: var(--shadow-lg);
        white-space: normal;
      }
      .panel p {
        margin: 0 0 8px;
        color: var(--muted);
      }
      ul {
        margin: 0;
        padding: 0;
        list-style: none;
        display: grid;
        gap: 6px;
      }
      li {
        display: grid;
        grid-template-columns: 62px 1fr;
        gap: 8px;
      }
      li b {
        font-family: var(--mono);
        font-size: 12px;
        font-weight: 600;
      }
      li span {
        color: var(--muted);
        overflow-wrap: anywhere;
      }
      .error {
        color: var(--danger);
      }
    `,
  ];

  override render() {
    if (this.error) {
      return html`<details class="bad" open>
        <summary><span class="dot"></span><span class="name">No backend</span></summary>
        <div class="panel error" role="alert">${this.error}</div>
      </details>`;
    }
    const r = this.report;
    if (!r) {
      return html`<details><summary><span class="dot"></span><span class="label">Starting a backend…</span></summary></details>`;
    }
    const reasons = Object.entries(r.reasons);
    return html`<details class="ok">
      <summary title="Why this backend?">
        <span class="dot"></span><span class="label">backend</span><span class="name" data-backend=${r.backend}>${r.description}</span>
        <span class="chev" aria-hidden="true">▾</span>
      </summary>
      <div class="panel">
        <p>
          Weft tries webgpu, webgl, wasm and cpu in order (or the backend you choose) and uses the first that
          initialises. This one runs the page; the others:
        </p>
        ${reasons.length
          ? html`<ul>
              ${reasons.map(([name, why]) => html`<li><b>${name}</b><span>${why.startsWith('skipped') ? why : `not picked: ${why}`}</span></li>`)}
            </ul>`
          : nothing}
        ${reasons.length === 0 ? html`<p>It was the first choice and initialised at once.</p>` : nothing}
      </div>
    </details>`;
  }
}

customElements.define('weft-backend-badge', WeftBackendBadge);

declare global {
  interface HTMLElementTagNameMap {
    'weft-backend-badge': WeftBackendBadge;
  }
}
