// Designing Network Design Spaces (RegNet), arXiv 2003.13678: the quantized linear width rule,
// the AnyNet network for 8×8 images, the AnyNet and RegNet design spaces, error EDFs.
export * from './design.js';
export * from './network.js';
export * from './space.js';
export * from './edf.js';
export * from './train.js';
export * from './fit.js';
export * from './table-types.js';
export * from './edf-table.js';
