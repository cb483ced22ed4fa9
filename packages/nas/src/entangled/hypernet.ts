// SMASH: One-Shot Model Architecture Search through HyperNetworks (arXiv 1708.05344), §3.1 on the
// weight-entangled space: a HyperNet maps a subnet's encoding c to every full-size weight of the
// space, W = H(c), and the subnet runs on the leading slices of W (centre crop of kernels). Nothing
// but the HyperNet is trained. Departures: H is a one-hidden-layer MLP (relu(c·A + a)·G + g; the
// paper's is a DenseNet of 1×1 convs), and c is the one-hot of depth and of each used layer's choices
// (the paper writes the memory-bank read/write pattern into a 3D tensor).
import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng, fanInUniform, type ForwardContext } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { choicesOf, decisionsOf } from './decisions.js';
import { resolveEntangledSpace, validateSubnet, type EntangledSpaceConfig, type SubnetConfig } from './space.js';
import { subnetForward, type EntangledWeights } from './supernet.js';

/**
 * The HyperNet's input: the one-hot of the depth, then per layer the one-hots of its width, kernel and
 * activation — zeros for the layers past the depth, so two configs of the same network encode alike.
 */
export function smashEncoding(space: EntangledSpaceConfig, s: SubnetConfig): number[] {
  validateSubnet(space, s);
  return decisionsOf(space).flatMap((d) => {
    const choices = choicesOf(space, d);
    if (d.kind === 'depth') return choices.map((v) => (v === s.depth ? 1 : 0));
    if (d.layer >= s.depth) return choices.map(() => 0);
    const c = d.kind === 'activations' ? (s.activations?.[d.layer] ?? space.activationChoices[0]!) : s[d.kind]![d.layer]!;
    return choices.map((v) => (v === c ? 1 : 0));
  });
}

/** The shapes of the full-size weights a HyperNet generates, in order: per layer (weight, bias), then head weight and bias. */
export function entangledWeightShapes(space: EntangledSpaceConfig): number[][] {
  const D = space.depthChoices.at(-1)!;
  const W = space.widthChoices.at(-1)!;
  const K = space.kind === 'cnn' ? space.kernelChoices.at(-1)! : 1;
  const out: number[][] = [];
  for (let l = 0; l < D; l++) {
    const cin = l === 0 ? space.inFeatures : W;
    out.push(space.kind === 'cnn' ? [K, K, cin, W] : [cin, W], [W]);
  }
  out.push([W, space.numOutputs], [space.numOutputs]);
  return out;
}

/** SMASH's HyperNet over an entangled space: the subnet it is set to runs on weights generated from its encoding. */
export class SmashHyperNet extends Module {
  readonly space: EntangledSpaceConfig;
  /** (encoding, hidden) and (hidden,): the encoding's embedding. */
  readonly inWeight: tf.Variable;
  readonly inBias: tf.Variable;
  /** (hidden, P) and (P,): the generator of the P weights of the space; `outBias` is the weights at a zero embedding. */
  readonly outWeight: tf.Variable;
  readonly outBias: tf.Variable;
  /** The subnet to run (required by forward). */
  subnet: SubnetConfig | null = null;
  private readonly shapes: number[][];

  /** `hidden`: width of the HyperNet's hidden layer. */
  constructor(config: Partial<EntangledSpaceConfig>, readonly hidden: number, rng: Rng = new Rng(0)) {
    super();
    checkInt('SmashHyperNet', 'hidden', hidden, 1);
    const s = (this.space = resolveEntangledSpace(config));
    this.shapes = entangledWeightShapes(s);
    const L = decisionsOf(s).reduce((n, d) => n + choicesOf(s, d).length, 0);
    // The output bias starts as a supernet's fan-in initialisation of each tensor.
    const fanIns = this.shapes.map((sh) => (sh.length === 1 ? 0 : sh.slice(0, -1).reduce((a, b) => a * b, 1)));
    for (let i = 0; i < fanIns.length; i++) if (fanIns[i] === 0) fanIns[i] = fanIns[i - 1]!; // a bias: its weight's fan-in
    const base = tf.tidy(() => tf.concat(this.shapes.map((sh, i) => tf.reshape(fanInUniform(sh, fanIns[i]!, rng), [-1])))); // each (…) -> (n,), concat -> (P,)
    const P = base.shape[0]!;
    this.inWeight = this.addParameter('in_w', fanInUniform([L, hidden], L, rng));
    this.inBias = this.addParameter('in_b', tf.zeros([hidden]));
    // Small generator at init: the generated weights start near the base and move with the encoding as H trains.
    this.outWeight = this.addParameter('out_w', tf.tidy(() => tf.mul(fanInUniform([hidden, P], hidden, rng), 0.1)));
    this.outBias = this.addParameter('out_b', base);
  }

  /** Length of the encoding. */
  get encodingSize(): number {
    return this.inWeight.shape[0]!;
  }

  /** The full-size weights H(c) of a subnet: relu(c·A + a)·G + g, split and reshaped. */
  generate(s: SubnetConfig): EntangledWeights {
    const c = tf.tensor2d([smashEncoding(this.space, s)]); // (1, L)
    const h = tf.relu(tf.add(tf.matMul(c, this.inWeight), this.inBias)); // (1, hidden)
    const flat = tf.reshape(tf.add(tf.matMul(h, this.outWeight), this.outBias), [-1]); // (1, P) -> (P,)
    const sizes = this.shapes.map((sh) => sh.reduce((a, b) => a * b, 1));
    const parts = tf.split(flat, sizes).map((t, i) => tf.reshape(t, this.shapes[i]!)); // (n,) -> shape
    const D = this.space.depthChoices.at(-1)!;
    return {
      weights: Array.from({ length: D }, (_, l) => parts[2 * l]!),
      biases: Array.from({ length: D }, (_, l) => parts[2 * l + 1]!),
      headWeight: parts[2 * D]!,
      headBias: parts[2 * D + 1]!,
    };
  }

  /** (B, …) -> (B, numOutputs) for `this.subnet`, on its generated weights. */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!this.subnet) throw new Error('SmashHyperNet: set `subnet` before forward (the HyperNet generates one subnet\'s weights at a time)');
    const s = this.space;
    const rank = s.kind === 'cnn' ? 4 : 2;
    if (x.rank !== rank || x.shape[rank - 1] !== s.inFeatures) {
      throw new Error(`SmashHyperNet: x has shape [${x.shape}]; expected ${s.kind === 'cnn' ? '(B, H, W, C)' : '(B, F)'} with last dimension inFeatures=${s.inFeatures}`);
    }
    return subnetForward(s, this.generate(this.subnet), x, ctx, this.subnet);
  }
}
