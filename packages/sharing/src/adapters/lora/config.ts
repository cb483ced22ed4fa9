// LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685), with rsLoRA's rank-
// stabilised scaling (arXiv:2312.03732) and DoRA's weight decomposition (arXiv:2402.09353).
// The config, its defaults (PEFT's LoraConfig defaults) and its translation to/from PEFT's JSON.
import type { AdapterConfigBase } from '../config.js';
import type { TargetPattern } from '../tree.js';
import { checkBool, checkFinite, checkPatternMap, checkPositiveInteger, checkRate } from '../config.js';

/** Config of a LoRA adapter. */
export interface LoraConfig extends AdapterConfigBase {
  method: 'lora';
  /** Rank r. Default: 8. */
  r?: number;
  /** lora_alpha: scaling = alpha / r (alpha / √r with rsLoRA). Default: 8. */
  alpha?: number;
  /** Dropout on the adapter's input in training. Default: 0. */
  dropout?: number;
  /** rsLoRA scaling alpha / √r. Default: false. */
  rslora?: boolean;
  /** DoRA: a trainable magnitude per output over the normalised adapted weight. Default: false. */
  dora?: boolean;
  /** true: B = 0 so the adapter starts as a no-op (PEFT's default); false: B random too. Default: true. */
  initWeights?: boolean;
}

/** LoRA defaults. */
export const LORA_DEFAULTS = { r: 8, alpha: 8, dropout: 0, rslora: false, dora: false, initWeights: true } as const;

/** A LoRA config with every default filled in. */
export type ResolvedLoraConfig = Required<Omit<LoraConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check every field. */
export function resolveLoraConfig(c: LoraConfig): ResolvedLoraConfig {
  const fn = 'LoRA config';
  return {
    method: 'lora',
    targets: c.targets,
    exclude: c.exclude ?? null,
    r: checkPositiveInteger(fn, 'r', c.r ?? LORA_DEFAULTS.r),
    alpha: checkFinite(fn, 'alpha', c.alpha ?? LORA_DEFAULTS.alpha),
    dropout: checkRate(fn, 'dropout', c.dropout ?? LORA_DEFAULTS.dropout),
    rslora: checkBool(fn, 'rslora', c.rslora ?? LORA_DEFAULTS.rslora),
    dora: checkBool(fn, 'dora', c.dora ?? LORA_DEFAULTS.dora),
    initWeights: checkBool(fn, 'initWeights', c.initWeights ?? LORA_DEFAULTS.initWeights),
    rankPattern: checkPatternMap(fn, 'rankPattern', c.rankPattern, true),
    alphaPattern: checkPatternMap(fn, 'alphaPattern', c.alphaPattern, false),
  };
}

/** The LoRA scaling factor. */
export function loraScaling(alpha: number, r: number, rslora: boolean): number {
  return rslora ? alpha / Math.sqrt(r) : alpha / r;
}
