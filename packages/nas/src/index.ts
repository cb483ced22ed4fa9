// @weft/nas — DARTS-style cell supernets and bilevel search (DARTS 1st/2nd order, GDAS, DropNAS,
// PC-DARTS, SPOS), genotypes (DARTS format), perturbation-based selection, weight-entangled
// supernets (OFA/SPOS slices, TangleNAS superposition), zero-cost proxies, planted-teacher tasks.
export * from './batch-norm.js';
export * from './codes.js';
export * from './ops.js';
export * from './conv-ops.js';
export * from './sharp-sep-conv.js';
export * from './vector-ops.js';
export * from './mixed-op.js';
export * from './space.js';
export * from './cell.js';
export * from './network.js';
export * from './supernet.js';
export * from './genotype.js';
export * from './discrete.js';
export * from './select.js';
export * from './collapse.js';
export * from './search/index.js';
export * from './entangled/index.js';
export * from './proxies.js';
export * from './gradsign.js';
export * from './node-stats.js';
export * from './parzc.js';
export * from './pooling/index.js';
export * from './alpha-divergence.js';
export * from './ranking/index.js';
export * from './regnet/index.js';
export * from './puzzle/index.js';
export { plantedCellTask, plantedSubnetTask, opRecovery, subnetRecovery, PLANTED_DEFAULTS, type PlantedConfig, type PlantedTask } from './planted.js';
