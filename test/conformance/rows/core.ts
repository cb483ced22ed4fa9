// Conformance rows of @weft/core: every layer and model builder.
import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d, Embedding, LayerNorm, Linear, MLP, MLPClassifier, RMSNorm, CausalSelfAttention, TinyCNN, TinyTransformer, TransformerBlock,
  type Rng,
} from '@weft/core';
import { addConformanceRows } from '../matrix.js';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const ints = (rng: Rng, shape: number[], n: number) =>
  tf.tensor(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(n)), shape, 'int32');
const xent = (out: tf.Tensor, y: tf.Tensor | undefined) =>
  tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(y!, [-1]) as tf.Tensor1D, out.shape.at(-1)!), tf.reshape(out, [-1, out.shape.at(-1)!])) as tf.Scalar;

// Norm outputs have zero mean (or fixed scale) per row: weight positions so the loss is not constant.
const weighted = (o: tf.Tensor) => tf.sum(tf.mul(o, tf.reshape(tf.range(0, o.size), o.shape))) as tf.Scalar;

addConformanceRows(
  { name: 'core/Linear', make: (rng) => new Linear({ inFeatures: 5, outFeatures: 3 }, rng), input: (rng) => ({ x: floats(rng, [4, 5]) }) },
  {
    name: 'core/Embedding',
    make: (rng) => new Embedding({ numEmbeddings: 11, embeddingDim: 4 }, rng),
    // Every id appears, so every row of the table gets a gradient.
    input: () => ({ x: tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 3]], [2, 6], 'int32') }),
  },
  { name: 'core/LayerNorm', make: () => new LayerNorm({ dim: 6 }), input: (rng) => ({ x: floats(rng, [3, 2, 6]) }), loss: (o) => weighted(o) },
  { name: 'core/RMSNorm', make: () => new RMSNorm({ dim: 6 }), input: (rng) => ({ x: floats(rng, [3, 6]) }), loss: (o) => weighted(o) },
  { name: 'core/MLP (GELU)', make: (rng) => new MLP({ dim: 4, hidden: 8 }, rng), input: (rng) => ({ x: floats(rng, [2, 3, 4]) }) },
  { name: 'core/MLP (SwiGLU)', make: (rng) => new MLP({ dim: 4, hidden: 8, gated: true }, rng), input: (rng) => ({ x: floats(rng, [2, 3, 4]) }) },
  { name: 'core/CausalSelfAttention', make: (rng) => new CausalSelfAttention({ dim: 8, numHeads: 2 }, rng), input: (rng) => ({ x: floats(rng, [2, 5, 8]) }) },
  { name: 'core/CausalSelfAttention (GQA)', make: (rng) => new CausalSelfAttention({ dim: 8, numHeads: 4, numKVHeads: 2 }, rng), input: (rng) => ({ x: floats(rng, [2, 4, 8]) }) },
  { name: 'core/TransformerBlock', make: (rng) => new TransformerBlock({ dim: 8, numHeads: 2, mlpHidden: 16 }, rng), input: (rng) => ({ x: floats(rng, [2, 4, 8]) }) },
  {
    name: 'core/TransformerBlock (RMSNorm, SwiGLU)',
    make: (rng) => new TransformerBlock({ dim: 8, numHeads: 2, norm: 'rmsnorm', gated: true, mlpHidden: 12 }, rng),
    input: (rng) => ({ x: floats(rng, [2, 4, 8]) }),
  },
  { name: 'core/Conv2d', make: (rng) => new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'same' }, rng), input: (rng) => ({ x: floats(rng, [2, 5, 5, 2]) }) },
  { name: 'core/Conv2d (stride 2, dilation 2)', make: (rng) => new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 3, stride: 2, dilation: 2, padding: 2 }, rng), input: (rng) => ({ x: floats(rng, [1, 7, 7, 2]) }) },
  { name: 'core/Conv2d (depthwise)', make: (rng) => new Conv2d({ inChannels: 3, outChannels: 3, kernelSize: 3, groups: 3, padding: 1 }, rng), input: (rng) => ({ x: floats(rng, [2, 4, 4, 3]) }) },
  {
    name: 'core/MLPClassifier',
    make: (rng) => new MLPClassifier({ inFeatures: 2, hidden: [8, 8], numClasses: 3 }, rng),
    input: (rng) => ({ x: floats(rng, [6, 2]), y: ints(rng, [6], 3) }),
    loss: xent,
  },
  {
    name: 'core/TinyTransformer (classifier)',
    make: (rng) => new TinyTransformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 2, numHeads: 2, head: 'classifier', numClasses: 3, causal: false }, rng),
    input: (rng) => ({ x: tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1]], [2, 6], 'int32'), y: ints(rng, [2], 3) }),
    loss: xent,
  },
  {
    name: 'core/TinyTransformer (LM, tied)',
    make: (rng) => new TinyTransformer({ vocabSize: 7, maxLen: 6, dim: 8, depth: 2, numHeads: 2, head: 'lm', tieEmbeddings: true }, rng),
    input: (rng) => ({ x: tf.tensor2d([[0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1]], [2, 6], 'int32'), y: ints(rng, [2, 6], 7) }),
    loss: xent,
  },
  {
    name: 'core/TinyCNN',
    make: (rng) => new TinyCNN({ channels: [4, 4], numClasses: 3 }, rng),
    input: (rng) => ({ x: tf.tensor(rng.uniformArray(2 * 64), [2, 8, 8, 1]), y: ints(rng, [2], 3) }),
    loss: xent,
    parityTolerance: 1e-3,
  },
);
