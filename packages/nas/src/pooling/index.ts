export * from './network.js';
export * from './mixture.js';
