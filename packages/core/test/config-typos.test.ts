// Every config entry point of @weft/core refuses an unknown key, naming it and the nearest
// allowed key: one table row per entry point, plus every key of every registered dataset.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  Activation,
  AvgPool2d,
  CausalSelfAttention,
  Conv2d,
  DATASETS,
  Dropout,
  Embedding,
  LayerNorm,
  Linear,
  MaxPool2d,
  MLP,
  MLPClassifier,
  RMSNorm,
  TinyCNN,
  TinyTransformer,
  TransformerBlock,
  checkKnownKeys,
  countParams,
  initBackend,
  makeOptimizer,
  nearestName,
  resolveConfig,
  softmaxCrossEntropy,
  train,
} from '@weft/core';

/** The message every unknown key produces: the key, then the suggestion. */
const refusal = (key: string, suggestion: string) => new RegExp(`unknown option '${key}'; did you mean '${suggestion}'\\?`);

/** A typo of `key`: its last two letters swapped (a plausible slip that is never the key itself). */
const typoOf = (key: string) => (key.length < 3 ? `${key}x` : `${key.slice(0, -2)}${key.at(-1)}${key.at(-2)}`);

describe('nearestName', () => {
  it('suggests the closest allowed name, case-insensitively, and nothing when all are far', () => {
    expect(nearestName('alfa', ['alpha', 'rank', 'dropout'])).toBe('alpha');
    expect(nearestName('numExpert', ['numExperts', 'topK'])).toBe('numExperts');
    expect(nearestName('lerningRate', ['learningRate', 'steps'])).toBe('learningRate');
    expect(nearestName('LEARNINGRATE', ['learningRate'])).toBe('learningRate');
    expect(nearestName('ranks', ['rank', 'alpha'])).toBe('rank');
    expect(nearestName('zzzzzz', ['rank', 'alpha'])).toBeUndefined();
  });

  it('resolveConfig merges over defaults, keeps the default for undefined, and refuses wrong kinds', () => {
    const defaults = { rank: 4, alpha: 8, name: 'x', seed: null as number | null };
    expect(resolveConfig('t', defaults, { rank: 2, alpha: undefined, seed: 3 })).toEqual({ rank: 2, alpha: 8, name: 'x', seed: 3 });
    expect(() => resolveConfig('t', defaults, { rank: '2' } as never)).toThrow('t: rank="2" must be a number');
    expect(() => resolveConfig('t', defaults, { alfa: 1 } as never)).toThrow("t: unknown option 'alfa'; did you mean 'alpha'? (allowed: rank, alpha, name, seed)");
    expect(resolveConfig('t', defaults, { extra: 1 } as never, { extraKeys: ['extra'] })).toMatchObject({ extra: 1 });
    expect(() => checkKnownKeys('t', [1], ['a'])).toThrow('t: config=[1] must be an object');
    expect(() => checkKnownKeys('t', { zzz: 1 }, ['a'])).toThrow("t: unknown option 'zzz' (allowed: a)");
  });
});

describe('every @weft/core config entry point refuses a typo', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['Linear', () => new Linear({ inFeatures: 2, outFeatures: 2, bais: false } as never), 'bais', 'bias'],
    ['Embedding', () => new Embedding({ numEmbeddings: 4, embeddingDim: 2, initSdt: 1 } as never), 'initSdt', 'initStd'],
    ['LayerNorm', () => new LayerNorm({ dim: 4, esp: 1e-5 } as never), 'esp', 'eps'],
    ['RMSNorm', () => new RMSNorm({ dim: 4, elementwiseAfine: true } as never), 'elementwiseAfine', 'elementwiseAffine'],
    ['MLP', () => new MLP({ dim: 4, hiden: 8 } as never), 'hiden', 'hidden'],
    ['Activation', () => new Activation({ activaton: 'relu' } as never), 'activaton', 'activation'],
    ['Dropout', () => new Dropout({ rat: 0.1 } as never), 'rat', 'rate'],
    ['CausalSelfAttention', () => new CausalSelfAttention({ dim: 4, numHeads: 2, numKvHeads: 1 } as never), 'numKvHeads', 'numKVHeads'],
    ['TransformerBlock', () => new TransformerBlock({ dim: 4, numHeads: 2, mlpHiden: 8 } as never), 'mlpHiden', 'mlpHidden'],
    ['Conv2d', () => new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, strides: 1 } as never), 'strides', 'stride'],
    ['MaxPool2d', () => new MaxPool2d({ kernelSize: 2, padd: 'same' } as never), 'padd', 'padding'],
    ['AvgPool2d', () => new AvgPool2d({ kernelsize: 2 } as never), 'kernelsize', 'kernelSize'],
    ['MLPClassifier', () => new MLPClassifier({ inFeatures: 2, numClass: 2 } as never), 'numClass', 'numClasses'],
    ['TinyCNN', () => new TinyCNN({ chanels: [4] } as never), 'chanels', 'channels'],
    ['TinyTransformer', () => new TinyTransformer({ vocabSize: 8, maxLen: 4, dim: 8, depth: 1, numHeads: 2, deph: 2 } as never), 'deph', 'depth'],
    ['makeOptimizer', () => makeOptimizer({ name: 'adam', learningRate: 0.1, beta_1: 0.9 } as never), 'beta_1', 'beta1'],
    ['softmaxCrossEntropy', () => softmaxCrossEntropy(tf.zeros([2, 3]), tf.tensor1d([0, 1], 'int32'), { ignoreIdx: -100 } as never), 'ignoreIdx', 'ignoreIndex'],
    ['countParams options', () => countParams({ model_type: 'llama', vocab_size: 32, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 } as never, { numLabel: 3 } as never), 'numLabel', 'numLabels'],
  ];
  for (const [name, make, key, suggestion] of cases) {
    it(name, () => {
      expect(make).toThrow(refusal(key, suggestion));
    });
  }

  it('train', async () => {
    await expect(train({ steps: 1, batch: () => ({ x: tf.zeros([1]), y: tf.zeros([1]) }), reportEvry: 5 } as never)).rejects.toThrow(refusal('reportEvry', 'reportEvery'));
  });

  it('initBackend', async () => {
    await expect(initBackend({ prefered: ['cpu'] } as never)).rejects.toThrow(refusal('prefered', 'prefer'));
  });

  // Every key of every registered dataset, misspelt: the registry is the list, so a new dataset is covered.
  for (const [name, entry] of Object.entries(DATASETS)) {
    for (const key of Object.keys(entry.defaults)) {
      it(`dataset ${name}: ${key}`, () => {
        expect(() => entry.make({ [typoOf(key)]: 1 } as never, 0)).toThrow(refusal(typoOf(key), key));
      });
    }
  }
});
