// The shared parameter array of hashed sharing (ROAST, Desai et al.; STABLE-RPS,
// "In defense of parameter sharing for model-compression"): one trainable vector that hashed layers read through their index maps.
// One memory per layer, or one global memory given to every layer (sharing by identity: the
// ledger stores it once).
import * as tf from '@tensorflow/tfjs-core';
import { Module, checkKnownKeys, configKeys, defaultRng, type Rng, describeValue } from '@weft/core';

/** Config of {@link HashedMemory}. */
export interface HashedMemoryConfig {
  /** Number of slots m. */
  size: number;
  /** Initial values are U(−init, init); layers rescale what they read by λ = (their init bound)/init. Default: 0.05. */
  init?: number;
}

const KEYS = configKeys<HashedMemoryConfig>({ size: true, init: true });

/** A shared array of `size` trainable values. */
export class HashedMemory extends Module<never, never> {
  /** The array, [size]. */
  readonly weight: tf.Variable;
  /** U(−init, init) bound of the initial values. */
  readonly init: number;
  private allocated = 0;

  constructor(readonly config: HashedMemoryConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('HashedMemory', config, KEYS);
    if (!Number.isInteger(config.size) || config.size < 1) throw new Error(`HashedMemory: size=${describeValue(config.size)} must be a positive integer`);
    this.init = config.init ?? 0.05;
    if (!(this.init > 0 && Number.isFinite(this.init))) throw new Error(`HashedMemory: init=${describeValue(config.init)} must be a positive finite number`);
    this.weight = this.addParameter('weight', tf.tensor1d(rng.uniformArray(config.size, -this.init, this.init)));
  }

  /** Reserve `n` consecutive virtual positions (STABLE-RPS offsets layers so that a global memory at compression 1 is a bijection); returns the start. */
  allocate(n: number): number {
    const start = this.allocated;
    this.allocated += n;
    return start;
  }

  /** Virtual weights mapped onto this memory so far. */
  get mappedWeights(): number {
    return this.allocated;
  }

  forward(): never {
    throw new Error('HashedMemory has no forward pass: hashed layers read it');
  }
}
