// The styles of index.html (the landing page): the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { boxStyles, cardStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const landingStyles = [
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
      #techniques {
      margin-top: 40px;
    }
    .techniques {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
      gap: 16px;
      align-items: start;
      margin-bottom: 40px;
    }
    .tech-group h3 {
      margin: 0 0 8px;
      font-size: 16px;
    }
    .tech-group h3 a {
      color: var(--text);
    }
    .tech-group ul {
      margin: 0;
      padding-left: 18px;
      display: grid;
      gap: 5px;
      font-size: 14px;
    }
    .tech-group li {
      color: var(--muted);
    }
    .tech-group .also {
      font-size: 12.5px;
      padding: 0 6px;
      border-radius: 999px;
      background: var(--surface-2);
      white-space: nowrap;
    }
    .tech-group .pkg {
      font-size: 12px;
      color: var(--faint);
      white-space: nowrap;
    }
  `,
];
