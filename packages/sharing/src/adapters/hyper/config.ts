// Shared-hypernetwork adapters: Parameter-efficient Multi-task Fine-tuning for Transformers via
// Shared Hypernetworks (HyperFormer, arXiv:2106.04489); Multilingual Machine Translation with
// Hyper-Adapters (arXiv:2205.10835). The config, its defaults and their checks.
import { checkOneOf, checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase, ResolvedConfig, ResolvedOptions } from '../config.js';

/** Config of a hypernetwork adapter. */
export interface HyperConfig extends AdapterConfigBase {
  method: 'hyper';
  /** Number of tasks (a learned embedding each). Default: 2. */
  tasks?: number;
  /** Task embedding width. Default: 8. */
  taskDim?: number;
  /** Layer embedding width. Default: 8. */
  layerDim?: number;
  /** Hidden width of the hypernetwork's projection of [task; layer]. Default: 16. */
  hidden?: number;
  /** Rank r of the generated LoRA factors A [fanIn, r], B [r, out]; with form "bottleneck", the bottleneck width. Default: 2. */
  r?: number;
  /**
   * What the hypernetwork generates: "lora" (ΔW = A B, mergeable) or "bottleneck" (HyperFormer's
   * adapter on the layer output, y + ReLU(y D) U with D [out, r], U [r, out]; not mergeable). Default: "lora".
   */
  form?: 'lora' | 'bottleneck';
}

declare module '../registry.js' {
  interface AdapterConfigs {
    /** The config of method "hyper". */
    hyper: HyperConfig;
  }
}

/** The hypernetwork adapter's defaults. */
export const HYPER_DEFAULTS: Readonly<ResolvedOptions<HyperConfig>> = { tasks: 2, taskDim: 8, layerDim: 8, hidden: 16, r: 2, form: 'lora' };

/** A hypernetwork config with defaults filled in. */
export type ResolvedHyperConfig = ResolvedConfig<HyperConfig>;

/** Check the hypernetwork adapter's options (defaults filled in). */
export function checkHyperOptions(o: ResolvedOptions<HyperConfig>, where: string): ResolvedOptions<HyperConfig> {
  checkOneOf(where, 'form', o.form, ['lora', 'bottleneck'] as const);
  return {
    tasks: checkPositiveInt(where, 'tasks', o.tasks),
    taskDim: checkPositiveInt(where, 'taskDim', o.taskDim),
    layerDim: checkPositiveInt(where, 'layerDim', o.layerDim),
    hidden: checkPositiveInt(where, 'hidden', o.hidden),
    r: checkPositiveInt(where, 'r', o.r),
    form: o.form,
  };
}

/** Parameters of the hypernetwork shared by every layer of shape in → out (see layer.ts's makeHyperNet); a bottleneck's factors are [out, r] and [r, out]. */
export function hyperNetParams(c: ResolvedOptions<HyperConfig>, inF: number, outF: number): number {
  const { tasks, taskDim, layerDim, hidden: h, r } = c;
  if (c.form === 'bottleneck') inF = outF;
  // taskEmb [T, dt], proj [dt + dl, h], projBias [h], headA [h, in·r], biasA [in·r], headB [h, r·out]
  return tasks * taskDim + (taskDim + layerDim) * h + h + h * inF * r + inF * r + h * r * outF;
}
