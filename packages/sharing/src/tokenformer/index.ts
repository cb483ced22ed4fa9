// TokenFormer: Pattention (token–parameter attention) and its growth by appending parameter tokens.
export * from './pattention.js';
export * from './tokenformer-block.js';
