// @weft/hf — transformers checkpoints in and out: config.json + safetensors (single or sharded;
// float32, float16, bfloat16) into Weft modules built from Weft's layers (so the ledger, adapters
// and sharing plans apply), saved back in transformers' layout; KV-cache decoding and sampling.
export * from './config.js';
export * from './files.js';
export * from './kv-cache.js';
export * from './decoder.js';
export * from './gpt2.js';
export * from './bert.js';
export * from './weights.js';
export * from './load.js';
export * from './generate.js';
export * from './tokenizer.js';
