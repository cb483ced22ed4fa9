// Merging adapters: the merge-method registry and Weft's ΔW-space methods (each registers itself
// when imported, in this order), Weft's combineAdapters, and PEFT's add_weighted_adapter.
export * from './prune.js';
export * from './registry.js';
export * from './task-arithmetic.js';
export * from './ties.js';
export * from './dare.js';
export * from './pcb.js';
export * from './cabs.js';
export * from './copa.js';
export * from './delta.js';
export * from './task-adapters.js';
export * from './mediator.js';
export * from './one-bit.js';
export * from './evolve.js';
export * from './sens.js';
export * from './peft-weighted.js';
