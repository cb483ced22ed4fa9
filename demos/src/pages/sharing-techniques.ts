// The sharing techniques of sharing.html beyond the cross-layer plans and hashed layers (issue 16):
// for each, the model it trains against which baseline, on which task, and what its view draws.
// The page's option list, its job and its views read this table; nothing else names a technique.
import { MLPClassifier, TinyTransformer, TransformerBlock, parameterLedger, planSlots, type Module, type Rng } from '@weft/core';
/** Any model of the page (classifiers, language models, denoisers). */
type AnyModule = Module<any, tf.Tensor>;
import type * as tf from '@tensorflow/tfjs-core';
import { DdpmSchedule, DiTDenoiser, KernelSharingCNN, MixtureOfRecursions, PfCNN, RecurrentBlock, ShapeshifterMLP, TokenFormerBlock, ddpmLoss, ddpmSample, growTokenFormer, moeut, sharedTransformer } from '@weft/sharing';
import { megrez2Transformer, sigmaMoE } from '@weft/moe';
import { GruLM } from './sharing-gru-lm.js';

/** What a technique's model is built from: the page's fields. */
export interface TechniqueInput {
  /** Blocks or hidden layers. */
  depth: number;
  /** Width. */
  width: number;
  /** The page's K field (Megrez2: layers per expert bank). */
  unique: number;
  /** The page's compression field (Shapeshifter: network weights per bank value). */
  compression: number;
  /** Vocabulary of the sort task (Transformer techniques). */
  vocabSize: number;
  /** Longest sequence of the sort task. */
  maxLen: number;
}

/** A row of the modules diagram: one box per layer slot, slots running one module joined in one box. */
export interface ModuleRow {
  /** Row label (e.g. 'attention', 'FFN'). */
  label: string;
  /** Module index of each slot. */
  map: number[];
}

/** A technique on the page. */
export interface PageTechnique {
  /** The option group it is listed under. */
  group: string;
  /** One line on what it is (paper and what is shared). */
  about: string;
  /** 'mlp' (3-arm spirals), 'transformer' (sorting 5 tokens), 'cnn' (8×8 shapes) or 'diffusion' (generating two moons). */
  model: 'mlp' | 'transformer' | 'cnn' | 'diffusion';
  /** The architecture's name where it is not the model kind's usual one (a GRU on the token task). Default: the kind's. */
  architecture?: string;
  /** What the baseline is, for the legend. */
  baseline: string;
  /** The page's integer field this technique reads, with its label, or null. */
  sizeField: string | null;
  /** Whether it reads the compression field. */
  usesCompression: boolean;
  /** The shared model and its baseline. */
  build(input: TechniqueInput, rng: Rng): { shared: AnyModule; baseline: AnyModule };
  /** The modules diagram's rows, or null when the technique has no slot picture. */
  rows(input: TechniqueInput): ModuleRow[] | null;
  /** A generative technique (DiT-Air): its training loss on a batch of points and its sampler, instead of classification. */
  generate?: { loss: (m: AnyModule, x: tf.Tensor, rng: Rng) => tf.Scalar; sample: (m: AnyModule, n: number, rng: Rng) => Promise<Float32Array> };
  /** Growth during training (TokenFormer): the step to grow at and what it does to the shared model; returns a label. */
  grow?: { at: (totalSteps: number) => number; apply: (shared: AnyModule) => string };
  /**
   * Compression of a parent mid-run (FoldGPT): `build` returns the parent as both models; at the
   * first report from step `at` on, the job scores the parent's blocks (`gateSteps` of gate
   * training), the shared model becomes the fold (`keep` blocks in `groups` groups) and the baseline
   * pruning alone to `groups` blocks (the same stored parameters but the scales); both fine-tune on.
   */
  fold?: { at: (totalSteps: number) => number; gateSteps: number; keep: (input: TechniqueInput) => number; groups: (input: TechniqueInput) => number };
  /** Mixture-of-experts techniques: the page shows each MoE layer's expert loads, with this note on what is routed. */
  experts?: { note: string };
  /** A per-token depth (ACT, MoR): the (B, T) statistic that holds it, the deepest value, and what one unit of depth is. */
  depth?: { stat: string; max: (input: TechniqueInput) => number; unit: string };
}

const heads = (w: number) => (w % 4 === 0 ? 4 : w % 2 === 0 ? 2 : 1);
const tcfg = (i: TechniqueInput) => ({ vocabSize: i.vocabSize, maxLen: i.maxLen, dim: i.width, depth: i.depth, numHeads: heads(i.width) });
const own = (n: number) => Array.from({ length: n }, (_, i) => i);
/** TokenFormer's parameter tokens before growth (attention, FFN) and the factor it grows by. */
const TOKENS = { attn: 4, ffn: 16, factor: 4 };

const tokenformer = (i: TechniqueInput, rng: Rng, scale: number) =>
  new TinyTransformer({ ...tcfg(i) }, rng, {
    blocks: own(i.depth).map(() => new TokenFormerBlock({ dim: i.width, numHeads: heads(i.width), attnTokens: TOKENS.attn * scale, ffnTokens: TOKENS.ffn * scale }, rng)),
  });

/** One causal block applied recurrently: ACT halting (UT) or a Mixture-of-Recursions router, depth = the page's depth. */
const recurrent = (i: TechniqueInput, rng: Rng, kind: 'act' | 'expert-choice' | 'token-choice') => {
  const block = new TransformerBlock({ dim: i.width, numHeads: heads(i.width), causal: true }, rng);
  const core = kind === 'act' ? new RecurrentBlock(block, { dim: i.width, maxSteps: i.depth }, rng) : new MixtureOfRecursions(block, { dim: i.width, maxRecursions: i.depth, routing: kind }, rng);
  return new TinyTransformer({ vocabSize: i.vocabSize, maxLen: i.maxLen, dim: i.width, numHeads: heads(i.width) }, rng, { blocks: [core] });
};

/** MoEUT's group size on the page: 2 layers cycled over the depth (1 when the depth is odd). */
const moeutGroup = (i: TechniqueInput) => (i.depth % 2 === 0 ? 2 : 1);
const moeutModel = (i: TechniqueInput, rng: Rng) =>
  moeut({ vocabSize: i.vocabSize, maxLen: i.maxLen, dim: i.width, depth: i.depth, groupSize: moeutGroup(i), attention: { numHeads: heads(i.width), numExperts: 4, topK: 2 } }, sigmaMoE({ numExperts: 8, topK: 2, hidden: i.width }), rng);
/** A dense Universal Transformer (one block in every slot) whose FFN width makes its stored parameters MoEUT's (stored is affine in the width). */
const matchedUT = (i: TechniqueInput, target: number, rng: Rng) => {
  const ut = (h: number, r: Rng) => sharedTransformer({ ...tcfg(i), plan: 'all-shared', mlpHidden: h }, r);
  const stored = (h: number) => {
    const m = ut(h, rng.fork(`probe-${h}`));
    const n = parameterLedger(m).totals.stored;
    m.dispose();
    return n;
  };
  const [p1, p2] = [stored(1), stored(2)];
  return ut(Math.max(1, Math.round((target - p1) / (p2 - p1)) + 1), rng);
};

/** DiT-Air's diffusion schedule on the page (50 steps). */
const SCHEDULE = new DdpmSchedule(50);
const denoiser = (i: TechniqueInput, rng: Rng, plan: 'all-shared' | 'none') => new DiTDenoiser({ dim: i.width, depth: i.depth, plan, timesteps: SCHEDULE.steps }, rng);

/** The techniques by option name. */
export const PAGE_TECHNIQUES: Readonly<Record<string, PageTechnique>> = {
  mobillama: {
    group: 'Sub-module sharing',
    about: 'MobiLlama: one feed-forward network shared by every block; each block keeps its own attention.',
    model: 'transformer',
    baseline: 'every block its own FFN',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({ shared: sharedTransformer({ ...tcfg(i), ffnPlan: 'all-shared' }, rng.fork('shared')), baseline: new TinyTransformer(tcfg(i), rng.fork('baseline')) }),
    rows: (i) => [{ label: 'attention', map: own(i.depth) }, { label: 'FFN', map: planSlots('all-shared', i.depth) }],
  },
  megrez2: {
    group: 'Sub-module sharing',
    about: 'Megrez2: adjacent layers reuse one bank of experts (8 experts, top-2), each layer with its own router.',
    model: 'transformer',
    baseline: 'a bank of experts per layer',
    sizeField: 'Layers per expert bank',
    usesCompression: false,
    build: (i, rng) => {
      const moe = { numExperts: 8, topK: 2, hidden: i.width, router: 'mixtral' };
      return {
        shared: megrez2Transformer({ ...tcfg(i), moe, expertPlan: { name: 'block-repeat', repeat: i.unique } }, rng.fork('shared')),
        baseline: megrez2Transformer({ ...tcfg(i), moe, expertPlan: 'none' }, rng.fork('baseline')),
      };
    },
    rows: (i) => [{ label: 'attention', map: own(i.depth) }, { label: 'router', map: own(i.depth) }, { label: 'experts', map: planSlots({ name: 'block-repeat', repeat: i.unique }, i.depth) }],
    experts: { note: 'Each layer routes with its own router into the bank it shares with its neighbours: layers on one bank may use its experts differently.' },
  },
  moeut: {
    group: 'Recurrent depth',
    about: 'MoEUT: a Universal Transformer of mixtures of experts — σ-MoE feed-forward (8 experts, sigmoid top-2) and SwitchHead attention (4 value/output experts, top-2), 2 layers cycled over the depth — against a dense UT with the same stored parameters.',
    model: 'transformer',
    baseline: 'a dense UT, same stored parameters',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => {
      const shared = moeutModel(i, rng.fork('shared'));
      return { shared, baseline: matchedUT(i, parameterLedger(shared).totals.stored, rng.fork('baseline')) };
    },
    rows: (i) => [{ label: 'attention', map: own(i.depth).map((l) => l % moeutGroup(i)) }, { label: 'σ-MoE', map: own(i.depth).map((l) => l % moeutGroup(i)) }],
    experts: { note: 'The σ-MoE feed-forward layers (8 experts, top-2 by sigmoid score); each layer of the group runs in several slots and shows its last one.' },
  },
  foldgpt: {
    group: 'Compression',
    about: 'FoldGPT: a parent Transformer trains for the first half; then learnable gates score its blocks, the least important third is removed and the rest folded into K groups that each share one block, every layer with its own channel scale; the fold fine-tunes beside pruning alone to K blocks (the same stored parameters but the scales), both with a fresh, warmed-up Adam.',
    model: 'transformer',
    baseline: 'pruning alone: the K most important blocks of the same parent kept, the rest removed',
    sizeField: 'Groups after folding',
    usesCompression: false,
    build: (i, rng) => {
      const parent = new TinyTransformer(tcfg(i), rng.fork('parent'));
      return { shared: parent, baseline: parent };
    },
    rows: () => null,
    fold: { at: (total) => Math.floor(total / 2), gateSteps: 60, keep: (i) => i.depth - Math.floor(i.depth / 3), groups: (i) => Math.min(i.unique, i.depth - Math.floor(i.depth / 3)) },
  },
  'low-rank-gru': {
    group: 'Low-rank state',
    about: 'Low-rank passthrough: stacked GRUs (depth) whose three state matrices are each diagonal + a rank-K product (K from the field), against full-rank GRUs, as language models on the sort task.',
    model: 'transformer',
    architecture: 'GRU',
    baseline: 'full-rank GRUs',
    sizeField: 'State matrix rank',
    usesCompression: false,
    build: (i, rng) => ({
      shared: new GruLM({ vocabSize: i.vocabSize, width: i.width, depth: i.depth, rank: Math.min(i.unique, i.width) }, rng.fork('shared')),
      baseline: new GruLM({ vocabSize: i.vocabSize, width: i.width, depth: i.depth, rank: null }, rng.fork('baseline')),
    }),
    rows: () => null,
  },
  safe: {
    group: 'Embeddings',
    about: 'Subformer SAFE: a 4-wide token table and a small self-attention in that width, projected to the model width. With this task\'s 7 symbols it saves nothing; it pays off when vocabulary × width dominates.',
    model: 'transformer',
    baseline: 'a full token table',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({
      shared: sharedTransformer({ ...tcfg(i), plan: 'none', embedding: { method: 'safe', embeddingDim: 4, numHeads: 1 } }, rng.fork('shared')),
      baseline: new TinyTransformer(tcfg(i), rng.fork('baseline')),
    }),
    rows: () => null,
  },
  albert: {
    group: 'Embeddings',
    about: 'ALBERT factorised embedding, the linear form SAFE builds on: a 4-wide token table times a 4 × width projection. With this task\'s 7 symbols it saves little; it pays off when vocabulary × width dominates.',
    model: 'transformer',
    baseline: 'a full token table',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({
      shared: sharedTransformer({ ...tcfg(i), plan: 'none', embedding: { method: 'albert', embeddingDim: 4 } }, rng.fork('shared')),
      baseline: new TinyTransformer(tcfg(i), rng.fork('baseline')),
    }),
    rows: () => null,
  },
  tokenformer: {
    group: 'Growing',
    about: `TokenFormer: every projection attends to learnable parameter tokens; halfway it grows ${TOKENS.factor}× by appending zero-key tokens, its function unchanged (its optimizer restarts, warmed up).`,
    model: 'transformer',
    baseline: `the grown size from the start`,
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({ shared: tokenformer(i, rng.fork('shared'), 1), baseline: tokenformer(i, rng.fork('baseline'), TOKENS.factor) }),
    rows: () => null,
    grow: {
      at: (total) => Math.floor(total / 2),
      apply: (shared) => {
        growTokenFormer(shared, (l) => (TOKENS.factor - 1) * l.tokens);
        return `grown ${TOKENS.factor}×`;
      },
    },
  },
  'dit-air': {
    group: 'Generating',
    about: 'DiT-Air: a diffusion denoiser of DiT blocks whose weights are shared by every layer (each keeps its own adaLN); it learns to draw two moons from noise.',
    model: 'diffusion',
    baseline: 'every layer its own block',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({ shared: denoiser(i, rng.fork('shared'), 'all-shared'), baseline: denoiser(i, rng.fork('baseline'), 'none') }),
    rows: (i) => [{ label: 'adaLN', map: own(i.depth) }, { label: 'MLP block', map: planSlots('all-shared', i.depth) }],
    generate: {
      loss: (m, x, rng) => ddpmLoss(m as DiTDenoiser, x, SCHEDULE, rng),
      sample: (m, n, rng) => ddpmSample(m as DiTDenoiser, SCHEDULE, n, 2, rng),
    },
  },
  'ut-act': {
    group: 'Recurrent depth',
    about: 'Universal Transformer with ACT: one block applied up to depth times; each token stops on its own when its halting probabilities sum past 0.99 (ponder cost 0.01). From then its output is fixed; as in tensor2tensor\'s UT, its state still serves as a key to the tokens still going.',
    model: 'transformer',
    baseline: 'depth separate blocks, every token through all of them',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({ shared: recurrent(i, rng.fork('shared'), 'act'), baseline: new TinyTransformer(tcfg(i), rng.fork('baseline')) }),
    rows: (i) => [{ label: 'block', map: planSlots('all-shared', i.depth) }],
    depth: { stat: 'ut.token_depth', max: (i) => i.depth, unit: 'block applications before the token halts' },
  },
  mor: {
    group: 'Recurrent depth',
    about: 'Mixture-of-Recursions, expert-choice: one block applied up to depth times; before each recursion a router keeps the top (depth − r)/depth of the tokens still going, so later recursions run on fewer tokens.',
    model: 'transformer',
    baseline: 'depth separate blocks, every token through all of them',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({ shared: recurrent(i, rng.fork('shared'), 'expert-choice'), baseline: new TinyTransformer(tcfg(i), rng.fork('baseline')) }),
    rows: (i) => [{ label: 'block', map: planSlots('all-shared', i.depth) }],
    depth: { stat: 'mor.token_depth', max: (i) => i.depth, unit: 'recursions the routers kept the token for' },
  },
  'mor-token-choice': {
    group: 'Recurrent depth',
    about: 'Mixture-of-Recursions, token-choice: one router assigns each token its number of recursions (1 to depth) up front, with a balancing loss; tokens past their depth leave attention.',
    model: 'transformer',
    baseline: 'depth separate blocks, every token through all of them',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => ({ shared: recurrent(i, rng.fork('shared'), 'token-choice'), baseline: new TinyTransformer(tcfg(i), rng.fork('baseline')) }),
    rows: (i) => [{ label: 'block', map: planSlots('all-shared', i.depth) }],
    depth: { stat: 'mor.token_depth', max: (i) => i.depth, unit: 'recursions the router gave the token' },
  },
  'kernel-sharing': {
    group: 'Convolutions',
    about: 'Inter-layer kernel sharing: every 3×3 convolution after the stem reads one kernel bank; each keeps its own bias (8×8 shapes).',
    model: 'cnn',
    baseline: 'every convolution its own kernel',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => {
      const cfg = { channels: i.width, depth: i.depth, numClasses: 6 };
      return { shared: new KernelSharingCNN({ ...cfg, plan: 'all-shared' }, rng.fork('shared')), baseline: new KernelSharingCNN({ ...cfg, plan: 'none' }, rng.fork('baseline')) };
    },
    rows: (i) => [{ label: 'bias', map: own(i.depth) }, { label: 'kernel', map: planSlots('all-shared', i.depth) }],
  },
  'parameter-free': {
    group: 'Parameter-free layers',
    about: 'Learning Features with Parameter-Free Layers: each block\'s 3×3 depthwise convolution replaced by a 3×3 max-pool (no weights, no multiplies), on 8×8 shapes.',
    model: 'cnn',
    baseline: 'the same CNN with depthwise convolutions',
    sizeField: null,
    usesCompression: false,
    build: (i, rng) => {
      const cfg = { channels: i.width, blocks: i.depth, numClasses: 6 };
      return { shared: new PfCNN({ ...cfg, spatial: 'maxpool' }, rng.fork('shared')), baseline: new PfCNN({ ...cfg, spatial: 'depthwise' }, rng.fork('baseline')) };
    },
    rows: () => null,
  },
  shapeshifter: {
    group: 'Parameter banks',
    about: 'Shapeshifter (NPAS): every layer draws its weights from one bank of a fixed budget (here the network size ÷ compression).',
    model: 'mlp',
    baseline: 'the same MLP, dense',
    sizeField: null,
    usesCompression: true,
    build: (i, rng) => {
      const hidden = own(i.depth).map(() => i.width);
      const weights = 2 * i.width + (i.depth - 1) * i.width * i.width + 3 * i.width;
      return {
        shared: new ShapeshifterMLP({ inFeatures: 2, numClasses: 3, hidden, budget: Math.max(1, Math.round(weights / i.compression)) }, rng.fork('shared')),
        baseline: new MLPClassifier({ inFeatures: 2, numClasses: 3, hidden }, rng.fork('baseline')),
      };
    },
    rows: () => null,
  },
};

/** Whether a page choice is one of {@link PAGE_TECHNIQUES}. */
export const isTechnique = (choice: string): boolean => Object.hasOwn(PAGE_TECHNIQUES, choice);
