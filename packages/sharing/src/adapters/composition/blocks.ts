// AdapterHub: A Framework for Adapting Transformers (arXiv:2007.07779) composition blocks, and
// ScaLearn: Simple and Highly Parameter-Efficient Task Transfer by Learning to Scale
// (arXiv:2310.01217). A composition is itself an adapter on each layer, over the layer's source
// adapters (held by reference, not owned, so they are neither counted nor trained twice): Stack
// (each source transforms the previous output), Average (y + Σ wᵢ (sᵢ(y) − y)), Split (rows of
// sequence position < splitAt go to the first source, the rest to the second), Fuse (AdapterFusion:
// softmax over sources of (yQ)·(oᵢK), output Σ αᵢ oᵢV with oᵢ = sᵢ(y), V = I at start) and ScaLearn
// (y + Σ ωᵢ (sᵢ(y) − y), one learned scalar per source and layer). Compositions nest: a source may be a
// composition. Parallel is forwardParallel (inject.ts-style helper in ./index.ts). Departures: no
// AdapterFusion temperature annealing; Split works on the rows of (B·T, features) given seqLen.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, Rng } from '@weft/core';
import { AdapterLayer } from '../adapter-layer.js';
import type { BaseOp } from '../base-op.js';

/** The composition kinds. */
export type CompositionKind = 'stack' | 'average' | 'split' | 'fuse' | 'scalearn';

/** Settings of one composition on one layer. */
export interface CompositionOptions {
  kind: CompositionKind;
  /** Average: one weight per source. */
  weights?: number[];
  /** Split: sequence position where the second source takes over, and the sequence length. */
  splitAt?: number;
  seqLen?: number;
}

/** A composition of source adapters on one layer. */
export class CompositionLayer extends AdapterLayer {
  readonly method = 'composition';
  /** Fuse: Q, K, V [out, out]; ScaLearn: ω [sources]. Empty for the parameter-free kinds. */
  readonly query: tf.Variable | null = null;
  readonly key: tf.Variable | null = null;
  readonly value: tf.Variable | null = null;
  readonly scales: tf.Variable | null = null;

  constructor(base: BaseOp, readonly sources: readonly AdapterLayer[], readonly options: CompositionOptions, rng: Rng) {
    super(base);
    const out = base.outFeatures, n = sources.length;
    if (options.kind === 'fuse') {
      this.query = this.addParameter('query', tf.tensor2d(rng.normalArray(out * out, 0, 0.02), [out, out]));
      this.key = this.addParameter('key', tf.tensor2d(rng.normalArray(out * out, 0, 0.02), [out, out]));
      this.value = this.addParameter('value', tf.eye(out));
    } else if (options.kind === 'scalearn') {
      this.scales = this.addParameter('scales', tf.fill([n], 1 / n));
    }
  }

  transformOutput(x: tf.Tensor, y: tf.Tensor, yBase: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const { kind } = this.options;
    const run = (s: AdapterLayer, input: tf.Tensor) => s.transformOutput(x, input, yBase, ctx);
    if (kind === 'stack') return this.sources.reduce((acc, s) => run(s, acc), y);
    if (kind === 'split') {
      const { splitAt, seqLen } = this.options as Required<CompositionOptions>;
      const rows = y.shape[0]!;
      const first = tf.tensor1d(Array.from({ length: rows }, (_, i) => (i % seqLen < splitAt ? 1 : 0)), 'bool'); // (N)
      const mask = tf.reshape(first, [rows, ...y.shape.slice(1).map(() => 1)]);
      return tf.where(tf.broadcastTo(mask, y.shape), run(this.sources[0]!, y), run(this.sources[1]!, y));
    }
    const outs = this.sources.map((s) => run(s, y)); // oᵢ, each like y
    if (kind === 'average') return outs.reduce((acc, o, i) => tf.add(acc, tf.mul(tf.sub(o, y), this.options.weights![i]!)), y);
    if (kind === 'scalearn') {
      const w = tf.unstack(this.scales!);
      return outs.reduce((acc, o, i) => tf.add(acc, tf.mul(tf.sub(o, y), w[i]!)), y);
    }
    // AdapterFusion: attention over the sources' outputs, per row.
    const q = tf.matMul(y as tf.Tensor2D, this.query!); // (N, out)
    const scores = tf.stack(outs.map((o) => tf.sum(tf.mul(q, tf.matMul(o as tf.Tensor2D, this.key!)), 1)), 1); // (N, S)
    const alpha = tf.softmax(scores, 1);
    const values = tf.stack(outs.map((o) => tf.matMul(o as tf.Tensor2D, this.value!)), 1); // (N, S, out)
    return tf.sum(tf.mul(values, tf.expandDims(alpha, 2)), 1);
  }

  deltaWeight(): tf.Tensor2D {
    const { kind } = this.options;
    if (kind === 'average' || kind === 'scalearn') {
      return tf.tidy(() => {
        const w = kind === 'average' ? this.options.weights!.map((v) => tf.scalar(v)) : tf.unstack(this.scales!);
        return tf.addN(this.sources.map((s, i) => tf.mul(s.deltaWeight(), w[i]!))) as tf.Tensor2D;
      });
    }
    throw new Error(`composition "${kind}": the output is not a fixed weight update`);
  }

  merge(): void {
    throw new Error(`composition "${this.options.kind}": a composition over other adapters cannot be merged into the base weights (merge its sources, or combineAdapters)`);
  }

  unmerge(): void {}
}
