// Transformer feed-forward block. Plain: fc2(act(fc1(x))) (GPT-2/BERT, GELU). Gated: down(act(gate(x)) ⊙ up(x))
// (Shazeer, "GLU Variants Improve Transformer", arXiv:2002.05202; SwiGLU with SiLU as in LLaMA).
// Child names follow the usual checkpoints (fc1/fc2; gate/up/down) so adapters can target them.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { Module } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import { activationFn, type ActivationName } from './activations.js';
import { checkPositiveInt } from '../check.js';
import { checkDropoutRate, dropout } from './dropout.js';
import { Linear } from './linear.js';
import { checkKnownKeys, configKeys } from '../config.js';

/** Config of {@link MLP}. */
export interface MLPConfig {
  /** Input (and by default output) width. */
  dim: number;
  /** Hidden width. Default: 4·dim (plain), or ⌈8·dim/3⌉ (gated: about the parameters of a plain MLP, as LLaMA). */
  hidden?: number;
  /** Output width. Default: dim. */
  outDim?: number;
  /** Gated (GLU family: gate/up/down) instead of plain (fc1/fc2). Default: false. */
  gated?: boolean;
  /** Activation. Default: 'gelu' (plain), 'silu' (gated, i.e. SwiGLU). */
  activation?: ActivationName;
  /** Biases in the Linears. Default: true (plain), false (gated, as LLaMA). */
  bias?: boolean;
  /** Dropout on the output in training. Default: 0. */
  dropout?: number;
}

/** Every key of {@link MLPConfig}, for the unknown-key check. */
const MLP_KEYS = configKeys<MLPConfig>({ dim: true, hidden: true, outDim: true, gated: true, activation: true, bias: true, dropout: true });

/** The feed-forward block of a transformer: Linear–GELU–Linear, or SwiGLU. */
export class MLP extends Module {
  /** Hidden width in use. */
  readonly hidden: number;
  /** Plain: first Linear [dim → hidden]. Null when gated. */
  readonly fc1: Linear | null = null;
  /** Plain: second Linear [hidden → outDim]. Null when gated. */
  readonly fc2: Linear | null = null;
  /** Gated: gate projection [dim → hidden] (goes through the activation). Null when plain. */
  readonly gate: Linear | null = null;
  /** Gated: up projection [dim → hidden]. Null when plain. */
  readonly up: Linear | null = null;
  /** Gated: down projection [hidden → outDim]. Null when plain. */
  readonly down: Linear | null = null;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly rate: number;

  constructor(readonly config: MLPConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('MLP', config, MLP_KEYS);
    const { dim } = config;
    checkPositiveInt('MLP', 'dim', dim);
    const gated = config.gated ?? false;
    this.hidden = config.hidden ?? (gated ? Math.ceil((8 * dim) / 3) : 4 * dim);
    checkPositiveInt('MLP', 'hidden', this.hidden);
    const outDim = config.outDim ?? dim;
    checkPositiveInt('MLP', 'outDim', outDim);
    this.act = activationFn(config.activation ?? (gated ? 'silu' : 'gelu'), 'MLP');
    this.rate = config.dropout ?? 0;
    checkDropoutRate('MLP', 'dropout', this.rate);
    const bias = config.bias ?? !gated;
    const h = this.hidden;
    if (gated) {
      this.gate = this.addModule('gate', new Linear({ inFeatures: dim, outFeatures: h, bias }, rng));
      this.up = this.addModule('up', new Linear({ inFeatures: dim, outFeatures: h, bias }, rng));
      this.down = this.addModule('down', new Linear({ inFeatures: h, outFeatures: outDim, bias }, rng));
    } else {
      this.fc1 = this.addModule('fc1', new Linear({ inFeatures: dim, outFeatures: h, bias }, rng));
      this.fc2 = this.addModule('fc2', new Linear({ inFeatures: h, outFeatures: outDim, bias }, rng));
    }
  }

  /** (..., dim) -> (..., outDim). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    let y: tf.Tensor;
    if (this.gate && this.up && this.down) {
      y = this.down.forward(tf.mul(this.act(this.gate.forward(x, ctx)), this.up.forward(x, ctx)), ctx);
    } else {
      y = this.fc2!.forward(this.act(this.fc1!.forward(x, ctx)), ctx);
    }
    return dropout(y, this.rate, ctx);
  }
}
