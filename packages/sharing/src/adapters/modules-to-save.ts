// PEFT's modules_to_save: a module trained in full beside an adapter (a classifier head, lm_head),
// as PEFT's ModulesToSaveWrapper: the original stays frozen under `original`, each adapter that
// saves the module gets its own trainable copy under its name, and the forward uses the copy of the
// active adapter — or the original when none is active, adapters are disabled, or they are unloaded.
// In PEFT files the copy's tensors are `base_model.model.<module path>.<parameter>` (PyTorch layout:
// a Linear's weight [out, in]).
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, ForwardContext, LayerNorm, Linear, Module, RMSNorm, describeValue } from '@weft/core';
import { checkAdapterName } from './adapted-layer.js';
import { replaceChild, setChild, removeChild } from './tree.js';

type AnyModule = Module<any, any>;

/** The module kinds a copy can be made of (their config rebuilds them). */
const COPYABLE = [Linear, Embedding, LayerNorm, RMSNorm] as const;

/** A fresh module of the same kind and config as `m`, holding copies of its parameters (trainable). */
function copyOf(m: AnyModule, path: string): AnyModule {
  const kind = COPYABLE.find((K) => m instanceof K);
  if (!kind) throw new Error(`modules_to_save: "${path}" is a ${m.constructor.name}; Weft copies Linear, Embedding, LayerNorm and RMSNorm modules`);
  const copy = new (kind as unknown as new (config: unknown) => AnyModule)((m as unknown as { config: unknown }).config);
  const src = new Map(m.namedParameters());
  for (const [p, v] of copy.namedParameters()) {
    v.assign(src.get(p)!);
    v.trainable = true;
  }
  return copy;
}

/** A module with per-adapter trainable copies (PEFT's ModulesToSaveWrapper). */
export class ModulesToSave extends Module<any, any> {
  /** The adapter whose copy runs, or null (the original runs). */
  active: string | null = null;
  /** Whether adapters are disabled (the original runs). */
  disabled = false;
  private readonly copies = new Map<string, AnyModule>();

  constructor(readonly original: AnyModule) {
    super();
    this.addModule('original', original);
  }

  /** Adapter names that have a copy. */
  names(): string[] {
    return [...this.copies.keys()];
  }

  /** The copy of adapter `name`. */
  copy(name: string): AnyModule {
    const c = this.copies.get(name);
    if (!c) throw new Error(`modules_to_save: no copy for adapter "${name}" (has: ${this.names().join(', ') || 'none'})`);
    return c;
  }

  /** Add a trainable copy of the original for adapter `name`. */
  add(name: string, path: string): AnyModule {
    checkAdapterName(name, 'modules_to_save');
    if (this.copies.has(name)) throw new Error(`modules_to_save: "${path}" already has a copy for adapter "${name}"`);
    const c = copyOf(this.original, path);
    setChild(this, name, c);
    this.copies.set(name, c);
    return c;
  }

  /** Remove adapter `name`'s copy. */
  delete(name: string): void {
    const c = this.copies.get(name);
    if (!c) return;
    removeChild(this, name);
    this.copies.delete(name);
    if (this.active === name) this.active = null;
    c.dispose();
  }

  /** The module that runs now. */
  current(): AnyModule {
    return !this.disabled && this.active !== null ? this.copy(this.active) : this.original;
  }

  forward(x: unknown, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    return this.current().forward(x, ctx);
  }
}

/** Every ModulesToSave wrapper of `model` with its path. */
export function modulesToSaveWrappers(model: AnyModule): Array<[string, ModulesToSave]> {
  return model.namedModules().filter((e): e is [string, ModulesToSave] => e[1] instanceof ModulesToSave);
}

/**
 * Give adapter `name` a trainable copy of every module whose (renamed) path is one of `modules` or
 * ends with "." + one of them (PEFT's modules_to_save), wrapping the module on first use. The copies
 * are inactive until {@link setActiveModulesToSave} (setActiveAdapters calls it). Returns the paths.
 */
export function addModulesToSave(model: AnyModule, name: string, modules: readonly string[], rename: (p: string) => string = (p) => p): string[] {
  const found = matchModulesToSave(model, modules, rename);
  const byPath = new Map(model.namedModules());
  for (const path of found) {
    const m = byPath.get(path)!;
    let wrapper = m instanceof ModulesToSave ? m : null;
    if (!wrapper) {
      wrapper = new ModulesToSave(m);
      replaceChild(byPath.get(parentPath(path))!, childName(path), m, wrapper);
    }
    wrapper.add(name, rename(path));
  }
  return found;
}

/**
 * The paths of the modules `modules` names (a renamed path equal to a name or ending in "." + it),
 * each a module Weft can copy; throws naming what is wrong. Changes nothing.
 */
export function matchModulesToSave(model: AnyModule, modules: readonly string[], rename: (p: string) => string = (p) => p): string[] {
  if (!Array.isArray(modules) || modules.length === 0 || !modules.every((m) => typeof m === 'string' && m.length > 0)) {
    throw new Error(`modules_to_save=${describeValue(modules)} must be a non-empty list of module names`);
  }
  const byPath = new Map(model.namedModules());
  const found: string[] = [];
  for (const [path, m] of byPath) {
    if (path === '' || byPath.get(parentPath(path)) instanceof ModulesToSave) continue;
    const key = rename(path);
    if (!modules.some((n) => key === n || key.endsWith(`.${n}`))) continue;
    const inner = m instanceof ModulesToSave ? m.original : m;
    if (!COPYABLE.some((K) => inner instanceof K)) throw new Error(`modules_to_save: "${key}" is a ${inner.constructor.name}; Weft copies Linear, Embedding, LayerNorm and RMSNorm modules`);
    found.push(path);
  }
  if (found.length === 0) throw new Error(`modules_to_save=${describeValue(modules)} matched no module of the model`);
  return found;
}

/** Make adapter `names`' copies run (the first of them a wrapper has); others and the originals are frozen. */
export function setActiveModulesToSave(model: AnyModule, names: readonly string[]): void {
  for (const [, w] of modulesToSaveWrappers(model)) {
    w.active = names.find((n) => w.names().includes(n)) ?? null;
    for (const n of w.names()) w.copy(n).freeze(n !== w.active);
  }
}

/** Put each wrapped module back: the active copy (`keepActive`, PEFT's merge_and_unload) or the original. */
export function unwrapModulesToSave(model: AnyModule, keepActive: boolean): void {
  const byPath = new Map(model.namedModules());
  for (const [path, w] of modulesToSaveWrappers(model)) {
    const keep = keepActive && !w.disabled && w.active !== null ? w.copy(w.active) : w.original;
    if (keep !== w.original) {
      // The original's variables go; the kept copy's stay (frozen, like a merged base).
      w.original.dispose();
      keep.freeze();
    }
    for (const n of w.names()) if (w.copy(n) !== keep) w.copy(n).dispose();
    replaceChild(byPath.get(parentPath(path))!, childName(path), w, keep);
  }
}

/** The tensors of adapter `name`'s copies in PEFT's names (without the base_model.model. prefix) and PyTorch layout. */
export function modulesToSaveTensors(model: AnyModule, name: string, rename: (p: string) => string): { modules: string[]; tensors: Record<string, tf.Tensor> } {
  const modules: string[] = [];
  const tensors: Record<string, tf.Tensor> = {};
  for (const [path, w] of modulesToSaveWrappers(model)) {
    if (!w.names().includes(name)) continue;
    const c = w.copy(name);
    modules.push(rename(path));
    for (const [p, v] of c.namedParameters()) tensors[`${rename(path)}.${p}`] = c instanceof Linear && p === 'weight' ? tf.transpose(v) : tf.clone(v); // Linear [in, out] -> [out, in]
  }
  return { modules, tensors };
}

/** Assign adapter `name`'s copy of the module at (renamed) `path` from PEFT tensors named by parameter; checks every name and shape first. */
export function loadModuleToSave(model: AnyModule, name: string, path: string, tensors: Record<string, tf.Tensor>, rename: (p: string) => string): void {
  const entry = modulesToSaveWrappers(model).find(([p, w]) => rename(p) === path && w.names().includes(name));
  if (!entry) throw new Error(`PEFT: adapter_model.safetensors has tensors for module "${path}", which modules_to_save does not name`);
  const c = entry[1].copy(name);
  const params = new Map(c.namedParameters());
  const values: Array<[tf.Variable, tf.Tensor]> = [];
  for (const [p, v] of params) {
    const t = Object.hasOwn(tensors, p) ? tensors[p] : undefined;
    const want = c instanceof Linear && p === 'weight' ? [v.shape[1]!, v.shape[0]!] : v.shape;
    if (!t) throw new Error(`PEFT: module "${path}" (modules_to_save): tensor "${p}" is missing`);
    if (!tf.util.arraysEqual(t.shape, want)) throw new Error(`PEFT: module "${path}" (modules_to_save): tensor "${p}" has shape [${t.shape}], expected [${want}]`);
    values.push([v, t]);
  }
  const extra = Object.keys(tensors).filter((k) => !params.has(k));
  if (extra.length > 0) throw new Error(`PEFT: module "${path}" (modules_to_save): unexpected tensors ${extra.join(', ')}`);
  for (const [v, t] of values) v.assign(tf.tidy(() => (c instanceof Linear && v === c.weight ? tf.transpose(t) : t)));
}

function parentPath(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
}

function childName(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}
