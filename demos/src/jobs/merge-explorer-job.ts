// The adapters page's merge explorer: three task LoRAs on the page's frozen base, each trained on the
// base task rotated by a different angle (½, 1 and 1½ times the page's rotation), then merged into one
// adapter by any method of @weft/sharing's merge registry (combineAdapters, Weft's ΔW-space merges)
// or by any of PEFT's add_weighted_adapter combination types (addWeightedAdapter, PEFT's per-factor
// semantics under PEFT's names), with per-task weights and the method's options; the merged model is scored on every task's held-out
// half. No UI here: the page trains the tasks as jobs of its TrainingController.
import * as tf from '@tensorflow/tfjs-core';
import {
  ForwardContext, MLPClassifier, Rng, accuracy, makeDataset, makeOptimizer, rotation, softmaxCrossEntropy, split, toTensors, train, type DatasetTensors, type TrainProgress,
  type TrainResult,
} from '@weft/core';
import {
  PEFT_COMBINATION_TYPES, addArrowRouter, addWeightedAdapter, adapterNames, combineAdapters, deleteAdapter, evolveMergeRecipe, injectAdapter, mergeMethod, mergeMethodNames, sensMergingWeights, setActiveAdapters,
  type PeftCombinationType,
} from '@weft/sharing';
import type { AdaptersLabConfig } from './adapters-job.js';
import { routedMerges, type RoutedMerges, type RoutedOptions } from './routed-merges.js';
import { TRANSFER_POINTS, transferRows, type TransferRow } from './transfer.js';

/** Number of task adapters the explorer merges. */
export const MERGE_TASKS = 3;

/** One merge's result: accuracy of the merged model on each task's held-out half, and their mean. */
export interface MergeOutcome {
  perTask: number[];
  average: number;
}

/** Arrow's zero-shot routing over the task LoRAs: its accuracy per task and where each task's points went. */
export interface ArrowOutcome extends MergeOutcome {
  /** Per adapted layer (its path in the model), per task k: the mean routing weight of each task LoRA over task k's held-out points. */
  layers: Array<{ path: string; load: number[][] }>;
}

/** One row of the all-methods table. */
export interface MergeRow extends MergeOutcome {
  method: string;
  label: string;
}

/** One merge the explorer offers: Weft's (a merge-registry method over ΔW) or PEFT's (an add_weighted_adapter combination type). */
export interface MergeChoice {
  /** The registry name, or "peft:" + PEFT's combination type. */
  name: string;
  label: string;
  /** Which family: Weft's ΔW-space merges (combineAdapters) or PEFT's add_weighted_adapter (addWeightedAdapter). */
  family: 'weft' | 'peft';
  /** The paper, or what PEFT's type does. */
  paper: string;
  /** Numeric options with their defaults (sliders). */
  options: Record<string, number>;
}

const PEFT_PREFIX = 'peft:';
/** The largest svd_rank PEFT's svd types can take on the explorer's MLP: its first and last layers are 2 wide. */
const PEFT_SVD_RANK = 2;

/** What each PEFT combination type does to the task LoRAs (PEFT 0.21's LoraModel.add_weighted_adapter). */
const PEFT_TYPE_ABOUT: Record<PeftCombinationType, string> = {
  svd: 'Σ wᵢ ΔWᵢ, re-factorised by SVD',
  linear: 'Σ √wᵢ·Aᵢ and Σ √wᵢ·Bᵢ, factor by factor (not Σ wᵢ ΔWᵢ: cross terms BᵢAⱼ enter)',
  cat: 'the weighted factors stacked along the rank: exactly Σ wᵢ ΔWᵢ, at the sum of the ranks',
  ties: 'TIES on each factor (trim to density, elect signs, disjoint mean)',
  ties_svd: 'TIES on the ΔWᵢ, re-factorised by SVD',
  dare_linear: 'DARE on each factor (drop at random, rescale by 1/density), weighted sum',
  dare_ties: 'DARE, then TIES sign election, on each factor',
  dare_linear_svd: 'DARE on the ΔWᵢ, weighted sum, re-factorised by SVD',
  dare_ties_svd: 'DARE and TIES on the ΔWᵢ, re-factorised by SVD',
  magnitude_prune: 'each factor pruned to density by magnitude, weighted sum',
  magnitude_prune_svd: 'the ΔWᵢ pruned to density by magnitude, weighted sum, re-factorised by SVD',
};

/** Weft's merge-registry methods, then PEFT's add_weighted_adapter combination types under PEFT's names. */
export function mergeChoices(): MergeChoice[] {
  const weft = mergeMethodNames().map((name): MergeChoice => {
    const m = mergeMethod(name);
    const options = Object.fromEntries(Object.entries(m.defaults as Record<string, unknown>).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    return { name, label: m.label, family: 'weft', paper: m.paper, options };
  });
  const peft = PEFT_COMBINATION_TYPES.map((type): MergeChoice => ({
    name: `${PEFT_PREFIX}${type}`,
    label: `PEFT ${type}`,
    family: 'peft',
    paper: `PEFT add_weighted_adapter(combination_type="${type}"): ${PEFT_TYPE_ABOUT[type]}${type.includes('svd') ? ` (svd_rank ${PEFT_SVD_RANK} or r if smaller: PEFT's one rank must fit the 2-wide first and last layers)` : ''}.`,
    options: ['svd', 'linear', 'cat'].includes(type) ? {} : { density: 0.5 },
  }));
  return [...weft, ...peft];
}

const MERGED = 'merged';
const ARROW = 'arrow';

/** The explorer: task data on the device once, task LoRAs named task1..task3 on the lab's base. */
export class MergeExplorer {
  /** Rotation of each task, degrees. */
  readonly angles: number[];
  readonly names = Array.from({ length: MERGE_TASKS }, (_, k) => `task${k + 1}`);
  private readonly data: Array<{ train: DatasetTensors; test: DatasetTensors }>;
  /** Tasks whose LoRA has trained to the end. */
  readonly trained = new Set<string>();
  private disposed = false;

  constructor(private readonly base: MLPClassifier, readonly config: AdaptersLabConfig) {
    const ds = makeDataset(config.dataset, { n: 600 }, config.seed + 100);
    this.angles = this.names.map((_, k) => Math.round((config.angle * (k + 1)) / 2));
    this.data = this.angles.map((a, k) => {
      const [tr, te] = split(rotation((a * Math.PI) / 180)(ds, 1), [0.5, 0.5], config.seed + 20 + k);
      return { train: toTensors(tr!), test: toTensors(te!) };
    });
  }

  /** Whether every task LoRA has trained. */
  get ready(): boolean {
    return this.trained.size === MERGE_TASKS;
  }

  /** Train task `k`'s LoRA (r as the page's, capped at 2 on the 2-wide layers) on its rotation. */
  async trainTask(k: number, steps: number, onProgress: (p: TrainProgress) => Promise<void> | void, signal?: AbortSignal): Promise<TrainResult> {
    const name = this.names[k]!;
    for (const n of [name, MERGED]) if (adapterNames(this.base).includes(n)) deleteAdapter(this.base, n);
    this.trained.delete(name);
    const r = this.config.r;
    injectAdapter(this.base, name, { method: 'lora', targets: 'layers\\.[0-9]+', r, alpha: 2 * r, rankPattern: { 'layers\\.(0|2)': Math.min(r, 2) } }, { rng: new Rng(this.config.seed + 31 + k) });
    setActiveAdapters(this.base, [name]);
    const rng = new Rng(this.config.seed + 41 + k);
    const d = this.data[k]!.train;
    const n = d.x.shape[0]!;
    const run = await train({
      model: this.base, steps, signal, reportEvery: Math.max(5, Math.floor(steps / 100)),
      optimizer: makeOptimizer({ name: 'adam', learningRate: 0.01 }),
      batch: () => tf.tidy(() => {
        const idx = tf.tensor1d(Int32Array.from({ length: 64 }, () => rng.int(n)), 'int32');
        return { x: tf.gather(d.x, idx), y: tf.gather(d.y, idx) };
      }),
      loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
      metrics: { accuracy: (logits, b) => accuracy(logits, b.y) },
      onProgress,
    });
    if (run.stoppedBy === 'done') this.trained.add(name);
    return run;
  }

  /** Accuracy of the base with its active adapters on every task's held-out half (or, for a recipe search, its training half). */
  private async score(part: 'test' | 'train' = 'test'): Promise<MergeOutcome> {
    const perTask: number[] = [];
    for (const d of this.data) {
      const a = tf.tidy(() => accuracy(this.base.call(d[part].x), d[part].y));
      perTask.push((await a.data())[0]!);
      a.dispose();
    }
    return { perTask, average: perTask.reduce((s, v) => s + v, 0) / perTask.length };
  }

  /** Each task's own LoRA on each task (row k: LoRA k), and the frozen base alone. */
  async references(): Promise<{ own: MergeOutcome[]; base: MergeOutcome }> {
    const own: MergeOutcome[] = [];
    for (const n of this.names) {
      setActiveAdapters(this.base, [n]);
      own.push(await this.score());
    }
    setActiveAdapters(this.base, []);
    return { own, base: await this.score() };
  }

  /** Merge the task LoRAs by `method` with per-task `weights` and the method's `options`, and score the result. */
  async merge(method: string, weights: number[], options: Record<string, number> = {}): Promise<MergeOutcome> {
    if (!this.ready) throw new Error('Train the task adapters first');
    if (adapterNames(this.base).includes(MERGED)) deleteAdapter(this.base, MERGED);
    if (method.startsWith(PEFT_PREFIX)) {
      // PEFT's semantics and names. PEFT's svd_rank is one rank for every layer and must fit the 2-wide
      // first and last layers: its default (the largest source rank, the page's r) may not, so it is min(r, 2).
      const type = method.slice(PEFT_PREFIX.length) as PeftCombinationType;
      const svd = type.includes('svd') ? { svdRank: Math.min(this.config.r, PEFT_SVD_RANK) } : {};
      await addWeightedAdapter(this.base, this.names, weights, MERGED, { combinationType: type, seed: this.config.seed, ...svd, ...options });
      return this.score();
    }
    // Full rank (the hidden width): the re-factorised merge holds every method's ΔW exactly.
    await combineAdapters(this.base, this.names, weights, MERGED, { method, rank: Math.max(...(this.base.config.hidden ?? [2])), seed: this.config.seed, ...options });
    return this.score();
  }

  /**
   * Arrow (library routing): a router over the task LoRAs on every adapted layer, built from their
   * ΔW alone (nothing trains), top-1 so that a layer's `…/load` statistic — the mean routing
   * weight per LoRA — is the share of points routed to each; read for each task's held-out points.
   */
  async arrow(): Promise<ArrowOutcome> {
    if (!this.ready) throw new Error('Train the task adapters first');
    for (const n of [ARROW, MERGED]) if (adapterNames(this.base).includes(n)) deleteAdapter(this.base, n);
    await addArrowRouter(this.base, ARROW, this.names, { topK: 1 });
    try {
      const byPath = new Map<string, number[][]>();
      for (const { test } of this.data) {
        const ctx = new ForwardContext({ collectStats: true, root: this.base });
        tf.tidy(() => void this.base.forward(test.x, ctx)); // only the statistics are kept
        const stats = await ctx.readStats();
        ctx.disposeStats();
        for (const [key, v] of Object.entries(stats)) {
          if (!key.endsWith('/load') || !Array.isArray(v)) continue;
          const path = key.slice(0, -'/load'.length);
          byPath.set(path, [...(byPath.get(path) ?? []), v]);
        }
      }
      const outcome = await this.score();
      return { ...outcome, layers: [...byPath].map(([path, load]) => ({ path, load })) };
    } finally {
      deleteAdapter(this.base, ARROW);
    }
  }

  /** Mediator and 1bit-Merging over the task LoRAs, routed by uncertainty (routed-merges.ts). */
  async routed(options: RoutedOptions): Promise<RoutedMerges> {
    if (!this.ready) throw new Error('Train the task adapters first');
    if (adapterNames(this.base).includes(MERGED)) deleteAdapter(this.base, MERGED);
    return routedMerges(this.base, this.names, this.data.map((d) => d.test), options);
  }

  /**
   * Compose the outer task LoRAs (½× and 1½× the angle) for the middle task (the page's own angle)
   * from its first {@link TRANSFER_POINTS} training points, `steps` steps each (transfer.ts).
   */
  async transfer(steps: number): Promise<TransferRow[]> {
    if (!this.ready) throw new Error('Train the task adapters first');
    if (adapterNames(this.base).includes(MERGED)) deleteAdapter(this.base, MERGED);
    const { train: all, test } = this.data[1]!;
    const few = { ...all, x: tf.slice(all.x, 0, TRANSFER_POINTS), y: tf.slice(all.y, 0, TRANSFER_POINTS) };
    try {
      return await transferRows(this.base, [this.names[0]!, this.names[2]!], few, test, steps, this.config.seed);
    } finally {
      tf.dispose([few.x, few.y]);
    }
  }

  /**
   * Every registered method at its defaults with `weights`: the same adapters, one row each; then the
   * two recipes over task arithmetic: Sens-Merging's layer-wise weights (sensitivity × cross-task
   * alignment on 128 training points per task) and an evolved per-layer recipe (scored on the
   * training halves: the explorer keeps no separate validation split).
   */
  async table(weights: number[]): Promise<MergeRow[]> {
    const rows: MergeRow[] = [];
    for (const c of mergeChoices()) rows.push({ method: c.name, label: c.label, ...(await this.merge(c.name, weights, c.options)) });
    const byLayers = async (layerWeights: Record<string, number[]>, part: 'test' | 'train' = 'test') => {
      if (adapterNames(this.base).includes(MERGED)) deleteAdapter(this.base, MERGED);
      await combineAdapters(this.base, this.names, weights, MERGED, { method: 'task-arithmetic', rank: Math.max(...(this.base.config.hidden ?? [2])), layerWeights });
      return this.score(part);
    };
    const calib = this.data.map((d) => ({ x: tf.slice(d.train.x, 0, 128), y: tf.slice(d.train.y, 0, 128) }));
    try {
      const sens = await sensMergingWeights(this.base, this.names, calib, (z, y) => softmaxCrossEntropy(z, y));
      const scaled = Object.fromEntries(Object.entries(sens.layerWeights).map(([p, w]) => [p, w.map((v, k) => v * weights[k]!)]));
      rows.push({ method: 'sens-merging', label: 'Sens-Merging (+ task arithmetic)', ...(await byLayers(scaled)) });
    } finally {
      tf.dispose(calib as unknown as tf.TensorContainer);
    }
    const layers = ['layers.0', 'layers.1', 'layers.2'];
    const evo = await evolveMergeRecipe(layers, weights, async (w) => (await byLayers(w, 'train')).average, { population: 6, parents: 2, generations: 4, seed: this.config.seed });
    rows.push({ method: 'evolutionary', label: 'Evolved recipe (+ task arithmetic)', ...(await byLayers(evo.layerWeights)) });
    return rows;
  }

  /** Free the task data (the adapters live on the lab's base and go with it). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.data as unknown as tf.TensorContainer);
  }
}
