// The forward context: what one forward pass collects besides its output — auxiliary losses
// (MoE load balance, z-loss, ACT ponder cost, TAPS sparsity) and statistics (expert load,
// halting depth) — and what it needs besides its input (train/eval mode, a seeded stream for
// dropout and routing noise). The trainer adds the weighted aux losses to the task loss.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from './random.js';
import { weightedSum } from './ops/weighted-sum.js';

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
  /**
   * The model being run. With it, {@link ForwardContext.keyOf} names a module's aux losses and
   * statistics by its path in the model (`blocks.1.ffn`), so two layers of one kind never overwrite
   * each other's. The trainer passes its model. Default: none (modules use their own names).
   */
  root?: object;
}

/** What {@link ForwardContext.keyOf} needs of a module tree (core's Module has it). */
interface ModuleTree {
  namedModules(): Array<[string, object]>;
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
  private readonly root: object | undefined;
  private paths: Map<object, string> | undefined;
  private readonly fallbackKeys = new Map<object, string>();

  constructor(options: ForwardContextOptions = {}) {
    this.training = options.training ?? false;
    this.collectStats = options.collectStats ?? false;
    this.rng = new Rng(options.seed ?? 0);
    this.root = options.root;
  }

  /**
   * The prefix under which `module` records its aux losses and statistics: `name` when the module
   * was given one explicitly, else its path in the context's `root` model (the first path, for a
   * module used in several places; `model` for the root itself), else `defaultName` — with `#2`,
   * `#3`, … for further modules of this pass that fall back to the same default name.
   */
  keyOf(module: object, defaultName: string, name?: string): string {
    if (name !== undefined) return name;
    if (this.root !== undefined && typeof (this.root as Partial<ModuleTree>).namedModules === 'function') {
      if (!this.paths) {
        this.paths = new Map([[this.root, 'model']]);
        for (const [path, m] of (this.root as ModuleTree).namedModules()) if (!this.paths.has(m)) this.paths.set(m, path);
      }
      const path = this.paths.get(module);
      if (path !== undefined) return path;
    }
    let key = this.fallbackKeys.get(module);
    if (key === undefined) {
      const taken = new Set(this.fallbackKeys.values());
      key = defaultName;
      for (let i = 2; taken.has(key); i++) key = `${defaultName}#${i}`;
      this.fallbackKeys.set(module, key);
    }
    return key;
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
    return weightedSum(this.auxLosses.map((a) => a.value), this.auxLosses.map((a) => a.weight));
  }

  /** `task` + Σ weight · value over the aux losses: the loss a step differentiates (one kernel each way on cpu and wasm). */
  withAuxLosses(task: tf.Scalar): tf.Scalar {
    return weightedSum([task, ...this.auxLosses.map((a) => a.value)], [1, ...this.auxLosses.map((a) => a.weight)]);
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
