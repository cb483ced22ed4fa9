// Neural Parameter Allocation Search (arXiv:2006.10598): an MLP classifier of any width and depth
// whose every Linear draws its weights from one ParameterBank of `budget` values (BankLinear), so the
// stored size is set by the budget, below or above the size of the network it computes.
import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, activationFn, defaultRng, resolveConfig, type ActivationName, type ForwardContext, type Rng } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { BankLinear } from './bank-linear.js';
import { ParameterBank } from './parameter-bank.js';

/** Config of {@link ShapeshifterMLP}. */
export interface ShapeshifterMLPConfig {
  /** Input features. Default: 0 (must be given). */
  inFeatures: number;
  /** Classes. Default: 0 (must be given). */
  numClasses: number;
  /** Hidden widths. Default: [64, 64]. */
  hidden: number[];
  /** Values in the shared bank (the weights' budget; biases and coefficients are extra). Default: 1024. */
  budget: number;
  /** Most templates per layer when the bank holds the layer more than once. Default: 4. */
  templates: number;
  /** Activation. Default: 'relu'. */
  activation: ActivationName;
}

/** The documented defaults of {@link ShapeshifterMLPConfig}. */
export const SHAPESHIFTER_MLP_DEFAULTS: ShapeshifterMLPConfig = { inFeatures: 0, numClasses: 0, hidden: [64, 64], budget: 1024, templates: 4, activation: 'relu' };

/** (B, in) -> (B, classes) through BankLinears over one bank. */
export class ShapeshifterMLP extends Module {
  /** The shared bank. */
  readonly bank: ParameterBank;
  /** The layers. */
  readonly layers: ModuleList<BankLinear>;
  /** The resolved config. */
  readonly cfg: ShapeshifterMLPConfig;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(config: Partial<ShapeshifterMLPConfig> & Pick<ShapeshifterMLPConfig, 'inFeatures' | 'numClasses'>, rng: Rng = defaultRng()) {
    super();
    const W = 'ShapeshifterMLP';
    const c = (this.cfg = resolveConfig(W, SHAPESHIFTER_MLP_DEFAULTS, config));
    const widths = [checkPositiveInt(W, 'inFeatures', c.inFeatures), ...c.hidden.map((h, i) => checkPositiveInt(W, `hidden[${i}]`, h)), checkPositiveInt(W, 'numClasses', c.numClasses)];
    checkPositiveInt(W, 'budget', c.budget);
    this.act = activationFn(c.activation, W);
    this.bank = new ParameterBank({ size: c.budget }, rng); // registered by each layer that reads it (the ledger counts one use per layer)
    this.layers = this.addModule('layers', new ModuleList(widths.slice(1).map((o, i) => new BankLinear({ inFeatures: widths[i]!, outFeatures: o, templates: c.templates }, this.bank, rng))));
  }

  /** Weights the network computes with (Σ in·out): its size without sharing. */
  get virtualWeights(): number {
    return this.layers.items.reduce((s, l) => s + l.cfg.inFeatures * l.cfg.outFeatures, 0);
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = x;
    this.layers.items.forEach((l, i) => {
      h = l.forward(h, ctx);
      if (i < this.layers.length - 1) h = this.act(h);
    });
    return h;
  }
}
