// FoldGPT: block importance by gates, block removal, group sharing with per-layer scales.
export * from './scaled-block.js';
export * from './fold.js';
