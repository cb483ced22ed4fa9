// The styles of train.html (the MLP page): the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { boxStyles, cardStyles, buttonStyles, fieldStyles, numberStyles, pageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const trainStyles = [
  boxStyles,
  cardStyles,
  buttonStyles,
  fieldStyles,
  numberStyles,
  pageStyles,
  css`
    .lead {
      max-width: 62ch;
    }
    .views > .card {
      display: flex;
      flex-direction: column;
    }
    weft-loss-chart {
      flex: 1;
    }
    .views {
      display: grid;
      grid-template-columns: minmax(260px, 380px) minmax(0, 1fr);
      gap: 20px;
    }
    @media (max-width: 760px) {
      .views {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    .with-button {
      display: flex;
      gap: 6px;
    }
    .with-button .btn {
      padding: 0 10px;
      flex: none;
    }
    .stats {
      display: flex;
      gap: 28px;
      flex-wrap: wrap;
      margin-top: 14px;
      padding-top: 12px;
      border-top: 1px solid var(--border);
    }
  `,
];
