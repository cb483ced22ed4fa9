// T5 ("Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer", arXiv:1910.10683;
// `modeling_t5.py`) and Switch Transformers (arXiv:2101.03961; `modeling_switch_transformers.py`) as
// parameter specs. One `shared` embedding feeds both stacks; every attention is q/k/v/o without bias
// (inner width heads × d_kv), the first block of each stack holds the relative position bias
// (Embedding(buckets, heads)); decoder blocks add cross-attention; norms are T5 LayerNorms (weight only).
// T5's FFN is wi/wo, or wi_0/wi_1/wo with a "gated-…" feed_forward_proj (T5 v1.1). Switch's FFN is
// sparse in block i when (i % sparse_step == 1 or sparse_step == 1): a router classifier Linear(H, E)
// and E experts wi/wo. lm_head (ForConditionalGeneration) is tied to `shared` unless tie_word_embeddings
// is false (T5 v1.1, Switch checkpoints).

import { CalculatorError, mul } from './arith.js';
import { embedding, linear, raw, type BlockSpec, type ModelSpec, type ParamEntry } from './spec.js';
import type { HeadKind, SharingPlan } from './types.js';
import { CALCULATOR_LIMITS, type Fields } from './validate.js';
import { describeValue } from '../config.js';

/** A T5 or Switch Transformers config with defaults filled in. */
export interface ResolvedT5 {
  family: 'encoder-decoder' | 'moe';
  modelType: 't5' | 'switch_transformers';
  vocab: number;
  hidden: number;
  /** d_kv. */
  headDim: number;
  heads: number;
  ff: number;
  encoderLayers: number;
  decoderLayers: number;
  buckets: number;
  gated: boolean;
  tie: boolean;
  /** Switch: experts, router bias and which blocks are sparse. */
  switch: { experts: number; routerBias: boolean; encoderSparse: boolean[]; decoderSparse: boolean[] } | null;
}

/** Blocks made sparse by Switch's rule for a sparse step (0: none). */
function sparseBlocks(layers: number, step: number): boolean[] {
  return Array.from({ length: layers }, (_, i) => (step > 0 ? i % step === 1 || step === 1 : false));
}

/** Reads a t5 or switch_transformers config. */
export function resolveT5(f: Fields, modelType: 't5' | 'switch_transformers'): ResolvedT5 {
  const L = CALCULATOR_LIMITS;
  const sw = modelType === 'switch_transformers';
  const encoderLayers = f.aliasInt('num_layers', 'num_hidden_layers', 1, L.maxLayers, sw ? 12 : 6);
  const decoderLayers = f.optInt('num_decoder_layers', 1, L.maxLayers, encoderLayers);
  let gated = false;
  if (!sw) {
    // T5Config: feed_forward_proj "relu" | "gelu" | "gated-gelu" | …; is_gated_act is derived from it.
    const proj = f.value('feed_forward_proj');
    if (proj !== undefined && proj !== null) {
      const parts = typeof proj === 'string' ? proj.split('-') : [];
      if (parts.length === 0 || parts.length > 2 || (parts.length === 2 && parts[0] !== 'gated') || parts.some((x) => x === '')) {
        f.fail('feed_forward_proj', proj, 'an activation name, or "gated-" and one (e.g. "relu", "gated-gelu")');
      }
      gated = parts[0] === 'gated';
    }
    const explicit = f.value('is_gated_act');
    if (explicit !== undefined && explicit !== null) {
      const g = f.bool('is_gated_act', gated);
      if (proj !== undefined && proj !== null && g !== gated) {
        f.fail('is_gated_act', g, `${gated} to agree with feed_forward_proj=${describeValue(proj)}`);
      }
      gated = g;
    }
  }
  let switchCfg: ResolvedT5['switch'] = null;
  if (sw) {
    const experts = f.optInt('num_experts', 1, L.maxExperts, 8);
    // SwitchTransformersConfig derives the steps from num_sparse_*_layers; a step in the file wins (it is
    // set after the derivation, as transformers does with extra keys).
    const stepOf = (stack: 'encoder' | 'decoder', layers: number): number => {
      const given = f.optInt(`${stack}_sparse_step`, 0, L.maxLayers, null);
      if (given !== null) return given;
      const n = f.optInt(`num_sparse_${stack}_layers`, 0, layers, 3);
      return n > 0 ? Math.floor(layers / n) : 0;
    };
    switchCfg = {
      experts,
      routerBias: f.bool('router_bias', false),
      encoderSparse: sparseBlocks(encoderLayers, stepOf('encoder', encoderLayers)),
      decoderSparse: sparseBlocks(decoderLayers, stepOf('decoder', decoderLayers)),
    };
  }
  return {
    family: sw ? 'moe' : 'encoder-decoder',
    modelType,
    vocab: f.optInt('vocab_size', 1, L.maxVocab, 32128),
    hidden: f.aliasInt('d_model', 'hidden_size', 1, L.maxWidth, sw ? 768 : 512),
    headDim: f.optInt('d_kv', 1, L.maxWidth, 64),
    heads: f.aliasInt('num_heads', 'num_attention_heads', 1, L.maxHeads, sw ? 12 : 8),
    ff: f.optInt('d_ff', 1, L.maxIntermediate, sw ? 2048 : 2048),
    encoderLayers,
    decoderLayers,
    buckets: f.optInt('relative_attention_num_buckets', 1, 65_536, 32),
    gated,
    tie: f.bool('tie_word_embeddings', true),
    switch: switchCfg,
  };
}

/** q/k/v/o of one attention (`SelfAttention` / `EncDecAttention`), with the relative bias in block 0. */
function attention(prefix: string, cfg: ResolvedT5, relativeBias: boolean, row: string): ParamEntry[] {
  const H = cfg.hidden;
  const inner = mul('attention width', cfg.heads, cfg.headDim);
  const out = [
    linear(`${prefix}q`, 'attention', row, H, inner, false),
    linear(`${prefix}k`, 'attention', row, H, inner, false),
    linear(`${prefix}v`, 'attention', row, H, inner, false),
    linear(`${prefix}o`, 'attention', row, inner, H, false),
  ];
  if (relativeBias) out.push(raw(`${prefix}relative_attention_bias`, 'attention', 'relative position bias', mul('relative bias', cfg.buckets, cfg.heads)));
  return out;
}

/** The feed-forward layer of a block: dense (T5 / Switch dense) or routed (Switch sparse). */
function feedForward(prefix: string, cfg: ResolvedT5, sparse: boolean): ParamEntry[] {
  const H = cfg.hidden;
  const I = cfg.ff;
  if (cfg.switch) {
    if (!sparse) return [linear(`${prefix}mlp.wi`, 'ffn', 'feed-forward', H, I, false), linear(`${prefix}mlp.wo`, 'ffn', 'feed-forward', I, H, false)];
    const sw = cfg.switch;
    const routedE = { count: sw.experts, topK: 1 };
    return [
      linear(`${prefix}mlp.router.classifier`, 'router', 'router', H, sw.experts, sw.routerBias),
      { ...linear(`${prefix}mlp.experts.*.wi`, 'experts', 'routed experts', H, I, false), experts: routedE },
      { ...linear(`${prefix}mlp.experts.*.wo`, 'experts', 'routed experts', I, H, false), experts: routedE },
    ];
  }
  const d = `${prefix}DenseReluDense.`;
  return cfg.gated
    ? [linear(`${d}wi_0`, 'ffn', 'feed-forward', H, I, false), linear(`${d}wi_1`, 'ffn', 'feed-forward', H, I, false), linear(`${d}wo`, 'ffn', 'feed-forward', I, H, false)]
    : [linear(`${d}wi`, 'ffn', 'feed-forward', H, I, false), linear(`${d}wo`, 'ffn', 'feed-forward', I, H, false)];
}

/** One encoder or decoder block. */
function t5Block(cfg: ResolvedT5, decoder: boolean, i: number): BlockSpec {
  const H = cfg.hidden;
  const sparse = cfg.switch !== null && (decoder ? cfg.switch.decoderSparse[i] : cfg.switch.encoderSparse[i]) === true;
  const entries: ParamEntry[] = [
    ...attention('layer.0.SelfAttention.', cfg, i === 0, 'self-attention (q/k/v/o)'),
    raw('layer.0.layer_norm', 'norms', 'LayerNorms', H),
  ];
  let ff = 'layer.1.';
  if (decoder) {
    entries.push(...attention('layer.1.EncDecAttention.', cfg, false, 'cross-attention (q/k/v/o)'), raw('layer.1.layer_norm', 'norms', 'LayerNorms', H));
    ff = 'layer.2.';
  }
  entries.push(...feedForward(ff, cfg, sparse), raw(`${ff}layer_norm`, 'norms', 'LayerNorms', H));
  return { kind: `${decoder ? 'decoder' : 'encoder'}-${sparse ? 'sparse' : 'dense'}${i === 0 ? '-first' : ''}`, entries };
}

/** T5Model / T5ForConditionalGeneration (and the Switch equivalents). */
export function t5Spec(cfg: ResolvedT5, opts: { head: HeadKind; sharing: SharingPlan }): ModelSpec {
  if (opts.sharing !== 'none') {
    throw new CalculatorError(`sharing: plan ${describeValue(opts.sharing)} cannot be applied to ${cfg.modelType}: sharing plans map the layers of one stack, and an encoder-decoder has two`);
  }
  if (opts.head === 'classifier') {
    throw new CalculatorError(`options: head="classifier" is not counted for ${cfg.modelType}: expected none (the bare model) or lm (…ForConditionalGeneration)`);
  }
  const blocks: { path: string; spec: BlockSpec }[] = [];
  for (let i = 0; i < cfg.encoderLayers; i++) blocks.push({ path: `encoder.block.${i}.`, spec: t5Block(cfg, false, i) });
  for (let i = 0; i < cfg.decoderLayers; i++) blocks.push({ path: `decoder.block.${i}.`, spec: t5Block(cfg, true, i) });
  const top: ParamEntry[] = [
    embedding('shared', 'shared token embeddings', cfg.vocab, cfg.hidden, true),
    raw('encoder.final_layer_norm', 'norms', 'final LayerNorms', cfg.hidden),
    raw('decoder.final_layer_norm', 'norms', 'final LayerNorms', cfg.hidden),
  ];
  if (opts.head === 'lm') {
    const head: ParamEntry = { ...linear('lm_head', 'head', cfg.tie ? 'lm_head (tied to embeddings)' : 'lm_head', cfg.hidden, cfg.vocab, false), vocabHead: true };
    top.push(cfg.tie ? { ...head, tied: true } : head);
  }
  return { modelType: cfg.modelType, family: cfg.family, head: opts.head, top, blocks, slots: blocks.map((_, i) => i) };
}
