// @weft/core/testing — utilities every Weft package's tests use.
export * from './backends.js';
export * from './gradcheck.js';
export * from './leak.js';
export * from './parity.js';
