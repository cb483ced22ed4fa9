// The styles of moe.html: the training-page styles and the model-beside-its-baseline parts, as on
// the sharing page (the heatmap and load views of moe-views.ts bring their own).
import { css } from 'lit';
import { baselineStyles, trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order. */
export const moeStyles = [
  ...trainingPageStyles,
  baselineStyles,
  css`
    .section-title {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 4px 12px;
      margin: 12px 0 -6px;
      font-size: 20px;
      letter-spacing: -0.01em;
    }
    .card-title .keep {
      text-transform: none;
    }
    .section-title .aside {
      font-size: 13px;
      font-weight: 500;
      color: var(--faint);
    }
  `,
];
