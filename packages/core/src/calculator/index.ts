// Real-scale parameter calculator: exact parameter counts of BERT/ALBERT encoders, LLaMA-family
// decoders and MoE decoders (Mixtral, Qwen2-MoE, DeepSeekMoE, DeepSeek-V2) from a config alone,
// with cross-layer sharing plans and LoRA-family adapters. Pure TypeScript, no tensors.

export * from './types.js';
export { CalculatorError } from './arith.js';
export { countParams, bytesAt } from './count.js';
export { parseConfigJson, countParamsFromJson } from './config-json.js';
export { CALCULATOR_LIMITS, modelTypeOfArchitecture } from './validate.js';
export { planSlots } from './sharing-plan.js';
export { lokrFactorization } from './adapters.js';
export { PRESETS, PRESET_NAMES, type ModelPreset, type PresetName } from './presets.js';
