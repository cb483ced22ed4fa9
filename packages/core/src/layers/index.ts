// Layers of @weft/core.
export * from './init.js';
export * from './check.js';
export * from './linear.js';
