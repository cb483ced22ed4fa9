// Every config entry point of @weft/moe refuses an unknown key, naming it and the nearest allowed
// key: one table row per entry point (layers, their non-JSON options, experts, routers and their
// shapes, PKM, UMoE, the specialisation experiment, the aux losses' options), plus every key of
// every router in the registry through the MoE layer's `routerConfig` (the registry is the list, so
// a new router is covered).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import {
  ChainOfExperts, DistributedModules, GroveMoE, HydraBlock, LinearRecurrenceMixer, lossFreeBalanceExperiment, MPOEMoE, PERFT, sequenceLoadBalancingLoss, sharedMoETransformer,
  gshardLoadBalancingLoss, loadBalancingLoss, makeRouter, MixtralRouter, mixtralLoadBalancingLoss, MoE, PreMixingAttention, ProductKeyMemory,
  resolveMoEConfig, routerEntry, routerNames, routerZLoss, specialisationExperiment, StackedExperts, SwitchRouter, switchLoadBalancingLoss, UMoEBlock,
  fitRoutedScalingLaw, muParametrise, muPRule, muTransferSweep, routedScalingSweep,
  inferenceOptimisationStudy, mergePlan, prunePlan, simulateExpertCache,
} from '../src/index.js';

/** The message every unknown key produces: the key, then the suggestion. */
const refusal = (key: string, suggestion: string) => new RegExp(`unknown option '${key}'; did you mean '${suggestion}'\\?`);

/** A typo of `key`: its last two letters swapped (a plausible slip that is never the key itself). */
const typoOf = (key: string) => (key.length < 3 ? `${key}x` : `${key.slice(0, -2)}${key.at(-1)}${key.at(-2)}`);

const shape = { dim: 4, numExperts: 4, topK: 1, capacityFactor: null };
const logits = () => tf.tensor2d([[1, 2, 3, 4], [4, 3, 2, 1]]);

describe('every @weft/moe config entry point refuses a typo', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['MoE', () => new MoE({ dim: 8, numExpert: 4 } as never), 'numExpert', 'numExperts'],
    ['resolveMoEConfig', () => resolveMoEConfig({ dim: 8, capacityFacter: 1 } as never), 'capacityFacter', 'capacityFactor'],
    ['MoE: MoLoRA experts', () => new MoE({ dim: 8, expert: 'lora', loraRnak: 2 } as never), 'loraRnak', 'loraRank'],
    ['MoE: MoV experts', () => new MoE({ dim: 8, expert: 'ia3', exprt: 'ia3' } as never), 'exprt', 'expert'],
    ['MoE options', () => new MoE({ dim: 8 }, new Rng(0), { expert: null } as never), 'expert', 'experts'],
    ['MoE routerConfig', () => new MoE({ dim: 8, topK: 1, router: 'switch', routerConfig: { jiter: 0 } }), 'jiter', 'jitter'],
    ['makeRouter', () => makeRouter('mixtral', { normalise: true }, shape, new Rng(0)), 'normalise', 'normalize'],
    ['SwitchRouter', () => new SwitchRouter({ jitters: 0 } as never, shape, new Rng(0)), 'jitters', 'jitter'],
    ['router shape', () => new MixtralRouter({}, { ...shape, numExpert: 4 } as never, new Rng(0)), 'numExpert', 'numExperts'],
    ['StackedExperts', () => new StackedExperts({ dim: 4, numExperts: 2, hidden: 4, knid: 'ffn' } as never), 'knid', 'kind'],
    ['ProductKeyMemory', () => new ProductKeyMemory({ dim: 4, numSubKey: 4 } as never), 'numSubKey', 'numSubKeys'],
    ['PreMixingAttention', () => new PreMixingAttention({ dim: 8, headDims: 2 } as never), 'headDims', 'headDim'],
    ['UMoEBlock', () => new UMoEBlock({ dim: 8, shareExpert: false } as never), 'shareExpert', 'shareExperts'],
    ['UMoEBlock.attention', () => new UMoEBlock({ dim: 8, attention: { queryRnak: 2 } } as never), 'queryRnak', 'queryRank'],
    ['UMoEBlock.ffn', () => new UMoEBlock({ dim: 8, ffn: { topk: 2 } } as never), 'topk', 'topK'],
    ['switchLoadBalancingLoss', () => switchLoadBalancingLoss(logits(), { atentionMask: null } as never), 'atentionMask', 'attentionMask'],
    ['switchLoadBalancingLoss scores', () => switchLoadBalancingLoss({ probs: logits(), indice: logits() } as never), 'indice', 'indices'],
    ['gshardLoadBalancingLoss', () => gshardLoadBalancingLoss(logits(), { attentionmask: null } as never), 'attentionmask', 'attentionMask'],
    ['mixtralLoadBalancingLoss', () => mixtralLoadBalancingLoss(logits(), { topk: 2 } as never), 'topk', 'topK'],
    ['loadBalancingLoss', () => loadBalancingLoss('mixtral', logits(), { top_k: 2 } as never), 'top_k', 'topK'],
    ['routerZLoss', () => routerZLoss(logits(), { attentionMsk: null } as never), 'attentionMsk', 'attentionMask'],
    ['sequenceLoadBalancingLoss', () => sequenceLoadBalancingLoss(logits(), { topk: 2 } as never), 'topk', 'topK'],
    ['ChainOfExperts', () => new ChainOfExperts({ dim: 4, iteration: 2 } as never), 'iteration', 'iterations'],
    ['GroveMoE', () => new GroveMoE({ dim: 4, group: 2 } as never), 'group', 'groups'],
    ['HydraBlock', () => new HydraBlock({ dim: 4, decayInti: 0.9 } as never), 'decayInti', 'decayInit'],
    ['LinearRecurrenceMixer', () => new LinearRecurrenceMixer({ dim: 4, decayInti: 0.9 } as never), 'decayInti', 'decayInit'],
    ['DistributedModules', () => new DistributedModules({ dim: 4, hosp: 2 } as never), 'hosp', 'hops'],
    ['MPOEMoE', () => new MPOEMoE({ dim: 4, dimFactors: [1, 2, 2], hiddenFactor: [1, 2, 8] } as never), 'hiddenFactor', 'hiddenFactors'],
    ['PERFT', () => new PERFT(new MoE({ dim: 4 }), { rnak: 2 } as never), 'rnak', 'rank'],
    ['sharedMoETransformer', () => sharedMoETransformer({ vocabSize: 4, moe: {}, ownRouters: true } as never), 'ownRouters', 'ownRoutersAndNorms'],
    ['muPRule', () => muPRule('hidden', 4, { baseWidht: 4 } as never), 'baseWidht', 'baseWidth'],
    ['muParametrise', () => muParametrise(new MoE({ dim: 4 }), () => 'hidden', { sigam: 1 } as never), 'sigam', 'sigma'],
    ['fitRoutedScalingLaw', () => fitRoutedScalingLaw([], { eStrat: 1 } as never), 'eStrat', 'eStart'],
    ['prunePlan', () => prunePlan({} as never, {} as never, { kep: 2 } as never), 'kep', 'keep'],
    ['mergePlan', () => mergePlan({} as never, {} as never, { group: 2 } as never), 'group', 'groups'],
    ['simulateExpertCache', () => simulateExpertCache([], { capacty: 2 } as never), 'capacty', 'capacity'],
  ];
  for (const [name, make, key, suggestion] of cases) {
    it(name, () => {
      expect(make).toThrow(refusal(key, suggestion));
    });
  }

  it('muTransferSweep and routedScalingSweep', async () => {
    await expect(muTransferSweep({ widht: [16] } as never)).rejects.toThrow(refusal('widht', 'widths'));
    await expect(routedScalingSweep({ expert: [1] } as never)).rejects.toThrow(refusal('expert', 'experts'));
  });

  it('inferenceOptimisationStudy', async () => {
    await expect(inferenceOptimisationStudy({} as never, {} as never, {} as never, { treshold: 0.5 } as never)).rejects.toThrow(refusal('treshold', 'threshold'));
  });

  it('lossFreeBalanceExperiment', async () => {
    await expect(lossFreeBalanceExperiment({ stpes: 5 } as never)).rejects.toThrow(refusal('stpes', 'steps'));
  });

  it('specialisationExperiment (and its moe config)', async () => {
    await expect(specialisationExperiment({ stpes: 5 } as never)).rejects.toThrow(refusal('stpes', 'steps'));
    await expect(specialisationExperiment({ moe: { numExpert: 4 } } as never)).rejects.toThrow(refusal('numExpert', 'numExperts'));
  });

  it('the message names where, the key, the suggestion and the allowed keys', () => {
    expect(() => new MoE({ dim: 8, numExpert: 4 } as never)).toThrow(/^MoE: unknown option 'numExpert'; did you mean 'numExperts'\? \(allowed: dim, numExperts, topK, /);
  });

  // Every key of every registered router, misspelt, through the layer's routerConfig.
  for (const router of routerNames()) {
    const entry = routerEntry(router);
    for (const key of Object.keys(entry.defaults)) {
      it(`router ${router}: ${key}`, () => {
        const cfg = { dim: 4, numExperts: 4, topK: entry.fixedTopK ?? 2, router, routerConfig: { [typoOf(key)]: entry.defaults[key] } };
        expect(() => new MoE(cfg)).toThrow(refusal(typoOf(key), key));
      });
    }
  }
});
