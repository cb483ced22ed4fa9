// SwitchHead — Csordás, Piękos, Irie & Schmidhuber, "SwitchHead: Accelerating Transformers with
// Mixture-of-Experts Attention", arXiv:2312.07987, as used by MoEUT (arXiv:2405.16039): per head h,
// keys and queries are dense projections; the value and the output projections are mixtures of E
// linear experts chosen per token by σ-MoE gates (sigmoid scores, top-k, no renormalisation):
//   V_h[j] = Σ_{e∈top-k(s^V_h[j])} s^V_h[j,e] · x_j·W^V_{h,e}      (selected on the source token j)
//   y[i]   = Σ_h Σ_{e∈top-k(s^O_h[i])} s^O_h[i,e] · a_h[i]·W^O_{h,e} (selected on the destination i)
// with a_h = softmax(q_h·k_hᵀ/√d_head)·V_h and s = σ(x·W_S). Peri-layernorm (MoEUT): the inputs of
// the softmax- and sigmoid-followed projections (queries, keys, both selections) are LayerNorm(x);
// the value experts see the raw residual x. `dispatch: 'sparse'` gathers the k chosen expert
// matrices per (token, head); 'dense' runs every expert and masks by the gates (the test reference).
// In training: expert dropout (each (token, head, expert) pair left out of the choice with
// probability `expertDropout`; one that must still be picked gets gate 0) and the entropy balancing
// regulariser of each selection, mean over heads of Σ_e p̄_e·log p̄_e with p̄ the batch-mean softmax
// of the selection logits, added to the context with weight `entropyWeight` (MoEUT: 0.001).
// Departures: p̄ is taken over the tokens of one call (MoEUT pools it over the group's layers and
// per sequence); no biases; no rotary positions (the surrounding model gives positions).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, LayerNorm, Linear, Module, attend, defaultRng, resolveConfig, splitSequenceInput, type Rng, type SequenceInput } from '@weft/core';
import { checkBool, checkInt, checkNumber, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import { gatherRows, noGrad } from '../cross-layer/no-grad.js';

/** Config of {@link SwitchHeadAttention}. */
export interface SwitchHeadConfig {
  /** Model width d. Default: 0 (must be given). */
  dim: number;
  /** Attention heads H. Default: 2. */
  numHeads: number;
  /** Width of each head d_head (need not be dim/H). Default: dim / numHeads. */
  headDim: number | null;
  /** Value/output experts per head E. Default: 4. */
  numExperts: number;
  /** Experts each token uses per head and projection k. Default: 2. */
  topK: number;
  /** Causal attention. Default: true. */
  causal: boolean;
  /** LayerNorm on the query/key/selection input (MoEUT's peri-layernorm). Default: true. */
  periNorm: boolean;
  /** 'sparse' (gather the chosen experts) or 'dense' (every expert, masked — the reference). Default: 'sparse'. */
  dispatch: 'sparse' | 'dense';
  /** Probability of leaving a (token, head, expert) pair out of the choice in training, in [0, 1). Default: 0. */
  expertDropout: number;
  /** Weight of the selections' entropy balancing regulariser (0: off). Default: 0.001. */
  entropyWeight: number;
}

/** The documented defaults of {@link SwitchHeadConfig}. */
export const SWITCH_HEAD_DEFAULTS: SwitchHeadConfig = { dim: 0, numHeads: 2, headDim: null, numExperts: 4, topK: 2, causal: true, periNorm: true, dispatch: 'sparse', expertDropout: 0, entropyWeight: 0.001 };

/** (B, T, d) [+ mask] -> (B, T, d): SwitchHead attention (MoE values and outputs per head). */
export class SwitchHeadAttention extends Module<SequenceInput, tf.Tensor> {
  /** The resolved config (headDim filled in). */
  readonly cfg: SwitchHeadConfig & { headDim: number };
  /** Peri-layernorm on the q/k/selection input (null when `periNorm` is false). */
  readonly norm: LayerNorm | null;
  /** Queries [d, H·d_head]. */
  readonly q: Linear;
  /** Keys [d, H·d_head]. */
  readonly k: Linear;
  /** Value selection W_S^V [d, H·E]. */
  readonly selV: Linear;
  /** Output selection W_S^O [d, H·E]. */
  readonly selO: Linear;
  /** Value experts [H·E, d, d_head] (expert e of head h at row h·E + e). */
  readonly wv: tf.Variable;
  /** Output experts [H·E, d_head, d]. */
  readonly wo: tf.Variable;

  constructor(config: Partial<SwitchHeadConfig> & Pick<SwitchHeadConfig, 'dim'>, rng: Rng = defaultRng()) {
    super();
    const W = 'SwitchHeadAttention';
    const c = resolveConfig(W, SWITCH_HEAD_DEFAULTS, config);
    const d = checkPositiveInt(W, 'dim', c.dim);
    const H = checkPositiveInt(W, 'numHeads', c.numHeads);
    if (c.headDim === null && d % H !== 0) throw new Error(`${W}: numHeads=${H} must divide dim=${d} (or give headDim)`);
    const dh = c.headDim === null ? d / H : checkPositiveInt(W, 'headDim', c.headDim);
    const E = checkPositiveInt(W, 'numExperts', c.numExperts);
    checkInt(W, 'topK', c.topK, 1, E);
    checkBool(W, 'causal', c.causal);
    checkBool(W, 'periNorm', c.periNorm);
    checkNumber(W, 'expertDropout', c.expertDropout, 0, 0.999);
    checkNumber(W, 'entropyWeight', c.entropyWeight, 0);
    checkOneOf(W, 'dispatch', c.dispatch, ['sparse', 'dense'] as const);
    this.cfg = { ...c, headDim: dh };
    const lin = (out: number) => new Linear({ inFeatures: d, outFeatures: out, bias: false }, rng);
    this.norm = c.periNorm ? this.addModule('norm', new LayerNorm({ dim: d })) : null;
    this.q = this.addModule('q', lin(H * dh));
    this.k = this.addModule('k', lin(H * dh));
    this.selV = this.addModule('selV', lin(H * E));
    this.selO = this.addModule('selO', lin(H * E));
    // Fan-in init; each token mixes k experts of each of H heads on the output side.
    this.wv = this.addParameter('wv', tf.tensor3d(rng.normalArray(H * E * d * dh, 0, 1 / Math.sqrt(d)), [H * E, d, dh]));
    this.wo = this.addParameter('wo', tf.tensor3d(rng.normalArray(H * E * dh * d, 0, 1 / Math.sqrt(H * c.topK * dh)), [H * E, dh, d]));
  }

  /** A token uses k of E value and output experts per head; the rest of the layer is dense. */
  override activeShareOf(name: string): number {
    return name === 'wv' || name === 'wo' ? this.cfg.topK / this.cfg.numExperts : 1;
  }

  /**
   * Selection of the flat tokens `n` (N, d) through `sel`: the gates σ(n·W_S) (N, H, E) (dropped
   * pairs 0 in training) and the scores the top-k is taken over (dropped pairs below every kept
   * one); adds the entropy balancing term in training.
   */
  private select(sel: Linear, n: tf.Tensor2D, ctx: ForwardContext, which: string): { gate: tf.Tensor3D; pick: tf.Tensor3D } {
    const { numHeads: H, numExperts: E, expertDropout, entropyWeight } = this.cfg;
    const N = n.shape[0];
    const logits = tf.reshape(sel.forward(n, ctx), [N, H, E]) as tf.Tensor3D; // (N, H·E) -> (N, H, E)
    if (ctx.training && entropyWeight > 0) {
      const mean = tf.mean(tf.softmax(logits), 0); // p̄ (H, E)
      const negEntropy = tf.mean(tf.sum(tf.mul(mean, tf.log(tf.add(mean, 1e-12))), 1)) as tf.Scalar;
      ctx.addAuxLoss(`${ctx.keyOf(this, 'switch-head')}.${which}.entropy`, negEntropy, entropyWeight);
    }
    const s = tf.sigmoid(logits) as tf.Tensor3D;
    if (!ctx.training || expertDropout === 0) return { gate: s, pick: s };
    const keep = tf.tensor3d(Float32Array.from(ctx.rng.uniformArray(N * H * E), (u) => (u < expertDropout ? 0 : 1)), [N, H, E]);
    const gate = tf.mul(s, keep) as tf.Tensor3D;
    return { gate, pick: noGrad([gate, keep], (g, k) => tf.sub(g, tf.mul(tf.sub(1, k!), 2))) as tf.Tensor3D }; // dropped pairs sort last (score − 2 < 0)
  }

  /**
   * Mix each (token, head)'s experts: inp (N, H, in) times the experts w [H·E, in, out] chosen by
   * the top-k of `pick` (N, H, E), weighted by their `s` (N, H, E) -> (N, H, out).
   */
  private mix(inp: tf.Tensor3D, w: tf.Variable, { gate: s, pick }: { gate: tf.Tensor3D; pick: tf.Tensor3D }): tf.Tensor3D {
    const { numHeads: H, numExperts: E, topK: K } = this.cfg;
    const [N, , I] = inp.shape;
    const O = w.shape[2]!;
    if (this.cfg.dispatch === 'dense') {
      const mask = noGrad([pick], (t) => tf.sum(tf.oneHot(tf.topk(t, K).indices, E), 2)); // (N, H, K, E) -> (N, H, E), 1 on the chosen
      const g = tf.mul(s, mask); // (N, H, E), the gates of the chosen, 0 elsewhere
      const wh = tf.reshape(tf.transpose(tf.reshape(w, [H, E, I, O]), [0, 2, 1, 3]), [H, I, E * O]); // [H·E, I, O] -> [H, I, E, O] -> [H, I, E·O]
      const all = tf.matMul(tf.transpose(inp, [1, 0, 2]), wh); // (H, N, I)·(H, I, E·O) -> (H, N, E·O)
      const per = tf.transpose(tf.reshape(all, [H, N, E, O]), [1, 0, 2, 3]); // (H, N, E·O) -> (H, N, E, O) -> (N, H, E, O)
      return tf.sum(tf.mul(per, tf.expandDims(g, 3)), 2) as tf.Tensor3D; // (N, H, O)
    }
    // Expert row h·E + e of each chosen pair, (N·H·K,), and its flat position in s, computed off the tape.
    const rows = noGrad([pick], (t) => tf.reshape(tf.add(tf.topk(t, K).indices, tf.reshape(tf.mul(tf.range(0, H, 1, 'int32'), tf.scalar(E, 'int32')), [1, H, 1])), [N * H * K]));
    const at = tf.add(tf.reshape(rows, [N, H * K]), tf.reshape(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(H * E, 'int32')), [N, 1])); // (N, H·K) into s flat (N·H·E)
    const gates = tf.reshape(gatherRows(tf.reshape(s, [N * H * E]), tf.reshape(at, [N * H * K])), [N, H, K]); // σ of the chosen (N, H, K)
    const ws = gatherRows(w, rows); // (N·H·K, I, O)
    const xs = tf.reshape(tf.tile(tf.reshape(inp, [N * H, 1, I]), [1, K, 1]), [N * H * K, 1, I]); // (N, H, I) -> (N·H, K, I) -> (N·H·K, 1, I)
    const out = tf.reshape(tf.matMul(xs, ws as tf.Tensor3D), [N, H, K, O]); // (N·H·K, 1, O) -> (N, H, K, O)
    return tf.sum(tf.mul(out, tf.expandDims(gates, 3)), 2) as tf.Tensor3D; // (N, H, O)
  }

  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    const { dim: d, numHeads: H, headDim: dh } = this.cfg;
    if (x.rank !== 3 || x.shape[2] !== d) throw new Error(`SwitchHeadAttention: x has shape [${x.shape}]; expected [batch, time, ${d}]`);
    const [B, T] = x.shape as [number, number, number];
    const N = B * T;
    const flat = tf.reshape(x, [N, d]) as tf.Tensor2D; // (B, T, d) -> (N, d)
    const n = this.norm ? (this.norm.forward(flat, ctx) as tf.Tensor2D) : flat;
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, dh]), [0, 2, 1, 3]); // (N, H·dh) -> (B, T, H, dh) -> (B, H, T, dh)
    const xh = tf.tile(tf.reshape(flat, [N, 1, d]), [1, H, 1]) as tf.Tensor3D; // (N, d) -> (N, 1, d) -> (N, H, d): every head reads the raw x
    const v = this.mix(xh, this.wv, this.select(this.selV, n, ctx, 'value')); // (N, H, dh)
    const a = attend(heads(this.q.forward(n, ctx)), heads(this.k.forward(n, ctx)), heads(tf.reshape(v, [N, H * dh])), { causal: this.cfg.causal, attentionMask, ctx }); // (B, H, T, dh)
    const perToken = tf.reshape(tf.transpose(a, [0, 2, 1, 3]), [N, H, dh]) as tf.Tensor3D; // (B, H, T, dh) -> (B, T, H, dh) -> (N, H, dh)
    const y = tf.sum(this.mix(perToken, this.wo, this.select(this.selO, n, ctx, 'output')), 1); // (N, H, d) -> (N, d)
    return tf.reshape(y, [B, T, d]); // (N, d) -> (B, T, d)
  }
}
