// Stacked experts: every expert's weights live in one [E, in, out] tensor, so a batch of expert
// blocks is two batched matmuls, or two grouped products when blocks name their experts (dropless:
// core's groupedMatMul, no weight copy per block) — never per-expert slicing (whose gradient would
// be a full [E, in, out] tensor per slice). Kinds:
// - 'ffn': Linear–GELU–Linear per expert (Switch/GShard experts).
// - 'swiglu': gate/up/down with SiLU, no biases (Mixtral experts).
// - 'ia3': MoV — Zadouri et al., "Pushing Mixture of Experts to the Limit: Extremely Parameter
//   Efficient MoE for Instruction Tuning", arXiv:2309.05444: one frozen dense FFN; expert e is an
//   IA3 vector l_e [hidden] rescaling its hidden activations (init 1). Departs from the paper: IA3
//   on the FFN only (not on attention keys/values); the paper soft-merges all experts (use k = E
//   with the 'mixtral' router for that); here any router can route them sparsely.
// - 'lora': MoLoRA (same paper): one frozen dense FFN; expert e adds LoRA updates to both of its
//   Linears, (α/r)·x·A_e·B_e, with B_e = 0 at init (PEFT's default).
// `loadBase(mlp)` copies a trained core MLP (plain) into the frozen base of 'ia3'/'lora' experts.
import * as tf from '@tensorflow/tfjs-core';
import { Module, MLP, defaultRng, fanInUniform, gelu, groupedMatMul, silu, type ForwardContext, type Rng } from '@weft/core';
import { checkEnum, checkInt, checkNum } from './check.js';

/** Expert kinds. */
export const EXPERT_KINDS = ['ffn', 'swiglu', 'ia3', 'lora'] as const;
/** An expert kind. */
export type ExpertKind = (typeof EXPERT_KINDS)[number];

/** Config of {@link StackedExperts}. */
export interface ExpertsConfig {
  /** Model width d. */
  dim: number;
  /** Number of experts E. */
  numExperts: number;
  /** Hidden width of each expert (of the frozen base FFN for 'ia3'/'lora'). */
  hidden: number;
  /** Kind of expert. Default: 'ffn'. */
  kind?: ExpertKind;
  /** LoRA rank r ('lora'). Default: 4. */
  loraRank?: number;
  /** LoRA scale numerator α ('lora'; the update is scaled by α/r). Default: 2·loraRank. */
  loraAlpha?: number;
  /** Initialise LoRA's B to zero so the experts start as the base FFN ('lora'). Default: true. */
  loraZeroInit?: boolean;
  /** Freeze the base FFN of 'ia3'/'lora' experts. Default: true. */
  freezeBase?: boolean;
}

/** Rows of a stacked tensor for each block: w[blockExpert] (G, ...), or w itself when blocks are the experts. */
function pick(w: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor {
  return blockExpert ? tf.gather(w, blockExpert) : w;
}

/** Each block times its expert's matrix: (G, b, in) · w[blockExpert] (E, in, out) -> (G, b, out), without copying w per block. */
function times(x: tf.Tensor3D, w: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor3D {
  return blockExpert ? groupedMatMul(x, w as tf.Tensor3D, blockExpert) : tf.matMul(x, w as tf.Tensor3D);
}

/** Per-block bias (G, 1, out) from a stacked bias [E, out]. */
function pickBias(b: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor {
  const p = pick(b, blockExpert);
  return tf.reshape(p, [p.shape[0]!, 1, p.shape[1]!]); // (G, out) -> (G, 1, out)
}

/** E experts stored stacked. */
export class StackedExperts extends Module<tf.Tensor3D, tf.Tensor3D> {
  /** Kind in use. */
  readonly kind: ExpertKind;
  /** Share of the stacked (per-expert) parameters one token uses; the MoE layer sets it to k/E. */
  routedShare = 1;
  private readonly stacked = new Set<string>();
  private readonly p: Record<string, tf.Variable> = {};
  private readonly scale: number;

  constructor(readonly config: ExpertsConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'StackedExperts';
    checkInt(who, 'dim', config.dim, 1);
    checkInt(who, 'numExperts', config.numExperts, 1);
    checkInt(who, 'hidden', config.hidden, 1);
    this.kind = config.kind ?? 'ffn';
    checkEnum(who, 'kind', this.kind, EXPERT_KINDS);
    const { dim: d, numExperts: e, hidden: h } = config;
    const add = (name: string, t: tf.Tensor, stacked: boolean, trainable = true) => {
      this.p[name] = this.addParameter(name, t, trainable);
      if (stacked) this.stacked.add(name);
    };
    if (this.kind === 'ffn') {
      add('w1', fanInUniform([e, d, h], d, rng), true);
      add('b1', fanInUniform([e, h], d, rng), true);
      add('w2', fanInUniform([e, h, d], h, rng), true);
      add('b2', fanInUniform([e, d], h, rng), true);
    } else if (this.kind === 'swiglu') {
      add('wGate', fanInUniform([e, d, h], d, rng), true);
      add('wUp', fanInUniform([e, d, h], d, rng), true);
      add('wDown', fanInUniform([e, h, d], h, rng), true);
    } else {
      const train = !(config.freezeBase ?? true);
      add('baseW1', fanInUniform([d, h], d, rng), false, train);
      add('baseB1', fanInUniform([h], d, rng), false, train);
      add('baseW2', fanInUniform([h, d], h, rng), false, train);
      add('baseB2', fanInUniform([d], h, rng), false, train);
      if (this.kind === 'ia3') {
        add('scale', tf.ones([e, h]), true);
      } else {
        const r = config.loraRank ?? 4;
        checkInt(who, 'loraRank', r, 1);
        const alpha = config.loraAlpha ?? 2 * r;
        checkNum(who, 'loraAlpha', alpha, 0, true);
        const zero = config.loraZeroInit ?? true;
        const bInit = (shape: number[], fanIn: number) => (zero ? tf.zeros(shape) : fanInUniform(shape, fanIn, rng));
        add('loraA1', fanInUniform([e, d, r], d, rng), true);
        add('loraB1', bInit([e, r, h], r), true);
        add('loraA2', fanInUniform([e, h, r], h, rng), true);
        add('loraB2', bInit([e, r, d], r), true);
      }
    }
    this.scale = this.kind === 'lora' ? (config.loraAlpha ?? 2 * (config.loraRank ?? 4)) / (config.loraRank ?? 4) : 1;
  }

  /** The stacked (per-expert) parameters touch k/E per token; a frozen base is used by every token. */
  override activeShareOf(name: string): number {
    return this.stacked.has(name) ? this.routedShare : 1;
  }

  /** Parameters per expert (stacked ones only). */
  perExpertParameters(): number {
    let n = 0;
    for (const name of this.stacked) n += this.p[name]!.size / this.config.numExperts;
    return n;
  }

  /**
   * Run blocks of tokens through experts: buf (G, b, d) -> (G, b, d), block g through expert
   * `blockExpert[g]` — or through expert g when `blockExpert` is null (then G = E).
   */
  apply(buf: tf.Tensor3D, blockExpert: tf.Tensor1D | null): tf.Tensor3D {
    const [g, b, d] = buf.shape;
    if (d !== this.config.dim) throw new Error(`StackedExperts: token width ${d} (buffer [${buf.shape}]) must equal dim=${this.config.dim}`);
    if (!blockExpert && g !== this.config.numExperts) throw new Error(`StackedExperts: ${g} blocks without blockExpert; expected numExperts=${this.config.numExperts}`);
    const P = this.p;
    if (this.kind === 'ffn') {
      const hid = gelu(tf.add(times(buf, P.w1!, blockExpert), pickBias(P.b1!, blockExpert))); // (G, b, h)
      return tf.add(times(hid as tf.Tensor3D, P.w2!, blockExpert), pickBias(P.b2!, blockExpert)) as tf.Tensor3D;
    }
    if (this.kind === 'swiglu') {
      const gate = silu(times(buf, P.wGate!, blockExpert));
      const up = times(buf, P.wUp!, blockExpert);
      return times(tf.mul(gate, up) as tf.Tensor3D, P.wDown!, blockExpert);
    }
    // Frozen base over all rows at once: (G, b, d) -> (G·b, d).
    const h = this.config.hidden;
    const rows = tf.reshape(buf, [g * b, d]);
    let pre = tf.reshape(tf.add(tf.matMul(rows, P.baseW1!), P.baseB1!), [g, b, h]); // (G·b, h) -> (G, b, h)
    if (this.kind === 'lora') {
      const up = times(times(buf, P.loraA1!, blockExpert), P.loraB1!, blockExpert);
      pre = tf.add(pre, tf.mul(up, this.scale));
    }
    let hid = gelu(pre);
    if (this.kind === 'ia3') hid = tf.mul(hid, pickBias(P.scale!, blockExpert)); // l_e broadcast over the block's rows
    let out = tf.reshape(tf.add(tf.matMul(tf.reshape(hid, [g * b, h]), P.baseW2!), P.baseB2!), [g, b, d]); // (G·b, d) -> (G, b, d)
    if (this.kind === 'lora') {
      const down = times(times(hid as tf.Tensor3D, P.loraA2!, blockExpert), P.loraB2!, blockExpert);
      out = tf.add(out, tf.mul(down, this.scale));
    }
    return out as tf.Tensor3D;
  }

  /** Expert modules run through {@link apply}; calling them directly is an error. */
  forward(_x: tf.Tensor3D, _ctx: ForwardContext): tf.Tensor3D {
    throw new Error('StackedExperts: use apply(buffer, blockExpert) (the MoE layer dispatches tokens to it)');
  }

  /** Copy a trained plain core MLP (fc1/fc2 with biases, GELU) into the base FFN of 'ia3'/'lora' experts. */
  loadBase(mlp: MLP): void {
    if (this.kind !== 'ia3' && this.kind !== 'lora') throw new Error(`StackedExperts.loadBase: kind=${this.kind} has no base FFN (only 'ia3' and 'lora')`);
    const { fc1, fc2 } = mlp;
    if (!fc1 || !fc2 || !fc1.bias || !fc2.bias) throw new Error('StackedExperts.loadBase: mlp must be a plain MLP (fc1, fc2) with biases');
    const want = [this.config.dim, this.config.hidden];
    if (fc1.weight.shape[0] !== want[0] || fc1.weight.shape[1] !== want[1] || fc2.weight.shape[1] !== want[0]) {
      throw new Error(`StackedExperts.loadBase: mlp has fc1 [${fc1.weight.shape}] fc2 [${fc2.weight.shape}]; expected fc1 [${want}] fc2 [${want[1]},${want[0]}]`);
    }
    this.p.baseW1!.assign(fc1.weight);
    this.p.baseB1!.assign(fc1.bias);
    this.p.baseW2!.assign(fc2.weight);
    this.p.baseB2!.assign(fc2.bias);
  }
}
