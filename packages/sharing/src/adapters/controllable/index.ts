// Efficient Controllable Multi-Task Architectures (arXiv:2308.11744): a shared encoder and one decoder
// per task, all slimmable — a width fraction uses the first units of every hidden layer (weights
// shared across widths) — trained with the sandwich rule (largest, smallest and a random width
// configuration each step) and Configuration-Invariant Knowledge Distillation (the encoder's features
// at a sub-width match the full width's first units, the teacher detached). At run time a search picks
// the encoder and decoder widths that maximise the preference-weighted task scores within a compute
// budget, without retraining. Departures: MLP encoder and decoders, not the paper's CNN backbones;
// the search is exhaustive over the width grid (the paper's rule: more budget to preferred tasks).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, Rng, checkKnownKeys, configKeys, describeValue } from '@weft/core';
import { checkInt, checkPositiveInt } from '@weft/core/internal';
import { detach } from '../base-op.js';

/** Config of {@link ControllableMultiTask}. */
export interface ControllableConfig {
  /** Input features. */
  inFeatures: number;
  /** Classes of each task's decoder. */
  tasks: number[];
  /** Full width of the encoder's two hidden layers. Default: 64. */
  encoderWidth?: number;
  /** Full width of each decoder's hidden layer. Default: 32. */
  decoderWidth?: number;
  /** Width fractions a configuration may use. Default: [0.25, 0.5, 0.75, 1]. */
  fractions?: number[];
}

/** A run-time width configuration: the encoder's fraction and one fraction per decoder. */
export interface WidthConfig {
  encoder: number;
  decoders: number[];
}

const KEYS = configKeys<ControllableConfig>({ inFeatures: true, tasks: true, encoderWidth: true, decoderWidth: true, fractions: true });

/** A shared slimmable encoder with slimmable task decoders. */
export class ControllableMultiTask extends Module<tf.Tensor, tf.Tensor> {
  readonly encoderWidth: number;
  readonly decoderWidth: number;
  readonly fractions: number[];
  /** The width configuration and task `forward` uses. */
  widths: WidthConfig;
  task = 0;

  constructor(readonly config: ControllableConfig, rng: Rng = new Rng(0)) {
    super();
    const fn = 'ControllableMultiTask';
    checkKnownKeys(fn, config, KEYS);
    checkPositiveInt(fn, 'inFeatures', config.inFeatures);
    if (!Array.isArray(config.tasks) || config.tasks.length === 0) throw new Error(`${fn}: tasks=${describeValue(config.tasks)} must list each task's class count`);
    config.tasks.forEach((c, t) => checkInt(fn, `tasks[${t}]`, c, 2));
    this.encoderWidth = checkPositiveInt(fn, 'encoderWidth', config.encoderWidth ?? 64);
    this.decoderWidth = checkPositiveInt(fn, 'decoderWidth', config.decoderWidth ?? 32);
    this.fractions = config.fractions ?? [0.25, 0.5, 0.75, 1];
    if (!this.fractions.every((f) => f > 0 && f <= 1)) throw new Error(`${fn}: fractions=${describeValue(this.fractions)} must be in (0, 1]`);
    const lin = (name: string, i: number, o: number) => {
      const b = 1 / Math.sqrt(i);
      this.addParameter(`${name}.weight`.replace('.', '_'), tf.tensor2d(rng.uniformArray(i * o, -b, b), [i, o]));
      this.addParameter(`${name}.bias`.replace('.', '_'), tf.zeros([o]));
    };
    const H = this.encoderWidth, D = this.decoderWidth;
    lin('enc0', config.inFeatures, H);
    lin('enc1', H, H);
    config.tasks.forEach((c, t) => {
      lin(`dec${t}a`, H, D);
      lin(`dec${t}b`, D, c);
    });
    this.widths = this.largest();
  }

  /** Units used at fraction f of width w (at least 1). */
  static units(w: number, f: number): number {
    return Math.max(1, Math.round(w * f));
  }

  /** The largest and smallest configurations. */
  largest(): WidthConfig {
    return { encoder: 1, decoders: this.config.tasks.map(() => 1) };
  }
  smallest(): WidthConfig {
    const f = Math.min(...this.fractions);
    return { encoder: f, decoders: this.config.tasks.map(() => f) };
  }

  private p(name: string): tf.Variable {
    return this.namedParameters().find(([p]) => p === name)![1];
  }

  /** The encoder's features at encoder fraction `e`, (N, units). */
  features(x: tf.Tensor, e: number): tf.Tensor2D {
    const u = ControllableMultiTask.units(this.encoderWidth, e);
    const h = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, tf.slice(this.p('enc0_weight'), [0, 0], [-1, u])), tf.slice(this.p('enc0_bias'), 0, u)));
    return tf.relu(tf.add(tf.matMul(h, tf.slice(this.p('enc1_weight'), [0, 0], [u, u])), tf.slice(this.p('enc1_bias'), 0, u))) as tf.Tensor2D;
  }

  /** Task `t`'s logits from encoder features `h` at decoder fraction `d`. */
  decode(h: tf.Tensor2D, t: number, d: number): tf.Tensor2D {
    const u = h.shape[1], v = ControllableMultiTask.units(this.decoderWidth, d);
    const z = tf.relu(tf.add(tf.matMul(h, tf.slice(this.p(`dec${t}a_weight`), [0, 0], [u, v])), tf.slice(this.p(`dec${t}a_bias`), 0, v)));
    return tf.add(tf.matMul(z, tf.slice(this.p(`dec${t}b_weight`), [0, 0], [v, -1])), this.p(`dec${t}b_bias`)) as tf.Tensor2D;
  }

  /** Logits of `this.task` at `this.widths`. */
  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    return this.decode(this.features(x, this.widths.encoder), this.task, this.widths.decoders[this.task]!);
  }

  /** Multiply-accumulates of one example through the encoder and every decoder at `w`. */
  macs(w: WidthConfig): number {
    const e = ControllableMultiTask.units(this.encoderWidth, w.encoder);
    return this.config.inFeatures * e + e * e + this.config.tasks.reduce((s, c, t) => {
      const d = ControllableMultiTask.units(this.decoderWidth, w.decoders[t]!);
      return s + e * d + d * c;
    }, 0);
  }

  /** Every configuration of the width grid. */
  configurations(): WidthConfig[] {
    let decs: number[][] = [[]];
    for (let t = 0; t < this.config.tasks.length; t++) decs = decs.flatMap((d) => this.fractions.map((f) => [...d, f]));
    return this.fractions.flatMap((e) => decs.map((d) => ({ encoder: e, decoders: d })));
  }
}

/** One scored configuration: per-task scores (e.g. validation accuracy) and its cost. */
export interface ScoredWidths {
  widths: WidthConfig;
  scores: number[];
  macs: number;
}

/**
 * The run-time choice: among `scored` configurations within `budget` MACs, the one with the highest
 * preference-weighted score Σ pₜ scoreₜ (ties: the cheaper). Null when none fits.
 */
export function chooseWidths(scored: ScoredWidths[], budget: number, preference: number[]): ScoredWidths | null {
  let best: ScoredWidths | null = null, bestValue = -Infinity;
  for (const s of scored) {
    if (s.macs > budget) continue;
    const v = s.scores.reduce((acc, x, t) => acc + (preference[t] ?? 0) * x, 0);
    if (v > bestValue + 1e-12 || (Math.abs(v - bestValue) <= 1e-12 && best !== null && s.macs < best.macs)) {
      best = s;
      bestValue = v;
    }
  }
  return best;
}

/**
 * One sandwich-rule training loss: for the largest, the smallest and one random configuration, the
 * sum over tasks of the cross-entropy on that task's batch, plus `kd` × the CIKD loss (MSE between a
 * sub-width's encoder features and the full width's first units, the teacher detached).
 */
export function sandwichLoss(
  model: ControllableMultiTask, batches: Array<{ x: tf.Tensor; y: tf.Tensor }>, ce: (logits: tf.Tensor, y: tf.Tensor) => tf.Scalar, rng: Rng, kd = 1,
): tf.Scalar {
  const pick = () => model.fractions[rng.int(model.fractions.length)]!;
  const configs = [model.largest(), model.smallest(), { encoder: pick(), decoders: model.config.tasks.map(pick) }];
  let total: tf.Scalar = tf.scalar(0);
  batches.forEach((b, t) => {
    const teacher = detach(model.features(b.x, 1));
    for (const w of configs) {
      const h = model.features(b.x, w.encoder);
      total = tf.add(total, ce(model.decode(h, t, w.decoders[t]!), b.y));
      if (kd > 0 && w.encoder < 1) total = tf.add(total, tf.mul(tf.mean(tf.square(tf.sub(h, tf.slice(teacher, [0, 0], [-1, h.shape[1]])))), kd));
    }
  });
  return total;
}
