// The styles of params.html (the parameter comparator): the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { boxStyles, cardStyles, buttonStyles, fieldStyles, numberStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const paramsStyles = [
  boxStyles,
  cardStyles,
  buttonStyles,
  fieldStyles,
  numberStyles,
  css`
    :host {
      display: block;
    }
    h1 {
      margin: 0 0 4px;
      font-size: 28px;
      letter-spacing: -0.02em;
      line-height: 1.2;
    }
    .lead {
      margin: 0 0 20px;
      max-width: 72ch;
      color: var(--muted);
    }
    weft-url-notice {
      margin-bottom: 18px;
    }
    .sides {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 20px;
      margin-bottom: 20px;
    }
    @media (max-width: 860px) {
      .sides,
      .charts {
        grid-template-columns: minmax(0, 1fr) !important;
      }
    }
    .side {
      display: grid;
      gap: 12px;
      align-content: start;
    }
    .side-name {
      display: inline-flex;
      align-items: center;
      justify-content: center;
      width: 22px;
      height: 22px;
      border-radius: 6px;
      color: #fff;
      font-size: 12px;
      font-weight: 700;
      margin-right: 8px;
      vertical-align: 1px;
    }
    .side-name.a {
      background: var(--accent);
    }
    .side-name.b {
      background: #e8853d;
    }
    .source {
      font-size: 12.5px;
      color: var(--faint);
      margin: -4px 0 0;
      overflow-wrap: anywhere;
    }
    .sliders {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 10px 16px;
    }
    .slider {
      display: grid;
      gap: 2px;
      min-width: 0;
    }
    .slider .head {
      display: flex;
      justify-content: space-between;
      font-size: 12.5px;
      font-weight: 600;
      color: var(--muted);
    }
    .slider .head .v {
      color: var(--text);
    }
    .slider input[type='range'] {
      padding: 0;
      min-height: 22px;
      border: none;
      background: none;
      accent-color: var(--accent);
    }
    .slider.off {
      opacity: 0.45;
    }
    .slider small {
      font-size: 11.5px;
      color: var(--faint);
    }
    .pair {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 10px 16px;
    }
    details.paste summary {
      cursor: pointer;
      font-size: 13px;
      font-weight: 600;
      color: var(--accent);
    }
    details.paste[open] summary {
      margin-bottom: 8px;
    }
    textarea {
      width: 100%;
      min-height: 120px;
      padding: 8px 10px;
      border: 1px solid var(--border);
      border-radius: var(--radius-sm);
      background: var(--bg);
      color: var(--text);
      font-family: var(--mono);
      font-size: 12.5px;
      resize: vertical;
    }
    .paste-row {
      display: flex;
      gap: 8px;
      align-items: center;
      flex-wrap: wrap;
      margin-top: 8px;
    }
    .paste-row input[type='file'] {
      width: auto;
      min-height: 0;
      padding: 0;
      border: none;
      background: none;
      font-size: 12.5px;
    }
    .alert {
      padding: 10px 12px;
      border-radius: var(--radius-sm);
      background: var(--danger-soft);
      color: var(--danger);
      font-size: 13.5px;
      overflow-wrap: anywhere;
    }
    .ok {
      font-size: 12.5px;
      color: var(--muted);
    }
    .results {
      display: grid;
      gap: 20px;
    }
    /* A block set 8px below the one before it. */
    .spaced {
      margin-top: 8px;
    }
    .scroll {
      overflow-x: auto;
      border: 1px solid var(--border);
      border-radius: var(--radius-sm);
    }
    table {
      width: 100%;
      border-collapse: collapse;
      font-size: 14px;
    }
    th,
    td {
      padding: 8px 12px;
      text-align: right;
      white-space: nowrap;
      border-bottom: 1px solid var(--border);
    }
    th:first-child,
    td:first-child {
      text-align: left;
    }
    thead th {
      font-size: 12px;
      font-weight: 600;
      color: var(--muted);
      background: var(--surface-2);
    }
    tbody tr:last-child td {
      border-bottom: none;
    }
    tr.sep td {
      border-top: 2px solid var(--border);
    }
    td .d {
      display: block;
      font-size: 11.5px;
      color: var(--faint);
      white-space: normal;
      max-width: 38ch;
    }
    td .c {
      display: block;
      font-size: 11.5px;
      color: var(--faint);
    }
    td.metric {
      font-weight: 600;
    }
    .ratio {
      color: var(--muted);
    }
    .charts {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 20px;
    }
    .try ul {
      margin: 0;
      padding: 0;
      list-style: none;
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
      gap: 10px 24px;
      font-size: 14px;
      color: var(--muted);
    }
    .try a {
      color: var(--accent);
      font-weight: 600;
      text-decoration: none;
    }
    .try a:hover {
      text-decoration: underline;
    }
    details.breakdown summary {
      cursor: pointer;
      font-size: 13px;
      font-weight: 600;
      color: var(--accent);
    }
    details.breakdown table {
      margin-top: 8px;
      font-size: 13px;
    }
    .share {
      display: flex;
      justify-content: flex-end;
      align-items: center;
      gap: 12px;
      font-size: 12.5px;
      color: var(--faint);
    }
    .linkbtn {
      border: none;
      background: none;
      padding: 0;
      color: var(--accent);
      font: inherit;
      font-size: 13px;
      font-weight: 600;
      cursor: pointer;
    }
    pre {
      margin: 8px 0 0;
      padding: 8px 10px;
      max-height: 220px;
      overflow: auto;
      background: var(--surface-2);
      border-radius: var(--radius-sm);
      font-family: var(--mono);
      font-size: 12px;
    }
  `,
];
