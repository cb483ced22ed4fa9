// The styles of moe.html: the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { boxStyles, cardStyles, buttonStyles, fieldStyles, numberStyles, pageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const moeStyles = [
  boxStyles,
  cardStyles,
  buttonStyles,
  fieldStyles,
  numberStyles,
  pageStyles,
  css`
    .curves {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 20px;
    }
    .curves3 {
      display: grid;
      grid-template-columns: 1.2fr 1fr 1fr;
      gap: 20px;
    }
    @media (max-width: 1100px) {
      .curves3 {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    .legend {
      margin: 8px 0 0;
      font-size: 13px;
      color: var(--muted);
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
    .versus {
      display: flex;
      gap: 28px;
      flex-wrap: wrap;
      margin-top: 14px;
      padding-top: 12px;
      border-top: 1px solid var(--border);
    }
    @media (max-width: 560px) {
      .counts {
        grid-template-columns: 1fr 1fr;
      }
    }
  `,
];
