export * from './network.js';
export * from './mixture.js';
export * from './benchmark.js';
export * from './table.js';
