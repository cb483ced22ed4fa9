// Low-rank passthrough networks: low-rank plus diagonal state matrices and the GRU built on them.
export * from './low-rank-linear.js';
export * from './low-rank-gru.js';
