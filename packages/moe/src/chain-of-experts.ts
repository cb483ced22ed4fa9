// Chain-of-Experts — Wang et al., "Chain-of-Experts: Unlocking the Communication Power of
// Mixture-of-Experts Models", arXiv:2506.18945. One layer routes a token C times through the same
// experts, each iteration with its own router and re-routing on the previous iteration's output:
// x₀ = x, x_{t+1} = x_t + MoE_t(x_t), output x_C − x (so the layer stays a residual branch like an
// FFN). Compute per token is C·k experts, as an MoE with C·k experts per token.
// Departs from the paper: no per-iteration normalisation (its layers' pre-norm sits outside);
// shared (always-on) experts, if any, are each iteration's own.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, defaultRng, ForwardContext, Module, type Rng } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { layerExperts, MOE_CONFIG_KEYS, MoE, resolveMoEConfig, type MoEConfig } from './moe.js';

/** Config of {@link ChainOfExperts}: an {@link MoEConfig} plus the number of iterations. */
export interface ChainOfExpertsConfig extends MoEConfig {
  /** Routed iterations C through the shared experts (1 is a plain MoE). Default: 2. */
  iterations?: number;
}

/** A layer that routes each token C times through one set of experts, with a router per iteration. */
export class ChainOfExperts extends Module {
  /** One MoE per iteration: its own router, the one set of routed experts. */
  readonly steps: MoE[];

  constructor(config: ChainOfExpertsConfig, rng: Rng = defaultRng()) {
    super();
    checkKnownKeys('ChainOfExperts', config, [...MOE_CONFIG_KEYS, 'iterations']);
    const { iterations = 2, ...moe } = config;
    checkPositiveInt('ChainOfExperts', 'iterations', iterations);
    const name = moe.name ?? 'moe';
    const { experts, own } = layerExperts('ChainOfExperts', resolveMoEConfig({ ...moe, name }, 'ChainOfExperts'), rng, {});
    // A token reaches up to C·k distinct experts over the chain: each iteration reports that share (the ledger takes the largest).
    const elsewhere = Math.min(1, own * (iterations - 1));
    this.steps = Array.from({ length: iterations }, (_, i) => new MoE({ ...moe, name: i === 0 ? name : `${name}.iter${i}` }, rng, { experts, expertsShareElsewhere: elsewhere }));
    this.steps.forEach((m, i) => this.addModule(`step${i}`, m));
  }

  /** (..., d) -> (..., d): x_C − x after C routed residual iterations. */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    let h = x;
    for (const step of this.steps) h = tf.add(h, step.forward(h, ctx));
    return tf.sub(h, x);
  }
}
