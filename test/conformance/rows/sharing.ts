// Conformance rows of @weft/sharing (cross-layer, recurrent and hashed sharing): tiny models so the
// rows stay fast on webgpu in Node and in Chromium. Every registered sharing plan gets a row.
import * as tf from '@tensorflow/tfjs-core';
import { Sequential, TransformerBlock, type Rng } from '@weft/core';
import {
  FactorizedEmbedding, HashedLinear, HashedMLPClassifier, KernelSharingCNN, MixtureOfRecursions, RecurrentBlock, SHARING_PLANS, SharedMLPClassifier, sharedTransformer,
  type SharingPlan,
} from '@weft/sharing';
import { addConformanceRows, addRegistryRows } from '../matrix.js';
import { moeut } from '@weft/sharing';
import { sigmaMoE } from '@weft/moe';
import { DiTDenoiser, HashedConv2d, HashedEmbedding, LowRankGRU, LowRankLinear, Pattention, PfCNN, SafeEmbedding, ScaledBlock, ShapeshifterMLP, TokenFormerBlock } from '@weft/sharing';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const ints = (rng: Rng, shape: number[], n: number) =>
  tf.tensor(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(n)), shape, 'int32');
const xent = (out: tf.Tensor, y: tf.Tensor | undefined) =>
  tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(y!, [-1]) as tf.Tensor1D, out.shape.at(-1)!), tf.reshape(out, [-1, out.shape.at(-1)!])) as tf.Scalar;
const ids = () => tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1]], [2, 6], 'int32');
const block = (rng: Rng, dim = 8) => new TransformerBlock({ dim, numHeads: 2, mlpHidden: 16 }, rng);

// One MLP row per registered sharing plan (4 slots, each plan's defaults). Exemptions, with the
// options used instead: 'custom' has no default map (it must be given).
const PLAN_OPTIONS: Record<string, SharingPlan> = { custom: { name: 'custom', map: [0, 1, 1, 0] } };
addRegistryRows(() =>
  Object.keys(SHARING_PLANS).map((name) => ({
    name: `sharing/MLP, plan '${name}' (4 slots)`,
    make: (rng: Rng) => new SharedMLPClassifier({ inFeatures: 3, numClasses: 3, hidden: [8, 8, 8, 8, 8], plan: PLAN_OPTIONS[name] ?? name }, rng),
    input: (rng: Rng) => ({ x: floats(rng, [5, 3]), y: ints(rng, [5], 3) }),
    loss: xent,
  })),
);
addConformanceRows(
  {
    name: 'sharing/Transformer all-shared (2 slots)',
    make: (rng) => sharedTransformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 2, numHeads: 2, plan: 'all-shared' }, rng),
    input: (rng) => ({ x: ids(), y: ints(rng, [2, 6], 7) }),
    loss: xent,
  },
  {
    name: 'sharing/KernelSharingCNN (inter-layer kernel sharing)',
    make: (rng) => new KernelSharingCNN({ channels: 4, depth: 3, numClasses: 3 }, rng),
    input: (rng) => ({ x: tf.tensor(rng.uniformArray(2 * 64), [2, 8, 8, 1]), y: ints(rng, [2], 3) }),
    loss: xent,
    parityTolerance: 1e-3,
  },
  {
    name: 'sharing/FactorizedEmbedding (ALBERT)',
    make: (rng) => new FactorizedEmbedding({ vocabSize: 7, embeddingDim: 3, hidden: 8 }, rng),
    input: () => ({ x: ids() }),
  },
  // Block-based rows are the costly ones on webgpu (shader compiles per shape): 2 steps, and the
  // shapes of core's TransformerBlock / TinyTransformer rows (dim 8, 2 heads, MLP 16 or 32, [2, 4, 8]).
  // Fixed-depth recurrence is the ACT row's loop without halting; it is tested in recurrent.test.ts.
  {
    name: 'sharing/RecurrentBlock (UT, ACT)',
    make: (rng) => new RecurrentBlock(block(rng), { dim: 8, maxSteps: 2, haltBias: -1 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  {
    name: 'sharing/MixtureOfRecursions (expert-choice)',
    make: (rng) => new MixtureOfRecursions(block(rng), { dim: 8, maxRecursions: 2, capacity: [1, 0.5] }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  {
    name: 'sharing/MixtureOfRecursions (token-choice)',
    make: (rng) => new MixtureOfRecursions(block(rng), { dim: 8, maxRecursions: 2, routing: 'token-choice' }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  {
    name: 'sharing/HashedLinear (ROAST, tiles of 4)',
    make: (rng) => new HashedLinear({ inFeatures: 6, outFeatures: 5, method: 'roast', compression: 4, chunkSize: 4 }, rng),
    input: (rng) => ({ x: floats(rng, [4, 6]) }),
  },
  {
    name: 'sharing/HashedLinear (STABLE-RPS)',
    make: (rng) => new HashedLinear({ inFeatures: 6, outFeatures: 5, method: 'stable-rps', compression: 3 }, rng),
    input: (rng) => ({ x: floats(rng, [4, 6]) }),
  },
  {
    name: 'sharing/HashedMLPClassifier (global memory)',
    make: (rng) => new HashedMLPClassifier({ inFeatures: 3, hidden: [8], numClasses: 3, compression: 5, scope: 'global' }, rng),
    input: (rng) => ({ x: floats(rng, [6, 3]), y: ints(rng, [6], 3) }),
    loss: xent,
  },
);

// Wave 2 (issue 16): MobiLlama's shared FFN, SAFE, TokenFormer, low-rank passthrough, Shapeshifter, FoldGPT.
addConformanceRows(
  {
    name: 'sharing/Transformer, MobiLlama shared FFN (3 blocks)',
    make: (rng) => sharedTransformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 3, numHeads: 2, mlpHidden: 16, ffnPlan: 'all-shared' }, rng),
    input: (rng) => ({ x: ids(), y: ints(rng, [2, 6], 7) }),
    loss: xent,
  },
  {
    name: 'sharing/SafeEmbedding (Subformer SAFE)',
    make: (rng) => new SafeEmbedding({ vocabSize: 7, embeddingDim: 4, hidden: 8, numHeads: 2 }, rng),
    input: () => ({ x: ids() }),
  },
  {
    name: 'sharing/Pattention (TokenFormer)',
    make: (rng) => new Pattention({ inFeatures: 6, outFeatures: 5, tokens: 7, initStd: 0.5 }, rng),
    input: (rng) => ({ x: floats(rng, [4, 6]) }),
  },
  {
    name: 'sharing/TokenFormerBlock',
    make: (rng) => new TokenFormerBlock({ dim: 8, numHeads: 2, attnTokens: 4, ffnTokens: 8 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  {
    name: 'sharing/LowRankLinear (low-rank plus diagonal)',
    make: (rng) => new LowRankLinear({ inFeatures: 6, outFeatures: 6, rank: 2 }, rng),
    input: (rng) => ({ x: floats(rng, [4, 6]) }),
  },
  {
    name: 'sharing/LowRankGRU (low-rank passthrough)',
    make: (rng) => new LowRankGRU({ inFeatures: 3, hidden: 6, rank: 2 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 3]) }),
  },
  {
    name: 'sharing/ShapeshifterMLP (bank smaller than the network)',
    make: (rng) => new ShapeshifterMLP({ inFeatures: 3, numClasses: 3, hidden: [8], budget: 20 }, rng),
    input: (rng) => ({ x: floats(rng, [5, 3]), y: ints(rng, [5], 3) }),
    loss: xent,
  },
  {
    name: 'sharing/ShapeshifterMLP (bank larger than the network)',
    make: (rng) => new ShapeshifterMLP({ inFeatures: 3, numClasses: 3, hidden: [8], budget: 200, templates: 3 }, rng),
    input: (rng) => ({ x: floats(rng, [5, 3]), y: ints(rng, [5], 3) }),
    loss: xent,
  },
  {
    name: 'sharing/HashedEmbedding (STABLE-RPS)',
    make: (rng) => new HashedEmbedding({ vocabSize: 7, dim: 8, compression: 4 }, rng),
    input: () => ({ x: ids() }),
  },
  {
    name: 'sharing/HashedConv2d (ROAST)',
    make: (rng) => new HashedConv2d({ inChannels: 1, outChannels: 3, kernelSize: 3, method: 'roast', compression: 3 }, rng),
    input: (rng) => ({ x: tf.tensor(rng.uniformArray(2 * 36), [2, 6, 6, 1]) }),
    parityTolerance: 1e-3,
  },
  {
    name: 'sharing/PfCNN (parameter-free max-pool blocks)',
    make: (rng) => new PfCNN({ size: 6, channels: 4, blocks: 2, numClasses: 3 }, rng),
    input: (rng) => ({ x: tf.tensor(rng.uniformArray(2 * 36), [2, 6, 6, 1]), y: ints(rng, [2], 3) }),
    loss: xent,
    parityTolerance: 1e-3,
  },
  {
    name: 'sharing/ScaledBlock (FoldGPT, one block in two scaled layers)',
    make: (rng) => {
      const b = block(rng);
      return new Sequential([new ScaledBlock(b, 8), new ScaledBlock(b, 8)] as never[]); // ScaledBlock takes a SequenceInput, of which a tensor is one
    },
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  {
    // adaLN-Zero starts every modulation at 0, where the blocks and the time MLP get no gradient;
    // the row sets the modulations as a first training step would, so every parameter takes part.
    name: 'sharing/DiTDenoiser (DiT-Air, one block shared by 2 layers)',
    make: (rng) => {
      const m = new DiTDenoiser({ dim: 8, depth: 2, plan: 'all-shared', timesteps: 10 }, rng);
      for (const l of m.layers.items) l.ada.weight.assign(tf.mul(floats(rng, l.ada.weight.shape), 0.1));
      return m;
    },
    input: (rng) => ({ x: { x: floats(rng, [4, 2]), t: ints(rng, [4], 10) } }),
  },
  {
    name: 'sharing/MoEUT (SwitchHead + σ-MoE, 2 layers cycled over 4 slots)',
    make: (rng) => moeut({ vocabSize: 7, maxLen: 6, dim: 8, depth: 4, groupSize: 2, attention: { numHeads: 2, numExperts: 3, topK: 2 } }, sigmaMoE({ numExperts: 4, topK: 2, hidden: 8 }), rng),
    input: (rng) => ({ x: ids(), y: ints(rng, [2, 6], 7) }),
    loss: xent,
  },
);
