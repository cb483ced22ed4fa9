// Adam, AdamW and SGD that update every parameter in one kernel call per step (PyTorch's
// foreach/fused optimizers; Adam: "Adam: A Method for Stochastic Optimization", arXiv:1412.6980;
// AdamW: "Decoupled Weight Decay Regularization", arXiv:1711.05101). They are tf.Optimizers: the
// trainer, minimize and a mutable `learningRate` work as with tfjs's own. On cpu, wasm and webgpu the
// update is Weft's WeftAdamUpdate / WeftSgdUpdate kernel (kernels/optimizer-update.ts, WGSL in
// optimizer-update-webgpu.ts); on other backends
// the same formulas run op by op. Optimizer state (moments, β^t) lives in variables, so the
// trainer's non-finite guard restores it with the weights after a skipped step.
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, SGD_UPDATE } from '../kernels/optimizer-update.js';

/** A named tensor, as tfjs optimizers list their weights (tfjs-core does not export the type). */
type NamedTensor = { name: string; tensor: tf.Tensor };
type Gradients = tf.NamedTensorMap | NamedTensor[];

/** (variable, gradient) pairs of the gradients that are present. */
function pairs(gradients: Gradients): [tf.Variable, tf.Tensor][] {
  const entries: [string, tf.Tensor | null | undefined][] = Array.isArray(gradients) ? gradients.map((g) => [g.name, g.tensor]) : Object.entries(gradients);
  const out: [tf.Variable, tf.Tensor][] = [];
  for (const [name, g] of entries) {
    if (g == null) continue;
    const v = tf.engine().registeredVariables[name];
    if (!v) throw new Error(`fused optimizer: no variable named ${JSON.stringify(name)} is registered`);
    out.push([v, g]);
  }
  return out;
}

/** Whether Weft's kernel `name` runs on the active backend. */
const fused = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;

/** Options of {@link FusedAdam}. */
export interface FusedAdamOptions {
  /** β1. Default: 0.9. */
  beta1?: number;
  /** β2. Default: 0.999. */
  beta2?: number;
  /** ε. Default: the backend's epsilon (as tfjs's Adam: 1e-7 on float32 backends). */
  epsilon?: number;
  /** Decoupled weight decay λ (AdamW: x ← x − lr·λ·x before the Adam step). Default: 0 (Adam). */
  weightDecay?: number;
}

/** Adam (weightDecay 0, equal to tfjs's `tf.train.adam`) or AdamW, one kernel per step on cpu, wasm and webgpu. */
export class FusedAdam extends tf.Optimizer {
  /** Serialization name. */
  static get className(): string {
    return 'WeftFusedAdam';
  }
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  /** [β1^t, β2^t] (t = steps taken + 1), a variable so a skipped step restores it. */
  private acc: tf.Variable | null = null;

  /** `learningRate` may be changed between steps (schedules). */
  constructor(public learningRate: number, options: FusedAdamOptions = {}) {
    super();
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? tf.backend().epsilon();
    this.weightDecay = options.weightDecay ?? 0;
  }

  private state(v: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let s = this.moments.get(v.name);
    if (!s) {
      s = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(v), false), v: tf.variable(tf.zerosLike(v), false) }));
      this.moments.set(v.name, s);
    }
    return s;
  }

  override applyGradients(gradients: Gradients): void {
    const ps = pairs(gradients);
    this.acc ??= tf.tidy(() => tf.variable(tf.tensor1d([this.beta1, this.beta2]), false));
    const acc = this.acc;
    const states = ps.map(([v]) => this.state(v));
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this;
    tf.tidy(() => {
      if (fused(ADAM_UPDATE)) {
        const inputs: tf.NamedTensorMap = { acc };
        ps.forEach(([x, g], i) => Object.assign(inputs, { [`x${i}`]: x, [`g${i}`]: g, [`m${i}`]: states[i]!.m, [`v${i}`]: states[i]!.v }));
        const attrs = { count: ps.length, learningRate, beta1, beta2, epsilon, weightDecay };
        const outs = tf.engine().runKernel(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
        ps.forEach(([x], i) => {
          x.assign(outs[3 * i]!);
          states[i]!.m.assign(outs[3 * i + 1]!);
          states[i]!.v.assign(outs[3 * i + 2]!);
        });
        acc.assign(outs[3 * ps.length]!);
        return;
      }
      // The same formulas op by op (tfjs's Adam, with the decoupled decay in front).
      const [a1, a2] = tf.unstack(acc) as [tf.Scalar, tf.Scalar]; // β1^t, β2^t
      const [c1, c2] = [tf.sub(1, a1), tf.sub(1, a2)];
      ps.forEach(([x, g], i) => {
        const { m, v } = states[i]!;
        const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const step = tf.div(tf.div(m2, c1), tf.add(tf.sqrt(tf.div(v2, c2)), epsilon));
        const decayed = weightDecay === 0 ? x : tf.mul(x, 1 - learningRate * weightDecay);
        m.assign(m2);
        v.assign(v2);
        x.assign(tf.sub(decayed, tf.mul(step, learningRate)));
      });
      acc.assign(tf.mul(acc, tf.tensor1d([beta1, beta2])));
    });
    this.incrementIterations();
  }

  override dispose(): void {
    super.dispose();
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
    this.acc?.dispose();
    this.acc = null;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const moments = [...this.moments].flatMap(([name, { m, v }]) => [{ name: `${name}/m`, tensor: m }, { name: `${name}/v`, tensor: v }]);
    return [await this.saveIterations(), ...(this.acc ? [{ name: 'acc', tensor: this.acc }] : []), ...moments];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    for (const { name, tensor } of rest) {
      if (name === 'acc') {
        this.acc?.dispose();
        this.acc = tf.variable(tensor, false);
        continue;
      }
      const [varName, slot] = [name.slice(0, name.lastIndexOf('/')), name.slice(name.lastIndexOf('/') + 1)];
      const v = tf.engine().registeredVariables[varName];
      if (!v || (slot !== 'm' && slot !== 'v')) throw new Error(`FusedAdam.setWeights: weight ${JSON.stringify(name)} is not <variable>/m or <variable>/v of a registered variable`);
      const s = this.state(v);
      s[slot].assign(tensor);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }

  /** The optimizer of a config from {@link getConfig}. */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const c = config as unknown as { learningRate: number } & FusedAdamOptions;
    return new (cls as unknown as typeof FusedAdam)(c.learningRate, c) as unknown as T;
  }
}

/** Plain SGD (equal to tfjs's `tf.train.sgd`), one kernel per step on cpu, wasm and webgpu. */
export class FusedSGD extends tf.Optimizer {
  /** Serialization name. */
  static get className(): string {
    return 'WeftFusedSGD';
  }

  /** `learningRate` may be changed between steps (schedules). */
  constructor(public learningRate: number) {
    super();
  }

  override applyGradients(gradients: Gradients): void {
    const ps = pairs(gradients);
    const lr = this.learningRate;
    tf.tidy(() => {
      if (fused(SGD_UPDATE)) {
        const inputs: tf.NamedTensorMap = {};
        ps.forEach(([x, g], i) => Object.assign(inputs, { [`x${i}`]: x, [`g${i}`]: g }));
        const outs = tf.engine().runKernel(SGD_UPDATE, inputs, { count: ps.length, learningRate: lr }) as unknown as tf.Tensor[];
        ps.forEach(([x], i) => x.assign(outs[i]!));
        return;
      }
      for (const [x, g] of ps) x.assign(tf.sub(x, tf.mul(g, lr)));
    });
    this.incrementIterations();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate };
  }

  /** The optimizer of a config from {@link getConfig}. */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new (cls as unknown as typeof FusedSGD)((config as { learningRate: number }).learningRate) as unknown as T;
  }
}
