// The registry of NAS candidate ops: one entry object per op carries everything a search needs —
// the spaces it is a candidate in, whether it has parameters, and its forms: `create` builds it
// as its own module (every conv op), `stacked` writes a vector op as Linear slots (vector-ops.ts)
// from which both its own module and its share of a mixed edge's stacked weights are made. A
// vector op with only `create` runs as its own module inside a mixed edge. A new op is its
// module (or stacked form) plus one `registerOp` line; DARTS' primitives (conv-ops.ts, DARTS:
// Differentiable Architecture Search, arXiv 1806.09055) and the vector ops are registered below.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys, nearestName, type Module, type Rng, describeValue } from '@weft/core';
import { DilConv, FactorizedReduce, Identity, Pool3x3, SepConv, Zero } from './conv-ops.js';
import { ACTIVATIONS, VectorOp, type ActivationName, type StackedForm } from './vector-ops.js';

/** The two op spaces: `conv` ops map NHWC (B, H, W, C) maps, `vector` ops map (..., C) features. */
export type OpSpace = 'conv' | 'vector';
const SPACES: readonly OpSpace[] = ['conv', 'vector'];

/** Builds one candidate op for `channels` channels (conv ops: with `stride` 1 or 2; vector ops get 1). */
export type OpFactory = (channels: number, stride: number, rng: Rng) => Module;

/** One candidate op. Give `create`, `stacked` (vector ops) or both. */
export interface OpEntry {
  /** The op's name in op lists, α order and genotypes. */
  name: string;
  /** The spaces it is a candidate in. */
  spaces: readonly OpSpace[];
  /** Whether it has parameters (DropNAS groups ops by this). Default: whether `stacked` has slots; required without `stacked`. */
  parametric?: boolean;
  /** Builds the op as its own module. Required in the conv space. Default (vector): a {@link VectorOp} of `stacked`. */
  create?: OpFactory;
  /** Vector ops: the op as Linear slots, so a mixed edge runs it in one batched matmul with the others. */
  stacked?: StackedForm;
}

const ENTRY_KEYS = ['name', 'spaces', 'parametric', 'create', 'stacked'] as const;
const REGISTRY = new Map<string, OpEntry>();

/** Register a candidate op (its name must be new). */
export function registerOp(entry: OpEntry): void {
  const where = `registerOp(${JSON.stringify(entry?.name)})`;
  checkKnownKeys(where, entry, ENTRY_KEYS);
  if (typeof entry.name !== 'string' || entry.name === '') throw new Error(`registerOp: name=${describeValue(entry.name)} must be a non-empty string`);
  if (REGISTRY.has(entry.name)) throw new Error(`${where}: op "${entry.name}" is already registered`);
  if (!Array.isArray(entry.spaces) || entry.spaces.length === 0 || entry.spaces.some((s) => !SPACES.includes(s))) {
    throw new Error(`${where}: spaces=${describeValue(entry.spaces)} must list some of ${SPACES.join(', ')}`);
  }
  if (!entry.create && !entry.stacked) throw new Error(`${where}: give create (the op as a module) or stacked (a vector op as Linear slots)`);
  if (entry.spaces.includes('conv') && !entry.create) throw new Error(`${where}: a conv-space op needs create (stacked forms are vector-only)`);
  if (entry.stacked && entry.parametric !== undefined && entry.parametric !== entry.stacked.slots.length > 0) {
    throw new Error(`${where}: parametric=${entry.parametric} contradicts its stacked form (${entry.stacked.slots.length} slots)`);
  }
  if (!entry.stacked && typeof entry.parametric !== 'boolean') throw new Error(`${where}: parametric=${describeValue(entry.parametric)} must be true or false (an op without a stacked form declares it)`);
  REGISTRY.set(entry.name, entry);
}

/** The registered op names of a space, in registration order. */
export function opNames(space: OpSpace): string[] {
  return [...REGISTRY.values()].filter((e) => e.spaces.includes(space)).map((e) => e.name);
}

/** The entry of op `name` in `space` (throws naming the allowed ops when it is not registered there). */
export function opEntry(name: string, space: OpSpace, where = 'op'): OpEntry {
  const e = REGISTRY.get(name);
  if (!SPACES.includes(space)) throw new Error(`${where}: space=${describeValue(space)}; allowed: ${SPACES.join(', ')}`);
  if (!e || !e.spaces.includes(space)) {
    const near = typeof name === 'string' ? nearestName(name, opNames(space)) : undefined;
    throw new Error(`${where}: unknown op ${describeValue(name)} in the ${space} space${near ? `; did you mean "${near}"?` : ''} (allowed: ${opNames(space).join(', ')})`);
  }
  return e;
}

/** Whether op `name` of `space` has parameters (false for none, skip, pools, activations). */
export function isParametric(name: string, space: OpSpace): boolean {
  const e = opEntry(name, space, 'isParametric');
  return e.parametric ?? (e.stacked?.slots.length ?? 0) > 0;
}

/** Check a list of op names: non-empty, no duplicates, all of `space`. */
export function checkOps(where: string, ops: readonly string[], space: OpSpace): void {
  if (!Array.isArray(ops) || ops.length === 0) throw new Error(`${where}: ops=${describeValue(ops)} is empty; give at least one of ${opNames(space).join(', ')}`);
  const seen = new Set<string>();
  for (const o of ops) {
    opEntry(o, space, where);
    if (seen.has(o)) throw new Error(`${where}: ops lists "${o}" twice`);
    seen.add(o);
  }
}

/** Build op `name` of `space` as its own module. */
export function createOp(name: string, space: OpSpace, channels: number, stride: number, rng: Rng): Module {
  const e = opEntry(name, space, 'createOp');
  return e.create ? e.create(channels, stride, rng) : new VectorOp(e.stacked!, channels, rng);
}

/** The zero op's name in both spaces: never computed in a mixed edge, and excluded from genotypes. */
export const NONE = 'none';

// Zero and identity serve both spaces (vector ops always get stride 1).
const zero: StackedForm = { slots: [], output: (read) => tf.zerosLike(read('identity')) };
const identity: StackedForm = { slots: [], output: (read) => read('identity') };
/** act → Linear C→C. */
const actLinear = (input: 'identity' | ActivationName): StackedForm => ({ slots: [{ name: 'fc', input }], output: (_read, [y]) => y! });

// The DARTS primitives, in DARTS' PRIMITIVES order (genotypes.py), then the vector ops.
registerOp({ name: NONE, spaces: ['conv', 'vector'], create: (_c, s) => new Zero(s), stacked: zero });
registerOp({ name: 'max_pool_3x3', spaces: ['conv'], parametric: false, create: (_c, s) => new Pool3x3('max', s) });
registerOp({ name: 'avg_pool_3x3', spaces: ['conv'], parametric: false, create: (_c, s) => new Pool3x3('avg', s) });
registerOp({ name: 'skip_connect', spaces: ['conv', 'vector'], create: (c, s, rng) => (s === 1 ? new Identity() : new FactorizedReduce(c, c, rng)), stacked: identity });
registerOp({ name: 'sep_conv_3x3', spaces: ['conv'], parametric: true, create: (c, s, rng) => new SepConv(c, 3, s, rng) });
registerOp({ name: 'sep_conv_5x5', spaces: ['conv'], parametric: true, create: (c, s, rng) => new SepConv(c, 5, s, rng) });
registerOp({ name: 'dil_conv_3x3', spaces: ['conv'], parametric: true, create: (c, s, rng) => new DilConv(c, c, 3, s, 2, 2, rng) });
registerOp({ name: 'dil_conv_5x5', spaces: ['conv'], parametric: true, create: (c, s, rng) => new DilConv(c, c, 5, s, 4, 2, rng) });
registerOp({ name: 'linear', spaces: ['vector'], stacked: actLinear('identity') });
// Gated linear unit: (x W + b) ⊙ σ(x V + c) (Dauphin et al.'s GLU).
registerOp({
  name: 'gated_linear',
  spaces: ['vector'],
  stacked: { slots: [{ name: 'value', input: 'identity' }, { name: 'gate', input: 'identity' }], output: (_read, [v, g]) => tf.mul(v!, tf.sigmoid(g!)) },
});
registerOp({ name: 'relu_linear', spaces: ['vector'], stacked: actLinear('relu') });
registerOp({ name: 'tanh_linear', spaces: ['vector'], stacked: actLinear('tanh') });
registerOp({ name: 'sigmoid_linear', spaces: ['vector'], stacked: actLinear('sigmoid') });
// Parameter-free activations: each activation is the op of the same name.
for (const a of Object.keys(ACTIVATIONS) as ActivationName[]) registerOp({ name: a, spaces: ['vector'], stacked: { slots: [], output: (read) => read(a) } });

/** The DARTS primitives (conv space), in DARTS' order. */
export const DARTS_PRIMITIVES = opNames('conv');
/** The vector-space primitives Weft ships (ops registered later are not in this list). */
export const VECTOR_PRIMITIVES = opNames('vector');
