// Memory a model needs, from its config alone: inference (weights + KV cache), full fine-tuning with Adam
// (weights, gradients, optimizer states, activations) and LoRA / QLoRA fine-tuning. Every figure is a
// formula over the exact parameter count and the layer shapes; the sources:
// - Mixed-precision Adam holds 16 bytes per trained parameter: 2 (16-bit weights) + 2 (16-bit gradients)
//   + 4 (fp32 master weights) + 4 + 4 (fp32 first and second moments) — Rajbhandari et al., "ZeRO: Memory
//   Optimizations Toward Training Trillion Parameter Models" (arXiv:1910.02054, §3.1). In fp32 there is no
//   master copy: 4 + 4 + 8 = 16 bytes as well.
// - KV cache: 2 · n_kv_heads · head_dim values per token per attention layer (GQA: Ainslie et al.,
//   arXiv:2305.13245); MLA caches the compressed latent and the shared rotary key, (d_c + d_h^R) values per
//   token per layer (DeepSeek-V2, arXiv:2405.04434, §2.1.2, Table 1). Layers with a sliding window or an
//   attention chunk (Gemma 2/3, gpt-oss, Mistral, Llama 4) keep at most that many tokens. Mamba keeps a
//   fixed state per sequence: conv (I × K) and SSM (I × N) per layer (transformers' MambaCache).
// - Activations stored for the backward pass, per token and layer, after Korthikanti et al., "Reducing
//   Activation Recomputation in Large Transformer Models" (arXiv:2205.05198, §4.1), with each model's own
//   widths and without dropout masks (these models train with dropout 0): the inputs of the norms, of the
//   q/k/v projections and of o_proj, Q, K and V, the attention probabilities (heads × context values) unless
//   a fused attention kernel recomputes them (FlashAttention, arXiv:2205.14135), the MLP's input and its
//   gate/up/activation outputs (k routed experts for MoE layers), plus the logits (vocabulary × fp32) the
//   loss needs. For a GPT layer this is the paper's 34·s·b·h bytes less its 2 mask bytes. With full
//   checkpointing (Chen et al., arXiv:1604.06174) only each layer's input is kept, and one layer's
//   activations are rebuilt at a time.
// - QLoRA: frozen Linear weights in 4-bit NormalFloat with double quantization, 4 + 8/64 + 32/(64·256)
//   = 4.127 bits per parameter (Dettmers et al., arXiv:2305.14314, §3); embeddings, norms and lm_head stay
//   16-bit (bitsandbytes quantizes nn.Linear layers only). LoRA parameters train in fp32 with Adam
//   (4 + 4 + 8 bytes each).
// Runtime workspace (kernels' scratch, allocator fragmentation, CUDA context) is not counted.

import { CalculatorError, add, mul } from './arith.js';
import { bytesAt, countResolved } from './count.js';
import { describeValue } from '../config.js';
import type { ResolvedGpt2 } from './gpt2.js';
import type { ResolvedMamba } from './mamba.js';
import type { ResolvedT5 } from './t5.js';
import type { AdapterConfig, HeadKind, ModelConfig, ParamPrecision, ParamReport, SharingPlan } from './types.js';
import { PARAM_PRECISIONS } from './types.js';
import { resolveConfig, type ResolvedConfig, type ResolvedDecoder } from './validate.js';

/** What the memory is for. */
export type MemoryMode = 'inference' | 'full' | 'lora' | 'qlora';

/** Every mode, in the order a page lists them. */
export const MEMORY_MODES: readonly MemoryMode[] = ['inference', 'full', 'lora', 'qlora'];

/** Options of {@link estimateMemory}. */
export interface MemoryOptions {
  /** What the memory is for. Default `'inference'`. */
  mode?: MemoryMode;
  /** Weight format (inference) or training precision (`fp32`, `fp16`, `bf16`; LoRA's frozen base). Default `'bf16'`. */
  precision?: ParamPrecision;
  /** KV-cache values' format. Default: `precision` for fp32/fp16/bf16, bf16 for int8/int4 weights. */
  kvPrecision?: ParamPrecision;
  /** Tokens per sequence (prompt + generated, or the training sequence length). Default 4096. */
  context?: number;
  /** Sequences at once. Default 1. */
  batch?: number;
  /** Training: keep only each layer's input and recompute the rest. Default false. */
  checkpointing?: boolean;
  /** Training: attention probabilities are recomputed by a fused kernel, not stored. Default true. */
  flashAttention?: boolean;
  /** LoRA / QLoRA adapter. Default `{ method: 'lora', r: 16 }` on PEFT's default targets for the model type. */
  adapter?: AdapterConfig;
  /** Model class counted (see `CountOptions.head`). Default: the family's usual one. */
  head?: HeadKind;
  /** Cross-layer sharing plan: shared blocks are stored (and trained) once. Default `'none'`. */
  sharing?: SharingPlan;
  /** Sub-module sharing of the feed-forward modules (see `CountOptions.ffnSharing`). Default: none. */
  ffnSharing?: SharingPlan;
  /** Sub-module sharing of the routed expert banks (see `CountOptions.expertSharing`). Default: none. */
  expertSharing?: SharingPlan;
}

/** Bytes by part; parts a mode does not have are 0. */
export interface MemoryParts {
  /** Model weights (inference; frozen base for LoRA/QLoRA; trained 16-bit or fp32 copy for full fine-tuning). */
  weights: number;
  /** fp32 master copy of 16-bit trained weights. */
  masterWeights: number;
  /** Gradients of trained parameters. */
  gradients: number;
  /** Adam's two moments (fp32). */
  optimizer: number;
  /** LoRA parameters (fp32) with their gradients and Adam states. */
  adapter: number;
  /** KV cache (inference) or recurrent state (Mamba). */
  kvCache: number;
  /** Activations kept for the backward pass (training). */
  activations: number;
}

/** The result of {@link estimateMemory}: bytes by part, their sum and the per-token rates behind them. */
export interface MemoryEstimate {
  mode: MemoryMode;
  precision: ParamPrecision;
  kvPrecision: ParamPrecision;
  context: number;
  batch: number;
  parts: MemoryParts;
  /** Sum of the parts, in bytes. */
  total: number;
  /** KV-cache bytes one more token adds to one sequence (all layers, before windows cap them). */
  kvBytesPerToken: number;
  /** Activation bytes per token of one sequence in training (0 for inference). */
  activationBytesPerToken: number;
  /** The parameter count behind it (with the adapter for LoRA/QLoRA). */
  report: ParamReport;
}

/** Limits on the options, so a page slider or URL cannot ask for an overflow. */
const MAX_CONTEXT = 16_777_216;
const MAX_BATCH = 1_048_576;
/** Bits per parameter of NF4 with double quantization (QLoRA §3). */
export const NF4_BITS = 4 + 8 / 64 + 32 / (64 * 256);

const elemBytes = (p: ParamPrecision): number => (p === 'fp32' ? 4 : p === 'int8' ? 1 : p === 'int4' ? 0.5 : 2);

function checkInt(name: string, v: unknown, min: number, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new CalculatorError(`estimateMemory: ${name}=${describeValue(v)} is not allowed: expected an integer in [${min}, ${max}]`);
  }
  return v;
}

function checkChoice<T extends string>(name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new CalculatorError(`estimateMemory: ${name}=${describeValue(v)} is not allowed: expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** One attention layer's KV values per token, and the most tokens it keeps (null: the whole context). */
interface CacheLayer {
  perToken: number;
  window: number | null;
}

/** KV-cache layers of a resolved config (empty for encoders), plus a fixed per-sequence state in values. */
function cacheLayers(cfg: ResolvedConfig): { layers: CacheLayer[]; fixed: number } {
  switch (cfg.modelType) {
    case 'bert':
    case 'albert':
      return { layers: [], fixed: 0 };
    case 'gpt2': {
      const g = cfg as ResolvedGpt2;
      return { layers: Array.from({ length: g.layers }, () => ({ perToken: 2 * g.hidden, window: null })), fixed: 0 };
    }
    case 't5':
    case 'switch_transformers': {
      // Decoder self-attention over generated tokens and cross-attention over as many encoder tokens.
      const t = cfg as ResolvedT5;
      const kv = 2 * t.heads * t.headDim;
      return { layers: Array.from({ length: 2 * t.decoderLayers }, () => ({ perToken: kv, window: null })), fixed: 0 };
    }
    case 'mamba': {
      const m = cfg as ResolvedMamba;
      return { layers: [], fixed: mul('Mamba state', m.layers, add('Mamba state', mul('conv state', m.inner, m.kernel), mul('ssm state', m.inner, m.state))) };
    }
    default: {
      const d = cfg as ResolvedDecoder;
      const a = d.attention;
      const perToken = a.kind === 'mla' ? a.kvLoraRank + a.qkRopeHeadDim : 2 * a.kvHeads * a.headDim;
      return { layers: Array.from({ length: d.layers }, (_, i) => ({ perToken, window: d.windows[i] ?? null })), fixed: 0 };
    }
  }
}

/** Activation values stored per token by one layer of each kind, and by the layer stack (no checkpointing). */
function activationValues(cfg: ResolvedConfig, context: number, flash: boolean): { perLayer: number[]; layerInputs: number; logits: number; vocab: number } {
  const scores = (heads: number) => (flash ? 0 : heads * context);
  switch (cfg.modelType) {
    case 'bert':
    case 'albert': {
      const H = cfg.hidden;
      const I = cfg.intermediate;
      // norms 2H; attention: input, Q, K, V, o_proj input (5H) + scores; FFN: input, pre- and post-GELU (H + 2I).
      const layer = 2 * H + 5 * H + scores(cfg.heads) + H + 2 * I;
      const slots = cfg.layers * cfg.innerGroups;
      return { perLayer: new Array<number>(slots).fill(layer), layerInputs: slots * H, logits: 0, vocab: cfg.vocab };
    }
    case 'gpt2': {
      const g = cfg as ResolvedGpt2;
      const layer = 2 * g.hidden + 5 * g.hidden + scores(g.heads) + g.hidden + 2 * g.inner + (g.crossAttention ? 6 * g.hidden : 0);
      return { perLayer: new Array<number>(g.layers).fill(layer), layerInputs: g.layers * g.hidden, logits: g.vocab, vocab: g.vocab };
    }
    case 't5':
    case 'switch_transformers': {
      const t = cfg as ResolvedT5;
      const inner = t.heads * t.headDim;
      const attn = t.hidden + t.hidden + 3 * inner + inner + scores(t.heads);
      const ffn = t.hidden + (t.gated ? 3 : 2) * t.ff + (t.switch ? t.switch.experts : 0);
      const enc = attn + t.hidden + ffn;
      const dec = 2 * attn + t.hidden + ffn;
      return {
        perLayer: [...new Array<number>(t.encoderLayers).fill(enc), ...new Array<number>(t.decoderLayers).fill(dec)],
        layerInputs: (t.encoderLayers + t.decoderLayers) * t.hidden,
        logits: t.vocab,
        vocab: t.vocab,
      };
    }
    case 'mamba': {
      const m = cfg as ResolvedMamba;
      // norm and in_proj input (2H), x and z (2I), conv output (I), x_proj output (R + 2N), Δ (I), scan output
      // and the gated product into out_proj (2I); the scan's states are recomputed in the backward pass.
      const layer = 2 * m.hidden + 7 * m.inner + m.dtRank + 2 * m.state;
      return { perLayer: new Array<number>(m.layers).fill(layer), layerInputs: m.layers * m.hidden, logits: m.vocab, vocab: m.vocab };
    }
    default: {
      const d = cfg as ResolvedDecoder;
      const H = d.hidden;
      const a = d.attention;
      let attn: number;
      if (a.kind === 'gqa') {
        const q = a.heads * a.headDim;
        const kv = a.kvHeads * a.headDim;
        attn = H + q + 2 * kv + q + scores(a.heads);
      } else {
        const q = a.heads * (a.qkNopeHeadDim + a.qkRopeHeadDim);
        const v = a.heads * a.vHeadDim;
        const ql = a.qLoraRank ?? 0;
        // input; q_a output and its norm (2·q_lora); Q; kv_a output and its norm; K (heads × qk) and V; o_proj input.
        attn = H + 2 * ql + q + 2 * (a.kvLoraRank + a.qkRopeHeadDim) + q + v + v + scores(a.heads);
      }
      const norms = (d.sandwichNorms ? 4 : 2) * H;
      const dense = H + 3 * d.denseIntermediate;
      const perLayer = Array.from({ length: d.layers }, (_, i) => {
        const moe = d.moe && d.moe.sparse[i] ? d.moe : null;
        const ffn = moe
          ? H + moe.numExperts + moe.topK * (H + 3 * moe.expertSize) + (moe.sharedSize ? H + 3 * moe.sharedSize : 0)
          : dense;
        return norms + attn + ffn;
      });
      return { perLayer, layerInputs: d.layers * H, logits: d.vocab, vocab: d.vocab };
    }
  }
}

/** Bytes of a report's rows at QLoRA's formats: NF4 for Linear weights, 16-bit for embeddings, norms and heads. */
function qloraBaseBytes(report: ParamReport): number {
  let sixteen = 0;
  let quantized = 0;
  for (const r of report.rows) {
    if (r.component === 'adapters') continue;
    if (r.component === 'embeddings' || r.component === 'norms' || r.component === 'head') sixteen += r.stored;
    else quantized += r.stored;
  }
  return Math.ceil((quantized * NF4_BITS) / 8) + sixteen * 2;
}

/**
 * Memory of a model from its config: inference (weights + KV cache at `context` × `batch`), full
 * fine-tuning with mixed-precision Adam, or LoRA / QLoRA fine-tuning. Formulas and their sources are at the
 * top of memory.ts. Throws a `CalculatorError` naming a bad config field or option.
 *
 * @example estimateMemory(PRESETS['Llama-3.1-8B'].config, { mode: 'inference', precision: 'bf16', context: 8192 }).total
 */
export function estimateMemory(config: ModelConfig, options: MemoryOptions = {}): MemoryEstimate {
  if (options === null || typeof options !== 'object') throw new CalculatorError(`estimateMemory: options=${describeValue(options)} must be an object`);
  const allowed = ['mode', 'precision', 'kvPrecision', 'context', 'batch', 'checkpointing', 'flashAttention', 'adapter', 'head', 'sharing', 'ffnSharing', 'expertSharing'];
  const unknown = Object.keys(options).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new CalculatorError(`estimateMemory: unknown option ${describeValue(unknown)} (allowed: ${allowed.join(', ')})`);
  const mode = checkChoice('mode', options.mode, MEMORY_MODES, 'inference');
  const precision = checkChoice('precision', options.precision, PARAM_PRECISIONS, 'bf16');
  const kvPrecision = checkChoice('kvPrecision', options.kvPrecision, PARAM_PRECISIONS, elemBytes(precision) >= 2 ? precision : 'bf16');
  const context = checkInt('context', options.context, 1, MAX_CONTEXT, 4096);
  const batch = checkInt('batch', options.batch, 1, MAX_BATCH, 1);
  for (const k of ['checkpointing', 'flashAttention'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new CalculatorError(`estimateMemory: ${k}=${describeValue(options[k])} is not allowed: expected true or false`);
  }
  if (mode !== 'inference' && mode !== 'qlora' && elemBytes(precision) < 2) {
    throw new CalculatorError(`estimateMemory: precision=${precision} is not allowed for mode=${mode}: training runs in fp32, fp16 or bf16 (use mode=qlora for a 4-bit base)`);
  }
  const cfg = resolveConfig(config, 'config');
  const adapter = mode === 'lora' || mode === 'qlora' ? (options.adapter ?? { method: 'lora', r: 16 }) : undefined;
  const report = countResolved(cfg, {
    ...(options.head ? { head: options.head } : {}),
    ...(options.sharing ? { sharing: options.sharing } : {}),
    ...(options.ffnSharing ? { ffnSharing: options.ffnSharing } : {}),
    ...(options.expertSharing ? { expertSharing: options.expertSharing } : {}),
    ...(adapter ? { adapter } : {}),
  });
  const parts: MemoryParts = { weights: 0, masterWeights: 0, gradients: 0, optimizer: 0, adapter: 0, kvCache: 0, activations: 0 };
  let kvBytesPerToken = 0;
  let activationBytesPerToken = 0;

  if (mode === 'inference') {
    parts.weights = bytesAt(report.total, precision);
    const { layers, fixed } = cacheLayers(cfg);
    const kvb = elemBytes(kvPrecision);
    let values = 0;
    for (const l of layers) {
      kvBytesPerToken += l.perToken * kvb;
      values += l.perToken * Math.min(context, l.window ?? context);
    }
    parts.kvCache = Math.ceil((values + fixed) * kvb * batch);
  } else {
    // Activations are kept in the compute dtype (fp32 training: 4 bytes; otherwise 2), logits in fp32.
    const actBytes = precision === 'fp32' ? 4 : 2;
    const flash = options.flashAttention ?? true;
    const { perLayer, layerInputs, logits } = activationValues(cfg, context, flash);
    const stack = perLayer.reduce((s, v) => s + v, 0);
    const stored = options.checkpointing ? layerInputs + Math.max(0, ...perLayer) : stack;
    activationBytesPerToken = stored * actBytes + logits * 4;
    parts.activations = Math.ceil(activationBytesPerToken * context * batch);
    if (mode === 'full') {
      const n = report.total;
      parts.weights = bytesAt(n, precision);
      parts.gradients = bytesAt(n, precision);
      parts.masterWeights = precision === 'fp32' ? 0 : mul('master weights', n, 4);
      parts.optimizer = mul('Adam moments', n, 8);
    } else {
      parts.weights = mode === 'qlora' ? qloraBaseBytes(report) : bytesAt(report.total, precision);
      parts.adapter = mul('adapter', report.adapter?.params ?? 0, 16);
    }
  }
  const total = Object.values(parts).reduce((s, v) => s + v, 0);
  return { mode, precision, kvPrecision, context, batch, parts, total, kvBytesPerToken, activationBytesPerToken, report };
}
