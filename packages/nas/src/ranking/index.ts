export * from './metrics.js';
export * from './benchmark.js';
export * from './table.js';
export * from './parzc-scores.js';
