// @weft/core — Module and parameters, ledger, layers, toy data, trainer, backends, IO.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export * from './random.js';
export * from './backend.js';
export * from './context.js';
export * from './module.js';
export * from './ledger.js';
export * from './layers/index.js';
