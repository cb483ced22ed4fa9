// LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685); rsLoRA (arXiv:2312.03732);
// DoRA: Weight-Decomposed Low-Rank Adaptation (arXiv:2402.09353).
// y = x W + b + s · (drop(x) A) B with A [fanIn, r], B [r, out] (PEFT's lora_A/lora_B transposed),
// s = alpha/r or alpha/√r. DoRA: y = b + m/‖W + sAB‖ ⊙ (x W + s·x A B), the column norm detached as
// in PEFT (DoRA §4.3). Conv bases: A is a conv kernel [kh, kw, in, r], B a 1×1 conv.
import * as tf from '@tensorflow/tfjs-core';
import { dropout, type ForwardContext, type Rng } from '@weft/core';
import { AdapterLayer, kaimingBound, peftTensor, type PeftTensors } from '../adapter-layer.js';
import { applyFlat, applyWeight, channelMatMul, detach, fanIn, flatWeight, toWeightShape, type BaseOp } from '../base-op.js';
import { loraScaling } from './config.js';

/** Per-layer settings of a LoRA adapter. */
export interface LoraLayerOptions {
  r: number;
  alpha: number;
  dropout: number;
  rslora: boolean;
  dora: boolean;
  initWeights: boolean;
}

/** A LoRA (or DoRA) adapter on one base layer. */
export class LoraLayer extends AdapterLayer {
  readonly method = 'lora';
  /** A, [fanIn, r]. */
  readonly loraA: tf.Variable;
  /** B, [r, out]. */
  readonly loraB: tf.Variable;
  /** DoRA magnitude m, [out], or null. */
  readonly magnitude: tf.Variable | null;
  /** The scaling factor s. */
  readonly scaling: number;
  private mergedNorm: tf.Tensor | null = null;

  constructor(base: BaseOp, readonly options: LoraLayerOptions, rng: Rng) {
    super(base);
    const { r } = options;
    const k = fanIn(base);
    this.scaling = loraScaling(options.alpha, r, options.rslora);
    this.loraA = this.addParameter('lora_A', tf.tensor2d(rng.uniformArray(k * r, -kaimingBound(k), kaimingBound(k)), [k, r]));
    this.loraB = this.addParameter(
      'lora_B',
      options.initWeights ? tf.zeros([r, base.outFeatures]) : tf.tensor2d(rng.uniformArray(r * base.outFeatures, -kaimingBound(r), kaimingBound(r)), [r, base.outFeatures]),
    );
    this.magnitude = options.dora ? this.addParameter('magnitude', tf.tidy(() => this.adaptedNorm())) : null;
  }

  /** s · A B, flat [fanIn, out]. */
  private lowRank(): tf.Tensor2D {
    return tf.mul(tf.matMul(this.loraA, this.loraB), this.scaling);
  }

  /** ‖W + sAB‖ per output column (over fanIn), [out]. */
  private adaptedNorm(): tf.Tensor1D {
    return tf.norm(tf.add(flatWeight(this.base), this.lowRank()), 'euclidean', 0) as tf.Tensor1D;
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      if (!this.magnitude) return this.lowRank();
      const w = flatWeight(this.base);
      const adapted = tf.add(w, this.lowRank());
      return tf.sub(tf.mul(adapted, tf.div(this.magnitude, tf.norm(adapted, 'euclidean', 0))), w) as tf.Tensor2D;
    });
  }

  transformOutput(x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const xd = dropout(x, this.options.dropout, ctx);
    // Scale the small (N, r) projection, not the (N, out) output (tfjs wasm's fused matMul takes
    // only a rank-1 bias, so y is added separately).
    const h = tf.mul(applyFlat(this.base, xd, this.loraA), this.scaling); // (N, r) or (B, H, W, r)
    if (!this.magnitude) return tf.add(y, channelMatMul(h, this.loraB));
    const lora = channelMatMul(h, this.loraB);
    const scale = tf.div(this.magnitude, detach(this.adaptedNorm())); // [out]
    const baseResult = xd === x ? yBase : applyWeight(this.base, xd, this.base.weight);
    return tf.add(y, tf.add(tf.mul(tf.sub(scale, 1), baseResult), tf.mul(scale, lora)));
  }

  merge(): void {
    const w = this.base.weight;
    if (!this.magnitude) {
      w.assign(tf.tidy(() => tf.add(w, toWeightShape(this.base, this.lowRank()))));
      return;
    }
    const norm = tf.keep(tf.tidy(() => this.adaptedNorm()));
    w.assign(tf.tidy(() => toWeightShape(this.base, tf.mul(tf.add(flatWeight(this.base), this.lowRank()), tf.div(this.magnitude!, norm)))));
    this.mergedNorm?.dispose();
    this.mergedNorm = norm;
  }

  unmerge(): void {
    const w = this.base.weight;
    if (!this.magnitude) {
      w.assign(tf.tidy(() => tf.sub(w, toWeightShape(this.base, this.lowRank()))));
      return;
    }
    if (!this.mergedNorm) throw new Error('LoRA (DoRA): unmerge without a merge');
    const norm = this.mergedNorm;
    w.assign(tf.tidy(() => toWeightShape(this.base, tf.sub(tf.div(flatWeight(this.base), tf.div(this.magnitude!, norm)), this.lowRank()))));
    norm.dispose();
    this.mergedNorm = null;
  }

  peftTensors(): PeftTensors {
    return tf.tidy(() => {
      const { base } = this;
      const r = this.options.r;
      const out: PeftTensors = {};
      if (base.kind === 'linear') {
        out['lora_A.weight'] = tf.transpose(this.loraA); // [in, r] -> [r, in]
        out['lora_B.weight'] = tf.transpose(this.loraB); // [r, out] -> [out, r]
      } else {
        const [kh, kw] = base.conv!.kernel;
        out['lora_A.weight'] = tf.transpose(tf.reshape(this.loraA, [kh, kw, base.inFeatures, r]), [3, 2, 0, 1]); // -> [r, in, kh, kw]
        out['lora_B.weight'] = tf.reshape(tf.transpose(this.loraB), [base.outFeatures, r, 1, 1]); // -> [out, r, 1, 1]
      }
      if (this.magnitude) {
        if (base.kind !== 'linear') throw new Error('PEFT: DoRA on conv layers is not supported by Weft\'s PEFT I/O (option use_dora on a Conv2d)');
        out['lora_magnitude_vector'] = tf.clone(this.magnitude);
      }
      return out;
    });
  }

  loadPeftTensors(tensors: PeftTensors, where: string): void {
    const { base } = this;
    const r = this.options.r;
    const linear = base.kind === 'linear';
    const [kh, kw] = base.conv?.kernel ?? [1, 1];
    const a = peftTensor(tensors, 'lora_A.weight', linear ? [r, base.inFeatures] : [r, base.inFeatures, kh, kw], where);
    const b = peftTensor(tensors, 'lora_B.weight', linear ? [base.outFeatures, r] : [base.outFeatures, r, 1, 1], where);
    const m = this.magnitude ? peftTensor(tensors, 'lora_magnitude_vector', [base.outFeatures], where) : null;
    const extra = Object.keys(tensors).filter((k) => !['lora_A.weight', 'lora_B.weight', ...(m ? ['lora_magnitude_vector'] : [])].includes(k));
    if (extra.length > 0) throw new Error(`PEFT: ${where}: unexpected tensors ${extra.join(', ')} for this LoRA config`);
    tf.tidy(() => {
      this.loraA.assign(linear ? tf.transpose(a) : tf.reshape(tf.transpose(a, [2, 3, 1, 0]), [kh * kw * base.inFeatures, r])); // [r, in, kh, kw] -> [kh·kw·in, r]
      this.loraB.assign(tf.transpose(tf.reshape(b, [base.outFeatures, r]))); // [out, r(,1,1)] -> [r, out]
      if (m) this.magnitude!.assign(m);
    });
  }

  override dispose(): void {
    this.mergedNorm?.dispose();
    this.mergedNorm = null;
    super.dispose();
  }
}
