// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// The survey's model-level optimisations as tools on a trained MoE layer, and expert offloading as a cache simulation.
export * from './plan.js';
export * from './prune.js';
export * from './merge.js';
export * from './quantise.js';
export * from './offload.js';
export * from './study.js';
