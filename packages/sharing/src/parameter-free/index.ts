// Parameter-free spatial operations (max-pool, identity) in place of depthwise convolutions.
export * from './pf-block.js';
export * from './pf-cnn.js';
