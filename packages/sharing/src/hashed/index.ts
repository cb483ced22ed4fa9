// Hashed / randomized parameter sharing (ROAST, STABLE-RPS).
export * from './hash.js';
export * from './memory.js';
export * from './scale-grad.js';
export * from './hashed-linear.js';
export * from './hashed-mlp.js';
export * from './hashed-layers.js';
