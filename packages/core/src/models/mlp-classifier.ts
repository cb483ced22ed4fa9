// MLPClassifier: Linear–activation (–dropout) layers of the given widths, then a Linear to class logits.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { Module, ModuleList } from '../module.js';
import { defaultRng, type Rng } from '../random.js';
import { activationFn, type ActivationName } from '../layers/activations.js';
import { checkPositiveInt } from '../check.js';
import { checkDropoutRate, dropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { checkKnownKeys, configKeys, describeValue } from '../config.js';

/** Config of {@link MLPClassifier}. */
export interface MLPClassifierConfig {
  /** Input features. */
  inFeatures: number;
  /** Number of classes (output logits). */
  numClasses: number;
  /** Widths of the hidden layers, in order. Default: [64]. An empty list gives logistic regression. */
  hidden?: number[];
  /** Activation after each hidden layer. Default: 'relu'. */
  activation?: ActivationName;
  /** Dropout after each hidden activation in training. Default: 0. */
  dropout?: number;
  /** Biases in the Linears. Default: true. */
  bias?: boolean;
}

/** Every key of {@link MLPClassifierConfig}, for the unknown-key check. */
const MLP_CLASSIFIER_KEYS = configKeys<MLPClassifierConfig>({ inFeatures: true, numClasses: true, hidden: true, activation: true, dropout: true, bias: true });

/** A multilayer perceptron classifier: (..., inFeatures) -> (..., numClasses) logits. */
export class MLPClassifier extends Module {
  /** The Linears, hidden layers first, the output layer last. */
  readonly layers: ModuleList<Linear>;
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly rate: number;

  constructor(readonly config: MLPClassifierConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('MLPClassifier', config, MLP_CLASSIFIER_KEYS);
    checkPositiveInt('MLPClassifier', 'inFeatures', config.inFeatures);
    checkPositiveInt('MLPClassifier', 'numClasses', config.numClasses);
    const hidden = config.hidden ?? [64];
    if (!Array.isArray(hidden)) throw new Error(`MLPClassifier: hidden=${describeValue(hidden)} must be an array of widths`);
    hidden.forEach((h, i) => checkPositiveInt('MLPClassifier', `hidden[${i}]`, h));
    this.act = activationFn(config.activation ?? 'relu', 'MLPClassifier');
    this.rate = config.dropout ?? 0;
    checkDropoutRate('MLPClassifier', 'dropout', this.rate);
    const widths = [config.inFeatures, ...hidden, config.numClasses];
    const bias = config.bias ?? true;
    this.layers = this.addModule(
      'layers',
      new ModuleList(widths.slice(1).map((w, i) => new Linear({ inFeatures: widths[i]!, outFeatures: w, bias }, rng))),
    );
  }

  /** (..., inFeatures) -> (..., numClasses). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const n = this.layers.length;
    let h = x;
    for (let i = 0; i < n; i++) {
      h = this.layers.at(i).forward(h, ctx);
      if (i < n - 1) h = dropout(this.act(h), this.rate, ctx);
    }
    return h;
  }
}
