// @weft/sharing — populated by its issue; see README for the technique table.
export {};
export * from './cross-layer/index.js';
export * from './hashed/index.js';
export * from './adapters/index.js';
