// Shared-hypernetwork adapters: Parameter-efficient Multi-task Fine-tuning for Transformers via
// Shared Hypernetworks (HyperFormer, arXiv:2106.04489); Multilingual Machine Translation with
// Hyper-Adapters (arXiv:2205.10835).
import type { AdapterConfigBase } from '../config.js';
import { checkPositiveInteger } from '../config.js';
import type { TargetPattern } from '../tree.js';

/** Config of a hypernetwork adapter. */
export interface HyperConfig extends Omit<AdapterConfigBase, 'rankPattern' | 'alphaPattern'> {
  method: 'hyper';
  /** Number of tasks (a learned embedding each). Default: 2. */
  tasks?: number;
  /** Task embedding width. Default: 8. */
  taskDim?: number;
  /** Layer embedding width. Default: 8. */
  layerDim?: number;
  /** Hidden width of the hypernetwork's projection of [task; layer]. Default: 16. */
  hidden?: number;
  /** Rank r of the generated LoRA factors A [in, r], B [r, out]. Default: 2. */
  r?: number;
}

/** A hypernetwork config with defaults filled in. */
export type ResolvedHyperConfig = Required<Omit<HyperConfig, 'exclude'>> & { exclude: TargetPattern | null };

/** Fill defaults and check. */
export function resolveHyperConfig(c: HyperConfig): ResolvedHyperConfig {
  const fn = 'Hypernetwork adapter config';
  return {
    method: 'hyper',
    targets: c.targets,
    exclude: c.exclude ?? null,
    tasks: checkPositiveInteger(fn, 'tasks', c.tasks ?? 2),
    taskDim: checkPositiveInteger(fn, 'taskDim', c.taskDim ?? 8),
    layerDim: checkPositiveInteger(fn, 'layerDim', c.layerDim ?? 8),
    hidden: checkPositiveInteger(fn, 'hidden', c.hidden ?? 16),
    r: checkPositiveInteger(fn, 'r', c.r ?? 2),
  };
}
