// Neural Parameter Allocation Search (arXiv:2006.10598): a Linear whose n = in·out weights come from
// a shared ParameterBank of P values. P ≥ n: K templates of n consecutive bank values (evenly spaced
// starts) mixed by K learned coefficients (SSN's weighted average of templates); P < n: the bank read
// from this layer's offset and repeated to length n, times one learned coefficient (SSN's repetition).
// Departs from SSN: no learned grouping of layers (one bank for all) and no coefficient embedding.
import * as tf from '@tensorflow/tfjs-core';
import { Module, defaultRng, resolveConfig, type ForwardContext, type Rng } from '@weft/core';
import { checkBool, checkPositiveInt } from '@weft/core/internal';
import type { ParameterBank } from './parameter-bank.js';

/** Config of {@link BankLinear}. */
export interface BankLinearConfig {
  /** Input width. Default: 0 (must be given). */
  inFeatures: number;
  /** Output width. Default: 0 (must be given). */
  outFeatures: number;
  /** Most templates K mixed when the bank holds at least in·out values. Default: 4. */
  templates: number;
  /** An own (unshared) bias. Default: true. */
  bias: boolean;
}

/** The documented defaults of {@link BankLinearConfig}. */
export const BANK_LINEAR_DEFAULTS: BankLinearConfig = { inFeatures: 0, outFeatures: 0, templates: 4, bias: true };

/** y = x·W + b with W [in, out] = λ·Σₖ αₖ·Tₖ built from the bank (λ rescales U(±init) to U(±1/√in)). */
export class BankLinear extends Module<tf.Tensor, tf.Tensor> {
  /** The resolved config. */
  readonly cfg: BankLinearConfig;
  /** The coefficients α [K]. */
  readonly coefficients: tf.Variable;
  /** The bias [out], or null. */
  readonly bias: tf.Variable | null;
  /** Templates K in use (1 when the bank is smaller than the layer). */
  readonly numTemplates: number;
  /** Bank positions read: [K, in·out] int32, fixed. */
  readonly index: tf.Tensor2D;
  private readonly lambda: number;

  constructor(config: Partial<BankLinearConfig> & Pick<BankLinearConfig, 'inFeatures' | 'outFeatures'>, bank: ParameterBank, rng: Rng = defaultRng()) {
    super();
    const W = 'BankLinear';
    const c = (this.cfg = resolveConfig(W, BANK_LINEAR_DEFAULTS, config));
    const i = checkPositiveInt(W, 'inFeatures', c.inFeatures);
    const o = checkPositiveInt(W, 'outFeatures', c.outFeatures);
    checkPositiveInt(W, 'templates', c.templates);
    checkBool(W, 'bias', c.bias);
    const n = i * o;
    const P = bank.cfg.size;
    const K = P >= n ? Math.min(c.templates, Math.floor(P / n)) : 1;
    this.numTemplates = K;
    const idx = new Int32Array(K * n);
    if (P >= n) {
      for (let k = 0; k < K; k++) {
        const start = K === 1 ? 0 : Math.floor((k * (P - n)) / (K - 1));
        for (let j = 0; j < n; j++) idx[k * n + j] = start + j;
      }
    } else {
      const start = bank.nextOffset(n);
      for (let j = 0; j < n; j++) idx[j] = (start + j) % P;
    }
    this.index = tf.tensor2d(idx, [K, n], 'int32');
    this.lambda = 1 / Math.sqrt(i) / bank.cfg.init;
    this.addModule('bank', bank);
    // α = 1/√K: K independent templates summed keep one template's scale.
    this.coefficients = this.addParameter('coefficients', tf.fill([K], 1 / Math.sqrt(K)));
    this.bias = c.bias ? this.addParameter('bias', tf.tensor1d(rng.uniformArray(o, -1 / Math.sqrt(i), 1 / Math.sqrt(i)))) : null;
  }

  /** The weight W [in, out] this layer uses now. */
  weight(): tf.Tensor2D {
    const bank = (this.namedChildren().get('bank') as ParameterBank).weight;
    const t = tf.gather(bank, this.index); // (K, n)
    const w = tf.matMul(tf.reshape(this.coefficients, [1, this.numTemplates]), t); // (1, K)·(K, n) -> (1, n)
    return tf.reshape(tf.mul(w, this.lambda), [this.cfg.inFeatures, this.cfg.outFeatures]); // (1, n) -> (in, out)
  }

  forward(x: tf.Tensor, _ctx?: ForwardContext): tf.Tensor {
    const { inFeatures: i, outFeatures: o } = this.cfg;
    if (x.shape.at(-1) !== i) throw new Error(`BankLinear: x has shape [${x.shape}]; its last dimension must equal inFeatures=${i}`);
    let y = tf.matMul(tf.reshape(x, [-1, i]), this.weight()); // (N, in)·(in, out) -> (N, out)
    if (this.bias) y = tf.add(y, this.bias);
    return tf.reshape(y, [...x.shape.slice(0, -1), o]); // (N, out) -> (..., out)
  }

  /** Dispose parameters and the index map. */
  override dispose(): void {
    super.dispose();
    this.index.dispose();
  }
}
