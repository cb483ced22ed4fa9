// @weft/core — Module and parameters, ledger, layers, toy data, trainer, backends, IO.
// tfjs-core's gradients and chained ops first (they are not in its main entry): a bundler and
// plain Node each get their own form of them, see tfjs-registrations.ts.
import '#tfjs-registrations';
import { registerGradientFixes } from './gradients/index.js';

// Gradients tfjs lacks or gets wrong (broadcast matmul, strided slice, top-k, dilated conv, …).
registerGradientFixes();

export * from './config.js';
export * from './modularity.js';
export * from './safe-regexp.js';
export * from './random.js';
export * from './backend.js';
export * from './context.js';
export * from './module.js';
export * from './ledger.js';
export * from './layers/index.js';
export * from './ops/grouped-mat-mul.js';
export * from './ops/gather-rows.js';
export * from './ops/dispatch-plan.js';
export * from './ops/pick-columns.js';
export * from './ops/combine-rows.js';
export * from './ops/weighted-sum.js';
export * from './ops/select-by-scalar.js';
export * from './train/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './calculator/index.js';
