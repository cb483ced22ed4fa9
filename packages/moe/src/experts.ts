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
// The frozen dense FFN of 'ia3'/'lora' is a core MLP (`expertBase`) that every token uses: the layer
// owns and registers it beside the experts (so the experts module holds only per-expert weights and
// the layer reports their share to the ledger); the experts read it. `loadBase(mlp)` copies a
// trained core MLP (plain) into it.
import * as tf from '@tensorflow/tfjs-core';
import { Module, MLP, checkKnownKeys, configKeys, defaultRng, type Linear, fanInUniform, gelu, groupedMatMul, silu, type ForwardContext, type Rng } from '@weft/core';
import { checkBool, checkOneOf, checkPositive, checkPositiveInt } from '@weft/core/internal';

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
}

/** Every key of {@link ExpertsConfig}, for the unknown-key check. */
const EXPERTS_KEYS = configKeys<ExpertsConfig>({ dim: true, numExperts: true, hidden: true, kind: true, loraRank: true, loraAlpha: true, loraZeroInit: true });

/** Whether experts of `kind` modulate a dense base FFN ('ia3', 'lora'). */
export function expertsNeedBase(kind: ExpertKind): boolean {
  return kind === 'ia3' || kind === 'lora';
}

/**
 * The frozen dense base FFN (dim → hidden → dim, GELU, biases) that 'ia3'/'lora' experts modulate,
 * or null for kinds without one. The layer that owns the experts registers it as its own child.
 */
export function expertBase(config: ExpertsConfig, rng: Rng = defaultRng()): MLP | null {
  return expertsNeedBase(config.kind ?? 'ffn') ? new MLP({ dim: config.dim, hidden: config.hidden }, rng).freeze() : null;
}

/** Rows of a stacked tensor for each block: w[blockExpert] (G, ...), or w itself when blocks are the experts. */
function pick(w: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor {
  return blockExpert ? tf.gather(w, blockExpert) : w;
}

/** Each block times its expert's matrix: (G, b, in) · w[blockExpert] (E, in, out) -> (G, b, out), without copying w per block. */
function times(x: tf.Tensor3D, w: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor3D {
  return blockExpert ? groupedMatMul(x, w as tf.Tensor3D, blockExpert) : tf.matMul(x, w as tf.Tensor3D);
}

/** {@link times} plus each block's expert bias b [E, out] on every row (grouped: inside the kernel, no gathered copy). */
function affine(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor3D {
  return blockExpert ? groupedMatMul(x, w as tf.Tensor3D, blockExpert, b as tf.Tensor2D) : (tf.add(tf.matMul(x, w as tf.Tensor3D), pickBias(b, null)) as tf.Tensor3D);
}

/** Per-block bias (G, 1, out) from a stacked bias [E, out]. */
function pickBias(b: tf.Tensor, blockExpert: tf.Tensor1D | null): tf.Tensor {
  const p = pick(b, blockExpert);
  return tf.reshape(p, [p.shape[0]!, 1, p.shape[1]!]); // (G, out) -> (G, 1, out)
}

/**
 * E experts stored stacked: every parameter of this module is per-expert ([E, ...]). A token uses
 * the k experts its router picks, a share that the layer owning the experts reports to the ledger
 * (`activeShareOf('experts')`); the dense base of 'ia3'/'lora' experts is the layer's, not theirs.
 */
export class StackedExperts extends Module<tf.Tensor3D, tf.Tensor3D> {
  /** Kind in use. */
  readonly kind: ExpertKind;
  /** The dense base FFN that 'ia3'/'lora' experts modulate (owned and registered by the layer), or null. */
  readonly base: MLP | null;
  private readonly p: Record<string, tf.Variable> = {};
  private readonly scale: number;

  /**
   * @param base the dense FFN 'ia3'/'lora' experts modulate ({@link expertBase}); required for those
   *   kinds, refused for the others. The caller registers it (the experts only read it).
   */
  constructor(readonly config: ExpertsConfig, rng: Rng = defaultRng(), base: MLP | null = null) {
    super();
    const who = 'StackedExperts';
    checkKnownKeys(who, config, EXPERTS_KEYS);
    checkPositiveInt(who, 'dim', config.dim);
    checkPositiveInt(who, 'numExperts', config.numExperts);
    checkPositiveInt(who, 'hidden', config.hidden);
    const kind = config.kind ?? 'ffn';
    checkOneOf(who, 'kind', kind, EXPERT_KINDS);
    this.kind = kind;
    const { dim: d, numExperts: e, hidden: h } = config;
    this.base = checkBase(kind, d, h, base);
    const add = (name: string, t: tf.Tensor) => {
      this.p[name] = this.addParameter(name, t);
    };
    if (kind === 'ffn') {
      add('w1', fanInUniform([e, d, h], d, rng));
      add('b1', fanInUniform([e, h], d, rng));
      add('w2', fanInUniform([e, h, d], h, rng));
      add('b2', fanInUniform([e, d], h, rng));
    } else if (kind === 'swiglu') {
      add('wGate', fanInUniform([e, d, h], d, rng));
      add('wUp', fanInUniform([e, d, h], d, rng));
      add('wDown', fanInUniform([e, h, d], h, rng));
    } else if (kind === 'ia3') {
      add('scale', tf.ones([e, h]));
    }
    let scale = 1;
    if (kind === 'lora') {
      const r = checkPositiveInt(who, 'loraRank', config.loraRank ?? 4);
      scale = checkPositive(who, 'loraAlpha', config.loraAlpha ?? 2 * r) / r;
      const zero = checkBool(who, 'loraZeroInit', config.loraZeroInit ?? true);
      const bInit = (shape: number[], fanIn: number) => (zero ? tf.zeros(shape) : fanInUniform(shape, fanIn, rng));
      add('loraA1', fanInUniform([e, d, r], d, rng));
      add('loraB1', bInit([e, r, h], r));
      add('loraA2', fanInUniform([e, h, r], h, rng));
      add('loraB2', bInit([e, r, d], r));
    }
    this.scale = scale;
  }

  /** Parameters per expert. */
  perExpertParameters(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0) / this.config.numExperts;
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
      const hid = gelu(affine(buf, P.w1!, P.b1!, blockExpert)); // (G, b, h)
      return affine(hid as tf.Tensor3D, P.w2!, P.b2!, blockExpert);
    }
    if (this.kind === 'swiglu') {
      const gate = silu(times(buf, P.wGate!, blockExpert));
      const up = times(buf, P.wUp!, blockExpert);
      return times(tf.mul(gate, up) as tf.Tensor3D, P.wDown!, blockExpert);
    }
    // Frozen base over all rows at once: (G, b, d) -> (G·b, d).
    const h = this.config.hidden;
    const { fc1, fc2 } = this.base as MLP & { fc1: Linear; fc2: Linear };
    const rows = tf.reshape(buf, [g * b, d]);
    let pre = tf.reshape(tf.add(tf.matMul(rows, fc1.weight), fc1.bias!), [g, b, h]); // (G·b, h) -> (G, b, h)
    if (this.kind === 'lora') {
      const up = times(times(buf, P.loraA1!, blockExpert), P.loraB1!, blockExpert);
      pre = tf.add(pre, tf.mul(up, this.scale));
    }
    let hid = gelu(pre);
    if (this.kind === 'ia3') hid = tf.mul(hid, pickBias(P.scale!, blockExpert)); // l_e broadcast over the block's rows
    let out = tf.reshape(tf.add(tf.matMul(tf.reshape(hid, [g * b, h]), fc2.weight), fc2.bias!), [g, b, d]); // (G·b, d) -> (G, b, d)
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
    if (!this.base) throw new Error(`StackedExperts.loadBase: kind=${this.kind} has no base FFN (only 'ia3' and 'lora')`);
    checkBase(this.kind, this.config.dim, this.config.hidden, mlp, 'StackedExperts.loadBase: mlp');
    const [from, to] = [mlp as MLP & { fc1: Linear; fc2: Linear }, this.base as MLP & { fc1: Linear; fc2: Linear }];
    to.fc1.weight.assign(from.fc1.weight);
    to.fc1.bias!.assign(from.fc1.bias!);
    to.fc2.weight.assign(from.fc2.weight);
    to.fc2.bias!.assign(from.fc2.bias!);
  }
}

/** The base of experts of `kind`: a plain GELU MLP dim → hidden → dim with biases for 'ia3'/'lora', none otherwise. */
function checkBase(kind: ExpertKind, dim: number, hidden: number, base: MLP | null, what = 'StackedExperts: base'): MLP | null {
  if (!expertsNeedBase(kind)) {
    if (base) throw new Error(`${what} is given, but kind='${kind}' has no base FFN (only 'ia3' and 'lora' do)`);
    return null;
  }
  if (!base) throw new Error(`${what} is missing: kind='${kind}' experts modulate a dense base FFN; pass expertBase(config, rng) and register it in the layer`);
  const { fc1, fc2 } = base;
  const act = base.config.activation ?? 'gelu';
  if (!fc1 || !fc2 || !fc1.bias || !fc2.bias || act !== 'gelu') throw new Error(`${what} must be a plain GELU MLP (fc1, fc2) with biases`);
  if (fc1.weight.shape[0] !== dim || fc1.weight.shape[1] !== hidden || fc2.weight.shape[0] !== hidden || fc2.weight.shape[1] !== dim) {
    throw new Error(`${what} has fc1 [${fc1.weight.shape}] fc2 [${fc2.weight.shape}]; expected fc1 [${dim},${hidden}] fc2 [${hidden},${dim}]`);
  }
  return base;
}
