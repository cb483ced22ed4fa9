// Cross-layer and recurrent weight sharing.
export * from './plans.js';
export * from './apply.js';
export * from './shared-transformer.js';
export * from './shared-mlp.js';
export * from './kernel-sharing.js';
export * from './factorized-embedding.js';
export * from './safe-embedding.js';
export * from './universal-transformer.js';
export * from './mixture-of-recursions.js';
export * from './recursion-kv.js';
export * from './mor-kv-cache.js';
export * from './no-grad.js';
export * from './active-rows.js';
