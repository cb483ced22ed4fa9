// AdaptedLayer: a frozen base layer (shared, never copied) plus named adapters. Forward runs the
// active, unmerged adapters around the base op; merge/unmerge fold adapters into the base
// variables (PEFT's merge_adapter/unmerge_adapter), disable gives the base output exactly.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Embedding, ForwardContext, Linear, Module, describeValue } from '@weft/core';
import { applyWeight, type BaseOp } from './base-op.js';
import type { AdapterLayer } from './adapter-layer.js';
import { removeChild, setChild } from './tree.js';

const ADAPTER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Check an adapter name (an identifier, not "base"). */
export function checkAdapterName(name: unknown, fn: string): string {
  if (typeof name !== 'string' || !ADAPTER_NAME.test(name) || name === 'base' || name.length > 64) {
    throw new Error(`${fn}: adapter name ${describeValue(name)} must be an identifier of ≤ 64 characters other than "base"`);
  }
  return name;
}

/** A base layer with named adapters. Child "base" is the base module; each adapter is a child under its name. */
export class AdaptedLayer extends Module {
  private readonly layers = new Map<string, AdapterLayer>();
  /** Active adapters, applied in this order. */
  active: string[] = [];
  /** Adapters currently folded into the base variables, in merge order. */
  readonly merged: string[] = [];
  /** When true, forward is the base layer alone (adapters kept). */
  disabled = false;
  /**
   * Per-example adapters for the next forwards (PEFT's adapter_names): example n uses adapter
   * `perExample[n]` ("__base__" or a name this layer lacks: none). Set by {@link forwardPerExample}.
   */
  perExample: readonly string[] | null = null;

  constructor(readonly baseModule: Module, readonly base: BaseOp) {
    super();
    this.addModule('base', baseModule);
  }

  /** Adapter names, in insertion order. */
  names(): string[] {
    return [...this.layers.keys()];
  }

  /** The adapter `name`. */
  adapter(name: string): AdapterLayer {
    const a = this.layers.get(name);
    if (!a) throw new Error(`AdaptedLayer: no adapter "${name}" (has: ${this.names().join(', ') || 'none'})`);
    return a;
  }

  /** Whether adapter `name` exists here. */
  has(name: string): boolean {
    return this.layers.has(name);
  }

  /** Add an adapter (not yet active). */
  add(name: string, layer: AdapterLayer): void {
    if (this.layers.has(name)) throw new Error(`AdaptedLayer: adapter "${name}" already exists`);
    setChild(this, name, layer);
    this.layers.set(name, layer);
  }

  /** Remove (and dispose) adapter `name`, unmerging it first if needed. */
  delete(name: string): void {
    const a = this.adapter(name);
    if (this.merged.includes(name)) this.unmergeAll();
    removeChild(this, name);
    this.layers.delete(name);
    this.active = this.active.filter((n) => n !== name);
    a.dispose();
  }

  /** Fold the given (default: active) adapters into the base weights. */
  merge(names: string[] = this.active): void {
    for (const n of names) {
      if (this.merged.includes(n)) continue;
      this.adapter(n).merge();
      this.merged.push(n);
    }
  }

  /** Undo every merge, last merged first. */
  unmergeAll(): void {
    while (this.merged.length > 0) this.adapter(this.merged.pop()!).unmerge();
  }

  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { base } = this;
    const linear = base.kind === 'linear';
    if (linear && x.shape[x.rank - 1] !== base.inFeatures) {
      throw new Error(`AdaptedLayer: input last dimension ${x.shape[x.rank - 1]} (shape [${x.shape}]) must equal inFeatures=${base.inFeatures}`);
    }
    if (this.perExample && !this.disabled) return this.forwardPerExample(x, this.perExample, ctx);
    const live = this.disabled ? [] : this.active.filter((n) => !this.merged.includes(n)).map((n) => this.adapter(n));
    // Nothing live (disabled, or every active adapter merged): exactly the base layer's forward.
    if (live.length === 0 && (this.baseModule instanceof Linear || this.baseModule instanceof Embedding || this.baseModule instanceof Conv2d)) return this.baseModule.forward(x, ctx);
    if (base.kind === 'embedding') {
      // ids (...) -> (..., dim): the looked-up rows plus each adapter's rows (LoRA: rows of A, times B).
      const yBase = this.baseModule.forward(x, ctx);
      return live.reduce((y, a) => a.transformOutput(x, y, yBase, ctx), yBase);
    }
    const lead = x.shape.slice(0, -1);
    const x2 = linear && x.rank !== 2 ? tf.reshape(x, [-1, base.inFeatures]) : x; // (..., in) -> (N, in)
    let xin = x2;
    for (const a of live) xin = a.transformInput(xin, ctx);
    const yBase = applyWeight(base, xin, base.weight);
    let y = base.bias ? tf.add(yBase, base.bias) : yBase;
    for (const a of live) y = a.transformOutput(x2, y, yBase, ctx);
    return linear && x.rank !== 2 ? tf.reshape(y, [...lead, base.outFeatures]) : y; // (N, out) -> (..., out)
  }

  /** The forward of a batch whose example n uses adapter `names[n]`: each method's adapters in one {@link AdapterLayer.mixedBatchOutput}. */
  private forwardPerExample(x: tf.Tensor, names: readonly string[], ctx: ForwardContext): tf.Tensor {
    const { base } = this;
    if (this.merged.length > 0) throw new Error('AdaptedLayer: per-example adapters need every adapter unmerged (unmergeAdapters first)');
    if (x.shape[0] !== names.length) throw new Error(`AdaptedLayer: ${names.length} per-example adapter names for a batch of ${x.shape[0]}`);
    const linear = base.kind === 'linear';
    const lead = x.shape.slice(0, -1);
    const x2 = linear && x.rank !== 2 ? tf.reshape(x, [-1, base.inFeatures]) : x; // (B, …, in) -> (N, in)
    const perExample = x2.shape[0]! / names.length; // rows of x2 per example
    const yBase = applyWeight(base, x2, base.weight);
    let y = base.bias ? tf.add(yBase, base.bias) : yBase;
    const present = [...new Set(names)].filter((n) => this.layers.has(n));
    for (const method of [...new Set(present.map((n) => this.adapter(n).method))]) {
      const peers = present.filter((n) => this.adapter(n).method === method);
      const index = names.map((n) => peers.indexOf(n)); // −1: another method or none
      const rows = tf.tensor1d(index.flatMap((i) => Array<number>(perExample).fill(i)), 'int32');
      const layers = peers.map((n) => this.adapter(n));
      // A row of index −1 reads peer slot `layers.length`, which is null (no adapter).
      const safeRows = tf.where(tf.less(rows, 0), tf.fill(rows.shape, layers.length, 'int32'), rows) as tf.Tensor1D;
      y = layers[0]!.mixedBatchOutput(x2, y, yBase, ctx, [...layers, null], safeRows);
    }
    return linear && x.rank !== 2 ? tf.reshape(y, [...lead, base.outFeatures]) : y; // (N, out) -> (..., out)
  }
}
