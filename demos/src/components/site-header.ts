// <weft-site-header>: the wordmark and the navigation shared by every page.
import { LitElement, css, html } from 'lit';
import { boxStyles } from '../styles/shared.js';
import { PAGES, hrefOf } from '../site.js';
import { followViewAnchor } from '../view-anchor.js';

/** The header of every demo page. Set `current` to the page's file name to mark it. */
export class WeftSiteHeader extends LitElement {
  static override properties = { current: { type: String } };
  /** File name (without `.html`) of the page showing the header. */
  declare current: string;

  constructor() {
    super();
    this.current = '';
  }

  static override styles = [
    boxStyles,
    css`
      :host {
        display: block;
      }
      header {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 16px;
        flex-wrap: wrap;
        padding: 18px 0;
        border-bottom: 1px solid var(--border);
        margin-bottom: 28px;
      }
      .brand {
        display: inline-flex;
        align-items: center;
        gap: 10px;
        color: var(--text);
        text-decoration: none;
        font-weight: 700;
        font-size: 18px;
        letter-spacing: -0.01em;
      }
      .brand svg {
        width: 26px;
        height: 26px;
        color: var(--accent);
      }
      .brand small {
        font-weight: 500;
        font-size: 13px;
        color: var(--faint);
        letter-spacing: 0;
      }
      nav {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
      }
      nav a {
        padding: 6px 12px;
        border-radius: 999px;
        color: var(--muted);
        text-decoration: none;
        font-size: 14px;
        font-weight: 500;
      }
      nav a:hover {
        color: var(--text);
        background: var(--surface-2);
      }
      nav a[aria-current='page'] {
        color: var(--accent);
        background: var(--accent-soft);
      }
      @media (max-width: 520px) {
        .brand small {
          display: none;
        }
      }
    `,
  ];

  /** @internal Lit: the page is rendering: open the view its link's `#anchor` names, if any. */
  override firstUpdated(): void {
    followViewAnchor();
  }

  override render() {
    return html`<header>
      <a class="brand" href="./">
        ${logo}
        <span>Weft</span>
        <small>parameter sharing, live in the browser</small>
      </a>
      <nav aria-label="Pages">
        ${PAGES.filter((p) => p.nav !== false).map(
          (p) => html`<a href=${hrefOf(p)} aria-current=${p.file === this.current ? 'page' : 'false'}>${p.title}</a>`,
        )}
      </nav>
    </header>`;
  }
}

// Woven threads: three warp lines crossed by a weft line (drawn, not fetched).
const logo = html`<svg viewBox="0 0 32 32" fill="none" aria-hidden="true">
  <rect x="1.5" y="1.5" width="29" height="29" rx="8" stroke="currentColor" stroke-width="2" opacity="0.35" />
  <path d="M9 7v18M16 7v18M23 7v18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" opacity="0.55" />
  <path d="M6 16c3-3.2 5.5-3.2 8 0s5 3.2 8 0 4.5-2 4.5-2" stroke="currentColor" stroke-width="2.8" stroke-linecap="round" />
</svg>`;

customElements.define('weft-site-header', WeftSiteHeader);
window.addEventListener('hashchange', followViewAnchor);

declare global {
  interface HTMLElementTagNameMap {
    'weft-site-header': WeftSiteHeader;
  }
}
