// Every config entry point of @weft/nas refuses an unknown key, naming it and the nearest allowed
// key: one table row per entry point, plus a typo of every option of every registered search
// method and of every field of both search spaces (the registries and defaults are the lists, so a
// new method or field is covered without an edit here).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, mse } from '@weft/core';
import {
  AutoHasSearch, DDartsSearch, EpnasSearch, L2NasSearch, SmashSearch, DartsSearch, DiscreteNetwork, DropNasSearch, EntangledSupernet, GdasSearch, MixedOp, SearchNetwork, SposEntangledSearch, SposSearch, TangleNasSearch,
  cosinePowerAnnealing, createCellSearch, createEntangledSearch, defaultEntangledSpace, defaultSpace, extractSubnet, gradNorm, naswot, perturbationSelect,
  plantedCellTask, plantedSubnetTask, randomGenotype, registerOp, registerSearchMethod, resolveEvolution, resolveSpace, runSearch, searchMethod,
  searchMethodNames, snip, synflowLog, validateGenotype, validateSubnet, regnetStages, AnyNet, sampleDesigns, resolvePuzzle,
  SharpSepConv, SharpDartsSearch, RomeSearch, nodeStatistics, fitParzc, parzcData, resolvePoolingSpace, BalancedMixture,
} from '../src/index.js';

/** The message every unknown key produces: the key, then the suggestion. */
const refusal = (key: string, suggestion: string) => new RegExp(`unknown option '${key}'; did you mean '${suggestion.replace('.', '\\.')}'\\?`);
/** A typo of `key`: its last two letters swapped (a plausible slip that is never the key itself). */
const typoOf = (key: string) => (key.length < 3 ? `${key}x` : `${key.slice(0, -2)}${key.at(-1)}${key.at(-2)}`);

const space = { space: 'vector' as const, steps: 1, channels: 4, inChannels: 3, numOutputs: 2, ops: ['none', 'skip_connect', 'linear'] };
const mlp = { kind: 'mlp' as const, inFeatures: 3, numOutputs: 1, depthChoices: [1, 2], widthChoices: [2, 4] };
const batch = () => ({ x: tf.zeros([4, 3]), y: tf.zeros([4, 2]) });
const net = () => new SearchNetwork(space, new Rng(0));
const enet = () => new EntangledSupernet(mlp, new Rng(0));
const genotype = () => randomGenotype(resolveSpace(space), new Rng(0));
const proxy = () => ({ model: net(), x: tf.zeros([4, 3]), y: tf.zeros([4, 2]), loss: mse });

describe('every @weft/nas config entry point refuses a typo', () => {
  const cases: [string, () => unknown, string, string][] = [
    // The example: no top-level learning rate, so the optimiser's field is pointed to.
    ["createCellSearch('darts') options", () => createCellSearch('darts', space, mse, { lerningRate: 1 }), 'lerningRate', 'weightOptimizer.learningRate'],
    ["createCellSearch('darts') weightSchedule", () => createCellSearch('darts', space, mse, { weightSchedule: { totalStep: 10 } }), 'totalStep', 'totalSteps'],
    ["createCellSearch('spos') evolution", () => createCellSearch('spos', space, mse, { evolution: { populaton: 4 } }), 'populaton', 'population'],
    ['createCellSearch space', () => createCellSearch('darts', { ...space, chanels: 4 } as never, mse), 'chanels', 'channels'],
    ['createEntangledSearch space', () => createEntangledSearch('tanglenas', { ...mlp, widthChoice: [2] } as never, mse), 'widthChoice', 'widthChoices'],
    ['SearchNetwork', () => new SearchNetwork({ ...space, stpes: 1 } as never), 'stpes', 'steps'],
    ['DiscreteNetwork', () => new DiscreteNetwork(genotype(), { ...space, layer: 1 } as never), 'layer', 'layers'],
    ['resolveSpace', () => resolveSpace({ ...space, edgeNormalisation: true } as never), 'edgeNormalisation', 'edgeNormalization'],
    ['MixedOp', () => new MixedOp({ ops: ['linear'], space: 'vector', channels: 2, strde: 1 } as never, new Rng(0)), 'strde', 'stride'],
    ['EntangledSupernet', () => new EntangledSupernet({ ...mlp, depthChoice: [1] } as never), 'depthChoice', 'depthChoices'],
    ['validateSubnet', () => validateSubnet(enet().space, { depth: 1, widths: [2, 2], kernel: [] } as never), 'kernel', 'kernels'],
    ['extractSubnet', () => extractSubnet(enet(), { depth: 1, widths: [2, 2], activation: ['relu', 'relu'] } as never), 'activation', 'activations'],
    ['validateGenotype', () => validateGenotype({ ...genotype(), normalConcat: [2] }, resolveSpace(space)), 'normalConcat', 'normal_concat'],
    ['DartsSearch', () => new DartsSearch(net(), mse, { epsilonScal: 0.01 } as never), 'epsilonScal', 'epsilonScale'],
    ['GdasSearch', () => new GdasSearch(net(), mse, { tauMx: 5 } as never), 'tauMx', 'tauMax'],
    ['DropNasSearch', () => new DropNasSearch(net(), mse, { dropbse: 0.1 } as never), 'dropbse', 'dropBase'],
    ['SposSearch', () => new SposSearch(net(), mse, { candidate: 3 } as never), 'candidate', 'candidates'],
    ['TangleNasSearch', () => new TangleNasSearch(enet(), mse, { costWeigth: 1 } as never), 'costWeigth', 'costWeight'],
    ['SposEntangledSearch', () => new SposEntangledSearch(enet(), mse, { seeed: 1 } as never), 'seeed', 'seed'],
    ['resolveEvolution', () => resolveEvolution('evolve', { parent: 2 } as never), 'parent', 'parents'],
    ['cosinePowerAnnealing', () => cosinePowerAnnealing(0, { totalSteps: 10, maxLr: 1, minlr: 0 } as never), 'minlr', 'minLr'],
    ['plantedCellTask', () => plantedCellTask(space, 0, { nosie: 0.1 } as never), 'nosie', 'noise'],
    ['plantedSubnetTask', () => plantedSubnetTask(mlp, 0, { gian: 2 } as never), 'gian', 'gain'],
    ['registerOp', () => registerOp({ name: 'typo_op', spaces: ['vector'], stakced: { slots: [], output: (read: never) => read } } as never), 'stakced', 'stacked'],
    ['registerSearchMethod', () => registerSearchMethod('typo-search', { ...searchMethod('darts'), descripton: '' } as never), 'descripton', 'description'],
    ['regnetStages', () => regnetStages({ depth: 2, w0: 8, wa: 8, wm: 2, bottleneck: 1, groupWidth: 8, quantm: 8 } as never), 'quantm', 'quantum'],
    ['AnyNet', () => new AnyNet({ stages: [{ depth: 1, width: 8, bottleneck: 1, groupWidth: 8 }], stemWidht: 8 } as never), 'stemWidht', 'stemWidth'],
    ['AnyNet stage', () => new AnyNet({ stages: [{ depth: 1, width: 8, bottleneck: 1, groupWdith: 8 }] } as never), 'groupWdith', 'groupWidth'],
    ['sampleDesigns', () => sampleDesigns('regnet', 1, new Rng(0), { maxDetph: 3 } as never), 'maxDetph', 'maxDepth'],
    ['resolvePuzzle', () => resolvePuzzle({ ffnVariant: [] } as never), 'ffnVariant', 'ffnVariants'],
    ['SharpSepConv', () => new SharpSepConv({ inChannels: 2, outChannels: 2, kernelSize: 3, dilaton: 2 } as never, new Rng(0)), 'dilaton', 'dilation'],
    ['SharpDartsSearch', () => new SharpDartsSearch(net(), mse, { weightng: 'max_w' } as never), 'weightng', 'weighting'],
    ['RomeSearch', () => new RomeSearch(net(), mse, { sampels: 2 } as never), 'sampels', 'samples'],
    ['nodeStatistics', () => nodeStatistics({ ...proxy(), los: mse } as never), 'los', 'loss'],
    ['fitParzc', () => fitParzc(parzcData([[{ node: 'a', grad_norm: 1, snip: 1, synflow: 1, params: 1 }]], 1), [0], [0], { hiden: 4 } as never), 'hiden', 'hidden'],
    ['resolvePoolingSpace', () => resolvePoolingSpace({ chanels: 4 } as never), 'chanels', 'channels'],
    ['BalancedMixture', () => new BalancedMixture({}, { supernet: 2 } as never), 'supernet', 'supernets'],
    ['SmashSearch', () => new SmashSearch(enet(), mse, { hiden: 8 } as never), 'hiden', 'hidden'],
    ['AutoHasSearch', () => new AutoHasSearch(enet(), mse, { learningRate: [0.1] } as never), 'learningRate', 'learningRates'],
    ['L2NasSearch', () => new L2NasSearch(enet(), mse, { evaluation: 3 } as never), 'evaluation', 'evaluations'],
    ['EpnasSearch', () => new EpnasSearch(enet(), mse, { bema: 2 } as never), 'bema', 'beam'],
    ['DDartsSearch', () => new DDartsSearch(net(), mse, { ordr: 1 } as never), 'ordr', 'order'],
  ];
  for (const [name, make, key, suggestion] of cases) {
    it(name, () => {
      expect(make).toThrow(refusal(key, suggestion));
    });
  }

  const asyncCases: [string, () => Promise<unknown>, string, string][] = [
    ['runSearch', () => runSearch({ searcher: createCellSearch('darts', space, mse).searcher, train: batch(), val: batch(), steps: 1, batchsize: 4 } as never), 'batchsize', 'batchSize'],
    ['perturbationSelect', () => perturbationSelect(net(), batch(), mse, { tuneStep: 1 } as never), 'tuneStep', 'tuneSteps'],
    ['gradNorm', () => gradNorm({ ...proxy(), variable: [] } as never), 'variable', 'variables'],
    ['snip', () => snip({ ...proxy(), lose: mse } as never), 'lose', 'loss'],
    ['synflowLog', () => synflowLog({ model: net(), x: tf.zeros([4, 3]), modle: null } as never), 'modle', 'model'],
    ['naswot', () => naswot({ model: net(), x: tf.zeros([4, 3]), xx: 1 } as never), 'xx', 'x'],
  ];
  for (const [name, make, key, suggestion] of asyncCases) {
    it(name, async () => {
      await expect(make()).rejects.toThrow(refusal(key, suggestion));
    });
  }

  // Every option of every registered search method, misspelt: the registry is the list.
  for (const name of searchMethodNames()) {
    const m = searchMethod(name);
    for (const key of m.options) {
      it(`search ${name}: ${key}`, () => {
        const create = () => (m.family === 'cell' ? createCellSearch(name, space, mse, { [typoOf(key)]: 1 }) : createEntangledSearch(name, mlp, mse, { [typoOf(key)]: 1 }));
        expect(create).toThrow(refusal(typoOf(key), key));
      });
    }
  }

  // Every field of both cell spaces and both entangled spaces, misspelt.
  for (const kind of ['conv', 'vector'] as const) {
    for (const key of Object.keys(defaultSpace(kind))) {
      it(`${kind} space: ${key}`, () => expect(() => resolveSpace({ space: kind, [typoOf(key)]: 1 } as never)).toThrow(refusal(typoOf(key), key)));
    }
  }
  for (const kind of ['mlp', 'cnn'] as const) {
    for (const key of Object.keys(defaultEntangledSpace(kind))) {
      it(`entangled ${kind} space: ${key}`, () => expect(() => new EntangledSupernet({ kind, [typoOf(key)]: 1 } as never)).toThrow(refusal(typoOf(key), key)));
    }
  }
});
