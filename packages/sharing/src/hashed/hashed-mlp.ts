// An MLP classifier whose every Linear is hashed (ROAST / STABLE-RPS, see hashed-linear.ts), with
// one memory per layer (each at the same compression) or one global memory for the whole network
// (ROAST's global sharing).
import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, activationFn, checkKnownKeys, configKeys, defaultRng, type ActivationName, type ForwardContext, type Rng, describeValue } from '@weft/core';
import { HashedLinear, type HashMethod } from './hashed-linear.js';
import { HashedMemory } from './memory.js';

/** Config of {@link HashedMLPClassifier}. */
export interface HashedMLPClassifierConfig {
  /** Input features. */
  inFeatures: number;
  /** Classes. */
  numClasses: number;
  /** Hidden widths. Default: [64]. */
  hidden?: number[];
  /** 'roast' or 'stable-rps'. Default: 'stable-rps'. */
  method?: HashMethod;
  /** Virtual weights per stored value, ≥ 1. Default: 8. */
  compression?: number;
  /** 'layer' (one memory per Linear) or 'global' (one for all). Default: 'global'. */
  scope?: 'layer' | 'global';
  /** U(−init, init) of the memory (λ rescales per layer). Default: 0.05 (global), 1/√in of each layer (per layer, λ = 1). */
  memoryInit?: number;
  /** Hash seed of layer i is hashSeed + i (see {@link HashedLinearConfig.hashSeed}). Default: 0. */
  hashSeed?: number;
  /** Activation. Default: 'relu'. */
  activation?: ActivationName;
}

const KEYS = configKeys<HashedMLPClassifierConfig>({ inFeatures: true, numClasses: true, hidden: true, method: true, compression: true, scope: true, memoryInit: true, hashSeed: true, activation: true });

/** (B, in) -> (B, classes) through hashed Linears. */
export class HashedMLPClassifier extends Module {
  /** The hashed layers. */
  readonly layers: ModuleList<HashedLinear>;
  /** The global memory (scope 'global'), else null. */
  readonly memory: HashedMemory | null;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly config: HashedMLPClassifierConfig, rng: Rng = defaultRng()) {
    super();
    const L = 'HashedMLPClassifier';
    checkKnownKeys(L, config, KEYS);
    const hidden = config.hidden ?? [64];
    if (!Array.isArray(hidden)) throw new Error(`${L}: hidden=${describeValue(hidden)} must be an array of widths`);
    const widths = [config.inFeatures, ...hidden, config.numClasses];
    widths.forEach((w, i) => {
      if (!Number.isInteger(w) || w < 1) throw new Error(`${L}: width ${i} (${i === 0 ? 'inFeatures' : i === widths.length - 1 ? 'numClasses' : `hidden[${i - 1}]`})=${describeValue(w)} must be a positive integer`);
    });
    const compression = config.compression ?? 8;
    if (!(typeof compression === 'number' && compression >= 1 && Number.isFinite(compression))) throw new Error(`${L}: compression=${describeValue(compression)} must be a finite number ≥ 1`);
    const scope = config.scope ?? 'global';
    if (scope !== 'layer' && scope !== 'global') throw new Error(`${L}: scope=${describeValue(scope)} must be 'layer' or 'global'`);
    this.act = activationFn(config.activation ?? 'relu', L);
    const total = widths.slice(1).reduce((s, w, i) => s + widths[i]! * w + w, 0);
    this.memory = scope === 'global' ? new HashedMemory({ size: Math.ceil(total / compression), init: config.memoryInit }, rng) : null;
    const layers = widths.slice(1).map(
      (w, i) => new HashedLinear({ inFeatures: widths[i]!, outFeatures: w, method: config.method, compression, memoryInit: config.memoryInit, hashSeed: (config.hashSeed ?? 0) + i }, rng, this.memory ?? undefined),
    );
    this.layers = this.addModule('layers', new ModuleList(layers));
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    const n = this.layers.length;
    let h = x;
    for (let i = 0; i < n; i++) {
      h = this.layers.at(i).forward(h, ctx);
      if (i < n - 1) h = this.act(h);
    }
    return h;
  }

  /** Dispose parameters and index maps. */
  override dispose(): void {
    super.dispose();
    for (const l of this.layers.items) l.disposeMaps();
  }
}
