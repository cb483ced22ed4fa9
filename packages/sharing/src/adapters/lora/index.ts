// LoRA registration: defaults, config resolution and the per-layer factory (rank/alpha patterns).
import type { AdapterMethod } from '../registry.js';
import { patternValue } from '../config.js';
import { fanIn } from '../base-op.js';
import { LORA_DEFAULTS, resolveLoraConfig, type LoraConfig, type ResolvedLoraConfig } from './config.js';
import { LoraLayer } from './layer.js';

export * from './config.js';
export * from './layer.js';

/** The LoRA method (registered as "lora"). */
export const loraMethod: AdapterMethod<LoraConfig, ResolvedLoraConfig> = {
  defaults: LORA_DEFAULTS,
  resolve: resolveLoraConfig,
  factory(base, c, ctx) {
    const r = patternValue(c.rankPattern, ctx.path, c.r);
    const k = fanIn(base);
    const limit = ctx.strictRank ? Math.min(k, base.outFeatures) : Math.max(k, base.outFeatures);
    if (!Number.isInteger(r) || r <= 0 || r > limit) {
      throw new Error(`LoRA: r=${r} at "${ctx.path}" must be an integer in 1..${limit} for a ${k}→${base.outFeatures} layer`);
    }
    if (c.dora && base.kind !== 'linear') throw new Error(`LoRA: dora=true at "${ctx.path}" is supported on Linear/Dense layers only`);
    const alpha = patternValue(c.alphaPattern, ctx.path, c.alpha);
    return new LoraLayer(base, { r, alpha, dropout: c.dropout, rslora: c.rslora, dora: c.dora, initWeights: c.initWeights }, ctx.rng);
  },
};
