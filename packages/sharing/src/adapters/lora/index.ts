// LoRA: one registry entry (defaults, checks, the per-layer factory with rank/alpha patterns, the
// PEFT codec, core's real-scale count), registered here.
import { LORA_COUNT } from '@weft/core';
import { layerRankAlpha } from '../config.js';
import { fanIn } from '../base-op.js';
import { registerAdapterMethod, type AdapterMethod } from '../registry.js';
import { LORA_DEFAULTS, checkLoraOptions, type LoraConfig } from './config.js';
import { LoraLayer } from './layer.js';
import { LORA_PEFT } from './peft.js';

export * from './config.js';
export * from './layer.js';
export * from './peft.js';

/** The LoRA method (registered as "lora"). */
export const loraMethod: AdapterMethod<LoraConfig, LoraLayer> = {
  label: 'LoRA',
  taxonomy: { peft: 'reparameterised', modular: { computation: 'parameter', routing: 'fixed', aggregation: 'none' } },
  defaults: LORA_DEFAULTS,
  check: checkLoraOptions,
  factory(base, c, ctx) {
    const k = fanIn(base);
    const limit = ctx.strictRank ? Math.min(k, base.outFeatures) : Math.max(k, base.outFeatures);
    const { r, alpha } = layerRankAlpha('LoRA', c, ctx.path, limit, `${k}→${base.outFeatures}`);
    return new LoraLayer(base, { r, alpha, dropout: c.dropout, rslora: c.rslora, dora: c.dora, initWeights: c.initWeights }, ctx.rng);
  },
  peft: LORA_PEFT,
  count: LORA_COUNT,
};

registerAdapterMethod('lora', loraMethod);
