// Toy data generated in the library: seeded, no downloads, plain typed arrays until `toTensors`.
export * from './dataset.js';
export * from './tensors.js';
export { MAX_ELEMENTS } from '../check.js';
export * from './spirals.js';
export * from './moons.js';
export * from './circles.js';
export * from './xor.js';
export * from './clusters.js';
export * from './cluster-tasks.js';
export * from './sine.js';
export * from './sequences.js';
export * from './parity.js';
export * from './modular-addition.js';
export * from './shapes.js';
export * from './multitask.js';
export * from './registry.js';
