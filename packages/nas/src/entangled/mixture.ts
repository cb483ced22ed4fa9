// Mixture-of-Supernets: Improving Weight-Sharing Supernet Training with Architecture-Routed
// Mixture-of-Experts (arXiv 2306.04845), §3, on the weight-entangled space: E expert copies of
// every full-size weight; a router maps the subnet's encoding (one-hot of each decision's choice)
// to softmax gates g, and the subnet runs on the leading slices of W = Σ_e g_e W_e (the paper's
// layer-wise mixture), so subnets share weights through learned, architecture-specific mixes
// instead of one tensor. Departures: one router for all layers (a Linear on the encoding), the
// gates mix whole tensors (not per output neuron), experts start from independent initialisations.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Rng, fanInUniform, type ForwardContext } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { choiceOf, choicesOf, decisionsOf } from './decisions.js';
import { resolveEntangledSpace, smallestSubnet, type EntangledSpaceConfig, type SubnetConfig } from './space.js';
import { subnetForward } from './supernet.js';

/** One-hot of each decision's choice, concatenated: the router's input. */
export function encodeSubnet(space: EntangledSpaceConfig, s: SubnetConfig): number[] {
  return decisionsOf(space).flatMap((d) => {
    const c = choiceOf(space, s, d);
    return choicesOf(space, d).map((v) => (v === c ? 1 : 0));
  });
}

/** A mixture of `experts` entangled supernets with an architecture router. */
export class MixtureSupernet extends Module {
  readonly space: EntangledSpaceConfig;
  /** Per layer: (E, …full weight shape). */
  readonly weights: tf.Variable[] = [];
  /** Per layer: (E, Wmax). */
  readonly biases: tf.Variable[] = [];
  readonly headWeight: tf.Variable;
  readonly headBias: tf.Variable;
  readonly router: Linear;
  /** The subnet to run (required by forward). */
  subnet: SubnetConfig | null = null;

  constructor(config: Partial<EntangledSpaceConfig>, readonly experts: number, rng: Rng = new Rng(0)) {
    super();
    checkInt('MixtureSupernet', 'experts', experts, 1);
    const s = (this.space = resolveEntangledSpace(config));
    const D = s.depthChoices.at(-1)!;
    const W = s.widthChoices.at(-1)!;
    const K = s.kind === 'cnn' ? s.kernelChoices.at(-1)! : 1;
    const stack = (shape: number[], fanIn: number) => tf.tidy(() => tf.stack(Array.from({ length: experts }, () => fanInUniform(shape, fanIn, rng))));
    for (let l = 0; l < D; l++) {
      const cin = l === 0 ? s.inFeatures : W;
      this.weights.push(this.addParameter(`w${l}`, stack(s.kind === 'cnn' ? [K, K, cin, W] : [cin, W], cin * K * K)));
      this.biases.push(this.addParameter(`b${l}`, stack([W], cin * K * K)));
    }
    this.headWeight = this.addParameter('head_w', stack([W, s.numOutputs], W));
    this.headBias = this.addParameter('head_b', stack([s.numOutputs], W));
    this.router = this.addModule('router', new Linear({ inFeatures: encodeSubnet(s, smallestSubnet(s)).length, outFeatures: experts }, rng));
  }

  /** The gates softmax(router(encoding)) of a subnet, (E,). */
  gates(s: SubnetConfig): tf.Tensor1D {
    const enc = tf.tensor2d([encodeSubnet(this.space, s)]);
    return tf.reshape(tf.softmax(this.router.forward(enc)), [this.experts]) as tf.Tensor1D; // (1, E) -> (E,)
  }

  /** (B, …) -> (B, numOutputs) for `this.subnet`, on its gated mix of the experts. */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!this.subnet) throw new Error('MixtureSupernet: set `subnet` before forward (the mixture has no superposition mode)');
    const g = this.gates(this.subnet);
    // Σ_e g_e W_e: (E,) · (E, …) -> (…).
    const mix = (v: tf.Variable) => tf.reshape(tf.matMul(tf.reshape(g, [1, this.experts]), tf.reshape(v, [this.experts, -1])), v.shape.slice(1)); // (E, …) -> (1, E·…) -> (…)
    return subnetForward(this.space, { weights: this.weights.map(mix), biases: this.biases.map(mix), headWeight: mix(this.headWeight), headBias: mix(this.headBias) }, x, ctx, this.subnet);
  }
}
