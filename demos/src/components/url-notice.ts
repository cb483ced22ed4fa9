// <weft-url-notice>: the values of the page's link that could not be used, one sentence each
// (parameter, value, what is allowed, what is used instead), in a dismissible notice.
import { LitElement, css, html, nothing } from 'lit';
import { boxStyles } from '../styles/shared.js';
import type { UrlProblem } from '../url-state.js';

/** Lists the problems `parseUrlState` found in the page's URL. Renders nothing without any. */
export class WeftUrlNotice extends LitElement {
  static override properties = { problems: { attribute: false }, dismissed: { state: true } };
  /** The problems to show. */
  declare problems: readonly UrlProblem[];
  private declare dismissed: boolean;

  constructor() {
    super();
    this.problems = [];
    this.dismissed = false;
  }

  static override styles = [
    boxStyles,
    css`
      :host {
        display: block;
      }
      .box {
        display: flex;
        gap: 12px;
        align-items: flex-start;
        padding: 12px 14px;
        border: 1px solid var(--warn-border);
        border-radius: var(--radius-sm);
        background: var(--warn-soft);
        color: var(--text);
        font-size: 14px;
      }
      .icon {
        flex: none;
        width: 20px;
        height: 20px;
        border-radius: 50%;
        display: grid;
        place-items: center;
        background: var(--warn);
        color: var(--warn-soft);
        font-weight: 800;
        font-size: 13px;
        margin-top: 1px;
      }
      .body {
        flex: 1;
        min-width: 0;
      }
      strong {
        display: block;
        color: var(--warn);
        margin-bottom: 2px;
      }
      ul {
        margin: 4px 0 0;
        padding-left: 18px;
      }
      li {
        overflow-wrap: anywhere;
      }
      code {
        font-family: var(--mono);
        font-size: 0.92em;
      }
      button {
        flex: none;
        border: none;
        background: none;
        color: var(--muted);
        font: inherit;
        font-size: 18px;
        line-height: 1;
        cursor: pointer;
        padding: 2px 4px;
        border-radius: 4px;
      }
      button:hover {
        color: var(--text);
        background: rgb(0 0 0 / 0.06);
      }
    `,
  ];

  override render() {
    if (this.dismissed || this.problems.length === 0) return nothing;
    return html`<div class="box" role="status">
      <span class="icon" aria-hidden="true">!</span>
      <div class="body">
        <strong>${this.problems.length === 1 ? 'One value in this link could not be used' : `${this.problems.length} values in this link could not be used`}</strong>
        <ul>
          ${this.problems.map((p) => html`<li data-param=${p.param}>${p.message}</li>`)}
        </ul>
      </div>
      <button aria-label="Dismiss" title="Dismiss" @click=${() => (this.dismissed = true)}>×</button>
    </div>`;
  }
}

customElements.define('weft-url-notice', WeftUrlNotice);

declare global {
  interface HTMLElementTagNameMap {
    'weft-url-notice': WeftUrlNotice;
  }
}
