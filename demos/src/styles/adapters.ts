// The styles of adapters.html: the shared shadow-DOM styles, then the page's own (its one-column
// button stack, the methods table with accuracy bars, the mixing sliders).
import { css } from 'lit';
import { trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const adaptersStyles = [
  ...trainingPageStyles,
  css`
    .buttons {
      grid-template-columns: minmax(0, 1fr);
    }
    .row {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 8px;
    }
    .file {
      position: relative;
      overflow: hidden;
      white-space: nowrap;
    }
    .file input {
      position: absolute;
      inset: 0;
      opacity: 0;
      cursor: pointer;
    }
    .file:has(input:disabled) {
      opacity: 0.45;
      cursor: not-allowed;
    }
    .phase {
      font-weight: 600;
      margin: 0 0 10px;
    }
    .stats {
      gap: 12px 28px;
      margin: 12px 0;
    }
    .scroll {
      overflow-x: auto;
    }
    table {
      width: 100%;
      border-collapse: collapse;
      font-size: 14px;
    }
    th {
      text-align: left;
      font-size: 12px;
      color: var(--muted);
      font-weight: 600;
      padding: 6px 8px;
      border-bottom: 1px solid var(--border);
    }
    td {
      padding: 8px;
      border-bottom: 1px solid var(--border);
      vertical-align: middle;
    }
    td.n,
    th.n {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
    .what {
      display: block;
      color: var(--faint);
      font-size: 12px;
    }
    .bar {
      position: relative;
      height: 10px;
      border-radius: 5px;
      background: var(--border);
      min-width: 80px;
    }
    .bar > span {
      position: absolute;
      left: 0;
      top: 0;
      bottom: 0;
      border-radius: 5px;
      background: var(--accent);
    }
    .bar.ref > span {
      background: hsl(28 85% 52%);
    }
    td .linkbtn {
      white-space: nowrap;
    }
    /* On a phone the bars go (the percentages say the same) and the table fits the card. */
    @media (max-width: 560px) {
      .barcell {
        display: none;
      }
      table {
        font-size: 13px;
      }
      td,
      th {
        padding: 8px 3px;
      }
      th {
        white-space: nowrap;
      }
      td:first-child,
      th:first-child {
        padding-left: 0;
      }
      td:last-child,
      th:last-child {
        padding-right: 0;
      }
      td .linkbtn {
        font-size: 12px;
      }
    }
    .sliders {
      display: grid;
      gap: 10px;
    }
    .slider {
      display: grid;
      grid-template-columns: 90px minmax(0, 1fr) 48px;
      gap: 12px;
      align-items: center;
      font-size: 14px;
    }
    .slider input {
      width: 100%;
      accent-color: var(--accent);
    }
    .empty {
      color: var(--faint);
      font-size: 14px;
      margin: 0;
    }
    ol {
      margin: 0;
      padding-left: 18px;
      color: var(--muted);
      font-size: 14px;
      display: grid;
      gap: 6px;
    }
      /* The base's and every method's decision boundary, side by side. */
    .boundaries {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(140px, 1fr));
      gap: 14px;
    }
    .boundary {
      margin: 0;
      min-width: 0;
    }
    .boundary figcaption {
      display: flex;
      justify-content: space-between;
      gap: 6px;
      margin-top: 6px;
      font-size: 13px;
    }
    .boundary .name {
      font-weight: 600;
    }
    .boundary .acc {
      color: var(--muted);
    }
    /* The Astraios table scrolls sideways on a phone rather than breaking "mean ± spread" apart. */
    table.astraios td,
    table.astraios th {
      white-space: nowrap;
    }
    /* The Astraios view's three checks. */
    .claims {
      margin: 10px 0;
      padding-left: 20px;
      font-size: 13.5px;
      line-height: 1.5;
    }
    .claims li {
      margin: 4px 0;
    }
    /* The merge explorer: method, weights and options, then per-task and all-method tables. */
    .merge-controls {
      display: grid;
      gap: 10px;
      margin: 14px 0;
    }
    .paper {
      margin: 0;
      color: var(--faint);
      font-size: 12px;
    }
    .sub {
      font-size: 15px;
      margin: 18px 0 6px;
    }
    .sub .aside {
      font-weight: 400;
      color: var(--faint);
      font-size: 12px;
    }
    tr.total td {
      border-bottom: none;
    }
    section > .btn {
      margin-top: 12px;
    }
    /* Arrow's routing: one stacked bar per layer and task, a colour per task LoRA. */
    .stack {
      display: flex;
      height: 10px;
      border-radius: 5px;
      overflow: hidden;
      background: var(--border);
      min-width: 60px;
    }
    .e0 {
      background: var(--class-3);
    }
    .e1 {
      background: var(--class-5);
    }
    .e2 {
      background: var(--class-2);
    }
    td.routing .top {
      display: block;
      font-size: 12px;
      color: var(--muted);
      font-variant-numeric: tabular-nums;
      margin-top: 3px;
    }
    .swatch {
      display: inline-block;
      width: 10px;
      height: 10px;
      border-radius: 2px;
      margin: 0 4px 0 8px;
      vertical-align: -1px;
    }
    .legend {
      white-space: nowrap;
    }
    .faint {
      color: var(--faint);
      font-size: 12px;
    }
    .gate {
      display: inline-block;
      font-size: 12.5px;
      padding: 1px 8px;
      margin: 2px 0;
      border: 1px solid var(--border);
      border-radius: 999px;
      color: var(--muted);
      white-space: nowrap;
    }
    .gate.on {
      background: var(--accent);
      border-color: var(--accent);
      color: var(--on-accent);
    }
    @media (max-width: 560px) {
      table.routed .task {
        display: none;
      }
      table.arrow th {
        white-space: normal;
      }
      .stack {
        min-width: 44px;
      }
      table.arrow code {
        font-size: 11px;
      }
    }
  `,
];
