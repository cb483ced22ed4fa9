// Mamba ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces", arXiv:2312.00752;
// `modeling_mamba.py`) as a parameter spec. Each layer: RMSNorm(H), and a mixer with in_proj (H → 2I),
// a depthwise conv1d (I channels, kernel K, bias with use_conv_bias), x_proj (I → R + 2N, no bias),
// dt_proj (R → I with bias), A_log (I × N), D (I) and out_proj (I → H); in_proj/out_proj have biases with
// use_bias. I = intermediate_size (default expand × H), R = time_step_rank ("auto": ⌈H / 16⌉).
// The final norm is norm_f; lm_head is tied to the embeddings unless tie_word_embeddings is false.

import { add, mul } from './arith.js';
import { applySharingPlan } from './sharing-plan.js';
import { embedding, linear, raw, type BlockSpec, type ModelSpec, type ParamEntry } from './spec.js';
import type { HeadKind, SharingPlan } from './types.js';
import { CALCULATOR_LIMITS, type Fields } from './validate.js';

/** A Mamba config with defaults filled in (MambaConfig's defaults). */
export interface ResolvedMamba {
  family: 'ssm';
  modelType: 'mamba';
  vocab: number;
  hidden: number;
  layers: number;
  /** Inner width I. */
  inner: number;
  /** SSM state size N. */
  state: number;
  /** Convolution kernel K. */
  kernel: number;
  /** Time-step rank R. */
  dtRank: number;
  useBias: boolean;
  convBias: boolean;
  tie: boolean;
}

/** Reads a mamba config. */
export function resolveMamba(f: Fields): ResolvedMamba {
  const L = CALCULATOR_LIMITS;
  const hidden = f.optInt('hidden_size', 1, L.maxWidth, 768);
  const expand = f.optInt('expand', 1, 64, 2);
  // MambaConfig: time_step_rank "auto" (the default) means ⌈hidden_size / 16⌉.
  const rankField = f.value('time_step_rank');
  const dtRank = rankField === 'auto' || rankField === null || rankField === undefined ? Math.ceil(hidden / 16) : f.optInt('time_step_rank', 1, L.maxWidth, 1);
  const layers = f.optInt('num_hidden_layers', 1, L.maxLayers, 32);
  const inner = f.optInt('intermediate_size', 1, L.maxIntermediate, mul('intermediate_size', expand, hidden));
  // The -hf checkpoints keep mamba_ssm's names next to transformers' (which alone decide the model built).
  sameAs(f, 'd_model', 'hidden_size', hidden);
  sameAs(f, 'n_layer', 'num_hidden_layers', layers);
  sameAs(f, 'd_inner', 'intermediate_size', inner);
  const ssm = f.value('ssm_cfg');
  if (ssm !== undefined && ssm !== null && !(typeof ssm === 'object' && !Array.isArray(ssm) && Object.keys(ssm).length === 0)) {
    f.fail('ssm_cfg', ssm, '{} (mamba_ssm layer options such as d_state are not read; give state_size, conv_kernel, expand)');
  }
  return {
    family: 'ssm',
    modelType: 'mamba',
    vocab: f.optInt('vocab_size', 1, L.maxVocab, 50280),
    hidden,
    layers,
    inner,
    state: f.optInt('state_size', 1, L.maxWidth, 16),
    kernel: f.optInt('conv_kernel', 1, 1024, 4),
    dtRank,
    useBias: f.bool('use_bias', false),
    convBias: f.bool('use_conv_bias', true),
    tie: f.bool('tie_word_embeddings', true),
  };
}

/** A mamba_ssm field name, when present, must equal the transformers field `name` resolved to `value`. */
function sameAs(f: Fields, old: string, name: string, value: number): void {
  const v = f.value(old);
  if (v !== undefined && v !== null && v !== value) {
    f.fail(old, v, `${value}, the value of ${name}${f.has(name) ? '' : ' (its default)'}: transformers builds the model from ${name}, so the two must agree`);
  }
}

/** One MambaBlock. */
function mambaBlock(cfg: ResolvedMamba): BlockSpec {
  const { hidden: H, inner: I, state: N, kernel: K, dtRank: R } = cfg;
  const row = 'selective SSM mixer';
  return {
    kind: 'layer',
    entries: [
      raw('norm', 'norms', 'RMSNorms', H),
      linear('mixer.in_proj', 'ssm', row, H, mul('in_proj width', 2, I), cfg.useBias),
      raw('mixer.conv1d', 'ssm', row, add('conv1d', mul('conv1d', I, K), cfg.convBias ? I : 0)),
      linear('mixer.x_proj', 'ssm', row, I, add('x_proj width', R, mul('x_proj width', 2, N)), false),
      linear('mixer.dt_proj', 'ssm', row, R, I, true),
      raw('mixer.A_log', 'ssm', row, mul('A_log', I, N)),
      raw('mixer.D', 'ssm', row, I),
      linear('mixer.out_proj', 'ssm', row, I, H, cfg.useBias),
    ],
  };
}

/** MambaModel / MambaForCausalLM. */
export function mambaSpec(cfg: ResolvedMamba, opts: { head: HeadKind; sharing: SharingPlan }): ModelSpec {
  const p = opts.head === 'none' ? '' : 'backbone.';
  const { blocks, slots } = applySharingPlan(Array.from({ length: cfg.layers }, () => mambaBlock(cfg)), opts.sharing, (i) => `${p}layers.${i}.`);
  const top: ParamEntry[] = [embedding(`${p}embeddings`, 'token embeddings', cfg.vocab, cfg.hidden, true), raw(`${p}norm_f`, 'norms', 'final RMSNorm', cfg.hidden)];
  if (opts.head === 'lm') {
    const head: ParamEntry = { ...linear('lm_head', 'head', cfg.tie ? 'lm_head (tied to embeddings)' : 'lm_head', cfg.hidden, cfg.vocab, false), vocabHead: true };
    top.push(cfg.tie ? { ...head, tied: true } : head);
  }
  return { modelType: 'mamba', family: 'ssm', head: opts.head, top, blocks, slots };
}
