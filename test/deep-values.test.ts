// Deeply nested and huge values in configs and files (JSON.parse reads a million nested arrays
// without complaint) reach the error messages of every package: each must be refused with a Weft
// error of bounded length that shows the value through core's describeValue, never a
// `RangeError: Maximum call stack size exceeded` from JSON.stringify or String() of the value.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  Activation, MLPClassifier, PRESETS, Rng, TransformerBlock, countParams, initBackend, makeDataset, makeOptimizer, planSlots, spirals, split,
} from '@weft/core';
import { resolveMoEConfig, routerEntry } from '@weft/moe';
import { checkOps, createCellSearch, opEntry, resolveEntangledSpace, resolveSpace, searchMethod, validateGenotype, validateSubnet } from '@weft/nas';
import {
  HashedLinear, HashedMLPClassifier, MixtureOfRecursions, RecurrentBlock, SharedMLPClassifier, adapterMethod, addWeightedAdapter, combineAdapters, injectAdapter, placeBlocks,
  resolveAdapterConfig,
} from '@weft/sharing';
import { Tiny } from '../packages/sharing/test/adapters-helpers.js';

const DEPTH = 100_000;
/** An array nested DEPTH deep, as JSON.parse makes it from a 200 kB text. */
const DEEP_ARRAY: unknown = JSON.parse(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`);
/** An object nested DEPTH deep. */
const DEEP_OBJECT: unknown = JSON.parse(`${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`);
/** A flat array of a million numbers. */
const HUGE: unknown = new Array<number>(1_000_000).fill(7);
const VALUES: Array<[string, unknown]> = [['a 100,000-deep array', DEEP_ARRAY], ['a 100,000-deep object', DEEP_OBJECT], ['a million-item array', HUGE]];

const LLAMA = PRESETS['Llama-2-7b'].config;
const VECTOR_SPACE = resolveSpace({ space: 'vector' });
const ENTANGLED = resolveEntangledSpace({});
const noLoss = () => tf.scalar(0);
const block = () => new Activation({ activation: 'relu' }) as never;

/** One entry point and how the value reaches it; the message must name `arg` (or, for a whole config, the unknown key 'a'). */
interface Row {
  entry: string;
  arg: string;
  run: (v: never) => unknown;
  /** Only the nested values: a million-item list here is a million layers, not a bad value (see the note at the end). */
  nestedOnly?: boolean;
}

const rows: Row[] = [
  // core
  { entry: 'makeDataset(name)', arg: 'name', run: (v) => makeDataset(v) },
  { entry: 'makeDataset(name, config)', arg: 'config', run: (v) => makeDataset('spirals', v) },
  { entry: 'makeOptimizer({ name })', arg: 'name', run: (v) => makeOptimizer({ name: v, learningRate: 0.1 }) },
  { entry: 'makeOptimizer({ learningRate })', arg: 'learningRate', run: (v) => makeOptimizer({ name: 'sgd', learningRate: v }) },
  { entry: 'initBackend({ prefer: [name] })', arg: 'prefer', run: (v) => initBackend({ prefer: [v] }) },
  { entry: 'planSlots(plan)', arg: 'plan', run: (v) => planSlots(v, 4) },
  { entry: 'planSlots({ name })', arg: 'plan', run: (v) => planSlots({ name: v }, 4) },
  { entry: "planSlots({ name: 'custom', map })", arg: 'map', run: (v) => planSlots({ name: 'custom', map: v }, 4) },
  { entry: 'countParams(options.head)', arg: 'head', run: (v) => countParams(LLAMA, { head: v }) },
  { entry: 'countParams(options.pooler)', arg: 'pooler', run: (v) => countParams(LLAMA, { pooler: v }) },
  { entry: 'countParams(options.numLabels)', arg: 'numLabels', run: (v) => countParams(LLAMA, { numLabels: v }) },
  { entry: 'countParams(options.sharing)', arg: 'plan', run: (v) => countParams(LLAMA, { sharing: v }) },
  { entry: 'countParams(options.adapter)', arg: 'adapter', run: (v) => countParams(LLAMA, { adapter: v }) },
  { entry: 'countParams(options.adapter.method)', arg: 'method', run: (v) => countParams(LLAMA, { adapter: { method: v } as never }) },
  { entry: 'countParams(options.adapter.targetModules)', arg: 'targetModules', run: (v) => countParams(LLAMA, { adapter: { method: 'lora', r: 8, targetModules: v } as never }) },
  { entry: 'countParams(options.adapter.r)', arg: 'r', run: (v) => countParams(LLAMA, { adapter: { method: 'lora', r: v } as never }) },
  { entry: 'new Activation({ activation })', arg: 'activation', run: (v) => new Activation({ activation: v }) },
  { entry: 'new TransformerBlock({ ffn })', arg: 'ffn', run: (v) => new TransformerBlock({ dim: 4, numHeads: 1, ffn: v }) },
  { entry: 'new MLPClassifier({ hidden })', arg: 'hidden', run: (v) => new MLPClassifier({ inFeatures: 2, numClasses: 2, hidden: v }), nestedOnly: true },
  { entry: 'split(dataset, fractions)', arg: 'fractions', run: (v) => split(spirals({ n: 10 }), v, 0) },
  { entry: "makeDataset('shapes', { shapes })", arg: 'shapes', run: (v) => makeDataset('shapes', { shapes: [v] }) },
  // moe
  { entry: 'routerEntry(name)', arg: 'router', run: (v) => routerEntry(v) },
  { entry: 'resolveMoEConfig(config)', arg: 'config', run: (v) => resolveMoEConfig(v) },
  { entry: 'resolveMoEConfig({ router })', arg: 'router', run: (v) => resolveMoEConfig({ dim: 4, router: v }) },
  { entry: 'resolveMoEConfig({ name })', arg: 'name', run: (v) => resolveMoEConfig({ dim: 4, name: v }) },
  { entry: 'resolveMoEConfig({ capacityFactor })', arg: 'capacityFactor', run: (v) => resolveMoEConfig({ dim: 4, capacityFactor: v }) },
  { entry: 'resolveMoEConfig({ routerConfig })', arg: 'config', run: (v) => resolveMoEConfig({ dim: 4, routerConfig: v }) },
  // nas
  { entry: 'searchMethod(name)', arg: 'method', run: (v) => searchMethod(v) },
  { entry: "createCellSearch('darts', config)", arg: 'config', run: (v) => createCellSearch('darts', { space: 'vector' }, noLoss as never, v) },
  { entry: "createCellSearch('darts', { order })", arg: 'order', run: (v) => createCellSearch('darts', { space: 'vector' }, noLoss as never, { order: v }) },
  { entry: 'opEntry(name)', arg: 'op', run: (v) => opEntry(v, 'vector') },
  { entry: 'opEntry(name, space)', arg: 'space', run: (v) => opEntry('none', v) },
  { entry: 'checkOps(ops)', arg: 'op', run: (v) => checkOps('test', v, 'vector') },
  { entry: 'resolveSpace({ ops })', arg: 'op', run: (v) => resolveSpace({ space: 'vector', ops: v }) },
  { entry: 'resolveSpace({ space })', arg: 'space', run: (v) => resolveSpace({ space: v }) },
  { entry: 'resolveSpace({ steps })', arg: 'steps', run: (v) => resolveSpace({ steps: v }) },
  { entry: 'resolveEntangledSpace({ kind })', arg: 'kind', run: (v) => resolveEntangledSpace({ kind: v }) },
  { entry: 'resolveEntangledSpace({ depthChoices })', arg: 'depthChoices', run: (v) => resolveEntangledSpace({ depthChoices: v }) },
  { entry: 'resolveEntangledSpace({ activationChoices })', arg: 'activationChoices', run: (v) => resolveEntangledSpace({ activationChoices: v }) },
  { entry: 'validateSubnet(subnet)', arg: 'subnet', run: (v) => validateSubnet(ENTANGLED, v) },
  { entry: 'validateSubnet({ widths })', arg: 'widths', run: (v) => validateSubnet(ENTANGLED, { depth: 1, widths: v } as never) },
  { entry: 'validateGenotype(genotype)', arg: 'genotype', run: (v) => validateGenotype(v, VECTOR_SPACE) },
  { entry: 'validateGenotype({ normal })', arg: 'normal', run: (v) => validateGenotype({ normal: [v, v, v, v], normal_concat: [2], reduce: [], reduce_concat: [] }, VECTOR_SPACE) },
  { entry: 'validateGenotype({ normal_concat })', arg: 'normal_concat', run: (v) => validateGenotype({ normal: [['linear', 0], ['linear', 1], ['linear', 0], ['linear', 1]], normal_concat: [v], reduce: [], reduce_concat: [] }, VECTOR_SPACE) },
  // sharing
  { entry: 'adapterMethod(name)', arg: 'method', run: (v) => adapterMethod(v) },
  { entry: 'resolveAdapterConfig({ method })', arg: 'method', run: (v) => resolveAdapterConfig({ method: v, targets: ['fc1'] }) },
  { entry: 'resolveAdapterConfig({ targets })', arg: 'targets', run: (v) => injectAdapter(new Tiny(new Rng(0)), 'a', { method: 'lora', targets: v }) },
  { entry: 'resolveAdapterConfig({ r })', arg: 'r', run: (v) => resolveAdapterConfig({ method: 'lora', targets: ['fc1'], r: v } as never) },
  { entry: 'resolveAdapterConfig({ rankPattern })', arg: 'rankPattern', run: (v) => resolveAdapterConfig({ method: 'lora', targets: ['fc1'], rankPattern: v } as never) },
  { entry: 'injectAdapter(model, name)', arg: 'adapter name', run: (v) => injectAdapter(new Tiny(new Rng(0)), v, { method: 'lora', targets: ['fc1'] }) },
  { entry: 'combineAdapters({ method })', arg: 'method', run: (v) => combineAdapters(new Tiny(new Rng(0)), ['x'], [1], 'y', { method: v }) },
  { entry: 'addWeightedAdapter({ combinationType })', arg: 'combinationType', run: (v) => addWeightedAdapter(new Tiny(new Rng(0)), ['x'], [1], 'y', { combinationType: v as never }) },
  { entry: 'combineAdapters(weights)', arg: 'weights', run: (v) => combineAdapters(new Tiny(new Rng(0)), ['x'], v, 'y') },
  { entry: 'combineAdapters({ majoritySign })', arg: 'majoritySign', run: (v) => combineAdapters(new Tiny(new Rng(0)), ['x'], [1], 'y', { method: 'ties-merging', majoritySign: v }) },
  { entry: 'new HashedLinear({ method })', arg: 'method', run: (v) => new HashedLinear({ inFeatures: 2, outFeatures: 2, method: v }) },
  { entry: 'new HashedLinear({ inFeatures })', arg: 'inFeatures', run: (v) => new HashedLinear({ inFeatures: v, outFeatures: 2 }) },
  { entry: 'new HashedMLPClassifier({ scope })', arg: 'scope', run: (v) => new HashedMLPClassifier({ inFeatures: 2, numClasses: 2, scope: v }) },
  { entry: 'new HashedMLPClassifier({ hidden })', arg: 'hidden', run: (v) => new HashedMLPClassifier({ inFeatures: 2, numClasses: 2, hidden: v }), nestedOnly: true },
  { entry: 'new SharedMLPClassifier({ hidden })', arg: 'hidden', run: (v) => new SharedMLPClassifier({ inFeatures: 2, numClasses: 2, hidden: v }), nestedOnly: true },
  { entry: 'new MixtureOfRecursions({ routing })', arg: 'routing', run: (v) => new MixtureOfRecursions(block(), { dim: 4, routing: v }) },
  { entry: 'new MixtureOfRecursions({ capacity })', arg: 'capacity', run: (v) => new MixtureOfRecursions(block(), { dim: 4, capacity: v }) },
  { entry: 'new RecurrentBlock({ halting })', arg: 'halting', run: (v) => new RecurrentBlock(block(), { dim: 4, halting: v }) },
  { entry: 'new RecurrentBlock({ dim })', arg: 'dim', run: (v) => new RecurrentBlock(block(), { dim: v }) },
  { entry: 'placeBlocks(slots)', arg: 'slot', run: (v) => placeBlocks(v, [1]) },
];

/** Longest message allowed: the value is a few dozen characters of it, the rest is the sentence. */
const MAX_MESSAGE = 2000;

const INPUTS = rows.reduce((n, r) => n + (r.nestedOnly ? 2 : VALUES.length), 0);

describe(`deeply nested and huge values: ${VALUES.length} values × ${rows.length} entry points = ${INPUTS} inputs, each refused with a bounded Weft error`, () => {
  for (const row of rows) {
    it(row.entry, async () => {
      const failures: string[] = [];
      for (const [what, value] of row.nestedOnly ? VALUES.slice(0, 2) : VALUES) {
        try {
          await row.run(value as never);
          failures.push(`${what}: accepted`);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          if (!(e instanceof Error) || e instanceof RangeError || e instanceof TypeError) failures.push(`${what}: ${(e as Error).name}: ${message.slice(0, 200)}`);
          else if (message.length > MAX_MESSAGE) failures.push(`${what}: a message of ${message.length} characters`);
          else if (!message.includes(row.arg) && !(row.arg === 'config' && message.includes("unknown option 'a'"))) failures.push(`${what}: the message does not name ${row.arg}: ${message}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});

// Not covered: a model config's list of layer widths is not bounded in length (a million hidden
// widths builds a million layers); configs of the pages' URLs are bounded by their schemas.
