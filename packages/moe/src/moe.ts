// The mixture-of-experts layer: router + sparse dispatch + stacked experts (+ always-on shared
// experts, DeepSeekMoE — Dai et al., arXiv:2401.06066; optionally scaled per token by a sigmoid gate,
// as Qwen2-MoE's `shared_expert_gate`), usable on its own or as the `ffn` of core's
// TransformerBlock. x (..., d) -> (..., d). In training it adds the load-balancing loss (Switch,
// GShard or Mixtral form), the router z-loss and optionally an entropy term to the forward context;
// with `collectStats` it records per-expert load, the dropped-pair fraction, router entropy and the
// token→expert combine weights. The ledger counts router + shared experts (+ the dense base of MoV /
// MoLoRA experts) + the router entry's active share (k/E) of the routed experts as active per token.
// Departs from DeepSeekMoE: no fine-grained expert segmentation (choose E and hidden for that).
// UMoE's attention MoE, which can share these experts, is premix-attention.ts.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, MLP, Module, checkKnownKeys, configKeys, defaultRng, ForwardContext, type Rng, describeValue } from '@weft/core';
import { checkBool, checkInt, checkNumber, checkOneOf, checkPositive, checkPositiveInt } from '@weft/core/internal';
import { autoBlockSize, capacityPlan, combineWeights, denseCombine, droplessPlan, DROP_POLICIES, sparseCombine, type DispatchPlan, type DropPolicy } from './dispatch.js';
import { EXPERT_KINDS, expertBase, StackedExperts, type ExpertKind, type ExpertsConfig } from './experts.js';
import { choiceBalancingLoss, loadBalancingLoss, LOAD_BALANCE_FORMS, routerEntropy, routerZLoss, type LoadBalanceForm } from './losses.js';
import { makeRouter, resolveRouterConfig, routerActiveShare, routerEntry, type RouterExtras, type RouterShape, type Router, type Routing, untaped } from './routers/index.js';

/** Config of {@link MoE} (plain JSON). */
export interface MoEConfig {
  /** Model width d. */
  dim: number;
  /** Routed experts E. Default: 8. */
  numExperts?: number;
  /** Experts per token k (expert-choice: average experts per token). Default: 2. */
  topK?: number;
  /** Hidden width of each expert. Default: 4·dim. */
  hidden?: number;
  /** Kind of expert ('ffn' GELU, 'swiglu', 'ia3' MoV, 'lora' MoLoRA). Default: 'ffn'. */
  expert?: ExpertKind;
  /** LoRA rank of 'lora' experts. Default: 4. */
  loraRank?: number;
  /** LoRA α of 'lora' experts (scale α/r). Default: 2·loraRank. */
  loraAlpha?: number;
  /** B = 0 at init for 'lora' experts. Default: true. */
  loraZeroInit?: boolean;
  /** Router name in the registry (`routerNames()`). Default: 'topk'. */
  router?: string;
  /** Router options over the router's defaults. Default: {}. */
  routerConfig?: Record<string, unknown>;
  /** Capacity factor c (each expert takes ⌈c·N·k/E⌉ pairs, the rest are dropped), or null for dropless. Default: null. */
  capacityFactor?: number | null;
  /**
   * Capacity factor in evaluation (DeepSpeed's `eval_capacity_factor`): training uses
   * `capacityFactor`, eval this one (only with a capacity). Default: `capacityFactor`.
   */
  evalCapacityFactor?: number;
  /** Fewest pairs an expert takes whatever the factor (DeepSpeed's `min_capacity`). Default: 1. */
  minCapacity?: number;
  /** Which pairs win when an expert is full. Default: 'position'. */
  dropPolicy?: DropPolicy;
  /** Rows per block in dropless mode. Default: a power of two near P/(4E). */
  blockSize?: number;
  /** Always-active shared experts (DeepSeekMoE), fused into one MLP. Default: 0. */
  sharedExperts?: number;
  /** Hidden width of each shared expert. Default: `hidden`. */
  sharedHidden?: number;
  /**
   * Scale the shared experts' output per token by σ(x·w), w [dim, 1] learned (Qwen2-MoE's
   * `shared_expert_gate`); false adds it ungated (DeepSeekMoE). Needs sharedExperts ≥ 1. Default: false.
   */
  sharedGate?: boolean;
  /** Load-balancing loss form, or 'none'. Default: 'switch'. */
  loadBalance?: LoadBalanceForm | 'none';
  /** Weight of the load-balancing loss. Default: 0.01. */
  loadBalanceWeight?: number;
  /** Weight of the router z-loss (routers with logits). Default: 0.001. */
  zLossWeight?: number;
  /** Weight of the router-entropy term (positive sharpens routing). Default: 0. */
  entropyWeight?: number;
  /**
   * Prefix of the aux-loss and stat names. Default: the layer's path in the model the trainer runs
   * (`blocks.1.ffn.load`), so several MoE layers keep their own; 'moe' (then 'moe#2', …) in a
   * context without a model.
   */
  name?: string;
  /** 'sparse' (the layer) or 'dense' (every expert on every token, masked — the test reference). Default: 'sparse'. */
  dispatch?: 'sparse' | 'dense';
}

/** Every key of {@link MoEConfig}, for the unknown-key check. */
export const MOE_CONFIG_KEYS = configKeys<MoEConfig>({
  dim: true, numExperts: true, topK: true, hidden: true, expert: true, loraRank: true, loraAlpha: true, loraZeroInit: true, router: true,
  routerConfig: true, capacityFactor: true, evalCapacityFactor: true, minCapacity: true, dropPolicy: true, blockSize: true, sharedExperts: true, sharedHidden: true, sharedGate: true, loadBalance: true,
  loadBalanceWeight: true, zLossWeight: true, entropyWeight: true, name: true, dispatch: true,
});

/** Non-JSON options of {@link MoE}. */
export interface MoEOptions extends RouterExtras {
  /** Use these experts (shared with other layers, or pre-built); their dim/numExperts must match. Their base (MoV/MoLoRA) comes with them. */
  experts?: StackedExperts;
  /**
   * With shared `experts`: the share of them one token already reaches through the other layers
   * that use them (UMoE's attention: its k/E), added to this layer's own in the ledger's active
   * count — the ledger counts a shared variable at its largest share over its paths. Default: 0.
   */
  expertsShareElsewhere?: number;
}

/** Every key of {@link MoEOptions}, for the unknown-key check. */
export const MOE_OPTION_KEYS = configKeys<MoEOptions>({ experts: true, gru: true, expertsShareElsewhere: true });

/** A {@link MoEConfig} with its defaults filled in. */
export type ResolvedMoEConfig = Resolved;
type Resolved = Required<Omit<MoEConfig, 'blockSize' | 'capacityFactor' | 'evalCapacityFactor' | 'routerConfig'>> & {
  blockSize: number | undefined;
  capacityFactor: number | null;
  evalCapacityFactor: number | null;
  routerConfig: Record<string, unknown>;
  /** Whether `name` was given (it then wins over the layer's path). */
  explicitName: boolean;
};

/**
 * Fill the defaults of a {@link MoEConfig} and check it (unknown keys are refused, naming the
 * nearest allowed one; `routerConfig` is resolved over the router's defaults). `who` names the
 * caller in errors and `allowed` the keys it accepts (layers built on an MoE config add theirs).
 */
export function resolveMoEConfig(config: MoEConfig, who = 'MoE', allowed: readonly string[] = MOE_CONFIG_KEYS): Resolved {
  if (typeof config !== 'object' || config === null) throw new Error(`${who}: config must be an object, got ${String(config)}`);
  checkKnownKeys(who, config, allowed);
  checkPositiveInt(who, 'dim', config.dim);
  const c: Resolved = {
    dim: config.dim,
    numExperts: config.numExperts ?? 8,
    topK: config.topK ?? 2,
    hidden: config.hidden ?? 4 * config.dim,
    expert: config.expert ?? 'ffn',
    loraRank: config.loraRank ?? 4,
    loraAlpha: config.loraAlpha ?? 2 * (config.loraRank ?? 4),
    loraZeroInit: config.loraZeroInit ?? true,
    router: config.router ?? 'topk',
    routerConfig: config.routerConfig ?? {},
    capacityFactor: config.capacityFactor === undefined ? null : config.capacityFactor,
    evalCapacityFactor: config.evalCapacityFactor ?? (config.capacityFactor === undefined ? null : config.capacityFactor),
    minCapacity: config.minCapacity ?? 1,
    dropPolicy: config.dropPolicy ?? 'position',
    blockSize: config.blockSize,
    sharedExperts: config.sharedExperts ?? 0,
    sharedHidden: config.sharedHidden ?? config.hidden ?? 4 * config.dim,
    sharedGate: config.sharedGate ?? false,
    loadBalance: config.loadBalance ?? 'switch',
    loadBalanceWeight: config.loadBalanceWeight ?? 0.01,
    zLossWeight: config.zLossWeight ?? 0.001,
    entropyWeight: config.entropyWeight ?? 0,
    name: config.name ?? 'moe',
    explicitName: config.name !== undefined,
    dispatch: config.dispatch ?? 'sparse',
  };
  if (c.numExperts === 1) {
    // One expert: every router's choice is forced and a softmax gate is 1 (no gradient, nothing to balance).
    throw new Error(`${who}: numExperts=1 must be ≥ 2 (one expert takes every token: that is a dense FFN, core's MLP, without the routing)`);
  }
  checkInt(who, 'numExperts', c.numExperts, 2);
  checkPositiveInt(who, 'topK', c.topK);
  if (c.topK > c.numExperts) throw new Error(`${who}: topK=${c.topK} must be ≤ numExperts=${c.numExperts}`);
  checkPositiveInt(who, 'hidden', c.hidden);
  checkOneOf(who, 'expert', c.expert, EXPERT_KINDS);
  const entry = routerEntry(c.router);
  if (entry.fixedTopK !== undefined && c.topK !== entry.fixedTopK) {
    throw new Error(`${who}: topK=${c.topK} must be ${entry.fixedTopK} with router='${c.router}'`);
  }
  c.routerConfig = resolveRouterConfig(c.router, c.routerConfig);
  if (c.capacityFactor !== null && !(typeof c.capacityFactor === 'number' && Number.isFinite(c.capacityFactor) && c.capacityFactor > 0)) {
    throw new Error(`${who}: capacityFactor=${describeValue(c.capacityFactor)} must be a finite number > 0 (or null for dropless)`);
  }
  if (config.evalCapacityFactor !== undefined) {
    if (c.capacityFactor === null) throw new Error(`${who}: evalCapacityFactor=${describeValue(config.evalCapacityFactor)} needs a capacityFactor (the layer is dropless)`);
    checkPositive(who, 'evalCapacityFactor', config.evalCapacityFactor);
  }
  checkPositiveInt(who, 'minCapacity', c.minCapacity);
  checkOneOf(who, 'dropPolicy', c.dropPolicy, DROP_POLICIES);
  if (c.blockSize !== undefined) checkPositiveInt(who, 'blockSize', c.blockSize);
  checkInt(who, 'sharedExperts', c.sharedExperts, 0);
  checkPositiveInt(who, 'sharedHidden', c.sharedHidden);
  checkBool(who, 'sharedGate', c.sharedGate);
  if (c.sharedGate && c.sharedExperts === 0) throw new Error(`${who}: sharedGate=true needs sharedExperts ≥ 1 (got sharedExperts=0)`);
  checkOneOf(who, 'loadBalance', c.loadBalance, [...LOAD_BALANCE_FORMS, 'none'] as const);
  checkNumber(who, 'loadBalanceWeight', c.loadBalanceWeight, 0);
  checkNumber(who, 'zLossWeight', c.zLossWeight, 0);
  checkNumber(who, 'entropyWeight', c.entropyWeight);
  checkOneOf(who, 'dispatch', c.dispatch, ['sparse', 'dense'] as const);
  if (typeof c.name !== 'string' || c.name.length === 0) throw new Error(`${who}: name=${describeValue(c.name)} must be a non-empty string`);
  return c;
}

/** The sizes the router of layer `c` is built for. */
export function routerShapeOf(c: Resolved): RouterShape {
  return { dim: c.dim, numExperts: c.numExperts, topK: c.topK, capacityFactor: c.capacityFactor };
}

/** The config of the routed experts of layer `c`. */
function expertsConfigOf(c: Resolved): ExpertsConfig {
  return { dim: c.dim, numExperts: c.numExperts, hidden: c.hidden, kind: c.expert, loraRank: c.loraRank, loraAlpha: c.loraAlpha, loraZeroInit: c.loraZeroInit };
}

/**
 * The routed experts a layer `c` uses — `given` (shared with another layer; dim and numExperts must
 * match) or new ones with their base — the share of them one token reaches through this layer
 * (`own`, from the router's entry) and, with `options.expertsShareElsewhere`, through every layer
 * that uses them (`share`).
 */
export function layerExperts(who: string, c: Resolved, rng: Rng, options: MoEOptions): { experts: StackedExperts; own: number; share: number } {
  const given = options.experts;
  if (given && (given.config.dim !== c.dim || given.config.numExperts !== c.numExperts)) {
    throw new Error(`${who}: the given experts have dim=${given.config.dim}, numExperts=${given.config.numExperts}; the layer has dim=${c.dim}, numExperts=${c.numExperts}`);
  }
  const elsewhere = checkNumber(who, 'expertsShareElsewhere', options.expertsShareElsewhere ?? 0, 0, 1);
  if (elsewhere > 0 && !given) throw new Error(`${who}: expertsShareElsewhere=${elsewhere} needs shared experts (options.experts)`);
  const experts = given ?? new StackedExperts(expertsConfigOf(c), rng, expertBase(expertsConfigOf(c), rng));
  const own = routerActiveShare(c.router, c.routerConfig, routerShapeOf(c));
  return { experts, own, share: Math.min(1, own + elsewhere) };
}

/** A mixture-of-experts feed-forward layer. */
export class MoE extends Module {
  /** The resolved config. */
  readonly cfg: Resolved;
  /** The router. */
  readonly router: Router;
  /** The routed experts, stacked. */
  readonly experts: StackedExperts;
  /** The frozen dense FFN that MoV/MoLoRA experts modulate (the experts' base, registered here), or null. */
  readonly base: MLP | null;
  /** The shared experts (one fused MLP), or null. */
  readonly shared: MLP | null;
  /** The shared experts' sigmoid gate [dim → 1] (Qwen2-MoE), or null. */
  readonly sharedGate: Linear | null;
  /** Share of the routed experts one token uses (its router entry's active share, plus `expertsShareElsewhere`). */
  readonly expertShare: number;

  constructor(config: MoEConfig, rng: Rng = defaultRng(), options: MoEOptions = {}) {
    super();
    const c = (this.cfg = resolveMoEConfig(config));
    checkKnownKeys('MoE options', options, MOE_OPTION_KEYS);
    this.router = this.addModule('router', makeRouter(c.router, c.routerConfig, routerShapeOf(c), rng, { gru: options.gru }));
    const { experts, share } = layerExperts('MoE', c, rng, options);
    this.experts = this.addModule('experts', experts);
    this.base = experts.base ? this.addModule('base', experts.base) : null;
    this.expertShare = share;
    this.shared =
      c.sharedExperts > 0
        ? this.addModule('shared', new MLP({ dim: c.dim, hidden: c.sharedExperts * c.sharedHidden, gated: c.expert === 'swiglu' }, rng))
        : null;
    this.sharedGate = c.sharedGate ? this.addModule('sharedGate', new Linear({ inFeatures: c.dim, outFeatures: 1, bias: false }, rng)) : null;
  }

  /** A token uses {@link expertShare} of the routed experts; router, base and shared experts are used by every token. */
  override activeShareOf(name: string): number {
    return name === 'experts' ? this.expertShare : 1;
  }

  /** Capacity (pairs per expert) for N tokens in training (or in eval, `training` false), or null when dropless. */
  capacity(n: number, training = true): number | null {
    return capacityOf(this.cfg, n, training);
  }

  /** Route N tokens and plan the dispatch (exposed for tests, stats and the demo). x (N, d). */
  plan(x: tf.Tensor2D, ctx: ForwardContext): { routing: Routing; plan: DispatchPlan } {
    const routing = this.router.forward(x, ctx);
    return { routing, plan: planDispatch(this.cfg, routing, x.shape[0], this.capacity(x.shape[0], ctx.training)) };
  }

  /** (..., d) -> (..., d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const c = this.cfg;
    const d = x.shape[x.rank - 1];
    if (d !== c.dim) throw new Error(`MoE: input last dimension ${d} (shape [${x.shape}]) must equal dim=${c.dim}`);
    const flat = tf.reshape(x, [-1, c.dim]) as tf.Tensor2D; // (..., d) -> (N, d)
    const n = flat.shape[0];
    if (n === 0) return tf.clone(x);
    const { y } = this.run(flat, ctx, x.rank >= 3 ? x.shape[x.rank - 2] : n); // sequences: the axis before d
    return tf.reshape(y, x.shape); // (N, d) -> (..., d)
  }

  /**
   * The layer on N ≥ 1 flat tokens (N, d) -> (N, d), with the routing and dispatch plan it used
   * (for layers built on this one: Grove's adjugates, PERFT's embedded adapters); reports the aux
   * losses and stats. `seqLen` splits the rows into sequences for the 'sequence' balance loss.
   */
  run(flat: tf.Tensor2D, ctx: ForwardContext, seqLen = flat.shape[0]): { y: tf.Tensor2D; routing: Routing; plan: DispatchPlan } {
    const c = this.cfg;
    const n = flat.shape[0];
    const { routing, plan } = this.plan(flat, ctx);
    let y = c.dispatch === 'dense' ? denseCombine(flat, routing, plan, this.experts) : sparseCombine(flat, routing, plan, this.experts);
    if (this.shared) {
      const s = this.shared.forward(flat, ctx); // (N, d)
      y = tf.add(y, this.sharedGate ? tf.mul(tf.sigmoid(this.sharedGate.forward(flat, ctx)), s) : s) as tf.Tensor2D; // σ (N, 1) scales each token's row
    }
    reportRouting(c, routing, plan, n, ctx, undefined, seqLen, this);
    return { y, routing, plan };
  }
}

/**
 * Capacity (pairs per expert) of a layer `c` for N tokens — max(minCapacity, ⌈f·N·k/E⌉) with f the
 * training or eval capacity factor, as DeepSpeed's `_capacity` — or null when dropless.
 */
export function capacityOf(c: Resolved, n: number, training = true): number | null {
  const { topK: k, numExperts: e } = c;
  const cf = training ? c.capacityFactor : c.evalCapacityFactor;
  return cf === null ? null : Math.max(c.minCapacity, Math.ceil((cf * n * k) / e));
}

/**
 * The dispatch plan of a layer `c` for `routing` over `n` input rows (tokens; or pairs, when each pair
 * has its own input row as in UMoE's attention), with `capacity` pairs per expert or null (dropless).
 */
export function planDispatch(c: Resolved, routing: Routing, n: number, capacity: number | null): DispatchPlan {
  return capacity === null
    ? droplessPlan(routing, n, c.numExperts, c.blockSize ?? autoBlockSize(routing.expert.shape[0], c.numExperts))
    : capacityPlan(routing, n, c.numExperts, capacity, c.dropPolicy);
}

/**
 * The choices a balance form counts: every token choice for 'mixtral' and 'sequence'; for 'switch'/'gshard' the
 * router's argmax (its first choice — grouped routers list choices group by group). Expert-choice
 * routings have no token choices: the argmax stands for them.
 */
function countedChoices(form: LoadBalanceForm, r: Routing): tf.Tensor2D {
  if ((form === 'mixtral' || form === 'sequence') && r.choices) return r.choices;
  if (r.softmaxOfLogits && r.choices) return tf.slice(r.choices, [0, 0], [-1, 1]); // its first choice is the argmax (ties: the lower index, as ArgMax)
  return untaped(() => tf.reshape(tf.argMax(r.probs, 1), [-1, 1]) as tf.Tensor2D);
}

/**
 * Add a routed layer's aux losses (in training: load balance, z-loss, entropy, weighted by `c`) and,
 * with `ctx.collectStats`, its stats (load, kept load, dropped fraction, entropy, combine weights).
 * `attentionMask` (one entry per token, 1 = token, 0 = padding) leaves padding out of the aux losses;
 * `seqLen` (default: all N rows are one sequence) splits the rows into sequences for the 'sequence' form;
 * `owner` is the layer reporting, whose path in the model names its losses and stats unless `c.name` was given.
 */
export function reportRouting(c: Resolved, r: Routing, plan: DispatchPlan, n: number, ctx: ForwardContext, attentionMask?: tf.Tensor, seqLen = n, owner: object = c): void {
  const key = ctx.keyOf(owner, c.name, c.explicitName ? c.name : undefined);
  if (ctx.training) addLosses({ ...c, name: key }, r, ctx, attentionMask, seqLen);
  if (ctx.collectStats) addStats({ ...c, name: key }, r, plan, n, ctx);
}

function addLosses(c: Resolved, r: Routing, ctx: ForwardContext, attentionMask: tf.Tensor | undefined, seqLen: number): void {
  const mask = attentionMask ? { attentionMask } : {};
  if (c.loadBalance !== 'none' && c.loadBalanceWeight > 0 && !attentionMask && r.choices?.dtype === 'int32' && (c.loadBalance === 'mixtral' || (r.softmaxOfLogits && c.loadBalance !== 'sequence'))) {
    // Choices counted per expert, the gradient written out (the same value as below, fewer passes over (N, E)).
    ctx.addAuxLoss(`${c.name}.load_balance`, choiceBalancingLoss(c.loadBalance, r.probs, r.choices), c.loadBalanceWeight);
  } else if (c.loadBalance !== 'none' && c.loadBalanceWeight > 0) {
    // The router's own distribution and choices (not softmax/top-k of its logits: hash and DSelect-k have none, grouped and noisy routers choose otherwise).
    let choices = { probs: r.probs as tf.Tensor, indices: countedChoices(c.loadBalance, r) as tf.Tensor };
    if (c.loadBalance === 'sequence') {
      const [n, e] = r.probs.shape;
      const k = choices.indices.shape[1]!;
      choices = { probs: tf.reshape(r.probs, [n / seqLen, seqLen, e]), indices: tf.reshape(choices.indices, [n / seqLen, seqLen, k]) }; // (N, ·) -> (B, T, ·)
    }
    ctx.addAuxLoss(`${c.name}.load_balance`, loadBalancingLoss(c.loadBalance, choices, mask), c.loadBalanceWeight);
  }
  if (r.logits && c.zLossWeight > 0) ctx.addAuxLoss(`${c.name}.z_loss`, routerZLoss(r.logits, { ...mask, ...(r.softmaxOfLogits ? { probs: r.probs } : {}) }), c.zLossWeight);
  if (c.entropyWeight !== 0) ctx.addAuxLoss(`${c.name}.entropy`, routerEntropy(r.probs), c.entropyWeight);
}

function addStats(c: Resolved, r: Routing, plan: DispatchPlan, n: number, ctx: ForwardContext): void {
  const e = c.numExperts;
  const p = r.expert.shape[0];
  const oh = tf.oneHot(r.expert, e, 1, 0, 'float32');
  ctx.addStat(`${c.name}.load`, tf.div(tf.sum(oh, 0), p)); // share of the routed pairs per expert
  ctx.addStat(`${c.name}.kept_load`, tf.div(tf.sum(tf.mul(oh, tf.reshape(plan.keep, [p, 1])), 0), n)); // kept pairs per token
  ctx.addStat(`${c.name}.dropped`, tf.sub(1, tf.mean(plan.keep)));
  ctx.addStat(`${c.name}.entropy`, routerEntropy(r.probs));
  ctx.addStat(`${c.name}.weights`, combineWeights(r, plan, n, e)); // (N, E) token -> expert combine weights
  const form = c.loadBalance === 'none' ? 'switch' : c.loadBalance;
  ctx.addStat(`${c.name}.load_balance_value`, loadBalancingLoss(form, { probs: r.probs, indices: countedChoices(form, r) }));
  if (r.logits) ctx.addStat(`${c.name}.z_loss_value`, routerZLoss(r.logits));
}
