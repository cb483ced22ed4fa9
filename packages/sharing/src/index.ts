// @weft/sharing — populated by its issue; see README for the technique table.
export {};
export * from './adapters/index.js';
