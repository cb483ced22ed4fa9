// @weft/core/testing — utilities every Weft package's tests use.
export * from './backends.js';
