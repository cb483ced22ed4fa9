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
  cost({ inFeatures: i, outFeatures: o, bias }, c, path) {
    const { r } = layerRankAlpha('LoRA', c, path, Math.max(i, o), `${i}→${o}`);
    // x·A (2ir), × scaling (r), ·B (2ro), + y (o). DoRA: the bias off y, two scalings and two adds per
    // output; per call W + s·BA (2ior + 2io), its column norms (3io + o), magnitude / norm − 1 (2o).
    return {
      trainable: r * (i + o) + (c.dora ? o : 0),
      flopsPerToken: 2 * i * r + r + 2 * r * o + (c.dora ? (bias ? 5 : 4) * o : o),
      flopsPerCall: c.dora ? 2 * i * r * o + 5 * i * o + 3 * o : 0,
      mergeable: true,
    };
  },
};

registerAdapterMethod('lora', loraMethod);
