// How to Train Your Super-Net: An Analysis of Training Heuristics in Weight-Sharing NAS (arXiv
// 2003.04276) and Deeper Insights into Weight Sharing in NAS (arXiv 2001.01431): the super-net
// training heuristics those papers compare, as options of the single-path searches:
//  - a learning-rate schedule: linear warm-up over `warmupSteps`, then a constant rate or a cosine
//    (power) decay to `minLr` at `totalSteps` (sharpDARTS' cosine power annealing, exponent 1 = cosine);
//  - path sampling: 'uniform' (SPOS) or 'fair' (FairNAS' strict fairness, arXiv 1907.01845: every
//    choice of a decision is trained equally often). Departure: FairNAS trains the k paths of one
//    round in one step with summed gradients; here they are k consecutive steps (one permutation
//    of the choices per decision and round), and a layer past the sampled depth still counts.
// Batch-norm handling does not apply to the entangled spaces (their networks have no BN).
import { Rng, checkKnownKeys, configKeys, describeValue } from '@weft/core';
import { checkInt, checkNumber } from '@weft/core/internal';
import type { EntangledSpaceConfig, SubnetConfig } from '../entangled/space.js';
import { cosinePowerAnnealing } from './schedule.js';

/** A weight learning-rate schedule. */
export interface LrSchedule {
  /** Steps T of the whole run (the decay ends here). */
  totalSteps: number;
  /** Linear warm-up from 0 over the first steps. Default 0. */
  warmupSteps?: number;
  /** 'constant' after warm-up, or 'cosine' decay to `minLr` (cosine power annealing with `exponent`). Default 'cosine'. */
  decay?: 'constant' | 'cosine';
  /** Rate at step T of the cosine decay. Default 0. */
  minLr?: number;
  /** Exponent p of the cosine power annealing (1 = plain cosine; sharpDARTS uses 10). Default 1. */
  exponent?: number;
}

const LR_SCHEDULE_KEYS = configKeys<LrSchedule>({ totalSteps: true, warmupSteps: true, decay: true, minLr: true, exponent: true });

/** Check a schedule; throws naming the field. */
export function checkLrSchedule(where: string, s: LrSchedule): void {
  if (typeof s !== 'object' || s === null) throw new Error(`${where}: lrSchedule=${describeValue(s)} must be an object {totalSteps, warmupSteps?, decay?, minLr?, exponent?}`);
  checkKnownKeys(`${where}: lrSchedule`, s, LR_SCHEDULE_KEYS);
  checkInt(`${where}: lrSchedule`, 'totalSteps', s.totalSteps, 1);
  checkInt(`${where}: lrSchedule`, 'warmupSteps', s.warmupSteps ?? 0, 0, s.totalSteps);
  if (s.decay !== undefined && s.decay !== 'constant' && s.decay !== 'cosine') throw new Error(`${where}: lrSchedule.decay=${describeValue(s.decay)} must be 'constant' or 'cosine'`);
  checkNumber(`${where}: lrSchedule`, 'minLr', s.minLr ?? 0, 0);
  checkNumber(`${where}: lrSchedule`, 'exponent', s.exponent ?? 1, 1);
}

/** The rate of step `t` (from 0) for a peak rate `lr`: warm-up (t+1)/W·lr, then constant or the decay over the remaining steps. */
export function scheduledLr(t: number, lr: number, s: LrSchedule): number {
  const W = s.warmupSteps ?? 0;
  if (t < W) return (lr * (t + 1)) / W;
  if ((s.decay ?? 'cosine') === 'constant') return lr;
  const span = Math.max(1, s.totalSteps - W);
  return cosinePowerAnnealing(Math.min(t - W, span), { totalSteps: span, maxLr: lr, minLr: Math.min(s.minLr ?? 0, lr), exponent: s.exponent ?? 1 });
}

/** Path sampling of single-path supernet training. */
export type PathSampling = 'uniform' | 'fair';
/** The path samplings. */
export const PATH_SAMPLINGS: readonly PathSampling[] = ['uniform', 'fair'];

/**
 * FairNAS-style fair sampling of an entangled space: each decision (depth; each layer's width,
 * kernel and activation) deals its choices from a freshly shuffled deck, so over any k steps
 * (k = its number of choices) each choice comes up once.
 */
export class FairSubnetSampler {
  private readonly decks = new Map<string, number[]>();
  constructor(readonly space: EntangledSpaceConfig, private readonly rng: Rng) {}

  private deal(key: string, n: number): number {
    let deck = this.decks.get(key);
    if (!deck || deck.length === 0) {
      deck = Array.from(this.rng.permutation(n));
      this.decks.set(key, deck);
    }
    return deck.pop()!;
  }

  /** The next subnet. */
  next(): SubnetConfig {
    const s = this.space;
    const D = s.depthChoices.at(-1)!;
    const layer = <T>(name: string, choices: readonly T[]) => Array.from({ length: D }, (_, l) => choices[this.deal(`${name}${l}`, choices.length)]!);
    const cfg: SubnetConfig = { depth: s.depthChoices[this.deal('depth', s.depthChoices.length)]!, widths: layer('w', s.widthChoices) };
    if (s.kind === 'cnn') cfg.kernels = layer('k', s.kernelChoices);
    if (s.activationChoices.length > 1) cfg.activations = layer('a', s.activationChoices);
    return cfg;
  }
}
