// The styles of nas.html: the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const nasStyles = [
  ...trainingPageStyles,
  css`
    .lead {
      max-width: 70ch;
    }
    .two {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 20px;
    }
    @media (max-width: 980px) {
      .two {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    /* A block set 12px below the one before it. */
    .spaced {
      margin-top: 12px;
    }
    .counts {
      display: flex;
      gap: 28px;
      flex-wrap: wrap;
      margin-top: 12px;
    }
    .warn {
      margin-top: 12px;
      padding: 10px 12px;
      border-radius: var(--radius-sm);
      font-size: 14px;
      overflow-wrap: anywhere;
      background: var(--warn-soft);
      color: var(--warn);
      border: 1px solid var(--warn-border);
    }
    .chance {
      margin: 12px 0 0;
      font-size: 14px;
      color: var(--muted);
      max-width: 80ch;
    }
    .chance b {
      color: var(--text);
    }
    code.geno {
      display: block;
      margin-top: 10px;
      padding: 8px 10px;
      border-radius: var(--radius-sm);
      background: var(--surface-2, rgba(127, 127, 127, 0.08));
      font-size: 12px;
      overflow-wrap: anywhere;
    }
  `,
];
