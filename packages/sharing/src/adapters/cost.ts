// Parameter-Efficient Fine-Tuning for Large Models: A Comprehensive Survey (Han et al., arXiv:2403.14608):
// the per-method cost the survey tabulates — trainable parameters, extra inference compute unmerged,
// whether the update folds into the base weights (then the merged model costs nothing extra), extra
// training memory — as a function of a method's config and one Linear layer's shape. Each registry
// entry declares its own terms (`cost`); this file fills in what follows from them.
//
// FLOP convention (what adapter-cost.test.ts counts from the kernels a forward runs): a contraction
// (matmul, conv) costs 2 FLOPs per multiply-add; a reduction one per input element; any other
// arithmetic kernel one per output element; data movement (reshape, slice, gather, concat, …) none.
import { checkKnownKeys, describeValue } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import type { AdapterConfigBase } from './config.js';
import { adapterMethod, resolveAdapterConfig, type AnyAdapterConfig } from './registry.js';

/** The shape of the Linear layer an adapter is costed on. */
export interface CostShape {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Whether the layer has a bias (DoRA's forward subtracts it). Default: true. */
  bias?: boolean;
}

/** What a method's registry entry declares about one adapted Linear layer. */
export interface AdapterCostTerms {
  /** Parameters the adapter trains on this layer (shared pools and hypernetworks counted whole, as for a lone adapted layer). */
  trainable: number;
  /** Extra inference FLOPs per token with the adapter unmerged (beyond the base layer's 2·in·out + out). */
  flopsPerToken: number;
  /** Extra FLOPs once per forward call whatever the number of tokens (building ΔW, factors, gates from parameters). */
  flopsPerCall: number;
  /** Whether the adapter folds into the base weights (then the merged layer costs what the base costs). */
  mergeable: boolean;
}

/** A method's cost on one Linear layer: its entry's terms and what follows from them. */
export interface AdapterCost extends AdapterCostTerms {
  /** Registry name of the method. */
  method: string;
  /** Extra inference FLOPs per token after merging: 0 when mergeable, else {@link AdapterCostTerms.flopsPerToken}. */
  mergedFlopsPerToken: number;
  /**
   * Extra training memory in bytes for the adapter's own state: per trainable float32 parameter its
   * value, its gradient and Adam's two moments (16 bytes). Activations kept for the backward pass
   * are not included (they depend on the tokens in flight; S2A's view measures them).
   */
  trainBytes: number;
}

/** Bytes per trainable float32 parameter under Adam: value, gradient, first and second moment. */
export const ADAM_BYTES_PER_PARAMETER = 16;

/** The cost of adapter `config` on one Linear layer of `shape` at module path `path` (for per-layer patterns). */
export function adapterCost(config: AnyAdapterConfig | (Omit<AdapterConfigBase, 'targets'> & Record<string, unknown>), shape: CostShape, path = 'layer'): AdapterCost {
  const where = 'adapterCost';
  if (!shape || typeof shape !== 'object') throw new Error(`${where}: shape=${describeValue(shape)} must be { inFeatures, outFeatures, bias? }`);
  checkKnownKeys(`${where}: shape`, shape, ['inFeatures', 'outFeatures', 'bias']);
  const s: Required<CostShape> = {
    inFeatures: checkPositiveInt(where, 'shape.inFeatures', shape.inFeatures),
    outFeatures: checkPositiveInt(where, 'shape.outFeatures', shape.outFeatures),
    bias: shape.bias ?? true,
  };
  if (typeof s.bias !== 'boolean') throw new Error(`${where}: shape.bias=${describeValue(shape.bias)} must be true or false`);
  const resolved = resolveAdapterConfig(config as AdapterConfigBase);
  const terms = adapterMethod(resolved.method).cost(s, resolved, path);
  return {
    method: resolved.method,
    ...terms,
    mergedFlopsPerToken: terms.mergeable ? 0 : terms.flopsPerToken,
    trainBytes: ADAM_BYTES_PER_PARAMETER * terms.trainable,
  };
}
