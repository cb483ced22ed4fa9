// The styles of compare.html: the shared shadow-DOM styles, then the page's own (the technique
// checklist, the chart pair, the runs table with its status pills and in-place ledgers).
import { css } from 'lit';
import { tableStyles, trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const compareStyles = [
  ...trainingPageStyles,
  tableStyles,
  css`
    .lead {
      max-width: 70ch;
    }
    .views {
      display: grid;
      grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
      gap: 20px;
    }
    @media (max-width: 1100px) {
      .views {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    legend {
      font-size: 12.5px;
      font-weight: 600;
      color: var(--muted);
      padding: 0;
      margin-bottom: 6px;
    }
    .checks {
      display: grid;
      gap: 6px;
    }
    .check {
      display: grid;
      grid-template-columns: auto 10px 1fr;
      gap: 8px;
      align-items: center;
      font-size: 14px;
    }
    .check input {
      width: auto;
      min-height: 0;
      margin: 0;
    }
    .check small {
      grid-column: 3;
      font-size: 11.5px;
      color: var(--faint);
      margin-top: -4px;
    }
    .dot {
      display: inline-block;
      width: 10px;
      height: 10px;
      border-radius: 50%;
    }
    td .dot {
      margin-right: 8px;
    }
    .buttons .btn {
      padding: 0 8px;
      white-space: nowrap;
    }
    .status-line {
      margin-top: 12px;
      font-size: 14px;
      color: var(--muted);
    }
    .status-line b {
      color: var(--text);
    }
    .seg {
      display: inline-flex;
      border: 1px solid var(--border);
      border-radius: var(--radius-sm);
      overflow: hidden;
    }
    .seg button {
      border: none;
      background: none;
      padding: 3px 10px;
      font: inherit;
      font-size: 12px;
      font-weight: 600;
      color: var(--muted);
      cursor: pointer;
      text-transform: none;
      letter-spacing: 0;
    }
    .seg button[aria-pressed='true'] {
      background: var(--accent-soft);
      color: var(--accent);
    }
    th,
    td {
      padding: 8px;
    }
    td .sub {
      display: block;
      font-size: 11.5px;
      color: var(--faint);
      white-space: normal;
      max-width: 34ch;
    }
    td .sub b {
      color: var(--danger);
    }
    td.tech {
      font-weight: 600;
    }
    .state {
      display: inline-block;
      padding: 1px 8px;
      border-radius: 999px;
      font-size: 11.5px;
      font-weight: 600;
      background: var(--surface-2);
      color: var(--muted);
    }
    .state.training,
    .state.building {
      background: var(--accent-soft);
      color: var(--accent);
    }
    .state.done {
      background: color-mix(in srgb, #3aa17e 16%, transparent);
      color: #2f8a6a;
    }
    .state.error {
      background: var(--danger-soft);
      color: var(--danger);
    }
    .frontier-tag {
      font-size: 11px;
      font-weight: 700;
      color: var(--accent);
      margin-left: 6px;
    }
    td .linkbtn {
      margin-left: 8px;
      font-size: 12.5px;
    }
    .ledger-row td {
      background: var(--surface-2);
      white-space: normal;
      text-align: left;
      padding: 12px;
    }
    /* On a phone the technique column narrows, so the status and the first counts show beside it. */
    @media (max-width: 560px) {
      td.tech {
        white-space: normal;
        min-width: 11rem;
        max-width: 11rem;
      }
      .frontier-tag {
        white-space: nowrap;
      }
      td.tech .linkbtn {
        margin-left: 6px;
      }
    }
      .boundaries {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
      gap: 14px;
    }
    .boundary {
      margin: 0;
      min-width: 0;
    }
    .boundary figcaption {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 2px 6px;
      margin-top: 6px;
      font-size: 13px;
    }
    .boundary .dot {
      width: 10px;
      height: 10px;
      border-radius: 50%;
      flex: none;
    }
    .boundary .name {
      font-weight: 600;
      /* Beside its dot, wrapping inside its own box rather than onto a line of its own. */
      flex: 1 1 0;
      min-width: 0;
    }
    .boundary .acc {
      margin-left: auto;
      color: var(--muted);
      white-space: nowrap;
    }
  `,
];
