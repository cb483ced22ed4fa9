// FoldGPT: Simple and Effective Large Language Model Compression Scheme (arXiv:2407.00928):
// wrappers of a residual block y = block(x) — GatedBlock, y = x + g·(block(x) − x) with one
// learnable gate g (FoldGPT's block-importance gates: g → 0 removes the block), and ScaledBlock,
// y = x + s ⊙ (block(x) − x) with a per-layer learnable channel scale s (init 1), which lets one
// shared block act differently in each layer of its group. Departure: FoldGPT scales the shared
// weights' channels; here the block's residual update is scaled per channel.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Module, splitSequenceInput, type SequenceInput } from '@weft/core';
import { checkPositiveInt } from '@weft/core/internal';

/** y = x + g·(block(x) − x): a residual block behind one learnable gate g (init 1). */
export class GatedBlock extends Module<SequenceInput, tf.Tensor> {
  /** The gate g, [1]. */
  readonly gate: tf.Variable;
  constructor(readonly block: Module<SequenceInput, tf.Tensor>) {
    super();
    if (!(block instanceof Module)) throw new Error('GatedBlock: block must be a Module');
    this.addModule('block', block);
    this.gate = this.addParameter('gate', tf.ones([1]));
  }
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x } = splitSequenceInput(input);
    return tf.add(x, tf.mul(this.gate, tf.sub(this.block.forward(input, ctx), x)));
  }
}

/** y = x + s ⊙ (block(x) − x) with a per-layer channel scale s [dim] (init 1); the block may be shared. */
export class ScaledBlock extends Module<SequenceInput, tf.Tensor> {
  /** The channel scale s, [dim]. */
  readonly scale: tf.Variable;
  constructor(readonly block: Module<SequenceInput, tf.Tensor>, dim: number) {
    super();
    if (!(block instanceof Module)) throw new Error('ScaledBlock: block must be a Module');
    checkPositiveInt('ScaledBlock', 'dim', dim);
    this.addModule('block', block);
    this.scale = this.addParameter('scale', tf.ones([dim]));
  }
  forward(input: SequenceInput, ctx: ForwardContext = new ForwardContext({ training: this.training })): tf.Tensor {
    const { x } = splitSequenceInput(input);
    return tf.add(x, tf.mul(this.scale, tf.sub(this.block.forward(input, ctx), x)));
  }
}
