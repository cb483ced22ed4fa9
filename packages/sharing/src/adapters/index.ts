// @weft/sharing adapters: the LoRA family, injection, PEFT interop, merging.
export * from './base-op.js';
export * from './adapter-layer.js';
export * from './adapted-layer.js';
export * from './config.js';
export * from './tree.js';
export * from './registry.js';
export * from './inject.js';
export * from './lora/index.js';
export * from './loha/index.js';
export * from './lokr/index.js';
export * from './ia3/index.js';
export * from './peft.js';
export * from './svd.js';
export * from './merging.js';
export * from './layers-model.js';
export * from './taps/index.js';
export * from './library/arrow.js';
