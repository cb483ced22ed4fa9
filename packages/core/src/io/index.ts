// Reading and writing tensors: safetensors (plain typed arrays, and tf.Tensor helpers).
export * from './safetensors.js';
export * from './tensors.js';
export * from './state-dict.js';
