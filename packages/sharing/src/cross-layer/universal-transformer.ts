// Universal Transformer recurrence — "Universal Transformers" (Dehghani et al., arXiv:1807.03819)
// with Adaptive Computation Time (Graves, arXiv:1603.08983): one shared block applied up to
// `maxSteps` times, each token halting on its own (halting unit sigmoid(W·h + b), threshold 1 − ε,
// remainder, ponder cost N + R as an aux loss), and plain fixed-depth recurrence.
// The output is Graves' mean-field Σₙ pₙ·sₙ of the per-step states (weights sum to 1).
// Departures: the timestep signal is a learned embedding (the paper adds a sinusoidal one); every
// token is forced to halt at the last step so the update weights sum to 1 (tensor2tensor leaves
// them partial).
// Halted tokens (`haltedTokens`): 'compute' (default) runs every token every step, as
// tensor2tensor's UT does — a halted token's state keeps being transformed and serves as a key/value,
// only its output weight is zero — so no compute is saved. 'masked' freezes a halted token's state
// and removes it from attention (the block still runs on every row, static shapes, any backend);
// 'gathered' computes exactly the same but runs the block on the still-running tokens only (see
// active-rows.ts; webgpu runs the masked form) and stops once every token has halted, so compute
// really falls. In both, padding
// tokens never run (their output is zero).
import * as tf from '@tensorflow/tfjs-core';
import { canGatherRows, runOnActiveRows } from './active-rows.js';
import { ForwardContext, Linear, Module, checkKnownKeys, configKeys, defaultRng, normalInit, splitSequenceInput, type Rng, type SequenceInput, describeValue } from '@weft/core';

/** Config of {@link RecurrentBlock}. */
export interface RecurrentBlockConfig {
  /** Model width of the block's input and output. */
  dim: number;
  /** 'act' (per-token adaptive halting) or 'fixed' (exactly `maxSteps` applications). Default: 'act'. */
  halting?: 'act' | 'fixed';
  /** Maximum (ACT) or exact (fixed) number of applications of the block. Default: 4. */
  maxSteps?: number;
  /** ACT halting threshold 1 − ε. Default: 0.99 (ε = 0.01, as the UT code). */
  threshold?: number;
  /** Weight of the ponder cost (mean N + R) in the loss. Default: 0.01 (UT's act_loss_weight). */
  ponderWeight?: number;
  /** Add a learned per-step embedding before each application. Default: true. */
  stepEmbedding?: boolean;
  /** Initial bias of the halting unit (UT: 1.0, so p ≈ 0.73 and tokens halt after about 2 steps). Default: 1. */
  haltBias?: number;
  /** ACT: what halted tokens do — 'compute' (keep being transformed, t2t's UT), 'masked' (frozen, out of attention, dense compute) or 'gathered' (as 'masked', the block runs on running tokens only; on webgpu, which cannot read the mask back synchronously, the masked form runs). Default: 'compute'. */
  haltedTokens?: 'compute' | 'masked' | 'gathered';
}

const KEYS = configKeys<RecurrentBlockConfig>({ dim: true, halting: true, maxSteps: true, threshold: true, ponderWeight: true, stepEmbedding: true, haltBias: true, haltedTokens: true });

/** One shared block applied recurrently in depth: (B, T, dim) [+ mask] -> (B, T, dim). Can fill a TinyTransformer slot. */
export class RecurrentBlock extends Module<SequenceInput, tf.Tensor> {
  /** The shared block. */
  readonly block: Module<SequenceInput, tf.Tensor>;
  /** Halting unit (ACT only): dim -> 1. */
  readonly halt: Linear | null;
  /** Per-step embedding [maxSteps, dim], or null. */
  readonly steps: tf.Variable | null;
  /** Resolved settings. */
  readonly settings: Required<Omit<RecurrentBlockConfig, 'dim'>>;
  private observedDepth: number | null = null;

  constructor(block: Module<SequenceInput, tf.Tensor>, readonly config: RecurrentBlockConfig, rng: Rng = defaultRng()) {
    super();
    const L = 'RecurrentBlock';
    if (!(block instanceof Module)) throw new Error(`${L}: block must be a Module`);
    checkKnownKeys(L, config, KEYS);
    if (!Number.isInteger(config.dim) || config.dim < 1) throw new Error(`${L}: dim=${describeValue(config.dim)} must be a positive integer`);
    const s = { halting: 'act' as const, maxSteps: 4, threshold: 0.99, ponderWeight: 0.01, stepEmbedding: true, haltBias: 1, haltedTokens: 'compute' as const, ...config };
    if (s.halting !== 'act' && s.halting !== 'fixed') throw new Error(`${L}: halting=${describeValue(s.halting)} must be 'act' or 'fixed'`);
    if (!Number.isInteger(s.maxSteps) || s.maxSteps < 1) throw new Error(`${L}: maxSteps=${describeValue(s.maxSteps)} must be an integer ≥ 1 (depth 0 is not a model)`);
    if (!['compute', 'masked', 'gathered'].includes(s.haltedTokens)) throw new Error(`${L}: haltedTokens=${describeValue(s.haltedTokens)} must be 'compute', 'masked' or 'gathered'`);
    if (!(s.threshold > 0 && s.threshold <= 1)) throw new Error(`${L}: threshold=${describeValue(s.threshold)} must be in (0, 1]`);
    if (!(s.ponderWeight >= 0 && Number.isFinite(s.ponderWeight))) throw new Error(`${L}: ponderWeight=${describeValue(s.ponderWeight)} must be a finite number ≥ 0`);
    const { dim: _d, ...settings } = s;
    this.settings = settings;
    this.block = this.addModule('block', block);
    this.steps = s.stepEmbedding ? this.addParameter('steps', normalInit([s.maxSteps, config.dim], 0.02, rng)) : null;
    if (s.halting === 'act') {
      this.halt = this.addModule('halt', new Linear({ inFeatures: config.dim, outFeatures: 1 }, rng));
      const b = tf.fill([1], s.haltBias);
      this.halt.bias!.assign(b);
      b.dispose();
    } else this.halt = null;
  }

  /** The ledger counts the block once per application: maxSteps (fixed), or the observed average depth (ACT; maxSteps until {@link observeDepth}). */
  override usesOf(name: string): number {
    if (name !== 'block') return 1;
    return this.settings.halting === 'fixed' ? this.settings.maxSteps : (this.observedDepth ?? this.settings.maxSteps);
  }

  /** Tell the ledger the average depth read from the `ut.avg_depth` stat (ACT). */
  observeDepth(depth: number): void {
    if (!(depth >= 0 && depth <= this.settings.maxSteps)) throw new Error(`RecurrentBlock.observeDepth: depth=${depth} must be in [0, maxSteps=${this.settings.maxSteps}]`);
    this.observedDepth = depth;
  }

  private stepInput(h: tf.Tensor, s: number): tf.Tensor {
    if (!this.steps) return h;
    const D = this.config.dim;
    return tf.add(h, tf.reshape(tf.slice(this.steps, [s, 0], [1, D]), [1, 1, D])); // (1, D) -> (1, 1, D)
  }

  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x, attentionMask } = splitSequenceInput(input);
    if (x.rank !== 3 || x.shape[2] !== this.config.dim) {
      throw new Error(`RecurrentBlock: x has shape [${x.shape}]; expected [batch, time, ${this.config.dim}]`);
    }
    const S = this.settings.maxSteps;
    if (this.settings.halting === 'fixed') {
      let h = x;
      for (let s = 0; s < S; s++) h = this.block.forward({ x: this.stepInput(h, s), attentionMask }, ctx);
      ctx.addStat('ut.avg_depth', S);
      return h;
    }
    const [B, T] = x.shape as [number, number, number];
    const thr = tf.scalar(this.settings.threshold);
    let haltingProb: tf.Tensor = tf.zeros([B, T]);
    let remainders: tf.Tensor = tf.zeros([B, T]);
    let updates: tf.Tensor = tf.zeros([B, T]);
    const mode = this.settings.haltedTokens;
    const real = attentionMask ? tf.cast(attentionMask, 'float32') : null;
    // Frozen modes: padding tokens never run, so their output is zero.
    let running: tf.Tensor = mode !== 'compute' && real ? real : tf.ones([B, T]);
    let state = x;
    let out: tf.Tensor = tf.zerosLike(x);
    let rows = 0;
    for (let s = 0; s < S; s++) {
      const inp = this.stepInput(state, s);
      // The tokens running at the start of this step (those halting in it included) apply the block.
      const gather = mode === 'gathered' && canGatherRows(); // webgpu: the masked form (same result)
      const gathered = gather ? runOnActiveRows('RecurrentBlock', this.block, inp, running, ctx) : null;
      if (gather && !gathered) break; // every token has halted: the remaining steps change nothing
      const p = tf.sigmoid(tf.reshape(this.halt!.forward(inp, ctx), [B, T])); // (B, T, 1) -> (B, T)
      const cand = tf.add(haltingProb, tf.mul(p, running));
      // greaterEqual is the comparison tfjs can differentiate (to zero); 1[cand > thr] = 1 − 1[thr ≥ cand].
      const stay = s === S - 1 ? tf.zerosLike(running) : tf.mul(tf.cast(tf.greaterEqual(thr, cand), 'float32'), running);
      const halted = tf.sub(running, stay); // newly halted this step (all still running at the last step)
      haltingProb = tf.add(haltingProb, tf.mul(p, stay));
      remainders = tf.add(remainders, tf.mul(halted, tf.sub(1, haltingProb)));
      haltingProb = tf.add(haltingProb, tf.mul(halted, remainders));
      updates = tf.add(updates, running);
      const w = tf.expandDims(tf.add(tf.mul(p, stay), tf.mul(halted, remainders)), -1); // (B, T) -> (B, T, 1)
      if (mode === 'compute') {
        state = this.block.forward({ x: inp, attentionMask }, ctx);
        rows += B * T;
      } else {
        let y: tf.Tensor;
        if (gathered) {
          y = gathered.y;
          rows += gathered.rows;
        } else {
          y = this.block.forward({ x: inp, attentionMask: running }, ctx);
          rows += B * T;
        }
        state = tf.add(state, tf.mul(tf.expandDims(running, -1), tf.sub(y, state))); // halted tokens keep their state: (B, T) -> (B, T, 1)
      }
      out = tf.add(out, tf.mul(state, w));
      running = stay;
    }
    // Ponder cost ρ = N + R per token, averaged over the real tokens.
    const m = real;
    const avg = (t: tf.Tensor) => (m ? tf.div(tf.sum(tf.mul(t, m)), tf.maximum(tf.sum(m), 1)) : tf.mean(t)) as tf.Scalar;
    ctx.addAuxLoss('ut.ponder', avg(tf.add(updates, remainders)), this.settings.ponderWeight);
    if (ctx.collectStats) {
      ctx.addStat('ut.avg_depth', avg(updates));
      ctx.addStat('ut.token_depth', m ? tf.mul(updates, m) : updates); // (B, T): block applications N of each token (0 for padding)
      ctx.addStat('ut.block_rows', rows); // token rows the block processed (padding rows of a gathered batch included)
    }
    return out;
  }
}
