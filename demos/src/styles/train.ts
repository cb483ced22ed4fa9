// The styles of train.html (the MLP page): the shared shadow-DOM styles, then the page's own.
import { css } from 'lit';
import { trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order (the page's own rules last, so they win). */
export const trainStyles = [
  ...trainingPageStyles,
  css`
    .lead {
      max-width: 62ch;
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
  `,
];
