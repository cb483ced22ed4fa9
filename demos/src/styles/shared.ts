// Styles shared by the demos' shadow roots: cards, buttons, form fields, numbers. They use the
// tokens of base.css (custom properties cross shadow roots), so light and dark both follow.
import { css } from 'lit';

/** Border-box sizing inside a shadow root (base.css's rule does not reach into it). Every component includes it. */
export const boxStyles = css`
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
`;

/** A surface with a border and a title row. */
export const cardStyles = css`
  .card {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    box-shadow: var(--shadow);
    padding: 16px 18px;
    min-width: 0;
  }
  .card-title {
    display: flex;
    align-items: baseline;
    justify-content: space-between;
    gap: 12px;
    margin: 0 0 10px;
    font-size: 13px;
    font-weight: 600;
    letter-spacing: 0.02em;
    text-transform: uppercase;
    color: var(--muted);
  }
  .card-title .aside {
    font-weight: 500;
    letter-spacing: 0;
    text-transform: none;
    color: var(--faint);
  }
`;

/** Buttons: `.btn`, `.btn.primary`, `.btn.danger`, and `.linkbtn` (a button that reads as a link). */
export const buttonStyles = css`
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-height: 36px;
    padding: 0 14px;
    border: 1px solid var(--border);
    border-radius: var(--radius-sm);
    background: var(--surface);
    color: var(--text);
    font: inherit;
    font-weight: 600;
    font-size: 14px;
    cursor: pointer;
    transition: background 0.12s, border-color 0.12s, opacity 0.12s;
  }
  .btn:hover:not(:disabled) {
    background: var(--surface-2);
  }
  .btn:focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 2px;
  }
  .btn:disabled {
    opacity: 0.45;
    cursor: not-allowed;
  }
  .btn.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--on-accent);
  }
  .btn.primary:hover:not(:disabled) {
    background: var(--accent-strong);
    border-color: var(--accent-strong);
  }
  .btn.danger:hover:not(:disabled) {
    color: var(--danger);
    border-color: var(--danger);
    background: var(--danger-soft);
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
`;

/** Labelled form fields: `<label class="field"><span>name</span><input></label>`; `.pair` sets two side by side. */
export const fieldStyles = css`
  .pair {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 10px;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 4px;
    min-width: 0;
  }
  .field > span {
    font-size: 12.5px;
    font-weight: 600;
    color: var(--muted);
  }
  .field small {
    font-size: 12px;
    color: var(--faint);
  }
  /* A setting that changes while training (outside the fieldset a run locks). */
  .field .live-tag {
    margin-left: 6px;
    padding: 0 6px;
    border-radius: 999px;
    font-size: 11px;
    font-weight: 600;
    color: var(--ok);
    border: 1px solid currentColor;
  }
  input,
  select {
    width: 100%;
    min-height: 34px;
    padding: 5px 9px;
    border: 1px solid var(--border);
    border-radius: var(--radius-sm);
    background: var(--bg);
    color: var(--text);
    font: inherit;
    font-size: 14px;
  }
  input:focus-visible,
  select:focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 0;
    border-color: transparent;
  }
  input:disabled,
  select:disabled {
    opacity: 0.6;
  }
`;

/** Tabular numbers. */
export const numberStyles = css`
  .num {
    font-variant-numeric: tabular-nums;
    font-feature-settings: 'tnum';
  }
  .mono {
    font-family: var(--mono);
    font-size: 0.92em;
  }
`;

/** The shared styles of every page but the landing, in order: boxes, cards, buttons, fields and numbers, then the host, the title with its lead paragraph, the URL notice, the "Things to try" list and the alert box. Page styles come after it and may override. */
export const pageStyles = [
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
      margin: 0;
      max-width: 66ch;
      color: var(--muted);
    }
    weft-url-notice {
      margin-bottom: 18px;
    }
    .try ul {
      margin: 0;
      padding: 0;
      list-style: none;
      display: grid;
      gap: 10px;
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
    .alert {
      padding: 10px 12px;
      border-radius: var(--radius-sm);
      background: var(--danger-soft);
      color: var(--danger);
      font-size: 14px;
      overflow-wrap: anywhere;
    }
  `,
];

/** `pageStyles` plus the layout every training page shares: title row, settings/main/try grid (one column below 980 px), the settings form with its field errors, the copy-link row, stats (`.stats`, or `.versus` where a model runs beside its baseline), chart cards that stretch their loss chart (`.views`), chart legends and alerts. Page styles come after it and may override. */
export const trainingPageStyles = [
  ...pageStyles,
  css`
    .top {
      display: flex;
      align-items: flex-start;
      justify-content: space-between;
      gap: 16px 24px;
      flex-wrap: wrap;
      margin-bottom: 20px;
    }
    .layout {
      display: grid;
      grid-template-columns: 290px minmax(0, 1fr);
      grid-template-rows: auto 1fr;
      grid-template-areas: 'settings main' 'try main';
      gap: 20px;
      align-items: start;
    }
    .settings {
      grid-area: settings;
    }
    .main {
      grid-area: main;
      display: grid;
      gap: 20px;
      min-width: 0;
    }
    .try {
      grid-area: try;
    }
    form {
      display: grid;
      gap: 14px;
    }
    fieldset {
      border: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 12px;
      min-width: 0;
    }
    .note {
      font-size: 12.5px;
      color: var(--faint);
      margin: 0;
    }
    .buttons {
      display: grid;
      grid-template-columns: 1fr 1fr 1fr;
      gap: 8px;
    }
    .stat .k {
      font-size: 12px;
      font-weight: 600;
      color: var(--muted);
    }
    .stat .v {
      font-size: 18px;
      font-weight: 700;
    }
    .stat .s {
      font-size: 12px;
      color: var(--faint);
    }
    .stats,
    .versus {
      display: flex;
      gap: 28px;
      flex-wrap: wrap;
      margin-top: 14px;
      padding-top: 12px;
      border-top: 1px solid var(--border);
    }
    .views > .card {
      display: flex;
      flex-direction: column;
    }
    .views weft-loss-chart {
      flex: 1;
    }
    .legend {
      margin: 8px 0 0;
      font-size: 13px;
      color: var(--muted);
    }
    .field .error {
      color: var(--danger);
      font-size: 12px;
    }
    .field.invalid input {
      border-color: var(--danger);
    }
    .share {
      display: flex;
      justify-content: space-between;
      align-items: center;
      gap: 8px;
      padding-top: 12px;
      border-top: 1px solid var(--border);
    }
    .alert {
      margin-top: 12px;
    }
    .about {
      margin: 6px 0 0;
      font-size: 14px;
      color: var(--muted);
    }
    @media (max-width: 980px) {
      .layout {
        grid-template-columns: minmax(0, 1fr);
        grid-template-rows: none;
        grid-template-areas: 'settings' 'main' 'try';
      }
    }
  `,
];

/** The sharing and MoE pages' model-beside-its-baseline parts: the four count tiles (`.counts`, two columns below 560 px) and the pair of curve cards (`.curves`, one column below 760 px). */
export const baselineStyles = css`
  .curves {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 20px;
  }
  @media (max-width: 760px) {
    .curves {
      grid-template-columns: minmax(0, 1fr);
    }
  }
  .counts {
    display: grid;
    grid-template-columns: repeat(4, minmax(0, 1fr));
    gap: 12px;
    margin-top: 14px;
    padding-top: 12px;
    border-top: 1px solid var(--border);
  }
  @media (max-width: 560px) {
    .counts {
      grid-template-columns: 1fr 1fr;
    }
  }
`;

/** A bordered, horizontally scrolling table (`.scroll` around it): numbers right-aligned, the first column left, a tinted header row. */
export const tableStyles = css`
  .scroll {
    overflow-x: auto;
    border: 1px solid var(--border);
    border-radius: var(--radius-sm);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 13.5px;
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
`;
