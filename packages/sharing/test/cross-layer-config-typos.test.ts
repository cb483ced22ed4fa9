// Every config entry point of @weft/sharing's cross-layer and hashed sharing refuses an unknown
// key, naming it and the nearest allowed key: one table row per entry point, plus a typo of every
// option of every registered sharing plan (the registry is the list, so a new plan is covered).
import { describe, expect, it } from 'vitest';
import { Rng, TinyTransformer, TransformerBlock, countParams } from '@weft/core';
import {
  BankLinear, DiTDenoiser, HashedConv2d, HashedEmbedding, LowRankGRU, LowRankLinear, ParameterBank, Pattention, PfBlock, PfCNN, SafeEmbedding, ShapeshifterMLP,
  TokenFormerBlock, blockImportance, foldTransformer,
} from '@weft/sharing';
import {
  FactorizedEmbedding, HashedLinear, HashedMemory, HashedMLPClassifier, KernelSharingCNN, MixtureOfRecursions, RecurrentBlock, SHARING_PLANS, SharedMLPClassifier,
  applyPlan, planSlots, registerSharingPlan, sharedTransformer,
} from '@weft/sharing';

/** The message every unknown key produces: the key, then the suggestion. */
const refusal = (key: string, suggestion: string) => new RegExp(`unknown option '${key}'; did you mean '${suggestion}'\\?`);
/** A typo of `key`: its last two letters swapped (a plausible slip that is never the key itself). */
const typoOf = (key: string) => (key.length < 3 ? `${key}x` : `${key.slice(0, -2)}${key.at(-1)}${key.at(-2)}`);

const block = () => new TransformerBlock({ dim: 8, numHeads: 2 }, new Rng(0));
const llama = { model_type: 'llama', vocab_size: 16, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 4, num_attention_heads: 2 } as const;

describe('every cross-layer and hashed sharing config entry point refuses a typo', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['planSlots', () => planSlots({ name: 'groups', gruops: 2 }, 4), 'gruops', 'groups'],
    ['applyPlan', () => applyPlan({ name: 'cycle', uniqe: 2 }, 4, [block(), block()]), 'uniqe', 'unique'],
    ['countParams sharing', () => countParams(llama, { sharing: { name: 'block-repeat', repaet: 2 } }), 'repaet', 'repeat'],
    ['registerSharingPlan', () => registerSharingPlan('typo-plan', { description: '', defualts: {}, factory: () => [] } as never), 'defualts', 'defaults'],
    ['sharedTransformer', () => sharedTransformer({ vocabSize: 8, maxLen: 4, dim: 8, depth: 2, numHeads: 2, plna: 'all-shared' } as never), 'plna', 'plan'],
    ['sharedTransformer plan', () => sharedTransformer({ vocabSize: 8, maxLen: 4, dim: 8, depth: 4, numHeads: 2, plan: { name: 'groups', grups: 2 } }), 'grups', 'groups'],
    ['SharedMLPClassifier', () => new SharedMLPClassifier({ inFeatures: 2, numClasses: 2, hidden: [4, 4], residul: false } as never), 'residul', 'residual'],
    ['SharedMLPClassifier plan', () => new SharedMLPClassifier({ inFeatures: 2, numClasses: 2, hidden: [4, 4, 4], plan: { name: 'custom', mpa: [0, 0] } }), 'mpa', 'map'],
    ['KernelSharingCNN', () => new KernelSharingCNN({ kernelsize: 3 } as never), 'kernelsize', 'kernelSize'],
    ['FactorizedEmbedding', () => new FactorizedEmbedding({ vocabSize: 8, embedingDim: 2, hidden: 4 } as never), 'embedingDim', 'embeddingDim'],
    ['RecurrentBlock (UT, ACT)', () => new RecurrentBlock(block(), { dim: 8, ponderWieght: 0.1 } as never), 'ponderWieght', 'ponderWeight'],
    ['RecurrentBlock (fixed depth)', () => new RecurrentBlock(block(), { dim: 8, halting: 'fixed', maxStep: 2 } as never), 'maxStep', 'maxSteps'],
    ['MixtureOfRecursions', () => new MixtureOfRecursions(block(), { dim: 8, maxRecursion: 2 } as never), 'maxRecursion', 'maxRecursions'],
    ['HashedLinear (ROAST)', () => new HashedLinear({ inFeatures: 4, outFeatures: 4, method: 'roast', chunksize: 2 } as never), 'chunksize', 'chunkSize'],
    ['HashedLinear (STABLE-RPS)', () => new HashedLinear({ inFeatures: 4, outFeatures: 4, method: 'stable-rps', compresion: 2 } as never), 'compresion', 'compression'],
    ['HashedMLPClassifier', () => new HashedMLPClassifier({ inFeatures: 2, numClasses: 2, scoep: 'layer' } as never), 'scoep', 'scope'],
    ['HashedMemory', () => new HashedMemory({ size: 4, int: 0.1 } as never), 'int', 'init'],
    ['HashedEmbedding', () => new HashedEmbedding({ vocabSize: 4, dim: 2, compresion: 2 } as never), 'compresion', 'compression'],
    ['HashedConv2d', () => new HashedConv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, paddin: 'same' } as never), 'paddin', 'padding'],
    ['sharedTransformer ffnPlan (MobiLlama)', () => sharedTransformer({ vocabSize: 8, maxLen: 4, dim: 8, depth: 4, numHeads: 2, ffnPlan: { name: 'groups', grups: 2 } }), 'grups', 'groups'],
    ['sharedTransformer embedding', () => sharedTransformer({ vocabSize: 8, maxLen: 4, dim: 8, numHeads: 2, embedding: { method: 'safe', embedingDim: 2 } } as never), 'embedingDim', 'embeddingDim'],
    ['SafeEmbedding', () => new SafeEmbedding({ vocabSize: 8, embeddingDim: 2, hidden: 4, numHeds: 1 } as never), 'numHeds', 'numHeads'],
    ['Pattention', () => new Pattention({ inFeatures: 2, outFeatures: 2, tokns: 4 } as never), 'tokns', 'tokens'],
    ['TokenFormerBlock', () => new TokenFormerBlock({ dim: 8, ffnTokns: 4 } as never), 'ffnTokns', 'ffnTokens'],
    ['LowRankLinear', () => new LowRankLinear({ inFeatures: 4, outFeatures: 4, diagonl: true } as never), 'diagonl', 'diagonal'],
    ['LowRankGRU', () => new LowRankGRU({ inFeatures: 2, hiden: 4 } as never), 'hiden', 'hidden'],
    ['ParameterBank', () => new ParameterBank({ siz: 4 } as never), 'siz', 'size'],
    ['BankLinear', () => new BankLinear({ inFeatures: 2, outFeatures: 2, templtes: 2 } as never, new ParameterBank({ size: 4 })), 'templtes', 'templates'],
    ['ShapeshifterMLP', () => new ShapeshifterMLP({ inFeatures: 2, numClasses: 2, budgt: 10 } as never), 'budgt', 'budget'],
    ['foldTransformer', () => foldTransformer(new TinyTransformer({ vocabSize: 4, maxLen: 4, dim: 8, depth: 2, numHeads: 2 }), [1, 2], { grops: 1 } as never), 'grops', 'groups'],
    ['PfBlock', () => new PfBlock({ channels: 4, expnd: 2 } as never), 'expnd', 'expand'],
    ['PfCNN', () => new PfCNN({ blcks: 2 } as never), 'blcks', 'blocks'],
    ['DiTDenoiser', () => new DiTDenoiser({ timestep: 10 } as never), 'timestep', 'timesteps'],
  ];
  for (const [name, make, key, suggestion] of cases) {
    it(name, () => {
      expect(make).toThrow(refusal(key, suggestion));
    });
  }

  it('blockImportance (FoldGPT)', async () => {
    const m = new TinyTransformer({ vocabSize: 4, maxLen: 4, dim: 8, depth: 2, numHeads: 2 });
    await expect(blockImportance(m, { batch: () => { throw new Error('unused'); }, loss: () => { throw new Error('unused'); } }, { stpes: 2 } as never)).rejects.toThrow(refusal('stpes', 'steps'));
  });

  it('an unknown plan name suggests the nearest registered one', () => {
    expect(() => planSlots('all', 4)).toThrow(/plan name="all" is not registered; did you mean 'all-shared'\?/);
  });

  // Every option of every registered plan, misspelt: the registry is the list.
  for (const [name, entry] of Object.entries(SHARING_PLANS)) {
    for (const key of Object.keys(entry.defaults)) {
      it(`plan ${name}: ${key}`, () => expect(() => planSlots({ name, [typoOf(key)]: 1 }, 4)).toThrow(refusal(typoOf(key), key)));
    }
  }
});
