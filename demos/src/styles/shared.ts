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

/** Buttons: `.btn`, `.btn.primary`, `.btn.danger`. */
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
`;

/** Labelled form fields: `<label class="field"><span>name</span><input></label>`. */
export const fieldStyles = css`
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

/** The layout every training page shares: title row with its lead paragraph, settings/main/try grid (one column below 980 px), the settings form with its field errors, the copy-link row, stats and alerts. Page styles come after it and may override. */
export const pageStyles = css`
  :host {
    display: block;
  }
  .top {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: 16px 24px;
    flex-wrap: wrap;
    margin-bottom: 20px;
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
  .pair {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 10px;
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
  .alert {
    margin-top: 12px;
    padding: 10px 12px;
    border-radius: var(--radius-sm);
    background: var(--danger-soft);
    color: var(--danger);
    font-size: 14px;
    overflow-wrap: anywhere;
  }
  .stat .s {
    font-size: 12px;
    color: var(--faint);
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
`;
