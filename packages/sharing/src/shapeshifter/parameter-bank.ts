// Neural Parameter Allocation Search (arXiv:2006.10598), Shapeshifter Networks: one fixed bank of
// trainable parameters that every layer draws its weights from, whatever the budget — smaller than
// the network (weights repeat the bank) or larger (each layer mixes several templates cut from it).
import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultRng, resolveConfig, type Rng } from '@weft/core';
import { checkPositive, checkPositiveInt } from '@weft/core/internal';

/** Config of {@link ParameterBank}. */
export interface ParameterBankConfig {
  /** Parameters in the bank (the budget). Default: 0 (must be given). */
  size: number;
  /** Initial values are U(−init, init); layers rescale what they read to their own fan-in scale. Default: 0.05. */
  init: number;
}

/** The documented defaults of {@link ParameterBankConfig}. */
export const PARAMETER_BANK_DEFAULTS: ParameterBankConfig = { size: 0, init: 0.05 };

/** A shared vector of `size` trainable parameters that layers read through fixed index maps. */
export class ParameterBank extends Module<never, never> {
  /** The bank, [size]. */
  readonly weight: tf.Variable;
  /** The resolved config. */
  readonly cfg: ParameterBankConfig;
  private cursor = 0;

  constructor(config: Partial<ParameterBankConfig> & Pick<ParameterBankConfig, 'size'>, rng: Rng = defaultRng()) {
    super();
    const c = (this.cfg = resolveConfig('ParameterBank', PARAMETER_BANK_DEFAULTS, config));
    checkPositiveInt('ParameterBank', 'size', c.size);
    checkPositive('ParameterBank', 'init', c.init);
    this.weight = this.addParameter('weight', tf.tensor1d(rng.uniformArray(c.size, -c.init, c.init)));
  }

  /** The start of the next layer's reading (layers read from successive offsets, wrapping around, so two layers of a small bank do not read the same order). */
  nextOffset(n: number): number {
    const start = this.cursor % this.cfg.size;
    this.cursor += n;
    return start;
  }

  forward(): never {
    throw new Error('ParameterBank has no forward pass: BankLinear layers read it');
  }
}
