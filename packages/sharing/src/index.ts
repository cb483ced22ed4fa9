// @weft/sharing: weight sharing and adapters — cross-layer sharing plans, hashed sharing, and the
// adapter methods with injection, PEFT interop and merging (see the README's technique table).
export * from './cross-layer/index.js';
export * from './hashed/index.js';
export * from './tokenformer/index.js';
export * from './low-rank/index.js';
export * from './shapeshifter/index.js';
export * from './fold/index.js';
export * from './parameter-free/index.js';
export * from './diffusion/index.js';
export * from './moeut/index.js';
export * from './adapters/index.js';
