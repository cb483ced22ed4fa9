// σ-MoE feed-forward — Csordás, Irie & Schmidhuber, "Approximating Two-Layer Feedforward Networks
// for Efficient Transformers", arXiv:2310.10837 (MoEUT's FFN, arXiv:2405.16039): the MoE layer
// with the 'sigma' router (sigmoid top-k gates, no renormalisation, expert dropout, the entropy
// balancing regulariser; its peri-layernorm on the selection input) and no other balance loss.
// `sigmaMoE` returns a factory for core's TransformerBlock `ffn` / @weft/sharing's MoEUT.
// Departs from the paper: the experts are the layer's 'ffn' kind (GELU, with biases) where the
// paper uses ReLU without biases.
import { resolveConfig, type FfnFactory } from '@weft/core';
import { MoE } from './moe.js';

/** Config of {@link sigmaMoE}. */
export interface SigmaMoEConfig {
  /** Experts E. Default: 8. */
  numExperts: number;
  /** Experts per token k. Default: 2. */
  topK: number;
  /** Hidden width of each expert. Default: dim. */
  hidden: number | null;
  /** Probability of dropping a (token, expert) pair from the choice in training. Default: 0. */
  expertDropout: number;
  /** Weight of the entropy balancing regulariser. Default: 0.01. */
  entropyWeight: number;
  /** LayerNorm on the selection input only (MoEUT's peri-layernorm). Default: true. */
  periNorm: boolean;
  /** 'sparse' or 'dense' (every expert, masked — the test reference). Default: 'sparse'. */
  dispatch: 'sparse' | 'dense';
}

/** The documented defaults of {@link SigmaMoEConfig}. */
export const SIGMA_MOE_DEFAULTS: SigmaMoEConfig = { numExperts: 8, topK: 2, hidden: null, expertDropout: 0, entropyWeight: 0.01, periNorm: true, dispatch: 'sparse' };

/** A factory (dim, rng) -> σ-MoE layer, for a block's `ffn`. Checks the config now; MoE checks the sizes at build. */
export function sigmaMoE(config: Partial<SigmaMoEConfig> = {}): FfnFactory {
  const c = resolveConfig('sigmaMoE', SIGMA_MOE_DEFAULTS, config);
  return (dim, rng) =>
    new MoE(
      {
        dim, numExperts: c.numExperts, topK: c.topK, hidden: c.hidden ?? dim, router: 'sigma', dispatch: c.dispatch,
        routerConfig: { expertDropout: c.expertDropout, entropyWeight: c.entropyWeight, norm: c.periNorm },
        loadBalance: 'none', zLossWeight: 0,
      },
      rng,
    );
}
