// The styles of sharing.html: the training-page styles and the model-beside-its-baseline parts.
import { css } from 'lit';
import { baselineStyles, trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order. */
export const sharingStyles = [
  ...trainingPageStyles,
  baselineStyles,
  css`
    /* One curve card (a generative technique has no accuracy): it takes the row. */
    .curves.single {
      grid-template-columns: minmax(0, 1fr);
    }
    /* The shared model's and the baseline's decision boundaries, side by side at every width. */
    .boundaries {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 16px;
      max-width: 640px;
    }
    .boundaries figure {
      margin: 0;
      min-width: 0;
    }
    .boundaries figcaption {
      margin-top: 6px;
      font-size: 13px;
      color: var(--muted);
    }
    .boundaries .sw {
      display: inline-block;
      width: 12px;
      height: 3px;
      border-radius: 2px;
      vertical-align: middle;
      margin-right: 6px;
    }
  `,
];
