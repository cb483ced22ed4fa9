// Every name of Object.prototype (constructor, __proto__, toString, hasOwnProperty, valueOf, …) fed
// to every registry lookup and parser of untrusted names: registries (datasets, sharing plans,
// adapter methods and counts, routers, search methods, NAS ops), the PEFT loader, the calculator,
// safetensors, genotypes, activations, optimizers, backends and the demo pages' URL state. Each
// must be refused with a Weft error that names the argument and the value: not a TypeError from
// reaching an inherited function, not silently accepted, not a hang. Config-key rows are derived
// from the registries (every dataset, plan, router, adapter method, search method, URL schema).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  Activation, DATASETS, Linear, MLP, PRESETS, Rng, SHARING_PLANS, TransformerBlock, activationFn, adapterCount, adapterCountNames, countParams,
  countParamsFromJson, initBackend, loadStateDict, makeDataset, makeOptimizer, parseSafetensors, planSlots, safetensorsDtypeSize, serializeSafetensors,
  type SafetensorsDtype,
} from '@weft/core';
import { EXPERT_KINDS, resolveMoEConfig, resolveRouterConfig, routerEntry, routerNames } from '@weft/moe';
import {
  DiscreteNetwork, createCellSearch, createEntangledSearch, createOp, fromDartsString, isParametric, opEntry, randomGenotype, resolveEntangledSpace,
  resolveSpace, searchMethod, searchMethodNames, validateGenotype,
} from '@weft/nas';
import {
  HashedLinear, adapterMethod, adapterMethodNames, addWeightedAdapter, combineAdapters, injectAdapter, loadPeftAdapter, peftToWeftConfig, resolveAdapterConfig,
  setActiveAdapters,
} from '@weft/sharing';
import { parseUrlState, type UrlSchema } from '../demos/src/url-state.js';
import { ADAPTERS_SCHEMA, methodInfo } from '../demos/src/pages/adapters-state.js';
import { COMPARE_SCHEMA } from '../demos/src/pages/compare-state.js';
import { MOE_SCHEMA } from '../demos/src/pages/moe-state.js';
import { NAS_SCHEMA } from '../demos/src/pages/nas-state.js';
import { PARAMS_SCHEMA, planOfChoice } from '../demos/src/pages/params-state.js';
import { SHARING_SCHEMA } from '../demos/src/pages/sharing-state.js';
import { TRAIN_SCHEMA } from '../demos/src/pages/train-state.js';
import { Tiny } from '../packages/sharing/test/adapters-helpers.js';

/** Every own name of Object.prototype (12 in Node 20). */
const NAMES = Object.getOwnPropertyNames(Object.prototype);

/** `{ [key]: value }` with `key` an own property even when it is "__proto__" (as JSON.parse makes it). */
const own = (key: string, value: unknown, rest: Record<string, unknown> = {}): Record<string, unknown> =>
  Object.assign(JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>, rest);

/** A minimal safetensors file with one tensor of `dtype` (a raw header, so any dtype string can be written). */
function fileWithDtype(dtype: string): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ t: { dtype, shape: [1], data_offsets: [0, 4] } }));
  const out = new Uint8Array(8 + header.length + 4);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

const LLAMA = PRESETS['Llama-2-7b'].config as unknown as Record<string, unknown>;
const { model_type: _mt, ...LLAMA_NO_TYPE } = LLAMA;
const VECTOR_SPACE = resolveSpace({ space: 'vector' });
const CONV_SPACE = resolveSpace({ space: 'conv' });
const PEFT_LORA = { peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['fc1', 'fc2'] };
const noLoss = () => tf.scalar(0);

/** One entry point: how it is given a name, which argument the message must name, and the value it must show. */
interface Row {
  /** The entry point and how the name reaches it. */
  entry: string;
  /** What the error must name (the argument, option or parameter). */
  arg: string | ((name: string) => string);
  /** Feed `name`; a throw is the refusal. Rows with `problem` return the URL problems instead. */
  run: (name: string) => unknown;
  /** The value the message must show. Default: the name itself. */
  shows?: (name: string) => string;
  /** URL state: the refusal is a problem for this parameter in the returned list (pages never throw). */
  problem?: string | ((name: string) => string);
}

const rows: Row[] = [
  // core: registries and names.
  { entry: 'makeDataset(name)', arg: 'name', run: (n) => makeDataset(n) },
  { entry: 'planSlots(name)', arg: 'plan name', run: (n) => planSlots(n, 4) },
  { entry: 'planSlots({ name })', arg: 'plan name', run: (n) => planSlots({ name: n }, 4) },
  { entry: 'adapterCount(name)', arg: 'method', run: (n) => adapterCount(n) },
  { entry: 'activationFn(name)', arg: 'activation', run: (n) => activationFn(n as never) },
  { entry: 'new Activation({ activation })', arg: 'activation', run: (n) => new Activation({ activation: n as never }) },
  { entry: 'new MLP({ activation })', arg: 'activation', run: (n) => new MLP({ dim: 2, activation: n as never }) },
  { entry: 'new TransformerBlock({ norm })', arg: 'norm', run: (n) => new TransformerBlock({ dim: 4, numHeads: 1, norm: n as never }) },
  { entry: 'safetensorsDtypeSize(dtype)', arg: 'dtype', run: (n) => safetensorsDtypeSize(n as SafetensorsDtype) },
  { entry: 'parseSafetensors: a tensor dtype', arg: 'dtype', run: (n) => parseSafetensors(fileWithDtype(n)) },
  { entry: 'serializeSafetensors: a tensor dtype', arg: 'dtype', run: (n) => serializeSafetensors({ t: { dtype: n as SafetensorsDtype, shape: [1], data: [0] } }) },
  { entry: 'makeOptimizer({ name })', arg: 'name', run: (n) => makeOptimizer({ name: n as never, learningRate: 0.1 }) },
  { entry: 'initBackend({ prefer: [name] })', arg: 'prefer', run: (n) => initBackend({ prefer: [n as never] }) },
  {
    entry: 'loadStateDict: a tensor name',
    arg: 'unexpected',
    run: (n) => {
      const m = new Linear({ inFeatures: 1, outFeatures: 1 }, new Rng(0));
      return loadStateDict(m, own(n, null, { weight: tf.zeros([1, 1]), bias: tf.zeros([1]) }) as never);
    },
    shows: (n) => n,
  },
  // core: the calculator.
  { entry: 'countParams({ model_type })', arg: 'model_type', run: (n) => countParams({ ...LLAMA, model_type: n } as never) },
  { entry: 'countParamsFromJson: model_type', arg: 'model_type', run: (n) => countParamsFromJson(JSON.stringify({ ...LLAMA, model_type: n })) },
  {
    entry: 'countParams({ architectures: [`${name}ForCausalLM`] })',
    arg: 'architectures[0]',
    run: (n) => countParams({ ...LLAMA_NO_TYPE, architectures: [`${n}ForCausalLM`] } as never),
    shows: (n) => `${n}ForCausalLM`,
  },
  { entry: 'countParams({ architectures: [name] })', arg: 'architectures[0]', run: (n) => countParams({ ...LLAMA_NO_TYPE, architectures: [n] } as never) },
  { entry: 'countParams(options.head)', arg: 'head', run: (n) => countParams(LLAMA as never, { head: n as never }) },
  { entry: 'countParams(options.sharing)', arg: 'plan name', run: (n) => countParams(LLAMA as never, { sharing: n }) },
  { entry: 'countParams(options.adapter.method)', arg: 'method', run: (n) => countParams(LLAMA as never, { adapter: { method: n } as never }) },
  { entry: 'countParams(options) key', arg: 'option', run: (n) => countParams(LLAMA as never, own(n, 1) as never) },
  // moe
  { entry: 'routerEntry(name)', arg: 'router', run: (n) => routerEntry(n) },
  { entry: 'resolveRouterConfig(name)', arg: 'router', run: (n) => resolveRouterConfig(n, {}) },
  { entry: 'resolveMoEConfig({ router })', arg: 'router', run: (n) => resolveMoEConfig({ dim: 4, router: n }) },
  { entry: 'resolveMoEConfig({ expert })', arg: 'expert', run: (n) => resolveMoEConfig({ dim: 4, expert: n as never }) },
  { entry: 'resolveMoEConfig({ dropPolicy })', arg: 'dropPolicy', run: (n) => resolveMoEConfig({ dim: 4, dropPolicy: n as never }) },
  { entry: 'resolveMoEConfig({ loadBalance })', arg: 'loadBalance', run: (n) => resolveMoEConfig({ dim: 4, loadBalance: n as never }) },
  { entry: 'resolveMoEConfig({ dispatch })', arg: 'dispatch', run: (n) => resolveMoEConfig({ dim: 4, dispatch: n as never }) },
  { entry: 'resolveMoEConfig key', arg: 'option', run: (n) => resolveMoEConfig(own(n, 1, { dim: 4 }) as never) },
  // nas
  { entry: 'searchMethod(name)', arg: 'method', run: (n) => searchMethod(n) },
  { entry: 'createCellSearch(name)', arg: 'method', run: (n) => createCellSearch(n, { space: 'vector' }, noLoss as never) },
  { entry: 'createEntangledSearch(name)', arg: 'method', run: (n) => createEntangledSearch(n, {}, noLoss as never) },
  { entry: 'opEntry(name, "conv")', arg: 'op', run: (n) => opEntry(n, 'conv') },
  { entry: 'opEntry(name, "vector")', arg: 'op', run: (n) => opEntry(n, 'vector') },
  { entry: 'opEntry("none", space)', arg: 'space', run: (n) => opEntry('none', n as never) },
  { entry: 'createOp(name)', arg: 'op', run: (n) => createOp(n, 'vector', 4, 1, new Rng(0)) },
  { entry: 'isParametric(name)', arg: 'op', run: (n) => isParametric(n, 'conv') },
  { entry: 'resolveSpace({ ops: [name] })', arg: 'op', run: (n) => resolveSpace({ space: 'vector', ops: [n] }) },
  { entry: 'resolveSpace({ space })', arg: 'space', run: (n) => resolveSpace({ space: n as never }) },
  { entry: 'resolveSpace key', arg: 'option', run: (n) => resolveSpace(own(n, 1) as never) },
  { entry: 'resolveEntangledSpace({ kind })', arg: 'kind', run: (n) => resolveEntangledSpace({ kind: n as never }) },
  { entry: 'resolveEntangledSpace({ activationChoices })', arg: 'activationChoices', run: (n) => resolveEntangledSpace({ activationChoices: [n as never] }) },
  {
    entry: 'validateGenotype: an op name',
    arg: 'op',
    run: (n) => {
      const g = randomGenotype(VECTOR_SPACE, new Rng(0));
      g.normal[0] = [n, 0];
      validateGenotype(g, VECTOR_SPACE);
    },
  },
  {
    entry: 'validateGenotype: a conv reduce op',
    arg: 'op',
    run: (n) => {
      const g = randomGenotype(CONV_SPACE, new Rng(0));
      g.reduce[1] = [n, 1];
      validateGenotype(g, CONV_SPACE);
    },
  },
  { entry: 'validateGenotype key', arg: 'option', run: (n) => validateGenotype(own(n, [], randomGenotype(VECTOR_SPACE, new Rng(0)) as never), VECTOR_SPACE) },
  {
    entry: 'fromDartsString → DiscreteNetwork',
    arg: 'op',
    run: (n) => new DiscreteNetwork(fromDartsString(`Genotype(normal=[('${n}', 0), ('linear', 1), ('linear', 0), ('linear', 2)], normal_concat=range(2, 4), reduce=[], reduce_concat=[])`), { space: 'vector' }),
  },
  // sharing
  { entry: 'adapterMethod(name)', arg: 'method', run: (n) => adapterMethod(n) },
  { entry: 'resolveAdapterConfig({ method })', arg: 'method', run: (n) => resolveAdapterConfig({ method: n, targets: ['fc1'] }) },
  { entry: 'injectAdapter({ method })', arg: 'method', run: (n) => injectAdapter(new Tiny(new Rng(0)), 'a', { method: n, targets: ['fc1'] }) },
  { entry: 'setActiveAdapters(name)', arg: 'adapter', run: (n) => setActiveAdapters(new Tiny(new Rng(0)), n) },
  { entry: 'combineAdapters({ method })', arg: 'method', run: (n) => combineAdapters(new Tiny(new Rng(0)), ['x'], [1], 'y', { method: n }) },
  { entry: 'addWeightedAdapter({ combinationType })', arg: 'combinationType', run: (n) => addWeightedAdapter(new Tiny(new Rng(0)), ['x'], [1], 'y', { combinationType: n as never }) },
  { entry: 'new HashedLinear({ method })', arg: 'method', run: (n) => new HashedLinear({ inFeatures: 2, outFeatures: 2, method: n as never }) },
  { entry: 'peftToWeftConfig({ peft_type })', arg: 'peft_type', run: (n) => peftToWeftConfig({ ...PEFT_LORA, peft_type: n }) },
  { entry: 'peftToWeftConfig: an option name', arg: 'option', run: (n) => peftToWeftConfig(own(n, 1, PEFT_LORA)) },
  { entry: 'peftToWeftConfig({ bias })', arg: 'bias', run: (n) => peftToWeftConfig({ ...PEFT_LORA, bias: n }) },
  {
    entry: 'loadPeftAdapter: adapter_config.json text with peft_type',
    arg: 'peft_type',
    run: (n) => loadPeftAdapter(new Tiny(new Rng(0)), { config: JSON.stringify({ ...PEFT_LORA, peft_type: n }), safetensors: serializeSafetensors({}) }),
  },
  {
    entry: 'loadPeftAdapter: adapter_config.json option name',
    arg: 'option',
    run: (n) => loadPeftAdapter(new Tiny(new Rng(0)), { config: `{${JSON.stringify(n)}: 1, ${JSON.stringify(PEFT_LORA).slice(1)}`, safetensors: serializeSafetensors({}) }),
  },
  {
    entry: 'loadPeftAdapter: a tensor name',
    arg: 'tensor',
    run: (n) => loadPeftAdapter(new Tiny(new Rng(0)), { config: JSON.stringify(PEFT_LORA), safetensors: serializeSafetensors({ [`base_model.model.fc1.${n}`]: { shape: [1], data: [0] } }) }),
  },
  // demos
  { entry: 'planOfChoice(name) (params page)', arg: 'sharing', run: (n) => planOfChoice(n) },
  { entry: 'methodInfo(name) (adapters page)', arg: 'method', run: (n) => methodInfo(n) },
];

// Derived from the registries: every entry's config refuses a key named after Object.prototype.
for (const name of Object.keys(DATASETS)) rows.push({ entry: `makeDataset('${name}', config key)`, arg: 'option', run: (n) => makeDataset(name, own(n, 1)) });
for (const name of Object.keys(SHARING_PLANS)) rows.push({ entry: `planSlots({ name: '${name}' } key)`, arg: 'option', run: (n) => planSlots(own(n, 1, { name }) as never, 4) });
for (const name of routerNames()) rows.push({ entry: `resolveRouterConfig('${name}', key)`, arg: 'option', run: (n) => resolveRouterConfig(name, own(n, 1)) });
for (const name of adapterMethodNames()) {
  rows.push({ entry: `resolveAdapterConfig({ method: '${name}' } key)`, arg: 'option', run: (n) => resolveAdapterConfig(own(n, 1, { method: name, targets: ['fc1'] }) as never) });
}
for (const name of adapterCountNames()) {
  rows.push({ entry: `countParams(adapter '${name}' key)`, arg: 'option', run: (n) => countParams(LLAMA as never, { adapter: own(n, 1, { method: name }) as never }) });
}
for (const name of searchMethodNames()) {
  const create = searchMethod(name).family === 'cell' ? (c: Record<string, unknown>) => createCellSearch(name, { space: 'vector' }, noLoss as never, c) : (c: Record<string, unknown>) => createEntangledSearch(name, {}, noLoss as never, c);
  rows.push({ entry: `create*Search('${name}', key)`, arg: 'option', run: (n) => create(own(n, 1)) });
}
for (const kind of EXPERT_KINDS) rows.push({ entry: `resolveMoEConfig({ expert: '${kind}', routerConfig key })`, arg: 'option', run: (n) => resolveMoEConfig({ dim: 4, expert: kind, routerConfig: own(n, 1) }) });
const SCHEMAS: Record<string, UrlSchema> = {
  adapters: ADAPTERS_SCHEMA, compare: COMPARE_SCHEMA, moe: MOE_SCHEMA, nas: NAS_SCHEMA, params: PARAMS_SCHEMA, sharing: SHARING_SCHEMA, train: TRAIN_SCHEMA,
};
for (const [page, schema] of Object.entries(SCHEMAS)) {
  const parse = (query: string) => parseUrlState(schema, query).problems;
  rows.push({ entry: `${page}.html ?<name>=1`, arg: (n) => n, problem: (n) => n, run: (n) => parse(`?${encodeURIComponent(n)}=1`) });
  for (const param of Object.keys(schema)) rows.push({ entry: `${page}.html ?${param}=<name>`, arg: param, problem: param, run: (n) => parse(`?${param}=${encodeURIComponent(n)}`) });
}

const resolve = <T>(f: T | ((n: string) => T), n: string): T => (typeof f === 'function' ? (f as (n: string) => T)(n) : f);

/** What happened to one input: 'refused' or what went wrong. */
async function attempt(row: Row, name: string): Promise<string> {
  const shows = row.shows?.(name) ?? name;
  const arg = resolve(row.arg, name);
  let result: unknown;
  try {
    result = await row.run(name);
  } catch (e) {
    if (!(e instanceof Error)) return `threw a non-Error ${String(e)}`;
    if (e.constructor !== Error && e.name !== 'SafetensorsError' && e.name !== 'CalculatorError') return `${e.name}: ${e.message}`;
    if (!e.message.includes(shows)) return `message does not show the value "${shows}": ${e.message}`;
    if (!e.message.includes(arg)) return `message does not name "${arg}": ${e.message}`;
    return 'refused';
  }
  if (row.problem === undefined) return 'accepted silently';
  const param = resolve(row.problem, name);
  const problems = result as { param: string; value: string; message: string }[];
  const p = problems.find((q) => q.param === param);
  if (!p) return `no URL problem for ${param}: ${JSON.stringify(problems)}`;
  if (!p.message.includes(shows) || !p.message.includes(arg)) return `URL problem does not name "${arg}" and "${shows}": ${p.message}`;
  return 'refused';
}

describe(`Object.prototype names: ${NAMES.length} names × ${rows.length} entry points = ${NAMES.length * rows.length} inputs, each refused with a Weft error naming the argument and the value`, () => {
  it('the names are the ones Object.prototype has', () => {
    expect(NAMES).toEqual(expect.arrayContaining(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString']));
  });
  for (const row of rows) {
    it(row.entry, async () => {
      const failures: string[] = [];
      for (const name of NAMES) {
        const outcome = await attempt(row, name);
        if (outcome !== 'refused') failures.push(`${name}: ${outcome}`);
      }
      expect(failures).toEqual([]);
      // Nothing was written onto Object.prototype on the way.
      expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(NAMES);
    });
  }
});
