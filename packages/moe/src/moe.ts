// The mixture-of-experts layer: router + sparse dispatch + stacked experts (+ always-on shared
// experts, DeepSeekMoE — Dai et al., arXiv:2401.06066), usable on its own or as the `ffn` of core's
// TransformerBlock. x (..., d) -> (..., d). In training it adds the load-balancing loss (Switch,
// GShard or Mixtral form), the router z-loss and optionally an entropy term to the forward context;
// with `collectStats` it records per-expert load, the dropped-pair fraction, router entropy and the
// token→expert combine weights. The ledger counts router + shared experts + k/E of the routed experts
// as active per token. Departs from DeepSeekMoE: no fine-grained expert segmentation (choose E and
// hidden for that). UMoE's attention MoE, which can share these experts, is premix-attention.ts.
import * as tf from '@tensorflow/tfjs-core';
import { MLP, Module, defaultRng, ForwardContext, type Rng } from '@weft/core';
import { checkEnum, checkInt, checkNum } from './check.js';
import { autoBlockSize, capacityPlan, combineWeights, denseCombine, droplessPlan, DROP_POLICIES, sparseCombine, type DispatchPlan, type DropPolicy } from './dispatch.js';
import { EXPERT_KINDS, StackedExperts, type ExpertKind } from './experts.js';
import { loadBalancingLoss, LOAD_BALANCE_FORMS, routerEntropy, routerZLoss, type LoadBalanceForm } from './losses.js';
import { makeRouter, routerEntry, type RouterExtras } from './routers/registry.js';
import { untaped, type Router, type Routing } from './routers/router.js';

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
  /** Which pairs win when an expert is full. Default: 'position'. */
  dropPolicy?: DropPolicy;
  /** Rows per block in dropless mode. Default: a power of two near P/(4E). */
  blockSize?: number;
  /** Always-active shared experts (DeepSeekMoE), fused into one MLP. Default: 0. */
  sharedExperts?: number;
  /** Hidden width of each shared expert. Default: `hidden`. */
  sharedHidden?: number;
  /** Load-balancing loss form, or 'none'. Default: 'switch'. */
  loadBalance?: LoadBalanceForm | 'none';
  /** Weight of the load-balancing loss. Default: 0.01. */
  loadBalanceWeight?: number;
  /** Weight of the router z-loss (routers with logits). Default: 0.001. */
  zLossWeight?: number;
  /** Weight of the router-entropy term (positive sharpens routing). Default: 0. */
  entropyWeight?: number;
  /** Prefix of the aux-loss and stat names. Default: 'moe'. */
  name?: string;
  /** 'sparse' (the layer) or 'dense' (every expert on every token, masked — the test reference). Default: 'sparse'. */
  dispatch?: 'sparse' | 'dense';
}

/** Non-JSON options of {@link MoE}. */
export interface MoEOptions extends RouterExtras {
  /** Use these experts (shared with other layers, or pre-built); their dim/numExperts must match. */
  experts?: StackedExperts;
}

/** A {@link MoEConfig} with its defaults filled in. */
export type ResolvedMoEConfig = Resolved;
type Resolved = Required<Omit<MoEConfig, 'blockSize' | 'capacityFactor' | 'routerConfig'>> & {
  blockSize: number | undefined;
  capacityFactor: number | null;
  routerConfig: Record<string, unknown>;
};

/** Fill the defaults of a {@link MoEConfig} and check it. */
export function resolveMoEConfig(config: MoEConfig): Resolved {
  const who = 'MoE';
  if (typeof config !== 'object' || config === null) throw new Error(`${who}: config must be an object, got ${String(config)}`);
  checkInt(who, 'dim', config.dim, 1);
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
    dropPolicy: config.dropPolicy ?? 'position',
    blockSize: config.blockSize,
    sharedExperts: config.sharedExperts ?? 0,
    sharedHidden: config.sharedHidden ?? config.hidden ?? 4 * config.dim,
    loadBalance: config.loadBalance ?? 'switch',
    loadBalanceWeight: config.loadBalanceWeight ?? 0.01,
    zLossWeight: config.zLossWeight ?? 0.001,
    entropyWeight: config.entropyWeight ?? 0,
    name: config.name ?? 'moe',
    dispatch: config.dispatch ?? 'sparse',
  };
  checkInt(who, 'numExperts', c.numExperts, 1);
  if (typeof c.topK !== 'number' || !Number.isInteger(c.topK) || c.topK <= 0) throw new Error(`${who}: topK=${String(c.topK)} must be a positive integer`);
  if (c.topK > c.numExperts) throw new Error(`${who}: topK=${c.topK} must be ≤ numExperts=${c.numExperts}`);
  checkInt(who, 'hidden', c.hidden, 1);
  checkEnum(who, 'expert', c.expert, EXPERT_KINDS);
  routerEntry(c.router);
  if (c.capacityFactor !== null) {
    if (typeof c.capacityFactor !== 'number' || !Number.isFinite(c.capacityFactor) || c.capacityFactor <= 0) {
      throw new Error(`${who}: capacityFactor=${String(c.capacityFactor)} must be a finite number > 0 (or null for dropless)`);
    }
  }
  checkEnum(who, 'dropPolicy', c.dropPolicy, DROP_POLICIES);
  if (c.blockSize !== undefined) checkInt(who, 'blockSize', c.blockSize, 1);
  checkInt(who, 'sharedExperts', c.sharedExperts, 0);
  checkInt(who, 'sharedHidden', c.sharedHidden, 1);
  checkEnum(who, 'loadBalance', c.loadBalance, [...LOAD_BALANCE_FORMS, 'none'] as const);
  checkNum(who, 'loadBalanceWeight', c.loadBalanceWeight, 0);
  checkNum(who, 'zLossWeight', c.zLossWeight, 0);
  if (typeof c.entropyWeight !== 'number' || !Number.isFinite(c.entropyWeight)) throw new Error(`${who}: entropyWeight=${String(c.entropyWeight)} must be a finite number`);
  checkEnum(who, 'dispatch', c.dispatch, ['sparse', 'dense'] as const);
  if (typeof c.name !== 'string' || c.name.length === 0) throw new Error(`${who}: name=${JSON.stringify(c.name)} must be a non-empty string`);
  return c;
}

/** A mixture-of-experts feed-forward layer. */
export class MoE extends Module {
  /** The resolved config. */
  readonly cfg: Resolved;
  /** The router. */
  readonly router: Router;
  /** The routed experts, stacked. */
  readonly experts: StackedExperts;
  /** The shared experts (one fused MLP), or null. */
  readonly shared: MLP | null;

  constructor(config: MoEConfig, rng: Rng = defaultRng(), options: MoEOptions = {}) {
    super();
    const c = (this.cfg = resolveMoEConfig(config));
    this.router = this.addModule(
      'router',
      makeRouter(c.router, c.routerConfig, { dim: c.dim, numExperts: c.numExperts, topK: c.topK, capacityFactor: c.capacityFactor }, rng, options),
    );
    if (options.experts) {
      const ec = options.experts.config;
      if (ec.dim !== c.dim || ec.numExperts !== c.numExperts) {
        throw new Error(`MoE: the given experts have dim=${ec.dim}, numExperts=${ec.numExperts}; the layer has dim=${c.dim}, numExperts=${c.numExperts}`);
      }
    }
    this.experts = this.addModule(
      'experts',
      options.experts ??
        new StackedExperts(
          { dim: c.dim, numExperts: c.numExperts, hidden: c.hidden, kind: c.expert, loraRank: c.loraRank, loraAlpha: c.loraAlpha, loraZeroInit: c.loraZeroInit },
          rng,
        ),
    );
    const perToken = c.router === 'expert-choice' ? (c.capacityFactor ?? 1) * c.topK : c.topK;
    this.experts.routedShare = Math.min(1, perToken / c.numExperts);
    this.shared =
      c.sharedExperts > 0
        ? this.addModule('shared', new MLP({ dim: c.dim, hidden: c.sharedExperts * c.sharedHidden, gated: c.expert === 'swiglu' }, rng))
        : null;
  }

  /** Capacity (pairs per expert) for N tokens, or null when dropless. */
  capacity(n: number): number | null {
    return capacityOf(this.cfg, n);
  }

  /** Route N tokens and plan the dispatch (exposed for tests, stats and the demo). x (N, d). */
  plan(x: tf.Tensor2D, ctx: ForwardContext): { routing: Routing; plan: DispatchPlan } {
    const routing = this.router.forward(x, ctx);
    return { routing, plan: planDispatch(this.cfg, routing, x.shape[0], this.capacity(x.shape[0])) };
  }

  /** (..., d) -> (..., d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const c = this.cfg;
    const d = x.shape[x.rank - 1];
    if (d !== c.dim) throw new Error(`MoE: input last dimension ${d} (shape [${x.shape}]) must equal dim=${c.dim}`);
    const flat = tf.reshape(x, [-1, c.dim]) as tf.Tensor2D; // (..., d) -> (N, d)
    const n = flat.shape[0];
    if (n === 0) return tf.clone(x);
    const { routing, plan } = this.plan(flat, ctx);
    let y = c.dispatch === 'dense' ? denseCombine(flat, routing, plan, this.experts) : sparseCombine(flat, routing, plan, this.experts);
    if (this.shared) y = tf.add(y, this.shared.forward(flat, ctx));
    reportRouting(c, routing, plan, n, ctx);
    return tf.reshape(y, x.shape); // (N, d) -> (..., d)
  }
}

/** Capacity (pairs per expert) of a layer `c` for N tokens, or null when dropless. */
export function capacityOf(c: Resolved, n: number): number | null {
  const { capacityFactor: cf, topK: k, numExperts: e } = c;
  return cf === null ? null : Math.max(1, Math.ceil((cf * n * k) / e));
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

function choicesOf(r: Routing): tf.Tensor2D {
  return r.choices ?? (untaped(() => tf.reshape(tf.argMax(r.probs, 1), [-1, 1]) as tf.Tensor2D));
}

/**
 * Add a routed layer's aux losses (in training: load balance, z-loss, entropy, weighted by `c`) and,
 * with `ctx.collectStats`, its stats (load, kept load, dropped fraction, entropy, combine weights).
 */
export function reportRouting(c: Resolved, r: Routing, plan: DispatchPlan, n: number, ctx: ForwardContext): void {
  if (ctx.training) addLosses(c, r, ctx);
  if (ctx.collectStats) addStats(c, r, plan, n, ctx);
}

function addLosses(c: Resolved, r: Routing, ctx: ForwardContext): void {
  if (c.loadBalance !== 'none' && c.loadBalanceWeight > 0) {
    // Switch/GShard count the first choice: the router's argmax (grouped routers list choices group by group).
    const idx = c.loadBalance === 'mixtral' ? choicesOf(r) : (untaped(() => tf.reshape(tf.argMax(r.probs, 1), [-1, 1]) as tf.Tensor2D));
    ctx.addAuxLoss(`${c.name}.load_balance`, loadBalancingLoss(c.loadBalance, r.probs, idx), c.loadBalanceWeight);
  }
  if (r.logits && c.zLossWeight > 0) ctx.addAuxLoss(`${c.name}.z_loss`, routerZLoss(r.logits), c.zLossWeight);
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
  ctx.addStat(`${c.name}.load_balance_value`, loadBalancingLoss(c.loadBalance === 'none' ? 'switch' : c.loadBalance, r.probs, choicesOf(r)));
  if (r.logits) ctx.addStat(`${c.name}.z_loss_value`, routerZLoss(r.logits));
}
