// MoEUT — Csordás, Irie, Schmidhuber, Potts & Manning, "MoEUT: Mixture-of-Experts Universal
// Transformers", arXiv:2405.16039. A Universal Transformer whose L layer slots are filled by G
// distinct layers repeated as a group (slots 0..G-1, 0..G-1, …: the 'cycle' sharing plan), each
// layer SwitchHead attention plus a σ-MoE feed-forward. Peri-layernorm, as the paper specifies:
// no layernorm on the residual branches' main path — only on the inputs of projections that are
// immediately followed by a softmax or a sigmoid (queries and keys of attention, the expert
// selections of attention and feed-forward), plus the final layernorm before the readout (the
// model's `norm`). Values and feed-forward experts read the raw residual stream.
// The σ-MoE lives in @weft/moe (which may depend on this package, not the other way): pass
// `ffn: sigmaMoE({...})` from @weft/moe; the layer puts no norm before it (σ-MoE's router norms
// its own selection input). Both MoEs add their entropy balancing terms in training (σ-MoE 0.01,
// SwitchHead 0.001 by default, as the paper's code). Departures: learned absolute positions
// (TinyTransformer's table) where the paper uses rotary ones; its scaled init is not reproduced.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, TinyTransformer, defaultRng, resolveConfig, splitSequenceInput, type FfnFactory, type Rng, type SequenceInput } from '@weft/core';
import { checkInt, checkPositiveInt } from '@weft/core/internal';
import { buildShared } from '../cross-layer/apply.js';
import { SwitchHeadAttention, type SwitchHeadConfig } from './switch-head.js';

/** One MoEUT layer: h = x + SwitchHead(x); y = h + ffn(h) (norms only inside the sigmoid/softmax-gated parts). */
export class MoEUTLayer extends Module<SequenceInput, tf.Tensor> {
  /** SwitchHead attention. */
  readonly attn: SwitchHeadAttention;
  /** The feed-forward part (σ-MoE from @weft/moe). */
  readonly ffn: Module<tf.Tensor, tf.Tensor>;

  constructor(attn: SwitchHeadAttention, ffn: Module<tf.Tensor, tf.Tensor>) {
    super();
    this.attn = this.addModule('attn', attn);
    this.ffn = this.addModule('ffn', ffn);
  }

  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const h = tf.add(x, this.attn.forward({ x, attentionMask }, ctx));
    return tf.add(h, this.ffn.forward(h, ctx));
  }
}

/** Config of {@link moeut}. */
export interface MoEUTConfig {
  /** Vocabulary size. Default: 0 (must be given). */
  vocabSize: number;
  /** Longest sequence. Default: 0 (must be given). */
  maxLen: number;
  /** Model width d. Default: 32. */
  dim: number;
  /** Layer slots L (the depth the input goes through). Default: 4. */
  depth: number;
  /** Distinct layers per group G (must divide depth); the group repeats depth/G times. Default: 2. */
  groupSize: number;
  /** SwitchHead options (dim and causal come from here). Default: SwitchHead's. */
  attention: Partial<Omit<SwitchHeadConfig, 'dim' | 'causal'>>;
  /** 'lm' or 'classifier'. Default: 'lm'. */
  head: 'lm' | 'classifier';
  /** Classes of the 'classifier' head. Default: null (needed for 'classifier'). */
  numClasses: number | null;
  /** Causal attention. Default: true for 'lm', false for 'classifier'. */
  causal: boolean | null;
}

/** The documented defaults of {@link MoEUTConfig} (without the required `ffn`). */
export const MOEUT_DEFAULTS: MoEUTConfig = { vocabSize: 0, maxLen: 0, dim: 32, depth: 4, groupSize: 2, attention: {}, head: 'lm', numClasses: null, causal: null };

/**
 * Build a MoEUT: a TinyTransformer (embeddings, final layernorm, head) whose `depth` block slots
 * hold `groupSize` MoEUTLayers in the cycle 0..G-1, 0..G-1, …, each with its own `ffn(dim, rng)`.
 */
export function moeut(config: Partial<MoEUTConfig> & Pick<MoEUTConfig, 'vocabSize' | 'maxLen'>, ffn: FfnFactory, rng: Rng = defaultRng()): TinyTransformer<Module<tf.Tensor, tf.Tensor>> {
  const W = 'moeut';
  const c = resolveConfig(W, MOEUT_DEFAULTS, config);
  const depth = checkPositiveInt(W, 'depth', c.depth);
  const g = checkInt(W, 'groupSize', c.groupSize, 1, depth);
  if (depth % g !== 0) throw new Error(`${W}: groupSize=${g} must divide depth=${depth}`);
  if (typeof ffn !== 'function') throw new Error(`${W}: ffn must be a factory (dim, rng) => module (e.g. @weft/moe's sigmaMoE({...})), got ${typeof ffn}`);
  const causal = c.causal ?? c.head === 'lm';
  const blocks = buildShared({ name: 'cycle', unique: g }, depth, () =>
    new MoEUTLayer(new SwitchHeadAttention({ ...c.attention, dim: c.dim, causal }, rng), ffn(c.dim, rng)),
  );
  return new TinyTransformer<Module<tf.Tensor, tf.Tensor>>(
    { vocabSize: c.vocabSize, maxLen: c.maxLen, dim: c.dim, depth, head: c.head, causal, ...(c.numClasses === null ? {} : { numClasses: c.numClasses }) },
    rng,
    { blocks },
  );
}
