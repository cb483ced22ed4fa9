// @weft/core — Module and parameters, ledger, layers, toy data, trainer, backends, IO.
// tfjs-core itself first: its engine and flags must exist before the gradients and chained ops
// register (bundlers that split the deep imports into their own chunks run them in this order).
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { registerGradientFixes } from './gradients/index.js';

// Gradients tfjs lacks or gets wrong (broadcast matmul, strided slice, top-k, dilated conv, …).
registerGradientFixes();

export * from './config.js';
export * from './random.js';
export * from './backend.js';
export * from './context.js';
export * from './module.js';
export * from './ledger.js';
export * from './layers/index.js';
export * from './ops/grouped-mat-mul.js';
export * from './train/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './calculator/index.js';
