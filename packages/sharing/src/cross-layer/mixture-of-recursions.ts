// Mixture-of-Recursions — "Mixture-of-Recursions: Learning Dynamic Recursive Depths for Adaptive
// Token-Level Computation" (Bae et al., arXiv:2507.10524): one shared block applied up to Nr
// times, a router choosing per token how many times.
// - expert-choice: at recursion r a router (sigmoid of a Linear, one per recursion) keeps the
//   top-k_r of the tokens still active (hierarchical filtering, k_r = capacity_r · T per sequence).
//   Only the kept tokens are gathered and run through the block, attending only to each other (in
//   their original order), and scattered back: compute and attention really shrink. k_r is fixed by
//   T, so the gather's indices come from a top-k on the device and nothing is read back: every
//   backend (webgpu included) runs B·k_r rows at recursion r (stat `mor.block_rows`). An auxiliary
//   BCE loss teaches the router scores to predict the selection (the paper's auxiliary loss).
// - token-choice: one router (softmax over Nr depths) at the start assigns each token a depth,
//   with a Switch-style balancing loss. At recursion r the tokens with depth > r are active; the
//   inactive ones are out of attention and keep their state. `inactiveTokens: 'masked'` (default)
//   runs the block on every row with them masked (static shapes, any backend); 'gathered' computes
//   the same on the active tokens only (active-rows.ts; webgpu runs the masked form), so compute really falls.
// Update of a selected token: h ← h + g·(f(h) − h), the block's residual update scaled by the
// router gate g (the paper writes g·f(h) + h with f the layer stack without its residual).
// Keys and values (`kv`): 'recursion-wise' (default; the paper's recursion-wise caching) — at
// recursion r only the tokens active there write K/V and attend to each other; 'shared' (the paper's
// recursion-wise KV sharing) — the K/V computed at the first recursion are reused by every later one:
// active tokens' queries read the first recursion's keys of every token (needs a TransformerBlock,
// recursion-kv.ts). Stats `mor.kv_tokens` (K/V entries cached per sequence) and `mor.kv_saved`
// (against Nr per token, a plain recursive transformer's cache); MoRKVCache decodes token by token.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Linear, Module, ModuleList, type TransformerBlock, checkKnownKeys, configKeys, defaultRng, splitSequenceInput, type Rng, type SequenceInput, describeValue } from '@weft/core';
import { gatherRows, noGrad, scatterRows } from './no-grad.js';
import { canGatherRows, runOnActiveRows } from './active-rows.js';
import { allowedKeys, blockAttendingKV, kvBlock, projectKV, type BlockKV } from './recursion-kv.js';

/** Config of {@link MixtureOfRecursions}. */
export interface MixtureOfRecursionsConfig {
  /** Model width. */
  dim: number;
  /** Maximum recursions Nr. Default: 3. */
  maxRecursions?: number;
  /** 'expert-choice' or 'token-choice'. Default: 'expert-choice'. */
  routing?: 'expert-choice' | 'token-choice';
  /** Expert-choice: fraction of the sequence kept at each recursion, non-increasing, in (0, 1]. Default: (Nr − r)/Nr, e.g. [1, 2/3, 1/3]. */
  capacity?: number[];
  /** Weight of the router aux loss (BCE for expert-choice, balancing for token-choice). Default: 0.01. */
  auxWeight?: number;
  /** Token-choice: 'masked' (the block runs on every row, inactive ones masked) or 'gathered' (on the active rows only; on webgpu, which cannot read the mask back synchronously, the masked form runs). Same result. Default: 'masked'. */
  inactiveTokens?: 'masked' | 'gathered';
  /** 'recursion-wise' (each recursion caches and attends to the K/V of its own active tokens) or 'shared' (every recursion reads the first recursion's K/V; the block must be a TransformerBlock). Default: 'recursion-wise'. */
  kv?: 'recursion-wise' | 'shared';
}

const KEYS = configKeys<MixtureOfRecursionsConfig>({ dim: true, maxRecursions: true, routing: true, capacity: true, auxWeight: true, inactiveTokens: true, kv: true });

/** One shared block, a per-token number of recursions: (B, T, dim) [+ mask] -> (B, T, dim). */
export class MixtureOfRecursions extends Module<SequenceInput, tf.Tensor> {
  /** The shared block. */
  readonly block: Module<SequenceInput, tf.Tensor>;
  /** Routers: one per recursion (expert-choice, dim -> 1) or one (token-choice, dim -> Nr). */
  readonly routers: ModuleList<Linear>;
  /** Resolved settings. */
  readonly settings: { maxRecursions: number; routing: 'expert-choice' | 'token-choice'; capacity: number[]; auxWeight: number; inactiveTokens: 'masked' | 'gathered'; kv: 'recursion-wise' | 'shared' };
  private observedDepth: number | null = null;

  constructor(block: Module<SequenceInput, tf.Tensor>, readonly config: MixtureOfRecursionsConfig, rng: Rng = defaultRng()) {
    super();
    const L = 'MixtureOfRecursions';
    if (!(block instanceof Module)) throw new Error(`${L}: block must be a Module`);
    checkKnownKeys(L, config, KEYS);
    if (!Number.isInteger(config.dim) || config.dim < 1) throw new Error(`${L}: dim=${describeValue(config.dim)} must be a positive integer`);
    const Nr = config.maxRecursions ?? 3;
    if (!Number.isInteger(Nr) || Nr < 1) throw new Error(`${L}: maxRecursions=${describeValue(Nr)} must be an integer ≥ 1 (depth 0 is not a model)`);
    const routing = config.routing ?? 'expert-choice';
    if (routing !== 'expert-choice' && routing !== 'token-choice') throw new Error(`${L}: routing=${describeValue(routing)} must be 'expert-choice' or 'token-choice'`);
    const capacity = config.capacity ?? Array.from({ length: Nr }, (_, r) => (Nr - r) / Nr);
    if (!Array.isArray(capacity) || capacity.length !== Nr) throw new Error(`${L}: capacity=${describeValue(capacity)} must list ${Nr} fractions (one per recursion)`);
    capacity.forEach((c, r) => {
      if (!(c > 0 && c <= 1)) throw new Error(`${L}: capacity[${r}]=${describeValue(c)} must be in (0, 1]`);
      if (r > 0 && c > capacity[r - 1]!) throw new Error(`${L}: capacity[${r}]=${c} must be ≤ capacity[${r - 1}]=${capacity[r - 1]} (hierarchical filtering)`);
    });
    const auxWeight = config.auxWeight ?? 0.01;
    if (!(auxWeight >= 0 && Number.isFinite(auxWeight))) throw new Error(`${L}: auxWeight=${describeValue(auxWeight)} must be a finite number ≥ 0`);
    const inactiveTokens = config.inactiveTokens ?? 'masked';
    if (inactiveTokens !== 'masked' && inactiveTokens !== 'gathered') throw new Error(`${L}: inactiveTokens=${describeValue(inactiveTokens)} must be 'masked' or 'gathered'`);
    const kv = config.kv ?? 'recursion-wise';
    if (kv !== 'recursion-wise' && kv !== 'shared') throw new Error(`${L}: kv=${describeValue(kv)} must be 'recursion-wise' or 'shared'`);
    if (kv === 'shared') kvBlock(L, "kv='shared'", block);
    this.settings = { maxRecursions: Nr, routing, capacity, auxWeight, inactiveTokens, kv };
    this.block = this.addModule('block', block);
    const routers = routing === 'expert-choice'
      ? Array.from({ length: Nr }, () => new Linear({ inFeatures: config.dim, outFeatures: 1 }, rng))
      : [new Linear({ inFeatures: config.dim, outFeatures: Nr }, rng)];
    this.routers = this.addModule('routers', new ModuleList(routers));
  }

  /** Tokens kept per sequence of length T at each recursion (expert-choice). */
  keptPerStep(T: number): number[] {
    return this.settings.capacity.map((c) => Math.max(1, Math.min(T, Math.round(c * T))));
  }

  /** Block applications per token for the ledger: Σ capacity (expert-choice, exact); observed average depth (token-choice; Nr until {@link observeDepth}). */
  override usesOf(name: string): number {
    if (name !== 'block') return 1;
    if (this.settings.routing === 'expert-choice') return this.settings.capacity.reduce((a, b) => a + b, 0);
    return this.observedDepth ?? this.settings.maxRecursions;
  }

  /**
   * K/V entries (token × recursion pairs) one sequence of T real tokens caches for the shared block:
   * recursion-wise Σ_r k_r (expert-choice, exact) or T × average depth (token-choice, observed; Nr
   * until {@link observeDepth}); shared: the first recursion's tokens only. A plain recursive
   * transformer caches Nr·T.
   */
  kvEntries(T: number): number {
    if (!Number.isInteger(T) || T < 1) throw new Error(`MixtureOfRecursions.kvEntries: T=${describeValue(T)} must be a positive integer`);
    if (this.settings.routing === 'expert-choice') {
      const kept = this.keptPerStep(T);
      return this.settings.kv === 'shared' ? kept[0]! : kept.reduce((a, b) => a + b, 0);
    }
    return this.settings.kv === 'shared' ? T : T * (this.observedDepth ?? this.settings.maxRecursions);
  }

  /** Tell the ledger the average depth read from the `mor.avg_depth` stat (token-choice). */
  observeDepth(depth: number): void {
    if (!(depth >= 0 && depth <= this.settings.maxRecursions)) throw new Error(`MixtureOfRecursions.observeDepth: depth=${depth} must be in [0, maxRecursions=${this.settings.maxRecursions}]`);
    this.observedDepth = depth;
  }

  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    if (x.rank !== 3 || x.shape[2] !== this.config.dim) throw new Error(`MixtureOfRecursions: x has shape [${x.shape}]; expected [batch, time, ${this.config.dim}]`);
    return this.settings.routing === 'expert-choice' ? this.expertChoice(x, attentionMask, ctx) : this.tokenChoice(x, attentionMask, ctx);
  }

  private expertChoice(x: tf.Tensor, attentionMask: tf.Tensor | null, ctx: ForwardContext): tf.Tensor {
    const [B, T, D] = x.shape as [number, number, number];
    const kept = this.keptPerStep(T);
    const offsets = tf.reshape(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(T, 'int32')), [B, 1]); // (B, 1): row starts in the flat (B·T) layout
    const maskFlat = attentionMask ? tf.reshape(tf.cast(attentionMask, 'float32'), [B * T]) : null;
    let h = x;
    let candidates: tf.Tensor = attentionMask ? tf.cast(attentionMask, 'float32') : tf.ones([B, T]); // (B, T)
    let depth: tf.Tensor = tf.zeros([B, T]);
    const sharedKV = this.settings.kv === 'shared' ? (this.block as TransformerBlock) : null;
    let first: { kv: BlockKV; keys: tf.Tensor } | null = null; // the first recursion's K/V and which tokens wrote them
    for (let r = 0; r < kept.length; r++) {
      const k = kept[r]!;
      const logits = tf.reshape(this.routers.at(r).forward(h, ctx), [B, T]); // (B, T, 1) -> (B, T)
      // The top-k of the candidates (a 0/1 mask), then their positions in ascending order (keeps the
      // causal order), off the tape. k = T keeps everyone: no top-k (tfjs webgpu's top-k fails for k = n).
      const selected = k === T
        ? (attentionMask ? tf.cast(attentionMask, 'float32') : tf.ones([B, T])).clone()
        : noGrad([logits, candidates], (l, c) => {
            const masked = tf.where(tf.greater(c, 0), l, tf.fill([B, T], -1e9));
            const top = tf.topk(masked, k).indices; // (B, k), by score
            return tf.sum(tf.oneHot(top as tf.Tensor1D, T, 1, 0, 'float32'), 1); // (B, k) -> (B, k, T) -> (B, T) in {0, 1}
          });
      const idx = k === T
        ? tf.tile(tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), [B, 1]) // (B, T): every position, in order
        : noGrad([selected], (sel) => tf.topk(tf.mul(sel, tf.sub(T, tf.range(0, T))), k).indices); // earlier positions score higher
      const flat = tf.reshape(tf.add(idx, offsets), [B * k]); // (B, k) -> (B·k) rows of the flat layout
      const hSel = tf.reshape(gatherRows(tf.reshape(h, [B * T, D]), flat), [B, k, D]); // (B·T, D) -> (B·k, D) -> (B, k, D)
      const gate = tf.reshape(gatherRows(tf.reshape(tf.sigmoid(logits), [B * T]), flat), [B, k, 1]); // (B·k) -> (B, k, 1)
      const maskSel = maskFlat ? tf.reshape(gatherRows(maskFlat, flat), [B, k]) : null;
      let y: tf.Tensor; // (B, k, D)
      if (sharedKV) {
        first ??= { kv: projectKV(sharedKV, h, ctx), keys: maskFlat ? tf.mul(selected, tf.reshape(maskFlat, [B, T])) : selected };
        y = blockAttendingKV(sharedKV, hSel, first.kv, allowedKeys(first.keys, idx, sharedKV.attn.causal), ctx);
      } else y = this.block.forward({ x: hSel, attentionMask: maskSel }, ctx);
      const g = maskSel ? tf.mul(gate, tf.expandDims(maskSel, -1)) : gate; // padding picked (k_r above a sequence's real tokens) is not updated
      const delta = tf.reshape(tf.mul(g, tf.sub(y, hSel)), [B * k, D]); // (B, k, D) -> (B·k, D)
      h = tf.add(h, tf.reshape(scatterRows(delta, flat, B * T), [B, T, D])); // scatter back: (B·T, D) -> (B, T, D)
      // Aux loss: the router's score predicts the selection (BCE on the logits).
      const w = maskFlat ? tf.reshape(maskFlat, [B, T]) : null;
      const bce = tf.losses.sigmoidCrossEntropy(selected, logits, w ?? undefined) as tf.Scalar;
      ctx.addAuxLoss('mor.router_bce', bce, this.settings.auxWeight / kept.length);
      depth = tf.add(depth, selected);
      candidates = selected;
    }
    if (ctx.collectStats) {
      this.recordStats(ctx, depth, attentionMask, kept.reduce((a, k) => a + k, 0) / (kept.length * T), kept.reduce((a, k) => a + k * k, 0) / (kept.length * T * T));
      ctx.addStat('mor.block_rows', B * kept.reduce((a, k) => a + k, 0)); // token rows the block processed: B·k_r per recursion, on every backend
      this.recordKV(ctx, this.kvEntries(T), T);
    }
    return h;
  }

  private tokenChoice(x: tf.Tensor, attentionMask: tf.Tensor | null, ctx: ForwardContext): tf.Tensor {
    const [B, T] = x.shape as [number, number, number];
    const Nr = this.settings.maxRecursions;
    const logits = this.routers.at(0).forward(x, ctx); // (B, T, Nr)
    const probs = tf.softmax(logits, -1);
    const choice = noGrad([logits], (l) => tf.oneHot(tf.argMax(l, -1) as tf.Tensor1D, Nr, 1, 0, 'float32')); // (B, T, Nr) one-hot of the chosen depth − 1
    const gate = tf.sum(tf.mul(probs, choice), -1); // (B, T): probability of the chosen depth
    const chosen = noGrad([choice], (c) => tf.sum(tf.mul(c, tf.range(1, Nr + 1)), -1)); // (B, T) depth in 1..Nr
    const real = attentionMask ? tf.cast(attentionMask, 'float32') : null;
    let h = x;
    let rows = 0;
    // Shared K/V: every real token runs the first recursion, so its K/V are those of x for every token.
    const sharedKV = this.settings.kv === 'shared' ? (this.block as TransformerBlock) : null;
    const first = sharedKV ? { kv: projectKV(sharedKV, x, ctx), keys: real ?? tf.ones([B, T]) } : null;
    const onShared = (hq: tf.Tensor, positions: tf.Tensor) => blockAttendingKV(sharedKV!, hq, first!.kv, allowedKeys(first!.keys, positions, sharedKV!.attn.causal), ctx);
    for (let r = 0; r < Nr; r++) {
      let active = noGrad([chosen], (d) => tf.cast(tf.greater(d, r), 'float32')); // (B, T)
      if (real) active = tf.mul(active, real);
      let y: tf.Tensor;
      if (this.settings.inactiveTokens === 'gathered' && canGatherRows()) {
        const g = runOnActiveRows('MixtureOfRecursions', sharedKV ? (hq, _keep, pos) => onShared(hq, pos) : this.block, h, active, ctx);
        if (!g) break; // no token goes deeper
        y = g.y;
        rows += g.rows;
      } else {
        y = sharedKV ? onShared(h, tf.tile(tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), [B, 1])) : this.block.forward({ x: h, attentionMask: active }, ctx); // positions (1, T) -> (B, T)
        rows += B * T;
      }
      h = tf.add(h, tf.mul(tf.expandDims(tf.mul(active, gate), -1), tf.sub(y, h))); // (B, T) -> (B, T, 1)
    }
    // Switch-style balance: Nr · Σᵢ fᵢ·Pᵢ over depths (1 when uniform).
    const n = real ? tf.maximum(tf.sum(real), 1) : tf.scalar(B * T);
    const w = real ? tf.expandDims(real, -1) : tf.ones([B, T, 1]);
    const f = tf.div(tf.sum(tf.mul(choice, w), [0, 1]), n); // (Nr)
    const P = tf.div(tf.sum(tf.mul(probs, w), [0, 1]), n); // (Nr)
    ctx.addAuxLoss('mor.balance', tf.mul(Nr, tf.sum(tf.mul(f, P))) as tf.Scalar, this.settings.auxWeight);
    if (ctx.collectStats) {
      const avgDepth = real ? tf.div(tf.sum(tf.mul(chosen, real)), n) : tf.mean(chosen);
      const applied = tf.div(avgDepth, Nr); // fraction of the Nr·T block-token applications done
      this.recordStats(ctx, chosen, attentionMask, applied, null);
      ctx.addStat('mor.block_rows', rows); // token rows the block processed (padding rows of a gathered batch included)
      const perSeq = tf.div(n, B); // real tokens per sequence
      this.recordKV(ctx, this.settings.kv === 'shared' ? perSeq : tf.mul(perSeq, avgDepth), perSeq);
    }
    return h;
  }

  /** `mor.kv_tokens`: K/V entries cached per sequence; `mor.kv_saved`: 1 − that / (Nr × real tokens per sequence). */
  private recordKV(ctx: ForwardContext, entries: number | tf.Tensor, tokens: number | tf.Tensor): void {
    ctx.addStat('mor.kv_tokens', entries);
    ctx.addStat('mor.kv_saved', tf.sub(1, tf.div(entries, tf.mul(tokens, this.settings.maxRecursions))));
  }

  private recordStats(ctx: ForwardContext, depth: tf.Tensor, mask: tf.Tensor | null, applied: number | tf.Tensor, attention: number | null): void {
    const real = mask ? tf.cast(mask, 'float32') : null;
    const avg = real ? tf.div(tf.sum(tf.mul(depth, real)), tf.maximum(tf.sum(real), 1)) : tf.mean(depth);
    ctx.addStat('mor.avg_depth', avg);
    ctx.addStat('mor.token_depth', real ? tf.mul(depth, real) : depth); // (B, T): recursions of each token (0 for padding)
    ctx.addStat('mor.compute_saved', typeof applied === 'number' ? 1 - applied : tf.sub(1, applied));
    if (attention !== null) ctx.addStat('mor.attention_saved', 1 - attention);
    const hist = tf.sum(tf.oneHot(tf.cast(tf.reshape(depth, [-1]), 'int32') as tf.Tensor1D, this.settings.maxRecursions + 1, 1, 0, 'float32'), 0); // tokens per depth 0..Nr
    ctx.addStat('mor.depth_histogram', hist);
  }
}
