// Real-scale parameter calculator: exact parameter counts of BERT/ALBERT encoders, LLaMA-family
// decoders and MoE decoders (Mixtral, Qwen2-MoE, DeepSeekMoE, DeepSeek-V2) from a config alone,
// with cross-layer sharing plans and LoRA-family adapters. Pure TypeScript, no tensors.

export * from './types.js';
export { CalculatorError } from './arith.js';
export { countParams, bytesAt, parameterModules } from './count.js';
export { parseConfigJson, countParamsFromJson, textModelOfJson, MULTIMODAL_TEXT_TYPES } from './config-json.js';
export { CALCULATOR_LIMITS, modelTypeOfArchitecture } from './validate.js';
export {
  SHARING_PLANS, registerSharingPlan, planSlots, uniqueBlocks,
  type SlotMap, type SharingPlanConfig, type SharingPlanEntry, type GroupsPlanConfig, type CyclePlanConfig, type BlockRepeatPlanConfig, type CustomPlanConfig,
} from './sharing-plan.js';
export { registerAdapterCount, adapterCount, adapterCountNames } from './adapters.js';
export {
  adapterOptionError, compileModulePatterns, linearSizes, type AdapterCount, type AdapterCountPlan, type ModuleMatcher,
} from './adapter-count.js';
export { LORA_COUNT, LOHA_COUNT, LOKR_COUNT, IA3_COUNT, lokrFactorization, lokrShape } from './peft-counts.js';
export type { TargetableModule } from './spec.js';
export { PRESETS, PRESET_NAMES, type ModelPreset, type PresetName } from './presets.js';
export {
  estimateMemory, MEMORY_MODES, NF4_BITS, type MemoryMode, type MemoryOptions, type MemoryEstimate, type MemoryParts,
} from './memory.js';
