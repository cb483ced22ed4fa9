// A Survey on Inference Optimization Techniques for Mixture of Experts Models (Liu et al., arXiv:2412.14219).
// The survey's trade-off on a trained toy model: test MSE against stored expert bytes and experts run
// per token for each model-level optimisation, and cache hit rates of expert offloading on the
// model's own routing trace.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, mse, resolveConfig } from '@weft/core';
import { checkInt, checkNumber } from '@weft/core/internal';
import { MoE } from '../moe.js';
import type { Regressor } from '../specialisation.js';
import { mergePlan } from './merge.js';
import { simulateExpertCache, type ExpertCacheResult } from './offload.js';
import { expertFlops, expertPlan, expertUsage, planBytes, planForward, planRouting, withThreshold, type ExpertPlan } from './plan.js';
import { prunePlan } from './prune.js';
import { quantisePlan } from './quantise.js';

/** Options of {@link inferenceOptimisationStudy}. */
export interface InferenceStudyOptions {
  /** Experts kept by pruning and groups kept by merging; null = half of E, rounded up. Default: null. */
  keep: number | null;
  /** Dynamic top-k threshold on the top gate. Default: 0.7. */
  threshold: number;
  /** Expert cache size C of the offloading simulation; null = half of E, rounded up. Default: null. */
  cacheSize: number | null;
}

/** Defaults of {@link InferenceStudyOptions}. */
export const INFERENCE_STUDY_DEFAULTS: InferenceStudyOptions = { keep: null, threshold: 0.7, cacheSize: null };

/** One optimisation's outcome. */
export interface InferenceStudyRow {
  /** What was done ('baseline', 'prune (frequency)', …). */
  name: string;
  /** Test MSE of the model with the edited layer. */
  mse: number;
  /** Stored bytes of the routed experts. */
  bytes: number;
  /** Mean experts a token runs. */
  expertsPerToken: number;
  /** Expert FLOPs per token (expertsPerToken · 4·d·h). */
  flopsPerToken: number;
}

/** Result of {@link inferenceOptimisationStudy}. */
export interface InferenceStudy {
  /** One row per optimisation, baseline first. */
  rows: InferenceStudyRow[];
  /** Offloading on the baseline's test routing trace (slot-major per token), per policy. */
  cache: { capacity: number; lru: ExpertCacheResult; lfu: ExpertCacheResult };
}

/** Each token's experts under plan `p` (stored slots, top choice first; dynamic top-k drops skipped ones). */
export async function routingTrace(moe: MoE, p: ExpertPlan, x: tf.Tensor2D): Promise<number[][]> {
  const { indices, gates } = planRouting(moe, p, x);
  const [idx, g] = await Promise.all([indices.data(), gates.data()]);
  tf.dispose([indices, gates]);
  const k = p.topK;
  return Array.from({ length: x.shape[0] }, (_, n) => {
    const row: number[] = [];
    for (let j = 0; j < k; j++) if (g[n * k + j]! > 0) row.push(p.slot[idx[n * k + j]!]!);
    return row;
  });
}

/**
 * Apply each optimisation to the MoE layer of a trained {@link Regressor} (`model.mid`), calibrated on
 * `calib` (N, in), and measure it on the test set: baseline, pruning by frequency and by gate mass,
 * merging, int8 and int4 weights, dynamic top-k; plus LRU/LFU expert caches on the test trace.
 */
export async function inferenceOptimisationStudy(
  model: Regressor, calib: tf.Tensor2D, test: { x: tf.Tensor2D; y: tf.Tensor }, options: Partial<InferenceStudyOptions> = {},
): Promise<InferenceStudy> {
  const who = 'inferenceOptimisationStudy';
  const o = resolveConfig(who, INFERENCE_STUDY_DEFAULTS, options);
  const moe = model.mid;
  if (!(moe instanceof MoE)) throw new Error(`${who}: model.mid must be an MoE layer, got ${moe.constructor.name}`);
  const e = moe.cfg.numExperts;
  const keep = o.keep === null ? Math.ceil(e / 2) : checkInt(who, 'keep', o.keep, 1, e);
  const capacity = o.cacheSize === null ? Math.ceil(e / 2) : checkInt(who, 'cacheSize', o.cacheSize, 1, e);
  checkNumber(who, 'threshold', o.threshold, 0, 1);
  const ctx = new ForwardContext({ training: false });
  const hidden = (x: tf.Tensor2D) => model.inp.forward(x, ctx) as tf.Tensor2D;
  const hCalib = tf.tidy(() => hidden(calib));
  const hTest = tf.tidy(() => hidden(test.x));
  const base = await expertPlan(moe);
  const usage = await expertUsage(moe, hCalib);
  const plans: Array<[string, ExpertPlan]> = [
    ['baseline', base],
    ['prune (frequency)', prunePlan(base, usage, { keep, by: 'frequency' })],
    ['prune (gate mass)', prunePlan(base, usage, { keep, by: 'gateMass' })],
    ['merge', mergePlan(base, usage, { groups: keep })],
    ['int8', quantisePlan(base, 8)],
    ['int4', quantisePlan(base, 4)],
    [`dynamic top-k (≥ ${o.threshold})`, withThreshold(base, o.threshold)],
  ];
  const rows: InferenceStudyRow[] = [];
  for (const [name, p] of plans) {
    const [loss, per] = tf.tidy(() => {
      const { y, expertsPerToken } = planForward(moe, p, hTest);
      return [mse(model.out.forward(tf.add(hTest, y), ctx), test.y), expertsPerToken];
    });
    const [l, k] = [(await loss.data())[0]!, (await per.data())[0]!];
    tf.dispose([loss, per]);
    rows.push({ name, mse: l, bytes: planBytes(p), expertsPerToken: k, flopsPerToken: k * expertFlops(p) });
  }
  const trace = await routingTrace(moe, base, hTest);
  const bytesPerExpert = planBytes(base) / e;
  const cache = {
    capacity,
    lru: simulateExpertCache(trace, { capacity, policy: 'lru', bytesPerExpert }),
    lfu: simulateExpertCache(trace, { capacity, policy: 'lfu', bytesPerExpert }),
  };
  tf.dispose([hCalib, hTest]);
  return { rows, cache };
}
