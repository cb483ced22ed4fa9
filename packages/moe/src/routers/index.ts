// The routers of @weft/moe, in the registry's order: each file defines its router and registers
// it at its end, so adding a router is its file plus one line here. Import the registry through
// this file (never registry.ts alone) so every router is registered before the first lookup.
export * from './router.js';
export * from './registry.js';
export * from './topk.js';
export * from './switch.js';
export * from './mixtral.js';
export * from './expert-choice.js';
export * from './dselect.js';
export * from './hash.js';
export * from './grouped.js';
export * from './recurrent.js';
export * from './deepseek-v3.js';
export * from './sigma.js';
