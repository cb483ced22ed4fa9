// An MLP classifier whose hidden layers follow a sharing plan (cross-layer sharing as in ALBERT
// arXiv:1909.11942, applied to a plain MLP stack): an unshared input layer, L hidden slots
// hidden[i] -> hidden[i+1] filled by the plan's Linears (slots sharing one must have equal
// shapes), residual where in = out, and an unshared head.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, ModuleList, activationFn, checkKnownKeys, configKeys, defaultRng, type ActivationName, type ForwardContext, type Rng, describeValue } from '@weft/core';
import { buildShared } from './apply.js';
import type { SharingPlan } from './plans.js';

/** Config of {@link SharedMLPClassifier}. */
export interface SharedMLPClassifierConfig {
  /** Input features. */
  inFeatures: number;
  /** Classes. */
  numClasses: number;
  /** Widths h0..hL; the input layer maps inFeatures -> h0, slot i maps h(i) -> h(i+1), so depth = hidden.length - 1 ≥ 1. */
  hidden: number[];
  /** The plan over the L slots. Default: 'all-shared'. */
  plan?: SharingPlan;
  /** Activation after every layer but the head. Default: 'relu'. */
  activation?: ActivationName;
  /** Add the input to a slot's output where its in and out widths are equal. Default: true. */
  residual?: boolean;
}

const KEYS = configKeys<SharedMLPClassifierConfig>({ inFeatures: true, numClasses: true, hidden: true, plan: true, activation: true, residual: true });

/** (B, inFeatures) -> (B, numClasses) with plan-shared hidden layers. */
export class SharedMLPClassifier extends Module {
  /** Input layer (unshared). */
  readonly input: Linear;
  /** The L hidden slots (shared entries are the same Linear). */
  readonly slots: ModuleList<Linear>;
  /** Head (unshared). */
  readonly head: Linear;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly config: SharedMLPClassifierConfig, rng: Rng = defaultRng()) {
    super();
    const L = 'SharedMLPClassifier';
    checkKnownKeys(L, config, KEYS);
    const { inFeatures, numClasses, hidden } = config;
    for (const [k, v] of [['inFeatures', inFeatures], ['numClasses', numClasses]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${L}: ${k}=${describeValue(v)} must be a positive integer`);
    }
    if (!Array.isArray(hidden) || hidden.length < 2) throw new Error(`${L}: hidden=${describeValue(hidden)} must list at least 2 widths (depth = hidden.length - 1 ≥ 1)`);
    hidden.forEach((h, i) => {
      if (!Number.isInteger(h) || h < 1) throw new Error(`${L}: hidden[${i}]=${describeValue(h)} must be a positive integer`);
    });
    this.act = activationFn(config.activation ?? 'relu', L);
    this.input = this.addModule('input', new Linear({ inFeatures, outFeatures: hidden[0]! }, rng));
    const shape = (s: number) => `${hidden[s]}→${hidden[s + 1]}`;
    const slots = buildShared(config.plan ?? 'all-shared', hidden.length - 1, (_b, s) => new Linear({ inFeatures: hidden[s]!, outFeatures: hidden[s + 1]! }, rng), shape);
    this.slots = this.addModule('slots', new ModuleList(slots));
    this.head = this.addModule('head', new Linear({ inFeatures: hidden.at(-1)!, outFeatures: numClasses }, rng));
  }

  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    let h = this.act(this.input.forward(x, ctx));
    const residual = this.config.residual ?? true;
    for (const layer of this.slots.items) {
      const y = this.act(layer.forward(h, ctx));
      h = residual && layer.config.inFeatures === layer.config.outFeatures ? tf.add(h, y) : y;
    }
    return this.head.forward(h, ctx);
  }
}
