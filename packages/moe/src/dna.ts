// Distributed neural architectures — Cowsik, He & Gromov, "Towards Distributed Neural
// Architectures", arXiv:2506.22389. A pool of modules (causal self-attention and FFN modules, each
// pre-normed) and one learned router per hop: at hop r every token picks one module of the pool, or
// "skip", by the arg-max of its router's logits on its current state, and adds that module's output
// scaled by the router probability of the choice: h ← h + p_r(j)·M_j(norm_j(h)). So tokens take
// their own paths through the pool, in any order, visiting at most `hops` modules (the compute
// budget). An attention module is attention among the tokens routed to it at that hop: a token that
// chose it attends causally to the earlier tokens of its sequence that chose it too. A compute loss,
// `computeWeight` · (expected modules visited per token and hop, 1 − p(skip)), lets the model learn
// to spend less. Path statistics (`<key>.choices` (N, hops), `<key>.modules` (N,)) go to the
// context's stats; {@link dnaPathStats} summarises them.
// Compute (`dispatch: 'sparse'`, the default): each hop's FFN modules run only on the tokens that
// chose them (MoE's dropless block dispatch over the FFN modules' weights stacked for the pass, about
// N rows per hop whatever the pool's FFN count). An attention module takes at most C =
// min(T, ⌈attentionCapacity·T / options⌉) tokens of each sequence per hop (options: pool size, +1
// with skip; so attentionCapacity is a multiple of the uniform share), the first C that chose it in
// sequence order; later ones are dropped (that module adds nothing to them). With C < T the kept
// tokens are gathered, in order, into (B, C, d), attended among themselves (causal, so the padding
// slots at the end are seen by no kept token) and scattered back: O(C²) instead of O(T²). Slots and
// capacity are computed on the device (cumulative sums, fixed C), with no read-back. With C = T
// (attentionCapacity null, or large enough) attention runs over all T positions with the other
// tokens masked out as keys — the same values. `dispatch: 'dense'` runs every module on every token
// (attention masked to the kept tokens) and keeps the chosen outputs (the reference; the same values).
// Departs from the paper: top-1 routing; no load-balancing loss; the attention capacity (dropping
// tokens past it) is ours, to make the cost follow the routed share.
import * as tf from '@tensorflow/tfjs-core';
import { activationFn, CausalSelfAttention, checkKnownKeys, configKeys, defaultRng, ForwardContext, groupedMatMul, LayerNorm, Linear, MLP, Module, type Rng } from '@weft/core';
import { checkInt, checkNumber, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import { autoBlockSize, droplessPlan, sparseCombine, type ExpertBlocks } from './dispatch.js';
import { untaped, type Routing } from './routers/router.js';

/** Config of {@link DistributedModules}. */
export interface DistributedModulesConfig {
  /** Model width d. */
  dim: number;
  /** Attention modules in the pool. Default: 2. */
  attention?: number;
  /** FFN modules in the pool. Default: 2. */
  ffn?: number;
  /** Heads of each attention module (must divide dim). Default: 2. */
  numHeads?: number;
  /** Hidden width of each FFN module. Default: 4·dim. */
  ffnHidden?: number;
  /** Routing hops: the most modules a token visits (the compute budget). Default: attention + ffn. */
  hops?: number;
  /** Whether a router may choose "skip" (no module this hop). Default: true. */
  allowSkip?: boolean;
  /** Weight of the compute loss (expected modules visited per token and hop). Default: 0.01. */
  computeWeight?: number;
  /** Name of the stats and the compute loss. Default: the module's path in the context's root, else 'dna'. */
  name?: string;
  /** 'sparse': each module runs only on the tokens that chose it; 'dense': every module on every token (the reference). Default: 'sparse'. */
  dispatch?: 'sparse' | 'dense';
  /**
   * Capacity of each attention module per sequence and hop, as a multiple of the uniform share
   * T / options: C = min(T, ⌈attentionCapacity·T / options⌉) tokens, the first that chose it; null
   * keeps every token (C = T, no saving). Default: 2.
   */
  attentionCapacity?: number | null;
}

const DNA_KEYS = configKeys<DistributedModulesConfig>({ dim: true, attention: true, ffn: true, numHeads: true, ffnHidden: true, hops: true, allowSkip: true, computeWeight: true, name: true, dispatch: true, attentionCapacity: true });

/**
 * Tokens of each sequence an attention module takes per hop: C = min(T, ⌈capacity·T / options⌉),
 * T with capacity null; options = pool size (+1 with skip).
 */
export function dnaAttentionSlots(T: number, capacity: number | null, options: number): number {
  checkPositiveInt('dnaAttentionSlots', 'T', T);
  checkPositiveInt('dnaAttentionSlots', 'options', options);
  return capacity === null ? T : Math.min(T, Math.ceil((checkNumber('dnaAttentionSlots', 'capacity', capacity, Number.MIN_VALUE) * T) / options));
}

/** One module of the pool: a pre-norm attention or FFN, (B, T, d) -> (B, T, d). */
export class PoolModule extends Module {
  readonly norm: LayerNorm;
  readonly op: CausalSelfAttention | MLP;
  constructor(readonly kind: 'attention' | 'ffn', dim: number, numHeads: number, hidden: number, rng: Rng) {
    super();
    this.norm = this.addModule('norm', new LayerNorm({ dim }));
    this.op = this.addModule('op', kind === 'attention' ? new CausalSelfAttention({ dim, numHeads }, rng) : new MLP({ dim, hidden }, rng));
  }

  /** (B, T, d) -> (B, T, d); `keys` (B, T), attention only: 1 for the tokens that may be attended to. */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training }), keys: tf.Tensor | null = null): tf.Tensor {
    const normed = this.norm.forward(x, ctx);
    return this.op instanceof CausalSelfAttention ? this.op.forward({ x: normed, attentionMask: keys }, ctx) : this.op.forward(normed, ctx);
  }
}

/** Tokens routed along their own paths through a pool of attention and FFN modules: (B, T, d) -> (B, T, d). */
export class DistributedModules extends Module {
  /** The pool: attention modules first, then FFN modules. */
  readonly pool: PoolModule[];
  /** One router per hop, d -> pool size (+1 for skip). */
  readonly routers: Linear[];
  readonly hops: number;
  readonly allowSkip: boolean;
  readonly computeWeight: number;
  readonly dim: number;
  readonly dispatch: 'sparse' | 'dense';
  /** Attention capacity factor (null: every token kept). */
  readonly attentionCapacity: number | null;
  private readonly name?: string;

  constructor(config: DistributedModulesConfig, rng: Rng = defaultRng()) {
    super();
    const who = 'DistributedModules';
    checkKnownKeys(who, config, DNA_KEYS);
    this.dim = checkPositiveInt(who, 'dim', config.dim);
    const nA = checkInt(who, 'attention', config.attention ?? 2, 0);
    const nF = checkInt(who, 'ffn', config.ffn ?? 2, 0);
    if (nA + nF === 0) throw new Error(`${who}: attention=0 and ffn=0; the pool needs at least one module`);
    const heads = checkPositiveInt(who, 'numHeads', config.numHeads ?? 2);
    if (nA > 0 && this.dim % heads !== 0) throw new Error(`${who}: numHeads=${heads} must divide dim=${this.dim}`);
    const hidden = checkPositiveInt(who, 'ffnHidden', config.ffnHidden ?? 4 * this.dim);
    this.hops = checkPositiveInt(who, 'hops', config.hops ?? nA + nF);
    this.allowSkip = config.allowSkip ?? true;
    if (typeof this.allowSkip !== 'boolean') throw new Error(`${who}: allowSkip=${String(this.allowSkip)} must be true or false`);
    this.computeWeight = checkNumber(who, 'computeWeight', config.computeWeight ?? 0.01, 0);
    this.name = config.name;
    this.dispatch = config.dispatch ?? 'sparse';
    checkOneOf(who, 'dispatch', this.dispatch, ['sparse', 'dense'] as const);
    const cap = config.attentionCapacity === undefined ? 2 : config.attentionCapacity;
    this.attentionCapacity = cap === null ? null : checkNumber(who, 'attentionCapacity', cap, Number.MIN_VALUE);
    this.pool = [...Array.from({ length: nA }, () => 'attention' as const), ...Array.from({ length: nF }, () => 'ffn' as const)]
      .map((kind, i) => this.addModule(`pool${i}`, new PoolModule(kind, this.dim, heads, hidden, rng)));
    const options = this.pool.length + (this.allowSkip ? 1 : 0);
    this.routers = Array.from({ length: this.hops }, (_, r) => this.addModule(`router${r}`, new Linear({ inFeatures: this.dim, outFeatures: options }, rng)));
  }

  /** A token visits at most `hops` of the pool's modules: each pool module's share is min(1, hops / pool size). */
  override activeShareOf(name: string): number {
    return name.startsWith('pool') ? Math.min(1, this.hops / this.pool.length) : 1;
  }

  /** Tokens of each sequence an attention module takes per hop, for sequences of length T. */
  attentionSlots(T: number): number {
    return dnaAttentionSlots(T, this.attentionCapacity, this.pool.length + (this.allowSkip ? 1 : 0));
  }

  /**
   * p(choice)·A_j(norm_j(h)) for the tokens of each sequence that chose attention module j and fit
   * its capacity C, attending among themselves (causal); 0 for the others. C < T in sparse dispatch:
   * the kept tokens gathered into (B, C, d), in order; else masked over all T. h (B, T, d) -> (B, T, d).
   */
  private attentionOnChosen(h: tf.Tensor, choice: tf.Tensor2D, gated: tf.Tensor, j: number, ctx: ForwardContext): tf.Tensor {
    const [B, T, d] = h.shape as [number, number, number];
    const C = this.attentionSlots(T);
    const m = this.pool[j]!;
    const filled = untaped(() => tf.cumsum(tf.cast(tf.equal(choice, j), 'int32'), 1)); // (B, T): tokens that chose j up to and including t
    const kept = untaped(() => tf.logicalAnd(tf.equal(choice, j), tf.lessEqual(filled, tf.scalar(C, 'int32')))); // (B, T) bool: chose j, within capacity
    const gate = tf.mul(tf.slice(gated, [0, 0, j], [B, T, 1]), tf.expandDims(tf.cast(kept, 'float32'), 2)); // (B, T, 1): p(choice) if kept, else 0
    if (this.dispatch === 'dense' || C >= T) return tf.mul(gate, m.forward(h, ctx, kept));
    const slotToken = untaped(() => {
      // Slot s holds the (s+1)-th kept token: its position is the count of tokens before it, #{t: filled_t ≤ s}.
      const s = tf.reshape(tf.range(0, C, 1, 'int32'), [1, C, 1]);
      const pos = tf.sum(tf.cast(tf.lessEqual(tf.expandDims(filled, 1), s), 'int32'), 2); // (B, 1, T) vs (1, C, 1) -> (B, C, T) -> (B, C)
      const base = tf.reshape(tf.range(0, B * T, T, 'int32'), [B, 1]); // (B, 1): each sequence's first row
      return tf.reshape(tf.add(base, tf.minimum(pos, tf.scalar(T - 1, 'int32'))), [B * C]) as tf.Tensor1D; // padding slots (past the count) read the last token
    });
    const tokenSlot = untaped(() => {
      const base = tf.reshape(tf.range(0, B * C, C, 'int32'), [B, 1]); // (B, 1): each sequence's first slot
      return tf.reshape(tf.where(kept, tf.add(base, tf.sub(filled, tf.scalar(1, 'int32'))), tf.fill([B, T], B * C, 'int32')), [B * T]) as tf.Tensor1D; // the dropped read the zero row
    });
    const buf = tf.reshape(tf.gather(tf.reshape(h, [B * T, d]), slotToken), [B, C, d]); // (B·T, d) -> (B·C, d) -> (B, C, d)
    const out = tf.reshape(m.forward(buf, ctx), [B * C, d]); // (B, C, d) -> (B·C, d); padding slots come last, so no kept token sees them
    const back = tf.reshape(tf.gather(tf.concat([out, tf.zeros([1, d])], 0), tokenSlot), [B, T, d]); // (B·T, d) -> (B, T, d)
    return tf.mul(gate, back);
  }

  /**
   * Σ over the FFN modules of p(choice)·FFN_j(norm_j(h)) for the tokens that chose FFN module j, run
   * on those tokens only: each token is one pair (expert j − first, or an extra empty slot for the
   * tokens that chose attention or skip, gate 0), dispatched in blocks as MoE's dropless plan, each
   * block through its module's weights (stacked for this pass). h (B, T, d) -> (N, d).
   */
  private ffnOnChosen(h: tf.Tensor, choice: tf.Tensor2D, gated: tf.Tensor, first: number, ctx: ForwardContext): tf.Tensor2D {
    const [B, T, d] = h.shape as [number, number, number];
    const n = B * T;
    const ffns = this.pool.slice(first);
    const f = ffns.length;
    const options = gated.shape[2]!;
    const flatH = tf.reshape(h, [n, d]) as tf.Tensor2D; // (B, T, d) -> (N, d)
    const flatGated = tf.reshape(gated, [n, options]) as tf.Tensor2D; // (B, T, options) -> (N, options)
    // Slot of each token among the FFN modules, f for a token that chose none of them.
    const expert = untaped(() => {
      const c = tf.sub(tf.reshape(choice, [n]), tf.scalar(first, 'int32')); // (N,)
      return tf.where(tf.logicalAnd(tf.greaterEqual(c, 0), tf.less(c, f)), c, tf.fill([n], f, 'int32')) as tf.Tensor1D;
    });
    const gate = tf.sum(tf.slice(flatGated, [0, first], [n, f]), 1) as tf.Tensor1D; // (N,): p(choice) if an FFN, else 0
    // Each module's own pre-norm, kept for the tokens that chose it (a per-token O(d) cost per module).
    const pick = untaped(() => tf.oneHot(expert, f + 1, 1, 0, 'float32')); // (N, f + 1)
    let normed: tf.Tensor = tf.zeros([n, d]);
    ffns.forEach((m, j) => {
      normed = tf.add(normed, tf.mul(tf.slice(pick, [0, j], [n, 1]), m.norm.forward(flatH, ctx)));
    });
    const routing: Routing = { logits: null, probs: flatGated, expert, token: tf.range(0, n, 1, 'int32') as tf.Tensor1D, gate, choices: tf.reshape(expert, [n, 1]) as tf.Tensor2D };
    const plan = droplessPlan(routing, n, f + 1, autoBlockSize(n, f + 1));
    return sparseCombine(normed as tf.Tensor2D, routing, plan, stackedFfns(ffns.map((m) => m.op as MLP)));
  }

  /** (B, T, d) -> (B, T, d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new Error(`DistributedModules: input shape [${x.shape}] must be (B, T, dim=${this.dim})`);
    const [B, T] = x.shape as [number, number, number];
    const M = this.pool.length;
    const options = M + (this.allowSkip ? 1 : 0);
    let h = x;
    const choices: tf.Tensor[] = [];
    const spent: tf.Tensor[] = [];
    for (const router of this.routers) {
      const probs = tf.softmax(router.forward(h, ctx)); // (B, T, options)
      const choice = untaped(() => tf.argMax(probs, -1) as tf.Tensor2D); // (B, T) int32
      const onehot = untaped(() => tf.oneHot(choice, options, 1, 0, 'float32')); // (B, T, options)
      const gated = tf.mul(probs, onehot); // (B, T, options): p(choice) at the chosen slot, 0 elsewhere
      let upd: tf.Tensor = tf.zerosLike(h);
      const sparse = this.dispatch === 'sparse' ? this.pool.findIndex((m) => m.kind === 'ffn') : -1; // the first FFN module's index, or -1
      this.pool.forEach((m, j) => {
        if (m.kind === 'attention') upd = tf.add(upd, this.attentionOnChosen(h, choice, gated, j, ctx));
        else if (sparse < 0) upd = tf.add(upd, tf.mul(tf.slice(gated, [0, 0, j], [B, T, 1]), m.forward(h, ctx))); // (B, T, 1)·(B, T, d); sparse: below, on their tokens only
      });
      if (sparse >= 0) upd = tf.add(upd, tf.reshape(this.ffnOnChosen(h, choice, gated, sparse, ctx), [B, T, this.dim])); // (N, d) -> (B, T, d)
      h = tf.add(h, upd);
      choices.push(choice);
      if (this.allowSkip) spent.push(tf.sub(1, tf.mean(tf.slice(probs, [0, 0, M], [B, T, 1])))); // expected modules this hop
    }
    const key = ctx.keyOf(this, 'dna', this.name);
    if (this.computeWeight > 0 && spent.length) ctx.addAuxLoss(`${key}.compute`, tf.div(tf.addN(spent), this.hops) as tf.Scalar, this.computeWeight);
    if (ctx.collectStats) {
      const all = tf.reshape(tf.stack(choices, 2), [B * T, this.hops]); // (B, T, hops) -> (N, hops)
      ctx.addStat(`${key}.choices`, all);
      ctx.addStat(`${key}.modules`, tf.sum(tf.cast(tf.less(all, M), 'int32'), 1));
    }
    return h;
  }
}

/**
 * The plain MLPs `mlps` (fc1, fc2 with biases, one activation) as dispatch's blocks: their weights
 * stacked for one pass, with an all-zero last slot for rows that belong to no module.
 */
function stackedFfns(mlps: MLP[]): ExpertBlocks {
  const act = activationFn(mlps[0]!.config.activation ?? 'gelu', 'DistributedModules');
  const part = (get: (m: MLP) => tf.Tensor) => {
    const ws = mlps.map(get);
    return tf.stack([...ws, tf.zerosLike(ws[0]!)]); // (f + 1, ...)
  };
  const fc = (m: MLP) => m as MLP & { fc1: Linear; fc2: Linear };
  const w1 = part((m) => fc(m).fc1.weight) as tf.Tensor3D; // (f + 1, d, hidden)
  const b1 = part((m) => fc(m).fc1.bias!) as tf.Tensor2D; // (f + 1, hidden)
  const w2 = part((m) => fc(m).fc2.weight) as tf.Tensor3D; // (f + 1, hidden, d)
  const b2 = part((m) => fc(m).fc2.bias!) as tf.Tensor2D; // (f + 1, d)
  return {
    config: { numExperts: mlps.length + 1 },
    apply(buf: tf.Tensor3D, group: tf.Tensor1D | null): tf.Tensor3D {
      if (!group) throw new Error('DistributedModules: FFN dispatch needs a dropless plan (blocks naming their module)');
      const hid = act(groupedMatMul(buf, w1, group, b1)) as tf.Tensor3D; // (G, b, hidden)
      return groupedMatMul(hid, w2, group, b2); // (G, b, d)
    },
  };
}

/** Summary of recorded paths: mean modules per token, visits per module, and path counts (most frequent first). */
export interface DnaPathStats {
  meanModules: number;
  /** Visits of each pool module, over tokens and hops. */
  moduleVisits: number[];
  /** Each distinct path (module indices joined by '-', skips left out; '' visits none) and its token count. */
  paths: [string, number][];
}

/** Summarise `choices` (N·hops, row-major per token, as `<key>.choices`) of a pool of `poolSize` modules. */
export function dnaPathStats(choices: ArrayLike<number>, hops: number, poolSize: number): DnaPathStats {
  checkPositiveInt('dnaPathStats', 'hops', hops);
  checkPositiveInt('dnaPathStats', 'poolSize', poolSize);
  if (choices.length % hops !== 0) throw new Error(`dnaPathStats: choices.length=${choices.length} must be a multiple of hops=${hops}`);
  const n = choices.length / hops;
  const moduleVisits = new Array<number>(poolSize).fill(0);
  const counts = new Map<string, number>();
  let visits = 0;
  for (let i = 0; i < n; i++) {
    const path: number[] = [];
    for (let r = 0; r < hops; r++) {
      const c = choices[i * hops + r]!;
      if (c < poolSize) {
        path.push(c);
        moduleVisits[c]! += 1;
      }
    }
    visits += path.length;
    const key = path.join('-');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { meanModules: n ? visits / n : 0, moduleVisits, paths: [...counts].sort((a, b) => b[1] - a[1]) };
}
