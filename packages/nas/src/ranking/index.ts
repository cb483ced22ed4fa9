export * from './metrics.js';
export * from './benchmark.js';
export * from './table.js';
