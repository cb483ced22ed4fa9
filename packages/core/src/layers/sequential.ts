// Sequential: apply modules in order; children are "0", "1", … (PyTorch's nn.Sequential).
import type * as tf from '@tensorflow/tfjs-core';
import { ForwardContext } from '../context.js';
import { Module } from '../module.js';

/** A chain of modules, each fed the previous one's output. */
export class Sequential extends Module {
  /** The modules in order (the same object twice is sharing). */
  readonly items: Module<tf.Tensor, tf.Tensor>[] = [];

  constructor(items: Iterable<Module<tf.Tensor, tf.Tensor>> = []) {
    super();
    for (const m of items) this.push(m);
  }

  /** Append a module. */
  push(m: Module<tf.Tensor, tf.Tensor>): this {
    this.addModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }

  forward(x: tf.Tensor, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    return this.items.reduce((h, m) => m.forward(h, ctx), x);
  }
}
