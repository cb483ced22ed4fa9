export * from './space.js';
export * from './supernet.js';
export * from './subnet.js';
export * from './decisions.js';
export * from './mixture.js';
export * from './hypernet.js';
