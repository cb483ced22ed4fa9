// A weight-entangled supernet (Once-for-All, arXiv 1908.09791; TangleNAS: Weight-Entanglement
// Meets Gradient-Based Neural Architecture Search, arXiv 2312.10440). One weight tensor per
// layer at the largest size; a subnet uses the leading slices (first inputs/units, first layers,
// centre k×k of the kernel). Two forward modes:
//  - `subnet` set: that subnet's slices only (OFA/SPOS sampling, evaluation);
//  - `subnet` null: TangleNAS' superposition, Σ_c softmax(β)_c · pad(slice_c(W)), computed as one
//    masked weight (W ⊙ Σ_c p_c M_c for kernels, unit masks Σ_c p_c 1[j < w_c] for widths) and a
//    β-weighted sum of the outputs after each depth, and Σ_a p_a · act_a(z) over a layer's
//    activation choices — memory of the largest subnet plus masks, not the sum of the candidates.
import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng, fanInUniform, padSpatial, type ForwardContext } from '@weft/core';
import { activate } from '../vector-ops.js';
import { activationOf, resolveEntangledSpace, validateSubnet, type EntangledSpaceConfig, type SubnetConfig } from './space.js';

/** The entangled supernet. */
export class EntangledSupernet extends Module {
  readonly space: EntangledSpaceConfig;
  /** Layer weights at the largest size: mlp [in, Wmax], cnn [Kmax, Kmax, in, Wmax]. */
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  readonly headWeight: tf.Variable;
  readonly headBias: tf.Variable;
  /** TangleNAS architecture parameters: β over widths per layer, over depths, over kernels per layer (cnn). */
  readonly betaWidth: tf.Variable;
  readonly betaDepth: tf.Variable;
  readonly betaKernel: tf.Variable | null;
  /** β over activations per layer, when the space offers more than one. */
  readonly betaActivation: tf.Variable | null;
  /** The subnet to run, or null for the superposition. */
  subnet: SubnetConfig | null = null;

  constructor(config: Partial<EntangledSpaceConfig> = {}, rng: Rng = new Rng(0)) {
    super();
    const s = (this.space = resolveEntangledSpace(config));
    const D = s.depthChoices.at(-1)!;
    const W = s.widthChoices.at(-1)!;
    const K = s.kind === 'cnn' ? s.kernelChoices.at(-1)! : 1;
    for (let l = 0; l < D; l++) {
      const cin = l === 0 ? s.inFeatures : W;
      const shape = s.kind === 'cnn' ? [K, K, cin, W] : [cin, W];
      const fanIn = cin * K * K;
      this.weights.push(this.addParameter(`w${l}`, fanInUniform(shape, fanIn, rng)));
      this.biases.push(this.addParameter(`b${l}`, fanInUniform([W], fanIn, rng)));
    }
    this.headWeight = this.addParameter('head_w', fanInUniform([W, s.numOutputs], W, rng));
    this.headBias = this.addParameter('head_b', fanInUniform([s.numOutputs], W, rng));
    const init = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, 1e-3), shape);
    this.betaWidth = this.addParameter('beta_width', init([D, s.widthChoices.length]));
    this.betaDepth = this.addParameter('beta_depth', init([s.depthChoices.length]));
    this.betaKernel = s.kind === 'cnn' ? this.addParameter('beta_kernel', init([D, s.kernelChoices.length])) : null;
    this.betaActivation = s.activationChoices.length > 1 ? this.addParameter('beta_activation', init([D, s.activationChoices.length])) : null;
  }

  /** The architecture parameters β. */
  archParameters(): tf.Variable[] {
    return [this.betaWidth, this.betaDepth, this.betaKernel, this.betaActivation].filter((v): v is tf.Variable => v !== null);
  }

  /** The weights (everything but β). */
  weightParameters(): tf.Variable[] {
    const a = new Set(this.archParameters());
    return this.trainableParameters().filter((v) => !a.has(v));
  }

  /** Maximum depth. */
  get maxDepth(): number {
    return this.space.depthChoices.at(-1)!;
  }

  /** (B, F) or (B, H, W, C) -> (B, numOutputs). */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const s = this.space;
    const rank = s.kind === 'cnn' ? 4 : 2;
    if (x.rank !== rank || x.shape[rank - 1] !== s.inFeatures) {
      throw new Error(`EntangledSupernet: x has shape [${x.shape}]; expected ${s.kind === 'cnn' ? '(B, H, W, C)' : '(B, F)'} with last dimension inFeatures=${s.inFeatures}`);
    }
    return this.subnet ? this.forwardSubnet(x, ctx, this.subnet) : this.forwardSuperposition(x, ctx);
  }

  /** The pre-activation of a layer. */
  private linear(h: tf.Tensor, w: tf.Tensor, b: tf.Tensor, k: number): tf.Tensor {
    return this.space.kind === 'cnn'
      ? // Explicit zero padding then 'valid' (as core's Conv2d; tfjs webgpu's filter gradient is zero with a numeric pad).
        tf.add(tf.conv2d(padSpatial(h as tf.Tensor4D, [(k - 1) / 2, (k - 1) / 2]), w as tf.Tensor4D, 1, 'valid'), b)
      : tf.add(tf.matMul(h, w), b);
  }

  private headOf(h: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
    const pooled = this.space.kind === 'cnn' ? tf.mean(h, [1, 2]) : h; // (B, H, W, C) -> (B, C)
    return tf.add(tf.matMul(pooled, w), b);
  }

  /** One subnet's slices. */
  forwardSubnet(x: tf.Tensor, ctx: ForwardContext, cfg: SubnetConfig): tf.Tensor {
    return subnetForward(this.space, { weights: this.weights, biases: this.biases, headWeight: this.headWeight, headBias: this.headBias }, x, ctx, cfg);
  }

  /** TangleNAS superposition of every subnet, weighted by softmax(β). */
  forwardSuperposition(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const s = this.space;
    const D = this.maxDepth;
    const W = s.widthChoices.at(-1)!;
    const K = s.kind === 'cnn' ? s.kernelChoices.at(-1)! : 1;
    // M[c, j] = 1[j < widthChoices[c]]: (choices, Wmax)
    const unitMasks = tf.tensor2d(s.widthChoices.flatMap((wc) => Array.from({ length: W }, (_, j) => (j < wc ? 1 : 0))), [s.widthChoices.length, W]);
    const pw = tf.softmax(this.betaWidth, -1); // (D, choices)
    const unitMix = tf.matMul(pw, unitMasks); // (D, Wmax): Σ_c p_c 1[j < w_c]
    let kernelMix: tf.Tensor | null = null;
    if (this.betaKernel) {
      // Centre k×k masks M_c, (choices, K·K).
      const km = tf.tensor2d(
        s.kernelChoices.flatMap((k) => {
          const o = (K - k) / 2;
          return Array.from({ length: K * K }, (_, i) => (Math.floor(i / K) >= o && Math.floor(i / K) < o + k && i % K >= o && i % K < o + k ? 1 : 0));
        }),
        [s.kernelChoices.length, K * K],
      );
      kernelMix = tf.matMul(tf.softmax(this.betaKernel, -1), km); // (D, K·K): Σ_c p_c M_c per layer
    }
    const pd = tf.softmax(this.betaDepth); // (depth choices)
    const pa = this.betaActivation ? tf.softmax(this.betaActivation, -1) : null; // (D, activation choices)
    let h = x;
    const outs: tf.Tensor[] = [];
    for (let l = 0; l < D; l++) {
      let w: tf.Tensor = this.weights[l]!;
      if (kernelMix) w = tf.mul(w, tf.reshape(tf.slice(kernelMix, [l, 0], [1, K * K]), [K, K, 1, 1])); // (1, K·K) -> (K, K, 1, 1)
      const z = this.linear(h, w, this.biases[l]!, K);
      if (pa) {
        // Σ_a p_a · act_a(z): the activation choices share the layer's weight.
        const acts = s.activationChoices.map((a, i) => tf.mul(activate(a, z, ctx), tf.reshape(tf.slice(pa, [l, i], [1, 1]), [])));
        h = tf.addN(acts);
      } else h = activate(s.activationChoices[0]!, z, ctx);
      h = tf.mul(h, tf.reshape(tf.slice(unitMix, [l, 0], [1, W]), [W])); // masks output units
      outs.push(h);
    }
    const mixed = tf.addN(s.depthChoices.map((d, i) => tf.mul(outs[d - 1]!, tf.reshape(tf.slice(pd, [i], [1]), []))));
    return this.headOf(mixed, this.headWeight, this.headBias);
  }

  /** The argmax subnet of β. */
  async argmaxSubnet(): Promise<SubnetConfig> {
    const s = this.space;
    const argmaxRows = async (v: tf.Variable) => {
      const [rows, cols] = v.rank === 1 ? [1, v.shape[0]!] : (v.shape as [number, number]);
      const d = await v.data();
      return Array.from({ length: rows }, (_, r) => {
        let best = 0;
        for (let c = 1; c < cols; c++) if (d[r * cols + c]! > d[r * cols + best]!) best = c;
        return best;
      });
    };
    const cfg: SubnetConfig = {
      depth: s.depthChoices[(await argmaxRows(this.betaDepth))[0]!]!,
      widths: (await argmaxRows(this.betaWidth)).map((i) => s.widthChoices[i]!),
    };
    if (this.betaKernel) cfg.kernels = (await argmaxRows(this.betaKernel)).map((i) => s.kernelChoices[i]!);
    if (this.betaActivation) cfg.activations = (await argmaxRows(this.betaActivation)).map((i) => s.activationChoices[i]!);
    return cfg;
  }
}

/** The full-size tensors a subnet's slices are taken from (a supernet's variables, or weights generated for it). */
export interface EntangledWeights {
  /** Per layer: mlp [in, Wmax], cnn [Kmax, Kmax, in, Wmax]. */
  weights: readonly tf.Tensor[];
  biases: readonly tf.Tensor[];
  headWeight: tf.Tensor;
  headBias: tf.Tensor;
}

/** One subnet's forward on the leading slices (centre crop of kernels) of full-size weights: (B, F) or (B, H, W, C) -> (B, numOutputs). */
export function subnetForward(s: EntangledSpaceConfig, w: EntangledWeights, x: tf.Tensor, ctx: ForwardContext, cfg: SubnetConfig): tf.Tensor {
  validateSubnet(s, cfg);
  const K = s.kind === 'cnn' ? s.kernelChoices.at(-1)! : 1;
  let h = x;
  let cin = s.inFeatures;
  for (let l = 0; l < cfg.depth; l++) {
    const wout = cfg.widths[l]!;
    const b = tf.slice(w.biases[l]!, [0], [wout]);
    if (s.kind === 'cnn') {
      const k = cfg.kernels![l]!;
      const o = (K - k) / 2; // centre crop
      const wl = tf.slice(w.weights[l]!, [o, o, 0, 0], [k, k, cin, wout]) as tf.Tensor4D;
      // Explicit zero padding then 'valid' (as core's Conv2d; tfjs webgpu's filter gradient is zero with a numeric pad).
      h = activate(activationOf(s, cfg, l), tf.add(tf.conv2d(padSpatial(h as tf.Tensor4D, [(k - 1) / 2, (k - 1) / 2]), wl, 1, 'valid'), b), ctx);
    } else h = activate(activationOf(s, cfg, l), tf.add(tf.matMul(h, tf.slice(w.weights[l]!, [0, 0], [cin, wout])), b), ctx);
    cin = wout;
  }
  const pooled = s.kind === 'cnn' ? tf.mean(h, [1, 2]) : h; // (B, H, W, C) -> (B, C)
  return tf.add(tf.matMul(pooled, tf.slice(w.headWeight, [0, 0], [cin, s.numOutputs])), w.headBias);
}
