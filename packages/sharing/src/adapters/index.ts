// @weft/sharing adapters: the LoRA family and other adapter methods, injection, PEFT interop,
// merging, adapter libraries. Each method's folder registers its entry when imported: the export
// lines below, in registry order, are the one line a new method adds.
export * from './base-op.js';
export * from './adapter-layer.js';
export * from './adapted-layer.js';
export type { AdapterConfigBase, AdapterOptions, ResolvedOptions, ResolvedConfig, RankPatterns } from './config.js';
export * from './tree.js';
export * from './registry.js';
export * from './taxonomy.js';
export * from './inject.js';
export * from './peft-codec.js';
export * from './peft.js';
export * from './peft-targets.js';
export * from './peft-directory.js';
export * from './modules-to-save.js';
export * from './lora/index.js';
export * from './loha/index.js';
export * from './lokr/index.js';
export * from './ia3/index.js';
export * from './taps/index.js';
export * from './residual/index.js';
export * from './ether/index.js';
export * from './mos/index.js';
export * from './moka/index.js';
export * from './hyper/index.js';
export * from './road/index.js';
export * from './poly/index.js';
export * from './composition/index.js';
export * from './shears/index.js';
export * from './crash/index.js';
export * from './controllable/index.js';
export * from './s2a/index.js';
export * from './svd.js';
export * from './merging/index.js';
export * from './layers-model.js';
export { registerTfjsAdaptedLayers } from './tfjs-adapted-layer.js';
export * from './library/arrow.js';
export * from './peft-scaling-study.js';
