// The styles of sharing.html: the training-page styles and the model-beside-its-baseline parts.
import { baselineStyles, trainingPageStyles } from './shared.js';

/** Every style of the page's shadow root, in order. */
export const sharingStyles = [...trainingPageStyles, baselineStyles];
