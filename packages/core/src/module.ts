// Module: a small PyTorch-like module on tfjs-core. Parameters are `tf.Variable`s registered by
// name, children are modules registered by name. Sharing is identity: the same module or
// variable registered in two places *is* shared — `parameters()` lists each variable once,
// `namedParameters()` lists every path that reaches it.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from './context.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$/;

/** A neural-network module: parameters and child modules by name, and a forward pass. */
export abstract class Module<In = tf.Tensor, Out = tf.Tensor> {
  private readonly params = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module<any, any>>();
  private isTraining = true;

  /** The forward pass. Call inside `tf.tidy` (the trainer does); `ctx` collects aux losses and stats. */
  abstract forward(input: In, ctx: ForwardContext): Out;

  /** Forward with a fresh context in this module's mode (for inference and quick checks). */
  call(input: In, ctx?: ForwardContext): Out {
    return this.forward(input, ctx ?? new ForwardContext({ training: this.isTraining }));
  }

  /**
   * Register a parameter. A tensor is copied into a new variable; a `tf.Variable` is registered
   * as is, so registering one variable in two modules shares it.
   */
  protected addParameter(name: string, value: tf.Tensor | tf.Variable, trainable = true): tf.Variable {
    this.checkName(name);
    const v = value instanceof tf.Variable ? value : tf.variable(value, trainable);
    if (!(value instanceof tf.Variable)) value.dispose();
    this.params.set(name, v);
    return v;
  }

  /**
   * Replace the own parameter `name` by a new variable holding `value` (any shape: growing a layer,
   * as TokenFormer's appended parameter tokens), keeping its trainable flag; the old variable is
   * disposed. Optimizer state kept under the old variable does not carry over.
   */
  protected replaceParameter(name: string, value: tf.Tensor): tf.Variable {
    const old = this.params.get(name);
    if (!old) throw new Error(`${this.constructor.name}.replaceParameter: no own parameter "${name}" (own: ${[...this.params.keys()].join(', ') || 'none'})`);
    const v = tf.variable(value, old.trainable);
    value.dispose();
    this.params.set(name, v);
    old.dispose();
    return v;
  }

  /** Register a child module (the same module object under two names is shared). */
  protected addModule<M extends Module<any, any>>(name: string, module: M): M {
    this.checkName(name);
    if (!(module instanceof Module)) throw new Error(`${this.constructor.name}.addModule: "${name}" is not a Module`);
    this.children.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (!NAME.test(name)) {
      throw new Error(`${this.constructor.name}: name "${name}" must be an identifier or an index (letters, digits, _)`);
    }
    if (this.params.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: name "${name}" is already registered`);
    }
  }

  /** The direct parameters, by name. */
  ownParameters(): ReadonlyMap<string, tf.Variable> {
    return this.params;
  }

  /** The direct children, by name. */
  namedChildren(): ReadonlyMap<string, Module<any, any>> {
    return this.children;
  }

  /**
   * Every path to every parameter, depth first in registration order, e.g.
   * `["blocks.0.attn.q.weight", v]`. A shared variable appears under each path that uses it.
   */
  namedParameters(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, v] of m.params) out.push([path ? `${path}.${name}` : name, v]);
    }
    return out;
  }

  /** Every path to every module (this one first, as `prefix`); a shared module appears at each path. */
  namedModules(prefix = ''): Array<[string, Module<any, any>]> {
    const out: Array<[string, Module<any, any>]> = [[prefix, this]];
    const stack = new Set<Module<any, any>>();
    const walk = (m: Module<any, any>, path: string) => {
      if (stack.has(m)) throw new Error(`${m.constructor.name} at "${path}" contains itself (a cycle)`);
      stack.add(m);
      for (const [name, c] of m.children) {
        const p = path ? `${path}.${name}` : name;
        out.push([p, c]);
        walk(c, p);
      }
      stack.delete(m);
    };
    walk(this, prefix);
    return out;
  }

  /** Each parameter once (sharing is identity), in first-use order. */
  parameters(): tf.Variable[] {
    return [...new Set(this.namedParameters().map(([, v]) => v))];
  }

  /** Each trainable parameter once. */
  trainableParameters(): tf.Variable[] {
    return this.parameters().filter((v) => v.trainable);
  }

  /** Each module once. */
  modules(): Module<any, any>[] {
    return [...new Set(this.namedModules().map(([, m]) => m))];
  }

  /** Set training mode on this module and every descendant. */
  train(on = true): this {
    for (const m of this.modules()) m.isTraining = on;
    return this;
  }

  /** Set evaluation mode (same as `train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Whether the module is in training mode. */
  get training(): boolean {
    return this.isTraining;
  }

  /** Freeze (or unfreeze) every parameter: frozen variables get no gradients from the trainer. */
  freeze(frozen = true): this {
    for (const v of this.parameters()) v.trainable = !frozen;
    return this;
  }

  /**
   * How many times this module applies child (or parameter) `name` per forward pass — 1 unless
   * the module recurses (a Universal Transformer reports its average depth). The ledger's
   * effective count multiplies by it.
   */
  usesOf(_name: string): number {
    return 1;
  }

  /**
   * Fraction of this module's child (or parameter) `name` that one token touches — 1 unless the
   * module routes (an MoE layer reports k/E for its stacked experts). The ledger's active count
   * multiplies by it.
   */
  activeShareOf(_name: string): number {
    return 1;
  }

  /** Dispose every parameter (each once). The module is unusable afterwards. */
  dispose(): void {
    for (const v of this.parameters()) v.dispose();
  }
}

/** An ordered list of modules, registered as children "0", "1", …. */
export class ModuleList<M extends Module<any, any> = Module> extends Module<never, never> {
  /** The modules in order (the same object may appear more than once: that is sharing). */
  readonly items: M[] = [];

  constructor(items: Iterable<M> = []) {
    super();
    for (const m of items) this.push(m);
  }

  /** Append a module. */
  push(m: M): this {
    this.addModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  /** Number of entries. */
  get length(): number {
    return this.items.length;
  }

  /** Entry `i`. */
  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList.at: index ${i} is out of range [0, ${this.items.length})`);
    return m;
  }

  forward(): never {
    throw new Error('ModuleList has no forward pass: iterate its items');
  }
}
