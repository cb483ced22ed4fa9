// Encoder Transformers as parameter specs: BERT (arXiv:1810.04805, `modeling_bert.py`) and ALBERT
// (arXiv:1909.11942, `modeling_albert.py`: factorized V×E embedding with an E→H projection, and layer
// groups shared across slots). Module paths follow transformers so PEFT target patterns match.

import { CalculatorError, mul } from './arith.js';
import { applySharingPlan } from './sharing-plan.js';
import { embedding, linear, raw, type BlockSpec, type ModelSpec, type ParamEntry } from './spec.js';
import type { HeadKind, SharingPlan } from './types.js';
import type { ResolvedEncoder } from './validate.js';
import { describeValue } from '../config.js';

/** Options an encoder spec needs (already defaulted by the caller). */
export interface EncoderSpecOptions {
  head: HeadKind;
  pooler: boolean;
  numLabels: number;
  sharing: SharingPlan;
}

const ATTN = 'self-attention (q/k/v/o)';
const NORMS = 'LayerNorms';
const FFN = 'feed-forward';

/** One BERT layer: q/k/v/o with biases, two LayerNorms, intermediate and output Linear with biases. */
function bertLayer(H: number, I: number): BlockSpec {
  return {
    kind: 'layer',
    entries: [
      linear('attention.self.query', 'attention', ATTN, H, H, true),
      linear('attention.self.key', 'attention', ATTN, H, H, true),
      linear('attention.self.value', 'attention', ATTN, H, H, true),
      linear('attention.output.dense', 'attention', ATTN, H, H, true),
      raw('attention.output.LayerNorm', 'norms', NORMS, 2 * H),
      linear('intermediate.dense', 'ffn', FFN, H, I, true),
      linear('output.dense', 'ffn', FFN, I, H, true),
      raw('output.LayerNorm', 'norms', NORMS, 2 * H),
    ],
  };
}

/** One ALBERT layer (`AlbertLayer`): same parameters as BERT's under other names. */
function albertLayer(H: number, I: number): BlockSpec {
  return {
    kind: 'layer',
    entries: [
      linear('attention.query', 'attention', ATTN, H, H, true),
      linear('attention.key', 'attention', ATTN, H, H, true),
      linear('attention.value', 'attention', ATTN, H, H, true),
      linear('attention.dense', 'attention', ATTN, H, H, true),
      raw('attention.LayerNorm', 'norms', NORMS, 2 * H),
      linear('ffn', 'ffn', FFN, H, I, true),
      linear('ffn_output', 'ffn', FFN, I, H, true),
      raw('full_layer_layer_norm', 'norms', NORMS, 2 * H),
    ],
  };
}

/** The parameter spec of a BERT or ALBERT model with the requested head. */
export function encoderSpec(cfg: ResolvedEncoder, opts: EncoderSpecOptions): ModelSpec {
  const { hidden: H, intermediate: I, vocab: V, embedding: E } = cfg;
  const albert = cfg.modelType === 'albert';
  // Head models hold the base model under `bert.` / `albert.`; the bare model has no prefix.
  const p = opts.head === 'none' ? '' : albert ? 'albert.' : 'bert.';

  const top: ParamEntry[] = [
    embedding(`${p}embeddings.word_embeddings`, 'word embeddings', V, E, true),
    embedding(`${p}embeddings.position_embeddings`, 'position embeddings', cfg.positions, E),
    embedding(`${p}embeddings.token_type_embeddings`, 'token-type embeddings', cfg.typeVocab, E),
    raw(`${p}embeddings.LayerNorm`, 'embeddings', 'embedding LayerNorm', 2 * E),
  ];
  if (albert) {
    top.push(linear(`${p}encoder.embedding_hidden_mapping_in`, 'embeddings', 'embedding projection (E→H)', E, H, true));
  }

  let blocks: { path: string; spec: BlockSpec }[];
  let slots: number[];
  if (albert) {
    const shared = applySharingPlan(Array.from({ length: cfg.layers }, () => albertLayer(H, I)), opts.sharing, () => '').blocks.length < cfg.layers;
    if (shared) {
      throw new CalculatorError(
        `sharing: plan ${describeValue(opts.sharing)} cannot be applied to albert, which shares layers through ` +
          'num_hidden_groups and inner_group_num; set those in the config instead',
      );
    }
    // Each group holds inner_group_num layers; slot i runs all layers of group ⌊i / ⌊L/G⌋⌋.
    blocks = [];
    for (let g = 0; g < cfg.groups; g++) {
      for (let j = 0; j < cfg.innerGroups; j++) {
        blocks.push({ path: `${p}encoder.albert_layer_groups.${g}.albert_layers.${j}.`, spec: albertLayer(H, I) });
      }
    }
    const perGroup = Math.floor(cfg.layers / cfg.groups);
    slots = [];
    for (let i = 0; i < cfg.layers; i++) {
      const g = Math.floor(i / perGroup);
      for (let j = 0; j < cfg.innerGroups; j++) slots.push(g * cfg.innerGroups + j);
    }
  } else {
    const perLayer = Array.from({ length: cfg.layers }, () => bertLayer(H, I));
    ({ blocks, slots } = applySharingPlan(perLayer, opts.sharing, (i) => `${p}encoder.layer.${i}.`));
  }

  const tail: ParamEntry[] = [];
  if (opts.pooler) tail.push(linear(albert ? `${p}pooler` : `${p}pooler.dense`, 'head', 'pooler', H, H, true));
  if (opts.head === 'lm') {
    const decoder: ParamEntry = {
      path: albert ? 'predictions.decoder' : 'cls.predictions.decoder',
      component: 'head',
      row: cfg.tie ? 'MLM decoder (tied to word embeddings)' : 'MLM decoder',
      params: mul('MLM decoder', E, V),
      module: { kind: 'linear', in: albert ? E : H, out: V },
      tied: cfg.tie,
    };
    if (albert) {
      // AlbertMLMHead: dense H→E, LayerNorm(E), decoder E→V (tied), one bias of V.
      tail.push(
        linear('predictions.dense', 'head', 'MLM head', H, E, true),
        raw('predictions.LayerNorm', 'head', 'MLM head', 2 * E),
        decoder,
        raw('predictions.bias', 'head', 'MLM head', V),
      );
    } else {
      // BertLMPredictionHead: transform (dense H→H, LayerNorm), decoder H→V (tied), one bias of V.
      tail.push(
        linear('cls.predictions.transform.dense', 'head', 'MLM head', H, H, true),
        raw('cls.predictions.transform.LayerNorm', 'head', 'MLM head', 2 * H),
        decoder,
        raw('cls.predictions.bias', 'head', 'MLM head', V),
      );
    }
  } else if (opts.head === 'classifier') {
    tail.push(linear('classifier', 'head', 'classifier', H, opts.numLabels, true));
  }

  return {
    modelType: cfg.modelType,
    family: 'encoder',
    head: opts.head,
    top: [...top, ...tail],
    blocks,
    slots,
  };
}
