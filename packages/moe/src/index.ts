// @weft/moe — mixture-of-experts routing with sparse dispatch: routers (a registry), stacked
// experts (FFN, SwiGLU, MoV IA3, MoLoRA), capacity or dropless dispatch, aux losses, stats;
// UMoE's pre-mixing attention MoE and its attention/FFN expert sharing.
export * from './losses.js';
export * from './experts.js';
export * from './dispatch.js';
export * from './routers/index.js';
export * from './moe.js';
export * from './premix-attention.js';
export * from './umoe.js';
export * from './cross-layer-experts.js';
export * from './metrics.js';
export * from './specialisation.js';
export * from './pkm.js';
export * from './transformers.js';
export * from './loss-free-balance.js';
export * from './chain-of-experts.js';
export * from './grove.js';
export * from './perft.js';
export * from './shared-moe-blocks.js';
export * from './mpoe.js';
export * from './wemoe.js';
export * from './hydra.js';
export * from './hydra-experiment.js';
export * from './dna.js';
export * from './mup.js';
export * from './sigma-moe.js';
export * from './routed-scaling-law.js';
export * from './inference/index.js';
