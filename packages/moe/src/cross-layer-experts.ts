// Megrez2 Technical Report (arXiv:2507.17728): cross-layer expert sharing — adjacent MoE layers
// reuse one bank of routed experts, each layer keeping its own router (Megrez2-3x7B: every 3 layers).
// Built on MoE's `experts` option, so this is the one mechanism for experts shared across layers
// (a shared expert bank, per-layer routers); a sharing plan from core's registry says which bank each
// layer uses. Departs from the paper: no pre-gated routing (each router reads its own layer's input).
import { TinyTransformer, TransformerBlock, checkKnownKeys, configKeys, defaultRng, planSlots, describeValue, type Rng, type SharingPlan, type TinyTransformerConfig } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';
import { MoE, resolveMoEConfig, type MoEConfig } from './moe.js';
import { routerActiveShare } from './routers/index.js';
import { routerShapeOf } from './moe.js';

/** Config of {@link crossLayerMoE} (plain JSON). */
export interface CrossLayerMoEConfig {
  /** Every layer's MoE settings (dim, numExperts, topK, router, hidden, …); layer i's aux-loss and stat names get the suffix `.i`. */
  moe: MoEConfig;
  /** Number of MoE layers L. */
  depth: number;
  /**
   * Which expert bank each layer uses, as a sharing plan over the L layers. Default:
   * `{ name: 'block-repeat', repeat: 3 }` (Megrez2: each bank serves 3 adjacent layers; 'none' = a bank per layer).
   */
  plan?: SharingPlan;
}

const KEYS = configKeys<CrossLayerMoEConfig>({ moe: true, depth: true, plan: true });

/** Megrez2's default plan: every 3 adjacent layers share one expert bank. */
export const MEGREZ2_PLAN: SharingPlan = { name: 'block-repeat', repeat: 3 };

/**
 * L MoE layers, each with its own router, whose routed experts come from banks placed by `plan`
 * (layers on one bank share its `StackedExperts` object: stored once, used by each). In the
 * ledger a token reaches k/E of a bank through each layer using it, at most (layers on the bank)·k/E
 * of it in all (an upper bound: the layers' choices may coincide), which every layer reports.
 */
export function crossLayerMoE(config: CrossLayerMoEConfig, rng: Rng = defaultRng()): MoE[] {
  const who = 'crossLayerMoE';
  if (config === null || typeof config !== 'object') throw new Error(`${who}: config=${describeValue(config)} must be an object { moe, depth, plan? }`);
  checkKnownKeys(who, config, KEYS);
  const depth = checkPositiveInt(who, 'depth', config.depth);
  const c = resolveMoEConfig(config.moe, `${who}.moe`);
  const slots = planSlots(config.plan ?? MEGREZ2_PLAN, depth);
  const own = routerActiveShare(c.router, c.routerConfig, routerShapeOf(c));
  const users = slots.map((b) => slots.filter((o) => o === b).length);
  const banks = new Map<number, MoE>();
  return slots.map((bank, i) => {
    const first = banks.get(bank);
    const layer = new MoE(
      { ...config.moe, name: `${c.name}.${i}` },
      rng,
      first ? { experts: first.experts, expertsShareElsewhere: Math.min(1, (users[i]! - 1) * own) } : {},
    );
    if (!first) banks.set(bank, layer);
    return layer;
  });
}

/** Config of {@link megrez2Transformer}: a TinyTransformer whose every block's FFN is a {@link crossLayerMoE} layer. */
export interface Megrez2TransformerConfig extends Omit<TinyTransformerConfig, 'ffn'> {
  /** The MoE settings of every block (`dim` is the model's). */
  moe: Omit<MoEConfig, 'dim'>;
  /** The plan of expert banks over the blocks. Default: {@link MEGREZ2_PLAN}. */
  expertPlan?: SharingPlan;
}

const T_KEYS = configKeys<Megrez2TransformerConfig>({
  vocabSize: true, maxLen: true, dim: true, depth: true, numHeads: true, numKVHeads: true, head: true, numClasses: true, pool: true, tieEmbeddings: true,
  causal: true, norm: true, normEps: true, gated: true, mlpHidden: true, activation: true, bias: true, dropout: true, embedInitStd: true, moe: true, expertPlan: true,
});

/** A TinyTransformer with per-block attention and routers and expert banks shared across adjacent blocks (Megrez2). */
export function megrez2Transformer(config: Megrez2TransformerConfig, rng: Rng = defaultRng()): TinyTransformer {
  checkKnownKeys('megrez2Transformer', config, T_KEYS);
  const { moe, expertPlan, ...model } = config;
  const dim = model.dim ?? 32;
  const depth = model.depth ?? 2;
  const layers = crossLayerMoE({ moe: { ...moe, dim }, depth, plan: expertPlan ?? MEGREZ2_PLAN }, rng);
  const head = model.head ?? 'lm';
  const blocks = layers.map((ffn) =>
    new TransformerBlock(
      { dim, numHeads: model.numHeads ?? 4, numKVHeads: model.numKVHeads, causal: model.causal ?? head === 'lm', norm: model.norm, normEps: model.normEps, bias: model.bias, dropout: model.dropout, ffn },
      rng,
    ),
  );
  return new TinyTransformer(model, rng, { blocks });
}
