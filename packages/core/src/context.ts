// The forward context: what one forward pass collects besides its output — auxiliary losses
// (MoE load balance, z-loss, ACT ponder cost, TAPS sparsity) and statistics (expert load,
// halting depth) — and what it needs besides its input (train/eval mode, a seeded stream for
// dropout and routing noise). The trainer adds the weighted aux losses to the task loss.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from './random.js';

/** One auxiliary loss term. */
export interface AuxLoss {
  /** Name, e.g. "moe.load_balance" (several terms may share a name). */
  name: string;
  /** The unweighted scalar. */
  value: tf.Scalar;
  /** Its weight in the total loss. */
  weight: number;
}

/** Options of a {@link ForwardContext}. */
export interface ForwardContextOptions {
  /** Training mode (dropout, routing noise, capacity drops). Default: false. */
  training?: boolean;
  /** Seed of the context's random stream (dropout masks, router noise). Default: 0. */
  seed?: number;
  /** Collect statistics (kept tensors the caller must read and dispose). Default: false. */
  collectStats?: boolean;
}

/**
 * What a forward pass collects. Create one per step; aux losses live inside the step's
 * `tf.tidy`, statistics are kept past it (`tf.keep`) and are released by {@link disposeStats}.
 */
export class ForwardContext {
  /** Training mode. */
  readonly training: boolean;
  /** Whether modules should record statistics. */
  readonly collectStats: boolean;
  /** Random stream for dropout masks and router noise (reproducible per seed). */
  readonly rng: Rng;
  /** Aux losses added during the forward pass. */
  readonly auxLosses: AuxLoss[] = [];
  /** Statistics recorded during the forward pass, by name. */
  readonly stats = new Map<string, tf.Tensor | number>();

  constructor(options: ForwardContextOptions = {}) {
    this.training = options.training ?? false;
    this.collectStats = options.collectStats ?? false;
    this.rng = new Rng(options.seed ?? 0);
  }

  /** Record an auxiliary loss `weight · value`. */
  addAuxLoss(name: string, value: tf.Scalar, weight = 1): void {
    if (value.rank !== 0) throw new Error(`ForwardContext.addAuxLoss: "${name}" must be a scalar, got shape [${value.shape}]`);
    if (!Number.isFinite(weight)) throw new Error(`ForwardContext.addAuxLoss: weight=${weight} for "${name}" must be finite`);
    this.auxLosses.push({ name, value, weight });
  }

  /** Σ weight · value over the aux losses (a zero scalar when there are none). */
  totalAuxLoss(): tf.Scalar {
    if (this.auxLosses.length === 0) return tf.scalar(0);
    return tf.addN(this.auxLosses.map((a) => (a.weight === 1 ? a.value : tf.mul(a.value, a.weight)))) as tf.Scalar;
  }

  /**
   * Record a statistic when statistics are collected. Tensors are kept past the step's tidy;
   * a later value under the same name replaces (and disposes) the earlier one.
   */
  addStat(name: string, value: tf.Tensor | number): void {
    if (!this.collectStats) return;
    const old = this.stats.get(name);
    if (old instanceof tf.Tensor) old.dispose();
    this.stats.set(name, value instanceof tf.Tensor ? tf.keep(tf.clone(value)) : value);
  }

  /** Read every statistic (awaiting tensor data, never `dataSync`). */
  async readStats(): Promise<Record<string, number | number[]>> {
    const out: Record<string, number | number[]> = {};
    for (const [name, v] of this.stats) {
      if (typeof v === 'number') out[name] = v;
      else {
        const data = Array.from(await v.data());
        out[name] = v.rank === 0 ? data[0]! : data;
      }
    }
    return out;
  }

  /** Release the kept statistic tensors. */
  disposeStats(): void {
    for (const v of this.stats.values()) if (v instanceof tf.Tensor) v.dispose();
    this.stats.clear();
  }
}
