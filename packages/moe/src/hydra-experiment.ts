// The Hydra experiment (Chaudhary & Browning, "Hydra: A 1.6B-Parameter State-Space Language Model
// with Sparse Attention, Mixture-of-Experts, and Memory", arXiv:2508.15099), shared by its test's
// claim run and moe.html's Hydra view: on a delayed copy (L tokens, D blanks, SEP, then the L tokens
// again), a one-block LM with Hydra's block vs the same recurrence with a dense MLP vs an attention
// TransformerBlock, each block storing about Hydra's parameter count; answer-token accuracy per arm.
import * as tf from '@tensorflow/tfjs-core';
import {
  accuracy, copyTask, Embedding, ForwardContext, IGNORE_INDEX, LayerNorm, Linear, makeOptimizer, MLP, Module, resolveConfig, Rng, softmaxCrossEntropy, train, TransformerBlock,
} from '@weft/core';
import { checkInt, checkPositiveInt } from '@weft/core/internal';
import { HydraBlock, LinearRecurrenceMixer } from './hydra.js';

/** Setup of {@link hydraCopyExperiment}. */
export interface HydraCopyConfig {
  /** Tokens to copy L. */
  length: number;
  /** Blank steps D between the tokens and SEP. */
  delay: number;
  /** Token vocabulary V (the LM's is V + 2: SEP = V, BLANK = V + 1). */
  vocabSize: number;
  /** Model width. */
  dim: number;
  /** Adam steps (learning rate 0.01) per arm. */
  steps: number;
  /** Batch size. */
  batch: number;
}

/** The setup of the test's and the page's runs: copy 6 tokens after 10 blanks, width 16, 300 steps of 32. */
export const HYDRA_COPY_DEFAULTS: Readonly<HydraCopyConfig> = Object.freeze({ length: 6, delay: 10, vocabSize: 8, dim: 16, steps: 300, batch: 32 });

/** The arms, in the order they run. */
export const HYDRA_ARMS = ['hydra', 'recurrence+MLP', 'attention'] as const;

/** What one arm measured. */
export interface HydraArmResult {
  name: (typeof HYDRA_ARMS)[number];
  /** Stored parameters of the block. */
  stored: number;
  /** Answer-token accuracy on 512 held-out sequences. */
  accuracy: number;
  /** Accuracy at each of the L answer positions. */
  perPosition: number[];
}

/**
 * Delayed copy: x = [s₁..s_L, BLANK×D, SEP, s₁..s_{L-1}], y = [IGNORE×(L+D), s₁..s_L], (n, 2L + D)
 * int32 each; SEP = V, BLANK = V + 1.
 */
export function delayedCopy(n: number, config: Pick<HydraCopyConfig, 'length' | 'delay' | 'vocabSize'>, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const { length: L, delay: D, vocabSize: V } = config;
  checkPositiveInt('delayedCopy', 'n', n);
  const src = copyTask({ n, length: L, vocabSize: V, format: 'aligned' }, seed).x;
  const T = 2 * L + D;
  const x = new Int32Array(n * T);
  const y = new Int32Array(n * T).fill(IGNORE_INDEX);
  for (let i = 0; i < n; i++) {
    const s = src.subarray(i * L, (i + 1) * L);
    const row = i * T;
    x.set(s, row);
    x.fill(V + 1, row + L, row + L + D);
    x[row + L + D] = V;
    x.set(s.subarray(0, L - 1), row + L + D + 1);
    y.set(s, row + L + D);
  }
  return { x: tf.tensor2d(x, [n, T], 'int32'), y: tf.tensor2d(y, [n, T], 'int32') };
}

/** Token and position embeddings, one block, a norm and an output head: ids (B, T) -> logits (B, T, vocab). */
export class BlockLM extends Module {
  readonly tok: Embedding;
  readonly pos: Embedding;
  readonly block: Module<tf.Tensor, tf.Tensor>;
  readonly norm: LayerNorm;
  readonly head: Linear;
  constructor(vocab: number, T: number, d: number, block: Module<tf.Tensor, tf.Tensor>, rng: Rng) {
    super();
    this.tok = this.addModule('tok', new Embedding({ numEmbeddings: vocab, embeddingDim: d }, rng));
    this.pos = this.addModule('pos', new Embedding({ numEmbeddings: T, embeddingDim: d }, rng));
    this.block = this.addModule('block', block);
    this.norm = this.addModule('norm', new LayerNorm({ dim: d }));
    this.head = this.addModule('head', new Linear({ inFeatures: d, outFeatures: vocab }, rng));
  }

  /** ids (B, T) -> logits (B, T, vocab). */
  forward(ids: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const h = tf.add(this.tok.forward(ids), this.pos.forward(tf.range(0, ids.shape[1]!, 1, 'int32'))); // (B, T, d)
    return this.head.forward(this.norm.forward(this.block.forward(h, ctx), ctx));
  }
}

/** Hydra without its MoE and memory: the recurrence mixer then a dense MLP, each residual and pre-normed. (B, T, d) -> (B, T, d). */
export class RecurrenceMLPBlock extends Module {
  readonly norm1: LayerNorm;
  readonly mixer: LinearRecurrenceMixer;
  readonly norm2: LayerNorm;
  readonly mlp: MLP;
  constructor(d: number, hidden: number, rng: Rng) {
    super();
    this.norm1 = this.addModule('norm1', new LayerNorm({ dim: d }));
    this.mixer = this.addModule('mixer', new LinearRecurrenceMixer({ dim: d }, rng));
    this.norm2 = this.addModule('norm2', new LayerNorm({ dim: d }));
    this.mlp = this.addModule('mlp', new MLP({ dim: d, hidden }, rng));
  }

  /** (B, T, d) -> (B, T, d). */
  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const h = tf.add(x, this.mixer.forward(this.norm1.forward(x, ctx), ctx));
    return tf.add(h, this.mlp.forward(this.norm2.forward(h, ctx), ctx));
  }
}

const storedOf = (m: Module) => m.parameters().reduce((s, v) => s + v.size, 0);

/** The hidden width h making `make(h)` store about `target` parameters (the count is affine in h). */
function matchHidden(make: (h: number) => Module, target: number): number {
  const [a, b] = [make(1), make(2)];
  const [ca, cb] = [storedOf(a), storedOf(b)];
  a.dispose();
  b.dispose();
  return Math.max(1, Math.round(1 + (target - ca) / (cb - ca)));
}

/** Options of {@link hydraCopyExperiment}. */
export interface HydraCopyOptions {
  /** Called every 10 steps of each arm's training. */
  onProgress?: (p: { arm: (typeof HYDRA_ARMS)[number]; step: number; loss: number }) => void;
  /** Stops the run (it then throws). */
  signal?: AbortSignal;
}

/**
 * One seed of the Hydra experiment: each arm trained on 2048 delayed copies (seed) and tested on 512
 * (seed + 100); model weights from Rng(seed + 2), batches from Rng(seed + 4). Unset fields take
 * {@link HYDRA_COPY_DEFAULTS}; unknown keys are refused with the nearest name.
 */
export async function hydraCopyExperiment(config: Partial<HydraCopyConfig> = {}, seed = 0, options: HydraCopyOptions = {}): Promise<HydraArmResult[]> {
  const who = 'hydraCopyExperiment';
  const c = resolveConfig(who, HYDRA_COPY_DEFAULTS, config);
  for (const key of ['length', 'vocabSize', 'dim', 'steps', 'batch'] as const) checkPositiveInt(who, key, c[key]);
  checkInt(who, 'delay', c.delay, 0);
  checkInt(who, 'seed', seed, 0);
  const d = c.dim;
  const T = 2 * c.length + c.delay;
  const hydra = (r: Rng) => new HydraBlock({ dim: d, moe: { numExperts: 4, topK: 2, hidden: d }, pkm: { numSubKeys: 8, topK: 4 } }, r);
  const probe = hydra(new Rng(0));
  const target = storedOf(probe);
  probe.dispose();
  const recH = matchHidden((h) => new RecurrenceMLPBlock(d, h, new Rng(0)), target);
  const attH = matchHidden((h) => new TransformerBlock({ dim: d, numHeads: 2, mlpHidden: h }, new Rng(0)), target);
  const makers: Record<(typeof HYDRA_ARMS)[number], (r: Rng) => Module<tf.Tensor, tf.Tensor>> = {
    hydra,
    'recurrence+MLP': (r) => new RecurrenceMLPBlock(d, recH, r),
    attention: (r) => new TransformerBlock({ dim: d, numHeads: 2, mlpHidden: attH }, r) as unknown as Module<tf.Tensor, tf.Tensor>,
  };
  const tr = delayedCopy(2048, c, seed);
  const te = delayedCopy(512, c, seed + 100);
  const arms: HydraArmResult[] = [];
  try {
    for (const name of HYDRA_ARMS) {
      const rng = new Rng(seed + 2);
      const model = new BlockLM(c.vocabSize + 2, T, d, makers[name](rng), rng);
      const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const draw = new Rng(seed + 4);
      try {
        const r = await train({
          model, steps: c.steps, optimizer: opt, signal: options.signal, seed, reportEvery: 10,
          batch: () => tf.tidy(() => {
            const idx = tf.tensor1d(Int32Array.from({ length: c.batch }, () => draw.int(2048)), 'int32'); // (batch,)
            return { x: tf.gather(tr.x, idx), y: tf.gather(tr.y, idx) };
          }),
          loss: (o, b) => softmaxCrossEntropy(o, b.y),
          onProgress: (p) => options.onProgress?.({ arm: name, step: p.step, loss: p.loss }),
        });
        if (r.stoppedBy === 'abort') throw new Error(`hydraCopyExperiment: ${name} stopped`);
        model.eval();
        const [acc, hits] = tf.tidy(() => {
          const logits = model.forward(te.x, new ForwardContext());
          return [accuracy(logits, te.y), tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), te.y), 'float32'), 0)]; // hits per position (T,)
        });
        const accuracyValue = (await acc!.data())[0]!;
        const perT = await hits!.data();
        tf.dispose([acc!, hits!]);
        const answerFrom = c.length + c.delay;
        arms.push({ name, stored: storedOf(model.block), accuracy: accuracyValue, perPosition: Array.from({ length: c.length }, (_, i) => perT[answerFrom + i]! / 512) });
      } finally {
        opt.dispose();
        model.dispose();
      }
    }
    return arms;
  } finally {
    tf.dispose([tr.x, tr.y, te.x, te.y]);
  }
}
