// DARTS: Differentiable Architecture Search (arXiv 1806.09055), Alg. 1: alternate an α step on a
// validation batch and a w step on a training batch. First order: ∇α L_val(w, α). Second order
// (eq. 7–8): with w' = w − ξ ∇w L_train(w, α),
//   ∇α L_val(w', α) − ξ · [∇α L_train(w⁺, α) − ∇α L_train(w⁻, α)] / (2ε),
//   w± = w ± ε ∇w' L_val(w', α),  ε = 0.01 / ‖∇w' L_val(w', α)‖.
// Departures: the unrolled step is the plain SGD step of eq. 6 (the reference code also folds in
// the weight optimiser's momentum and weight decay); no gradient clipping.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, type StepContext, type StepOutput, describeValue } from '@weft/core';
import { parseGenotype, type Genotype } from '../genotype.js';
import type { SearchNetwork } from '../supernet.js';
import {
  BilevelOptimizers, firstOrderArchStep, lossOn, resolveBilevel, subContext, weightStep,
  type BilevelConfig, type SearchBatch, type Searcher, type TaskLoss,
} from './bilevel.js';

/** Config of {@link DartsSearch}. */
export interface DartsConfig extends BilevelConfig {
  /** 1 (first order) or 2 (second order, finite-difference Hessian-vector product). Default 1. */
  order: 1 | 2;
  /** ξ of the unrolled step. Default: the weight optimiser's learning rate (as DARTS). */
  xi?: number;
  /** r in ε = r / ‖∇w' L_val‖. Default 0.01 (DARTS). */
  epsilonScale: number;
}

/** Every key of {@link DartsConfig}. */
export const DARTS_KEYS = configKeys<DartsConfig>({ weightOptimizer: true, archOptimizer: true, warmupSteps: true, weightSchedule: true, order: true, xi: true, epsilonScale: true });

/** Defaults of {@link DartsConfig}. */
export const DARTS_DEFAULTS: DartsConfig = { ...resolveBilevel(), order: 1, epsilonScale: 0.01 };

/** Gradients of `f` with respect to `vars`, in order (zeros for a variable `f` does not reach). */
export function gradsOf(f: () => tf.Scalar, vars: tf.Variable[]): { value: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(f, vars);
  return { value, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}

/** The DARTS second-order architecture gradient (eq. 7–8) at the current w and α; w is restored. */
export function secondOrderArchGradient(
  net: SearchNetwork,
  batch: SearchBatch,
  loss: TaskLoss,
  s: StepContext,
  xi: number,
  epsilonScale: number,
): { valLoss: tf.Scalar; grads: tf.Tensor[] } {
  const w = net.weightParameters();
  const a = net.archParameters();
  const saved = w.map((v) => tf.clone(v));
  const assign = (values: tf.Tensor[]) => w.forEach((v, i) => v.assign(values[i]!));
  try {
    // w' = w − ξ ∇w L_train(w, α)
    const gTrain = gradsOf(() => lossOn(net, batch.train, loss, subContext(s)), w).grads;
    assign(saved.map((v, i) => tf.sub(v, tf.mul(gTrain[i]!, xi))));
    // ∇α L_val(w', α) and ∇w' L_val(w', α)
    const { value: valLoss, grads } = gradsOf(() => lossOn(net, batch.val, loss, subContext(s)), [...w, ...a]);
    const dw = grads.slice(0, w.length);
    const da = grads.slice(w.length);
    const norm = tf.sqrt(tf.addN(dw.map((g) => tf.sum(tf.square(g)))));
    const eps = tf.div(epsilonScale, tf.maximum(norm, 1e-12)); // ε = 0.01 / ‖∇w' L_val‖
    // ∇α L_train(w±, α), w± = w ± ε ∇w' L_val
    const gradAt = (sign: 1 | -1) => {
      assign(saved.map((v, i) => tf.add(v, tf.mul(dw[i]!, tf.mul(eps, sign)))));
      return gradsOf(() => lossOn(net, batch.train, loss, subContext(s)), a).grads;
    };
    const gPlus = gradAt(1);
    const gMinus = gradAt(-1);
    const hvpScale = tf.div(xi, tf.mul(eps, 2));
    return { valLoss, grads: da.map((g, i) => tf.sub(g, tf.mul(tf.sub(gPlus[i]!, gMinus[i]!), hvpScale))) };
  } finally {
    assign(saved);
  }
}

/** DARTS search over a supernet (first or second order). */
export class DartsSearch implements Searcher<Genotype> {
  readonly method: string = 'darts';
  readonly config: DartsConfig;
  protected readonly opts: BilevelOptimizers;

  constructor(readonly net: SearchNetwork, readonly loss: TaskLoss, config: Partial<DartsConfig> = {}) {
    checkKnownKeys('darts', config, DARTS_KEYS);
    this.config = { ...DARTS_DEFAULTS, ...resolveBilevel(config), ...config };
    if (this.config.order !== 1 && this.config.order !== 2) throw new Error(`darts: order=${describeValue(this.config.order)}; allowed: 1, 2`);
    if (!(this.config.epsilonScale > 0)) throw new Error(`darts: epsilonScale=${this.config.epsilonScale} must be > 0`);
    this.opts = new BilevelOptimizers(this.config);
  }

  /** α step (after warm-up) then w step; reports the training loss and the validation loss. */
  step(batch: SearchBatch, s: StepContext): StepOutput {
    const metrics: Record<string, tf.Scalar> = {};
    if (s.step >= this.config.warmupSteps) {
      if (this.config.order === 2) {
        const xi = this.config.xi ?? this.config.weightOptimizer.learningRate;
        const { valLoss, grads } = secondOrderArchGradient(this.net, batch, this.loss, s, xi, this.config.epsilonScale);
        const a = this.net.archParameters();
        this.opts.archOpt.applyGradients(Object.fromEntries(a.map((v, i) => [v.name, grads[i]!])));
        metrics.valLoss = valLoss;
      } else {
        metrics.valLoss = firstOrderArchStep(this.net, this.opts.archOpt, batch.val, this.loss, subContext(s));
      }
    }
    this.opts.scheduleWeights(s.step);
    return { loss: weightStep(this.net, this.opts.weightOpt, batch.train, this.loss, s.ctx), metrics };
  }

  /** The argmax genotype of the current α (DARTS `genotype()`). */
  async result(): Promise<Genotype> {
    return parseGenotype(await this.net.edgeWeights(), this.net.space);
  }

  dispose(): void {
    this.opts.dispose();
  }
}
