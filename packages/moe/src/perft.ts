// PERFT — Liu et al., "PERFT: Parameter-Efficient Routed Fine-Tuning for Mixture-of-Expert Model",
// arXiv:2411.08212. Beside a frozen MoE layer, M bottleneck adapters (d → r → d, the PEFT experts)
// add Δ(x) to its output, y = MoE(x) + Δ(x), in the paper's three placements:
// - 'shared' (PERFT-S): every adapter on every token, summed (no router);
// - 'routed' (PERFT-R): the adapters have their own router, top-k of M, sparse dispatch;
// - 'embedded' (PERFT-E): one adapter per expert (M = E), routed by the frozen MoE's own routing
//   (same pairs, same gates), as if embedded in the experts.
// Adapters start at Δ = 0 (up projection and its bias zero), so the wrapped model starts as the
// frozen one; only the adapters (and PERFT-R's router) train.
// Departs from the paper: GELU adapters with biases (the paper's are activation-free LoRA-like or
// with an activation, per variant); no OLMoE/Mixtral-scale runs.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, configKeys, defaultRng, ForwardContext, Module, resolveConfig, type Rng } from '@weft/core';
import { checkInt, checkOneOf, checkPositiveInt } from '@weft/core/internal';
import { autoBlockSize, droplessPlan, sparseCombine } from './dispatch.js';
import { StackedExperts } from './experts.js';
import { MoE } from './moe.js';
import { makeRouter, routerEntry, type Router } from './routers/index.js';

/** PERFT's placements of the adapters. */
export const PERFT_VARIANTS = ['shared', 'routed', 'embedded'] as const;
/** A PERFT placement. */
export type PerftVariant = (typeof PERFT_VARIANTS)[number];

/** Config of {@link PERFT}. */
export interface PerftConfig {
  /** Placement of the adapters. Default: 'routed'. */
  variant: PerftVariant;
  /** Adapters M ('embedded': the MoE's expert count, whatever is given). Default: 4. */
  numAdapters: number;
  /** Adapters per token of 'routed'. Default: 2. */
  topK: number;
  /** Bottleneck width r of each adapter. Default: 4. */
  rank: number;
  /** Router of 'routed' (registry name, token-choice). Default: 'mixtral'. */
  router: string;
}

/** Defaults of {@link PerftConfig}. */
export const PERFT_DEFAULTS: PerftConfig = { variant: 'routed', numAdapters: 4, topK: 2, rank: 4, router: 'mixtral' };
const KEYS = configKeys<PerftConfig>({ variant: true, numAdapters: true, topK: true, rank: true, router: true });

/** A frozen MoE layer with PERFT adapters beside it. */
export class PERFT extends Module {
  /** The resolved config. */
  readonly config: PerftConfig;
  /** The wrapped MoE layer (frozen here). */
  readonly moe: MoE;
  /** The adapters, stacked (M bottleneck FFNs d → r → d). */
  readonly adapters: StackedExperts;
  /** PERFT-R's router over the adapters, or null. */
  readonly router: Router | null;

  constructor(moe: MoE, config: Partial<PerftConfig> = {}, rng: Rng = defaultRng()) {
    super();
    const who = 'PERFT';
    if (!(moe instanceof MoE)) throw new Error(`${who}: moe must be a MoE layer`);
    checkKnownKeys(who, config, KEYS);
    const c = (this.config = resolveConfig(who, PERFT_DEFAULTS, config));
    checkOneOf(who, 'variant', c.variant, PERFT_VARIANTS);
    checkPositiveInt(who, 'rank', c.rank);
    const m = c.variant === 'embedded' ? moe.cfg.numExperts : checkPositiveInt(who, 'numAdapters', c.numAdapters);
    if (c.variant === 'embedded' && moe.cfg.capacityFactor !== null) throw new Error(`${who}: variant='embedded' needs a dropless MoE (its capacityFactor is ${moe.cfg.capacityFactor})`);
    if (c.variant === 'embedded' && routerEntry(moe.cfg.router).kind !== 'token-choice') throw new Error(`${who}: variant='embedded' needs the MoE's router to be token-choice`);
    this.moe = this.addModule('moe', moe.freeze());
    const adapters = new StackedExperts({ dim: moe.cfg.dim, numExperts: m, hidden: c.rank, kind: 'ffn' }, rng);
    const named = new Map(adapters.namedParameters());
    for (const p of ['w2', 'b2']) tf.tidy(() => named.get(p)!.assign(tf.zerosLike(named.get(p)!))); // Δ = 0 at the start
    this.adapters = this.addModule('adapters', adapters);
    if (c.variant === 'routed') {
      if (routerEntry(c.router).kind !== 'token-choice') throw new Error(`${who}: router='${c.router}' must be a token-choice router`);
      checkInt(who, 'topK', c.topK, 1, m);
      this.router = this.addModule('router', makeRouter(c.router, {}, { dim: moe.cfg.dim, numExperts: m, topK: c.topK, capacityFactor: null }, rng));
    } else this.router = null;
  }

  /** 'routed' runs k/M of the adapters per token, 'embedded' k/E; 'shared' all of them. The MoE reports its own share. */
  override activeShareOf(name: string): number {
    if (name !== 'adapters') return 1;
    const c = this.config;
    if (c.variant === 'routed') return c.topK / this.adapters.config.numExperts;
    return c.variant === 'embedded' ? this.moe.expertShare : 1;
  }

  /** (..., d) -> (..., d): the frozen MoE's output plus the adapters'. */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const d = this.moe.cfg.dim;
    if (x.shape[x.rank - 1] !== d) throw new Error(`PERFT: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal dim=${d}`);
    const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D; // (..., d) -> (N, d)
    const n = flat.shape[0];
    if (n === 0) return tf.clone(x);
    const { y, routing } = this.moe.run(flat, ctx, x.rank >= 3 ? x.shape[x.rank - 2] : n);
    const m = this.adapters.config.numExperts;
    let delta: tf.Tensor2D;
    if (this.config.variant === 'shared') {
      const all = this.adapters.apply(tf.tile(tf.reshape(flat, [1, n, d]), [m, 1, 1]) as tf.Tensor3D, null); // (N, d) -> (M, N, d)
      delta = tf.sum(all, 0) as tf.Tensor2D;
    } else {
      const r = this.config.variant === 'embedded' ? routing : this.router!.forward(flat, ctx);
      const plan = droplessPlan(r, n, m, autoBlockSize(r.expert.shape[0], m));
      delta = sparseCombine(flat, r, plan, this.adapters);
    }
    return tf.reshape(tf.add(y, delta), x.shape); // (N, d) -> (..., d)
  }
}
