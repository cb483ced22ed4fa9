// LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685), with rsLoRA's rank-
// stabilised scaling (arXiv:2312.03732) and DoRA's weight decomposition (arXiv:2402.09353).
// The config, its defaults (PEFT's LoraConfig defaults) and their checks.
import { checkBool, checkNumber, checkPositiveInt, checkRate } from '@weft/core/internal';
import { checkPatternMap, type AdapterConfigBase, type RankPatterns, type ResolvedConfig, type ResolvedOptions } from '../config.js';

/** Config of a LoRA adapter. */
export interface LoraConfig extends AdapterConfigBase, RankPatterns {
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

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "lora". */
    lora: LoraConfig;
  }
}

/** LoRA's defaults. */
export const LORA_DEFAULTS: Readonly<ResolvedOptions<LoraConfig>> = {
  r: 8, alpha: 8, dropout: 0, rslora: false, dora: false, initWeights: true, rankPattern: {}, alphaPattern: {},
};

/** A LoRA config with every default filled in. */
export type ResolvedLoraConfig = ResolvedConfig<LoraConfig>;

/** Check LoRA's options (defaults filled in). */
export function checkLoraOptions(o: ResolvedOptions<LoraConfig>, where: string): ResolvedOptions<LoraConfig> {
  return {
    r: checkPositiveInt(where, 'r', o.r),
    alpha: checkNumber(where, 'alpha', o.alpha),
    dropout: checkRate(where, 'dropout', o.dropout),
    rslora: checkBool(where, 'rslora', o.rslora),
    dora: checkBool(where, 'dora', o.dora),
    initWeights: checkBool(where, 'initWeights', o.initWeights),
    rankPattern: checkPatternMap(where, 'rankPattern', o.rankPattern, true),
    alphaPattern: checkPatternMap(where, 'alphaPattern', o.alphaPattern, false),
  };
}
