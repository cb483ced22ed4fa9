// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146: subblock variants,
// the child network, blockwise local distillation, replace-one scores and the exact budgeted search.
export * from './subblock.js';
export * from './child.js';
export * from './bld.js';
export * from './search.js';
export * from './toy.js';
export * from './table.js';
