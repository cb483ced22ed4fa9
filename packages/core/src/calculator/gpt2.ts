// GPT-2 ("Language Models are Unsupervised Multitask Learners", Radford et al. 2019; `modeling_gpt2.py`)
// as a parameter spec: token and learned position embeddings, per layer ln_1, c_attn (H → 3H) and c_proj
// (Conv1D layers with bias), ln_2, an MLP c_fc (H → n_inner) and c_proj with biases, and with
// add_cross_attention a cross-attention block (c_attn H → 2H, q_attn, c_proj) and its LayerNorm; ln_f;
// lm_head tied to wte unless tie_word_embeddings is false.

import { mul } from './arith.js';
import { applySharingPlan } from './sharing-plan.js';
import { embedding, linear, raw, type BlockSpec, type ModelSpec, type ParamEntry } from './spec.js';
import type { HeadKind, SharingPlan } from './types.js';
import { CALCULATOR_LIMITS, type Fields } from './validate.js';

/** A GPT-2 config with defaults filled in (GPT2Config's defaults). */
export interface ResolvedGpt2 {
  family: 'decoder';
  modelType: 'gpt2';
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  /** MLP width (n_inner, default 4H). */
  inner: number;
  /** Rows of the learned position embedding (n_positions). */
  positions: number;
  tie: boolean;
  crossAttention: boolean;
}

/** Reads a gpt2 config (canonical names, or the attribute_map aliases hidden_size, num_hidden_layers, num_attention_heads). */
export function resolveGpt2(f: Fields): ResolvedGpt2 {
  const L = CALCULATOR_LIMITS;
  const hidden = f.aliasInt('n_embd', 'hidden_size', 1, L.maxWidth, 768);
  const heads = f.aliasInt('n_head', 'num_attention_heads', 1, L.maxHeads, 12);
  if (hidden % heads !== 0) f.fail('n_head', heads, `a divisor of n_embd=${hidden}`);
  // OpenAI GPT's special-token rows; GPT-2 configs carry 0 (gpt2-medium/large) and transformers ignores it.
  const special = f.optInt('n_special', 0, L.maxVocab, 0);
  if (special !== 0) f.fail('n_special', special, '0 (GPT-2 has no extra special-token rows: count them in vocab_size)');
  return {
    family: 'decoder',
    modelType: 'gpt2',
    vocab: f.optInt('vocab_size', 1, L.maxVocab, 50257),
    hidden,
    layers: f.aliasInt('n_layer', 'num_hidden_layers', 1, L.maxLayers, 12),
    heads,
    inner: f.optInt('n_inner', 1, L.maxIntermediate, 4 * hidden),
    positions: f.optInt('n_positions', 1, L.maxPositions, 1024),
    tie: f.bool('tie_word_embeddings', true),
    crossAttention: f.bool('add_cross_attention', false),
  };
}

/** One GPT2Block. */
function gpt2Block(cfg: ResolvedGpt2): BlockSpec {
  const H = cfg.hidden;
  const attn = 'self-attention (c_attn/c_proj)';
  const entries: ParamEntry[] = [
    raw('ln_1', 'norms', 'LayerNorms', 2 * H),
    linear('attn.c_attn', 'attention', attn, H, 3 * H, true),
    linear('attn.c_proj', 'attention', attn, H, H, true),
    raw('ln_2', 'norms', 'LayerNorms', 2 * H),
    linear('mlp.c_fc', 'ffn', 'feed-forward', H, cfg.inner, true),
    linear('mlp.c_proj', 'ffn', 'feed-forward', cfg.inner, H, true),
  ];
  if (cfg.crossAttention) {
    entries.push(
      linear('crossattention.c_attn', 'attention', 'cross-attention', H, 2 * H, true),
      linear('crossattention.q_attn', 'attention', 'cross-attention', H, H, true),
      linear('crossattention.c_proj', 'attention', 'cross-attention', H, H, true),
      raw('ln_cross_attn', 'norms', 'LayerNorms', 2 * H),
    );
  }
  return { kind: 'layer', entries };
}

/** GPT2Model / GPT2LMHeadModel / GPT2ForSequenceClassification. */
export function gpt2Spec(cfg: ResolvedGpt2, opts: { head: HeadKind; numLabels: number; sharing: SharingPlan }): ModelSpec {
  const H = cfg.hidden;
  const p = opts.head === 'none' ? '' : 'transformer.';
  const { blocks, slots } = applySharingPlan(
    Array.from({ length: cfg.layers }, () => gpt2Block(cfg)),
    opts.sharing,
    (i) => `${p}h.${i}.`,
  );
  const top: ParamEntry[] = [
    embedding(`${p}wte`, 'token embeddings', cfg.vocab, H, true),
    embedding(`${p}wpe`, 'position embeddings', cfg.positions, H),
    raw(`${p}ln_f`, 'norms', 'final LayerNorm', mul('ln_f', 2, H)),
  ];
  if (opts.head === 'lm') {
    const head: ParamEntry = { ...linear('lm_head', 'head', cfg.tie ? 'lm_head (tied to embeddings)' : 'lm_head', H, cfg.vocab, false), vocabHead: true };
    top.push(cfg.tie ? { ...head, tied: true } : head);
  } else if (opts.head === 'classifier') {
    top.push(linear('score', 'head', 'classifier (score)', H, opts.numLabels, false));
  }
  return { modelType: 'gpt2', family: 'decoder', head: opts.head, top, blocks, slots };
}
