// Injecting adapters into a Weft Module by target pattern, and the model-level operations PEFT
// users expect: several named adapters, set active, disable (= base exactly), delete, merge /
// unmerge, merge-and-unload. Injection is planned first (every adapter created and checked) and
// committed only when nothing failed, so a bad config or file leaves the model unchanged.
import { Conv2d, Embedding, Linear, Module, checkKnownKeys, configKeys, defaultRng, type Rng, describeValue } from '@weft/core';
import type { AdapterLayer } from './adapter-layer.js';
import { AdaptedLayer, checkAdapterName } from './adapted-layer.js';
import type { BaseOp } from './base-op.js';
import { conv2dBaseOp } from './conv2d-base.js';
import { modulesToSaveWrappers, setActiveModulesToSave, unwrapModulesToSave } from './modules-to-save.js';
import { adapterMethod, resolveAdapterConfig, type AnyAdapterConfig } from './registry.js';
import { replaceChild, targetMatcher } from './tree.js';

type AnyModule = Module<any, any>;

/** The base op of a Weft Linear. */
export function linearBaseOp(linear: Linear): BaseOp {
  return { kind: 'linear', weight: linear.weight, bias: linear.bias, inFeatures: linear.config.inFeatures, outFeatures: linear.config.outFeatures };
}

/** The base op of a Weft Embedding (a lookup: one-hot(ids) · W with W [numEmbeddings, dim]); LoRA adapts it as PEFT's lora_embedding_A/B. */
export function embeddingBaseOp(embedding: Embedding): BaseOp {
  return { kind: 'embedding', weight: embedding.weight, bias: null, inFeatures: embedding.config.numEmbeddings, outFeatures: embedding.config.embeddingDim };
}

/** Options of {@link injectAdapter}. */
export interface InjectOptions {
  /** Seeded randomness for the adapters' initialisation. Default: core's default Rng. */
  rng?: Rng;
  /** Freeze every non-adapter parameter (PEFT's behaviour). Default: true. */
  freezeBase?: boolean;
  /** Activate the new adapter alone (PEFT's set_adapter). Default: true. */
  activate?: boolean;
  /** Map a Weft module path to the name targets are matched against (PEFT interop). Default: identity. */
  rename?: (path: string) => string;
  /** Refuse ranks above the layer's size. Default: true. */
  strictRank?: boolean;
}

/** The keys of {@link InjectOptions} (checked by every injection). */
export const INJECT_OPTIONS = configKeys<InjectOptions>({ rng: true, freezeBase: true, activate: true, rename: true, strictRank: true });

/** A planned injection: adapters created but not attached. */
export interface InjectionPlan {
  /** The new adapters by (Weft) module path. */
  layers: Map<string, AdapterLayer>;
  /** Attach everything (replacing Linears by AdaptedLayers). */
  commit(): void;
  /** Dispose the planned adapters; the model was never touched. */
  abort(): void;
}

/** Every AdaptedLayer of `model` once, with its first path. */
export function adaptedLayers(model: AnyModule): Array<[string, AdaptedLayer]> {
  const seen = new Set<AdaptedLayer>();
  const out: Array<[string, AdaptedLayer]> = [];
  for (const [path, m] of model.namedModules()) {
    if (m instanceof AdaptedLayer && !seen.has(m)) {
      seen.add(m);
      out.push([path, m]);
    }
  }
  return out;
}

/** Names of the adapters on `model`. */
export function adapterNames(model: AnyModule): string[] {
  return [...new Set(adaptedLayers(model).flatMap(([, l]) => l.names()))];
}

function checkModel(fn: string, model: unknown): AnyModule {
  if (!(model instanceof Module)) throw new Error(`${fn}: model must be a Weft Module, got ${describeValue(model)}`);
  return model;
}

/** Plan an injection (see {@link injectAdapter}); used directly by the PEFT loader. */
export function planInjection(model: AnyModule, name: string, config: AnyAdapterConfig, options: InjectOptions = {}): InjectionPlan {
  const fn = 'injectAdapter';
  checkModel(fn, model);
  checkAdapterName(name, fn);
  checkKnownKeys(`${fn}: options`, options, INJECT_OPTIONS);
  if (adapterNames(model).includes(name)) throw new Error(`${fn}: the model already has an adapter "${name}"`);
  const resolved = resolveAdapterConfig(config);
  const method = adapterMethod(resolved.method);
  const match = targetMatcher(resolved.targets, 'targets');
  const exclude = resolved.exclude ? targetMatcher(resolved.exclude, 'exclude') : () => false;
  const rename = options.rename ?? ((p: string) => p);
  const rng = options.rng ?? defaultRng();

  const byPath = new Map(model.namedModules());
  const linears: string[] = [];
  const targets: Array<{ path: string; module: Linear | Embedding | Conv2d | AdaptedLayer; parent: AnyModule; child: string }> = [];
  for (const [path, m] of byPath) {
    if (path === '') continue;
    const dot = path.lastIndexOf('.');
    const parent = byPath.get(dot < 0 ? '' : path.slice(0, dot))!;
    if (parent instanceof AdaptedLayer) continue; // the base inside a wrapper
    // Embeddings are LoRA targets only (PEFT's Embedding LoRA); other methods adapt Linear and Conv2d layers (a method may refuse Conv2d).
    const embedding = m instanceof Embedding || (m instanceof AdaptedLayer && m.base.kind === 'embedding');
    if (!(m instanceof Linear || m instanceof AdaptedLayer || m instanceof Embedding || m instanceof Conv2d) || (embedding && resolved.method !== 'lora')) continue;
    linears.push(path);
    const key = rename(path);
    if (match(key) && !exclude(key)) targets.push({ path, module: m, parent, child: dot < 0 ? path : path.slice(dot + 1) });
  }
  if (targets.length === 0) {
    throw new Error(`${fn}: targets=${describeValue(resolved.targets)} matched no Linear layer; the model's Linear layers are: ${linears.map(rename).join(', ') || 'none'}`);
  }

  const wrappers = new Map<Linear | Embedding | Conv2d | AdaptedLayer, AdaptedLayer>();
  const layers = new Map<string, AdapterLayer>();
  const perWrapper = new Map<AdaptedLayer, AdapterLayer>();
  try {
    for (const t of targets) {
      let wrapper = wrappers.get(t.module);
      if (!wrapper) {
        if (t.module instanceof AdaptedLayer) wrapper = t.module;
        else {
          const base = t.module instanceof Embedding ? embeddingBaseOp(t.module) : t.module instanceof Conv2d ? conv2dBaseOp(t.module, rename(t.path)) : linearBaseOp(t.module);
          wrapper = new AdaptedLayer(t.module, base);
        }
        wrappers.set(t.module, wrapper);
        const layer = method.factory(wrapper.base, resolved, { path: rename(t.path), rng: rng.fork(t.path), strictRank: options.strictRank ?? true });
        layer.resolvedConfig = resolved;
        layers.set(t.path, layer);
        perWrapper.set(wrapper, layer);
      }
    }
  } catch (e) {
    for (const l of layers.values()) l.dispose();
    throw e;
  }

  let done = false;
  return {
    layers,
    abort() {
      if (!done) for (const l of layers.values()) l.dispose();
      done = true;
    },
    commit() {
      if (done) throw new Error(`${fn}: this plan was already committed or aborted`);
      const replaced: Array<() => void> = [];
      try {
        // A module shared by several blocks (a cross-layer plan) is reached at several paths
        // through one parent: it is wrapped once.
        const wrapped = new Map<AnyModule, Set<string>>();
        for (const t of targets) {
          if (t.module instanceof AdaptedLayer) continue;
          const children = wrapped.get(t.parent) ?? new Set<string>();
          if (children.has(t.child)) continue;
          wrapped.set(t.parent, children.add(t.child));
          const w = wrappers.get(t.module)!;
          replaceChild(t.parent, t.child, t.module, w);
          replaced.push(() => replaceChild(t.parent, t.child, w, t.module));
        }
      } catch (e) {
        replaced.reverse().forEach((u) => u());
        for (const l of layers.values()) l.dispose();
        done = true;
        throw e;
      }
      for (const [w, layer] of perWrapper) {
        w.add(name, layer);
        if (!(options.activate ?? true)) layer.freeze();
      }
      done = true;
      if (options.activate ?? true) setActiveAdapters(model, [name], { freezeBase: options.freezeBase ?? true });
    },
  };
}

/**
 * Inject adapter `name` of `config.method` into every Linear (or dense, undilated Conv2d; Embedding
 * for LoRA) of `model` whose path matches `config.targets` (a layer already wrapped gets one more
 * adapter). The base layer is shared by
 * the wrapper, never copied. Returns the adapted paths.
 */
export function injectAdapter(model: AnyModule, name: string, config: AnyAdapterConfig, options: InjectOptions = {}): string[] {
  const plan = planInjection(model, name, config, options);
  plan.commit();
  return [...plan.layers.keys()];
}

function checkNames(fn: string, model: AnyModule, names: string[]): void {
  const known = adapterNames(model);
  for (const n of names) if (!known.includes(n)) throw new Error(`${fn}: no adapter "${n}" (has: ${known.join(', ') || 'none'})`);
}

/**
 * Make `names` the active adapters, applied in that order (PEFT's set_adapter). Only their
 * parameters train; with `freezeBase` every other parameter is frozen. Merged adapters are unmerged first.
 */
export function setActiveAdapters(model: AnyModule, names: string | string[], options: { freezeBase?: boolean } = {}): void {
  const list = typeof names === 'string' ? [names] : names;
  checkModel('setActiveAdapters', model);
  checkKnownKeys('setActiveAdapters: options', options, ['freezeBase']);
  checkNames('setActiveAdapters', model, list);
  if (options.freezeBase ?? true) model.freeze();
  for (const [, l] of adaptedLayers(model)) {
    l.unmergeAll();
    l.active = list.filter((n) => l.has(n));
    for (const n of l.names()) l.adapter(n).freeze(!l.active.includes(n));
  }
  setActiveModulesToSave(model, list);
}

/**
 * Run `fn` (forwards of `model`) with example n of each batch using adapter `names[n]` on every
 * adapted layer, whatever is active: PEFT's `adapter_names` (mixed-adapter batches). "__base__"
 * means no adapter. Each method's adapters run in one mixed-batch pass (element-wise for RoAd).
 */
export function withPerExampleAdapters<T>(model: AnyModule, names: readonly string[], fn: () => T): T {
  checkModel('withPerExampleAdapters', model);
  if (!Array.isArray(names) || names.length === 0) throw new Error(`withPerExampleAdapters: names=${describeValue(names)} must be a non-empty list (one adapter name per example)`);
  const known = adapterNames(model);
  const bad = names.find((n) => n !== '__base__' && !known.includes(n));
  if (bad !== undefined) throw new Error(`withPerExampleAdapters: no adapter ${describeValue(bad)} (has: ${known.join(', ') || 'none'}; "__base__" for none)`);
  const layers = adaptedLayers(model);
  for (const [, l] of layers) l.perExample = names;
  try {
    return fn();
  } finally {
    for (const [, l] of layers) l.perExample = null;
  }
}

/**
 * Run `fn` (forwards of `model`) with example n of each batch belonging to task `taskIds[n]`, for
 * task-routed adapters (Poly/MHR; PEFT's `task_ids`). Other methods ignore the ids.
 */
export function withTaskIds<T>(model: AnyModule, taskIds: ArrayLike<number>, fn: () => T): T {
  checkModel('withTaskIds', model);
  const ids = Array.from(taskIds ?? []);
  if (ids.length === 0 || !ids.every((t) => Number.isInteger(t) && t >= 0)) throw new Error(`withTaskIds: taskIds=${describeValue(taskIds)} must be a non-empty list of task ids (integers ≥ 0)`);
  const layers = adaptedLayers(model).flatMap(([, l]) => l.names().map((n) => l.adapter(n)));
  for (const a of layers) a.taskIds = ids;
  try {
    return fn();
  } finally {
    for (const a of layers) a.taskIds = null;
  }
}

/** Disable every adapter: forward is the base model's (merged adapters are unmerged first). */
export function disableAdapters(model: AnyModule): void {
  for (const [, l] of adaptedLayers(checkModel('disableAdapters', model))) {
    l.unmergeAll();
    l.disabled = true;
  }
  for (const [, w] of modulesToSaveWrappers(model)) w.disabled = true;
}

/** Re-enable the active adapters after {@link disableAdapters}. */
export function enableAdapters(model: AnyModule): void {
  for (const [, l] of adaptedLayers(checkModel('enableAdapters', model))) l.disabled = false;
  for (const [, w] of modulesToSaveWrappers(model)) w.disabled = false;
}

/** Delete adapter `name` everywhere (unmerging it first). */
export function deleteAdapter(model: AnyModule, name: string): void {
  checkNames('deleteAdapter', checkModel('deleteAdapter', model), [name]);
  for (const [, l] of adaptedLayers(model)) if (l.has(name)) l.delete(name);
  for (const [, w] of modulesToSaveWrappers(model)) w.delete(name);
}

/** Fold the active adapters into the base weights (forward unchanged to round-off, faster). */
export function mergeAdapters(model: AnyModule): void {
  for (const [, l] of adaptedLayers(checkModel('mergeAdapters', model))) if (!l.disabled) l.merge();
}

/** Undo {@link mergeAdapters}. */
export function unmergeAdapters(model: AnyModule): void {
  for (const [, l] of adaptedLayers(checkModel('unmergeAdapters', model))) l.unmergeAll();
}

function unwrap(model: AnyModule, merge: boolean): void {
  const byPath = new Map(model.namedModules());
  const layers = adaptedLayers(model);
  for (const [, l] of layers) {
    l.unmergeAll();
    if (merge && !l.disabled) l.merge();
  }
  for (const [path, m] of byPath) {
    if (!(m instanceof AdaptedLayer) || path === '') continue;
    const dot = path.lastIndexOf('.');
    replaceChild(byPath.get(dot < 0 ? '' : path.slice(0, dot))!, dot < 0 ? path : path.slice(dot + 1), m, m.baseModule);
  }
  for (const [, l] of layers) for (const n of l.names()) l.adapter(n).dispose();
  unwrapModulesToSave(model, merge);
}

/** Merge the active adapters into the base weights and put the base Linears back (PEFT's merge_and_unload). */
export function mergeAndUnload(model: AnyModule): void {
  unwrap(checkModel('mergeAndUnload', model), true);
}

/** Remove every adapter without merging and put the base Linears back (PEFT's unload). */
export function unloadAdapters(model: AnyModule): void {
  unwrap(checkModel('unloadAdapters', model), false);
}
