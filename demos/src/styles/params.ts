// The styles of params.html (the parameter comparator): the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { pageStyles, tableStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const paramsStyles = [
  ...pageStyles,
  tableStyles,
  css`
    .lead {
      margin: 0 0 20px;
      max-width: 72ch;
    }
    .sides {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 20px;
      margin-bottom: 20px;
    }
    .sides.n1 {
      grid-template-columns: minmax(0, 640px);
    }
    .sides.n3,
    .sides.n4 {
      grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
    }
    .count-row {
      display: flex;
      align-items: center;
      gap: 8px;
      flex-wrap: wrap;
      margin: 14px 0 16px;
      font-size: 14px;
      color: var(--muted);
    }
    .count-row .btn {
      min-width: 40px;
    }
    .remove {
      margin-left: 6px;
      padding: 0 8px;
      min-height: 24px;
      border: 1px solid var(--border);
      border-radius: var(--radius-sm);
      background: var(--surface);
      color: var(--muted);
      font-size: 15px;
      line-height: 1;
      cursor: pointer;
    }
    .mem-controls {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
      gap: 10px 16px;
      align-items: end;
    }
    .field.check.off {
      opacity: 0.5;
    }
    .field.check input {
      width: auto;
      min-height: 0;
      margin-right: 4px;
      vertical-align: -2px;
    }
    .verdict {
      font-weight: 700;
    }
    .verdict.yes {
      color: var(--ok, #2e8b57);
    }
    .verdict.no {
      color: var(--danger, #d14343);
    }
    td.total {
      font-weight: 700;
    }
    .mem-table td {
      white-space: normal;
      text-align: right;
    }
    .mem-table td.metric {
      text-align: left;
    }
    h3.sub {
      margin: 18px 0 8px;
      font-size: 14px;
      color: var(--muted);
    }
    .note {
      margin: 10px 0 0;
      font-size: 12.5px;
      color: var(--faint);
      max-width: 90ch;
    }
    .faint {
      font-size: 12px;
      color: var(--faint);
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
    .side-name.c {
      background: #3aa17e;
    }
    .side-name.d {
      background: #9b5de5;
    }
    .source {
      font-size: 12.5px;
      color: var(--faint);
      margin: -4px 0 0;
      overflow-wrap: anywhere;
    }
    .sliders {
      display: grid;
      /* minmax(0, …): a long hint (num_experts_per_tok) wraps instead of widening its column past the card. */
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
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
      overflow-wrap: anywhere;
    }
    .pair {
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
      font-size: 13.5px;
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
    table {
      font-size: 14px;
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
      grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
      gap: 10px 24px;
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
    /* On a phone a compared table stacks: each row's label spans the card, its values follow two to a line, each
       led by its model's letter (the header becomes a legend), so model B… never sit off-screen to the right. */
    @media (max-width: 600px) {
      table.stacked,
      .stacked thead,
      .stacked tbody {
        display: block;
      }
      .stacked thead tr {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 14px;
        padding: 8px 12px;
        background: var(--surface-2);
      }
      .stacked thead th {
        padding: 0;
        border: none;
        text-align: left;
        white-space: normal;
      }
      .stacked thead th:first-child {
        flex-basis: 100%;
      }
      .stacked.counts thead th:first-child {
        display: none;
      }
      .stacked tbody tr {
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 1fr));
        border-bottom: 1px solid var(--border);
      }
      .stacked.n1 tbody tr {
        grid-template-columns: minmax(0, 1fr);
      }
      .stacked tbody tr:last-child {
        border-bottom: none;
      }
      .stacked tbody tr.sep {
        border-top: 2px solid var(--border);
      }
      table.stacked {
        font-size: 13.5px;
      }
      .stacked td,
      .stacked tr.sep td {
        border: none;
        padding: 3px 8px 6px 12px;
        text-align: left;
        white-space: normal;
      }
      /* A number stays on its badge's line (671,026,404,352 fits half a 390 px card). */
      .stacked td.num {
        white-space: nowrap;
      }
      .stacked td.num .faint {
        white-space: normal;
      }
      .stacked td.metric {
        grid-column: 1 / -1;
        padding-top: 10px;
      }
      .stacked td:not(.metric)::before {
        display: inline-flex;
        align-items: center;
        justify-content: center;
        width: 18px;
        height: 18px;
        margin-right: 6px;
        border-radius: 5px;
        color: #fff;
        font-size: 11px;
        font-weight: 700;
        vertical-align: 1px;
      }
      .stacked td:nth-child(2)::before {
        content: 'A';
        background: var(--accent);
      }
      .stacked td:nth-child(3)::before {
        content: 'B';
        background: #e8853d;
      }
      .stacked td:nth-child(4)::before {
        content: 'C';
        background: #3aa17e;
      }
      .stacked td:nth-child(5)::before {
        content: 'D';
        background: #9b5de5;
      }
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
