// Model builders of @weft/core: small, complete models for the demos and tests.
export * from './mlp-classifier.js';
export * from './tiny-transformer.js';
export * from './tiny-cnn.js';
