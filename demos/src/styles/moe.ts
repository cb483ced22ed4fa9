// The styles of moe.html: the training-page styles and the model-beside-its-baseline parts, as on
// the sharing page (the heatmap and load views of moe-views.ts bring their own).
import { baselineStyles, trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order. */
export const moeStyles = [...trainingPageStyles, baselineStyles];
