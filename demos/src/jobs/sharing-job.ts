// The training job of sharing.html: a shared model and its unshared baseline (same depth and
// width, every slot its own weights) trained side by side — each step trains both on the same
// batch — on 3-arm spirals (MLP stacks, hashed MLPs) or on sorting 5 tokens (tiny Transformers).
// It lives in the page's worker (../workers/sharing-worker.ts); `describe`, `predictFields`,
// `samples`, `growthNow` and `depths` answer the page in plain data.
import * as tf from '@tensorflow/tfjs-core';
import {
  ForwardContext, IGNORE_INDEX, MLPClassifier, Rng, TinyTransformer, accuracy, batchIndices, makeOptimizer, moons, parameterLedger, shapes, softmaxCrossEntropy, sortTask, spirals, train,
  type Dataset, type Ledger, type Module, type TrainResult,
} from '@weft/core';
import {
  BankLinear, HashedLinear, HashedMLPClassifier, MixtureOfRecursions, PfCNN, RecurrentBlock, ShapeshifterMLP, SharedMLPClassifier, blockImportance, foldPlan, foldTransformer, planSlots, sharedTransformer, type SharingPlan,
} from '@weft/sharing';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import { extentOf, type Extent, type LabelledPoints, type ProbabilityField } from '../plane.js';
import { probabilityField } from './probability-field.js';
import { setLearningRate } from './learning-rate.js';
import { isHashed, planFields, type SharingState } from '../pages/sharing-state.js';
import { PAGE_TECHNIQUES, isTechnique, type PageTechnique, type TechniqueInput } from '../pages/sharing-techniques.js';

/** The plan a state describes (cross-layer choices only): the page's K and Map fields set the options {@link planFields} names. */
export function planOf(s: SharingState): SharingPlan {
  const fields = planFields(s.sharing);
  return {
    name: s.sharing,
    ...(fields.size ? { [fields.size]: s.unique } : {}),
    ...(fields.map ? { [fields.map]: [...s.map] } : {}),
  };
}

/** The slot → block map of a state's plan (throws the library's error for a bad plan). */
export function slotsOf(s: SharingState): number[] {
  return planSlots(planOf(s), s.depth);
}

const BATCH = 64;
/** Sequences of the per-token depth heatmap (the first ones of the data set, the same at every refresh). */
const DEPTH_PROBE = 12;

/** What the page draws of a job besides its curves, in plain data (it crosses from the worker). */
export interface SharingJobInfo {
  /** 'mlp', 'transformer', 'cnn' or 'diffusion'. */
  model: SharingJob['model'];
  /** Ledgers of both models at build time. */
  ledgers: { shared: Ledger; baseline: Ledger };
  /** MLP: the training points and the plotted plane; null otherwise. */
  plane: { points: LabelledPoints; extent: Extent } | null;
  /** What the plan card draws besides a slot diagram (see {@link SharingPicture}). */
  picture: SharingPicture;
}

/** The plan card's picture of a model that has no slot map: hashed layers or a parameter bank (virtual weights of each layer, stored values), or two CNNs' multiply-adds. */
export type SharingPicture =
  | { kind: 'memory'; layers: number[]; memory: number; note?: string }
  | { kind: 'flops'; shared: number; baseline: number }
  | null;

/** Expert usage of the shared model's MoE layers on the probe sequences (MoEUT, Megrez2). */
export interface ExpertLoads {
  /** Each MoE layer's statistic name (its path in the model). */
  layers: string[];
  /** Per layer, the share of its routed (token, expert) pairs each expert took (sums to 1). */
  loads: number[][];
  /** Tokens in the probe. */
  tokens: number;
}

/** FoldGPT's cut of the parent (plain data): what the gates scored, what each model kept, and what that stores. */
export interface FoldReport {
  /** The step the fold happened at (the first report from the technique's fold step on). */
  step: number;
  /** Gate-training steps that scored the blocks. */
  gateSteps: number;
  /** |gate| of each parent block after gate training. */
  importance: number[];
  /** The fold: parent indices of the kept blocks, ascending, and each one's group. */
  folded: { kept: number[]; group: number[] };
  /** Parent indices of the blocks pruning alone keeps (one per group, the most important). */
  pruned: number[];
  /** Stored parameters of the parent, the fold and pruning alone (their ledgers' totals). */
  stored: { parent: number; folded: number; pruned: number };
  /** Token accuracy on the first {@link FOLD_PROBE} sequences right after the cut, before fine-tuning. */
  probe: { sequences: number; parent: number; folded: number; pruned: number };
  /** Ledgers of the fold (shared) and pruning alone (baseline). */
  ledgers: { shared: Ledger; baseline: Ledger };
}

/** Sequences FoldGPT's before-fine-tuning accuracies are measured on. */
export const FOLD_PROBE = 256;

/** Each token's depth in the probe sequences (ACT halting steps, MoR recursions), row-major (sequence, position). */
export interface TokenDepths {
  /** The probe's token ids, [rows × cols]. */
  tokens: number[];
  /** Depth of each token, [rows × cols]. */
  depth: number[];
  /** Sequences. */
  rows: number;
  /** Positions per sequence. */
  cols: number;
  /** The deepest a token can go. */
  max: number;
  /** The separator's token id (sort task: between the string and its sorted answer). */
  sep: number;
  /** The shared model's ledger, its block counted once per mean applied depth of the probe. */
  ledger: Ledger;
  /**
   * MoR only: K/V entries one sequence of `cols` tokens caches for the shared block, summed over the
   * model's MoR modules (MixtureOfRecursions.kvEntries): with recursion-wise caching (the model's own
   * mode), with K/V shared from the first recursion, and in a plain recursive model (every token at
   * every recursion). Null for ACT.
   */
  kv: { recursionWise: number; shared: number; plain: number } | null;
}

/** Two models, one batch stream, one step trains both. */
export class SharingJob implements TrainingJob {
  readonly totalSteps: number;
  /** The shared model. */
  shared: Module;
  /** The unshared baseline. */
  baseline: Module;
  /** 'mlp' (spirals), 'transformer' (sort), 'cnn' (8×8 shapes) or 'diffusion' (generating two moons). */
  readonly model: 'mlp' | 'transformer' | 'cnn' | 'diffusion';
  /** The data (plain arrays). */
  readonly dataset: Dataset;
  private readonly x: tf.Tensor;
  private readonly y: tf.Tensor;
  /** The technique of the page's table (MobiLlama, Megrez2, …), or null for a plan or hashed method. */
  readonly technique: PageTechnique | null;
  /** The fields the technique's models were built from (null for a plan or hashed method). */
  private readonly input: TechniqueInput | null = null;
  /** Growth events so far (TokenFormer): the step and what changed. */
  readonly growth: Array<{ step: number; label: string }> = [];
  private stepsDone = 0;
  /** FoldGPT's cut, once it happened (null before, and for the other techniques). */
  foldReport: FoldReport | null = null;
  /** After a growth (or FoldGPT's cut, `both` models): the restarted optimizer's learning rate ramps up to `lr` over `steps` steps from `from`. */
  private warmup: { from: number; steps: number; lr: number; both?: boolean } | null = null;
  /** The diffusion noise stream (DiT-Air). */
  private readonly noise: Rng;
  private optS: tf.Optimizer;
  private optB: tf.Optimizer;
  private readonly order: Generator<Int32Array>;
  private planeCache: { points: LabelledPoints; extent: Extent } | null = null;
  private disposed = false;

  constructor(readonly state: SharingState) {
    this.totalSteps = state.steps;
    const hashed = isHashed(state.sharing);
    this.technique = isTechnique(state.sharing) ? PAGE_TECHNIQUES[state.sharing]! : null;
    this.model = hashed ? 'mlp' : (this.technique?.model ?? state.model);
    const rng = new Rng(state.seed);
    const W = state.width;
    const L = state.depth;
    if (this.technique) {
      this.dataset =
        this.model === 'mlp' ? spirals({ n: 900, arms: 3, turns: 1.25, noise: 0.04 }, state.seed)
        : this.model === 'diffusion' ? moons({ n: 1000, noise: 0.05 }, state.seed)
        : this.model === 'cnn' ? shapes({ n: 900 }, state.seed)
        : sortTask({ n: 2000, length: 5, vocabSize: 6 }, state.seed);
      this.input = { depth: L, width: W, unique: state.unique, compression: state.compression, vocabSize: this.dataset.vocabSize ?? 0, maxLen: 10 };
      const built = this.technique.build(this.input, rng);
      this.shared = built.shared;
      this.baseline = built.baseline;
    } else if (this.model === 'mlp') {
      this.dataset = spirals({ n: 900, arms: 3, turns: 1.25, noise: 0.04 }, state.seed);
      if (hashed) {
        const hidden = Array.from({ length: L }, () => W);
        this.shared = new HashedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden, method: state.sharing as 'roast' | 'stable-rps', compression: state.compression, scope: 'layer' }, rng.fork('shared'));
        this.baseline = new MLPClassifier({ inFeatures: 2, numClasses: 3, hidden }, rng.fork('baseline'));
      } else {
        const hidden = Array.from({ length: L + 1 }, () => W);
        this.shared = new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden, plan: planOf(state) }, rng.fork('shared'));
        this.baseline = new SharedMLPClassifier({ inFeatures: 2, numClasses: 3, hidden, plan: 'none' }, rng.fork('baseline'));
      }
    } else {
      this.dataset = sortTask({ n: 2000, length: 5, vocabSize: 6 }, state.seed);
      const numHeads = W % 4 === 0 ? 4 : W % 2 === 0 ? 2 : 1;
      const cfg = { vocabSize: this.dataset.vocabSize!, maxLen: 10, dim: W, depth: L, numHeads };
      this.shared = sharedTransformer({ ...cfg, plan: planOf(state) }, rng.fork('shared'));
      this.baseline = new TinyTransformer(cfg, rng.fork('baseline'));
    }
    const n = this.dataset.xShape[0]!;
    const dtype = this.dataset.x instanceof Int32Array ? 'int32' : 'float32';
    this.x = tf.tensor(this.dataset.x, this.dataset.xShape, dtype);
    this.y = tf.tensor(this.dataset.y, this.dataset.yShape, 'int32');
    this.optS = makeOptimizer({ name: 'adam', learningRate: state.lr });
    this.optB = makeOptimizer({ name: 'adam', learningRate: state.lr });
    this.order = batchIndices(n, BATCH, { rng: rng.fork('batches'), epochs: Infinity });
    this.noise = rng.fork('noise');
  }

  /** MLP: the training points and the plotted plane, for the decision boundaries (null for the Transformer). */
  get plane(): { points: LabelledPoints; extent: Extent } | null {
    if (this.model !== 'mlp') return null;
    this.planeCache ??= (() => {
      const x = this.dataset.x as Float32Array;
      return { points: { x, y: this.dataset.y as Int32Array, numClasses: this.dataset.numClasses! }, extent: extentOf(x) };
    })();
    return this.planeCache;
  }

  /** Diffusion: `n` points drawn by each model (reverse diffusion from seeded noise, one readback each), beside the data; null otherwise. */
  async samples(n = 300): Promise<{ data: Float32Array; shared: Float32Array; baseline: Float32Array } | null> {
    const gen = this.technique?.generate;
    if (!gen) return null;
    const seed = new Rng(this.state.seed).fork('samples');
    const shared = await gen.sample(this.shared, n, seed.fork('shared'));
    const baseline = await gen.sample(this.baseline, n, seed.fork('baseline'));
    return { data: (this.dataset.x as Float32Array).slice(0, 2 * n), shared, baseline };
  }

  /** MLP: both models' class probabilities over the plane (two forwards, two readbacks); null for the Transformer. */
  async predictFields(resolution = 56): Promise<{ shared: ProbabilityField; baseline: ProbabilityField } | null> {
    const plane = this.plane;
    if (!plane) return null;
    const shared = await probabilityField(this.shared as Module<tf.Tensor, tf.Tensor>, plane.extent, resolution);
    const baseline = await probabilityField(this.baseline as Module<tf.Tensor, tf.Tensor>, plane.extent, resolution);
    return { shared, baseline };
  }

  /** Use learning rate `lr` for both models from the next step on (live, mid-run included). */
  setLearningRate(lr: number): void {
    if (this.warmup) this.warmup.lr = lr;
    setLearningRate(this.optS, lr);
    setLearningRate(this.optB, lr);
  }

  /** Ledgers of both models. */
  ledgers(): { shared: Ledger; baseline: Ledger } {
    return { shared: parameterLedger(this.shared), baseline: parameterLedger(this.baseline) };
  }

  /** The shared model's ledger. */
  ledger(): Ledger {
    return parameterLedger(this.shared);
  }

  /** What the page draws of this job besides its curves (plain data). */
  describe(): SharingJobInfo {
    return { model: this.model, ledgers: this.ledgers(), plane: this.plane, picture: this.picture() };
  }

  /** Growth events so far (TokenFormer) and both ledgers as they are now. */
  growthNow(): { growth: Array<{ step: number; label: string }>; ledgers: { shared: Ledger; baseline: Ledger } } {
    return { growth: this.growth.map((g) => ({ ...g })), ledgers: this.ledgers() };
  }

  /** Hashed layers or a bank: virtual weights per layer and the values stored; parameter-free CNNs: multiply-adds of both. */
  private picture(): SharingPicture {
    const m = this.shared;
    if (m instanceof ShapeshifterMLP) {
      const layers = m.modules().filter((l): l is BankLinear => l instanceof BankLinear);
      return { kind: 'memory', layers: layers.map((l) => l.cfg.inFeatures * l.cfg.outFeatures), memory: m.bank.cfg.size, note: 'one bank for all layers' };
    }
    if (m instanceof PfCNN && this.baseline instanceof PfCNN) return { kind: 'flops', shared: m.flops(), baseline: this.baseline.flops() };
    const hashed = m.modules().filter((l): l is HashedLinear => l instanceof HashedLinear);
    if (hashed.length) return { kind: 'memory', layers: hashed.map((l) => l.virtualSize), memory: hashed.reduce((a, l) => a + l.memory.config.size, 0) };
    return null;
  }

  /**
   * ACT / MoR: each token's depth in the first {@link DEPTH_PROBE} sequences (one forward pass of
   * the shared model, one readback); the recurrent module is told the probe's mean depth, so the
   * returned ledger counts its block once per application. Null for the other techniques.
   */
  async depths(): Promise<TokenDepths | null> {
    const d = this.technique?.depth;
    if (!d || this.model !== 'transformer') return null;
    const [N, T] = this.dataset.xShape as [number, number];
    const rows = Math.min(DEPTH_PROBE, N);
    const ctx = new ForwardContext({ collectStats: true, root: this.shared });
    tf.tidy(() => void this.shared.forward(tf.slice(this.x, [0, 0], [rows, T]), ctx)); // (rows, T) -> logits
    const stat = ctx.stats.get(d.stat);
    if (!(stat instanceof tf.Tensor)) {
      ctx.disposeStats();
      throw new Error(`sharing job: the shared model recorded no "${d.stat}" statistic`);
    }
    const depth = Array.from(await stat.data()); // (rows, T) flat
    ctx.disposeStats();
    const mean = depth.reduce((a, v) => a + v, 0) / depth.length;
    for (const m of this.shared.modules()) if (m instanceof RecurrentBlock || m instanceof MixtureOfRecursions) m.observeDepth(mean);
    const mor = this.shared.modules().filter((m): m is MixtureOfRecursions => m instanceof MixtureOfRecursions);
    const kv = mor.length === 0 ? null : {
      recursionWise: mor.reduce((a, m) => a + m.kvEntries(T), 0),
      // Shared: the first recursion's tokens write the K/V every later recursion reads.
      shared: mor.reduce((a, m) => a + (m.settings.routing === 'expert-choice' ? m.keptPerStep(T)[0]! : T), 0),
      plain: mor.reduce((a, m) => a + T * m.settings.maxRecursions, 0),
    };
    return {
      tokens: Array.from((this.dataset.x as Int32Array).subarray(0, rows * T)),
      depth, rows, cols: T, max: d.max(this.input!), sep: Number(this.dataset.meta?.sep ?? -1), ledger: this.ledger(), kv,
    };
  }

  /**
   * MoE techniques (MoEUT, Megrez2): each MoE layer's expert loads (the `.load` statistics) on the
   * first {@link DEPTH_PROBE} sequences, one forward pass of the shared model. A layer object used in
   * several slots (MoEUT's cycled group) reports its last slot. Null for the other techniques.
   */
  async expertLoads(): Promise<ExpertLoads | null> {
    if (!this.technique?.experts || this.model !== 'transformer') return null;
    const [N, T] = this.dataset.xShape as [number, number];
    const rows = Math.min(DEPTH_PROBE, N);
    const ctx = new ForwardContext({ collectStats: true, root: this.shared });
    tf.tidy(() => void this.shared.forward(tf.slice(this.x, [0, 0], [rows, T]), ctx)); // (rows, T) -> logits
    const layers: string[] = [];
    const loads: number[][] = [];
    for (const [name, v] of ctx.stats) {
      if (!name.endsWith('.load') || !(v instanceof tf.Tensor)) continue;
      layers.push(name.slice(0, -'.load'.length));
      loads.push(Array.from(await v.data()));
    }
    ctx.disposeStats();
    if (layers.length === 0) throw new Error('sharing job: the shared model recorded no ".load" statistic (no MoE layer ran)');
    return { layers, loads, tokens: rows * T };
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) throw new Error('SharingJob: run() after dispose()');
    const ignore = this.model === 'transformer' ? IGNORE_INDEX : undefined;
    const gen = this.technique?.generate;
    const lossOf = (m: Module, b: { x: tf.Tensor; y: tf.Tensor }, keep: Record<string, tf.Scalar>, prefix: string) => {
      if (gen) return gen.loss(m, b.x, this.noise); // the denoising loss: no accuracy
      // The model's aux losses (ACT's ponder cost, MoR's router loss, Megrez2's balance) join the task loss.
      const ctx = new ForwardContext({ training: true, seed: this.stepsDone, root: m });
      const out = m.forward(b.x, ctx);
      keep[`${prefix}accuracy`] = tf.keep(accuracy(out, b.y, ignore));
      return tf.add(softmaxCrossEntropy(out, b.y, ignore === undefined ? {} : { ignoreIndex: ignore }), ctx.totalAuxLoss()) as tf.Scalar;
    };
    const fold = this.technique?.fold;
    return train({
      steps: segment.steps,
      reportEvery: Math.max(5, Math.round(this.totalSteps / 150)),
      batch: () => this.batch(),
      step: (b) => {
        this.maybeGrow();
        const metrics: Record<string, tf.Scalar> = {};
        this.shared.train();
        this.baseline.train();
        const loss = this.optS.minimize(() => lossOf(this.shared, b, metrics, ''), true, this.shared.trainableParameters())!;
        if (this.baseline === this.shared) {
          // FoldGPT before its cut: one parent, trained once; both curves are its.
          metrics.baseline_loss = tf.keep(tf.clone(loss));
          if (metrics.accuracy) metrics.baseline_accuracy = tf.keep(tf.clone(metrics.accuracy));
          return { loss, metrics };
        }
        const lossB = this.optB.minimize(() => lossOf(this.baseline, b, metrics, 'baseline_'), true, this.baseline.trainableParameters())!;
        metrics.baseline_loss = lossB;
        return { loss, metrics };
      },
      onProgress: fold
        ? async (p) => {
            if (!this.foldReport && this.stepsDone >= fold.at(this.totalSteps)) await this.foldNow();
            await segment.onProgress?.(p);
          }
        : segment.onProgress,
      signal: segment.signal,
      seed: segment.fromStep,
    });
  }

  /** A training batch: the next indices of the seeded order. */
  private batch(): { x: tf.Tensor; y: tf.Tensor } {
    const idx = tf.tensor1d(this.order.next().value!, 'int32'); // (B,)
    const out = { x: tf.gather(this.x, idx), y: tf.gather(this.y, idx) };
    idx.dispose();
    return out;
  }

  /**
   * FoldGPT's cut: score the parent's blocks by gates (the library's blockImportance on the job's
   * batches), then the shared model becomes the fold and the baseline pruning alone (both copies;
   * the parent is freed), each with a fresh Adam whose learning rate ramps up as after a growth
   * (a fresh Adam's first steps move every weight by about the learning rate).
   */
  private async foldNow(): Promise<void> {
    const f = this.technique!.fold!;
    const parent = this.shared as TinyTransformer;
    const keep = f.keep(this.input!);
    const groups = Math.min(f.groups(this.input!), keep);
    const importance = await blockImportance(
      parent,
      { batch: () => this.batch(), loss: (o, b) => softmaxCrossEntropy(o, b.y, { ignoreIndex: IGNORE_INDEX }) },
      { steps: f.gateSteps },
    );
    const folded = foldTransformer(parent, importance, { keep, groups });
    const pruned = foldTransformer(parent, importance, { keep: groups, groups });
    const [N, T] = this.dataset.xShape as [number, number];
    const rows = Math.min(FOLD_PROBE, N);
    const probeAcc = async (m: Module) => {
      m.eval();
      const acc = tf.tidy(() => accuracy((m as Module<tf.Tensor, tf.Tensor>).call(tf.slice(this.x, [0, 0], [rows, T])), tf.slice(this.y, [0, 0], [rows, T]), IGNORE_INDEX)); // (rows, T) -> scalar
      const v = (await acc.data())[0]!;
      acc.dispose();
      return v;
    };
    const probe = { sequences: rows, parent: await probeAcc(parent), folded: await probeAcc(folded), pruned: await probeAcc(pruned) };
    const storedParent = parameterLedger(parent).totals.stored;
    const lr = (this.optS as unknown as { learningRate: number }).learningRate;
    parent.dispose();
    this.optS.dispose();
    this.optB.dispose();
    this.warmup = { from: this.stepsDone, steps: Math.max(5, Math.round(this.totalSteps / 20)), lr, both: true };
    this.optS = makeOptimizer({ name: 'adam', learningRate: lr / this.warmup.steps });
    this.optB = makeOptimizer({ name: 'adam', learningRate: lr / this.warmup.steps });
    this.shared = folded;
    this.baseline = pruned;
    const ledgers = this.ledgers();
    this.foldReport = {
      step: this.stepsDone, gateSteps: f.gateSteps, importance,
      folded: foldPlan(importance, { keep, groups }), pruned: foldPlan(importance, { keep: groups, groups }).kept,
      stored: { parent: storedParent, folded: ledgers.shared.totals.stored, pruned: ledgers.baseline.totals.stored },
      probe, ledgers,
    };
  }

  /** Grow the shared model at the technique's step (TokenFormer); its optimizer restarts with the new variables, at the same learning rate. */
  private maybeGrow(): void {
    const grow = this.technique?.grow;
    const step = this.stepsDone++;
    const w = this.warmup;
    if (w && step - w.from < w.steps) {
      setLearningRate(this.optS, (w.lr * (step - w.from + 1)) / w.steps);
      if (w.both) setLearningRate(this.optB, (w.lr * (step - w.from + 1)) / w.steps);
    }
    if (!grow || this.growth.length > 0 || step !== grow.at(this.totalSteps)) return;
    const label = grow.apply(this.shared);
    const lr = (this.optS as unknown as { learningRate: number }).learningRate;
    this.optS.dispose();
    // A fresh Adam's first steps move every weight by about the learning rate: ramp it up again.
    this.warmup = { from: step, steps: Math.max(5, Math.round(this.totalSteps / 20)), lr };
    this.optS = makeOptimizer({ name: 'adam', learningRate: lr / this.warmup.steps });
    this.growth.push({ step, label });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.shared.dispose();
    if (this.baseline !== this.shared) this.baseline.dispose(); // FoldGPT's parent is both before its cut
    this.optS.dispose();
    this.optB.dispose();
    tf.dispose([this.x, this.y]);
  }
}
