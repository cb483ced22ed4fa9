// DARTS cells (arXiv 1806.09055, cnn/model_search.py `Cell` and cnn/model.py `Cell`): two
// preprocessed inputs, `steps` intermediate nodes, the concat of the last `multiplier` nodes as
// output. `SearchCell` has a mixed op on every edge; `DiscreteCell` has the two ops per node a
// genotype names. Edges from the inputs of a reduction cell have stride 2.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, ModuleList, type ForwardContext, type Rng } from '@weft/core';
import { MixedOp } from './mixed-op.js';
import { BatchNormNoAffine } from './batch-norm.js';
import { FactorizedReduce, ReLUConvBN } from './conv-ops.js';
import { createOp } from './ops.js';
import { edgeList, type CellSpaceConfig } from './space.js';

/** The weights (and computed ops) of one edge for one forward pass. */
export interface EdgeChoice {
  /** (numOps,) weights of the candidates. */
  weights: tf.Tensor;
  /** Op indices to compute (default all). */
  active?: readonly number[];
}

/** Sizes of one cell in a network. */
export interface CellShape {
  /** Channels of the cell's first input (two cells back). */
  cPrevPrev: number;
  /** Channels of the cell's second input (previous cell). */
  cPrev: number;
  /** Channels of each node. */
  c: number;
  /** Whether this cell halves the spatial size. */
  reduction: boolean;
  /** Whether the previous cell did. */
  reductionPrev: boolean;
}

/**
 * The vector analogue of DARTS' ReLUConvBN 1×1 preprocessing: Linear (no bias) → affine-free BN.
 * No ReLU: the vector ops are the nonlinearities. Like DARTS it is there even when the widths
 * match, so the first cell's two inputs (both the stem output) are two different projections and
 * its two input edges are not interchangeable, and BN fixes the scale the ops see.
 */
export class LinearBN extends Module {
  readonly fc: Linear;
  readonly bn = new BatchNormNoAffine();
  constructor(inFeatures: number, outFeatures: number, rng: Rng) {
    super();
    this.fc = this.addModule('fc', new Linear({ inFeatures, outFeatures, bias: false }, rng));
    this.addModule('bn', this.bn);
  }
  forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor {
    return this.bn.forward(this.fc.forward(x, ctx!), ctx);
  }
}

function preprocess(space: CellSpaceConfig, cin: number, cout: number, reducePrev: boolean, rng: Rng): Module {
  if (space.space === 'vector') return new LinearBN(cin, cout, rng);
  return reducePrev ? new FactorizedReduce(cin, cout, rng) : new ReLUConvBN(cin, cout, 1, 1, rng);
}

/** Shared part: preprocessing of the two inputs and the concat of the output nodes. */
abstract class CellBase extends Module {
  readonly pre0: Module;
  readonly pre1: Module;

  constructor(readonly space: CellSpaceConfig, readonly shape: CellShape, rng: Rng) {
    super();
    this.pre0 = this.addModule('pre0', preprocess(space, shape.cPrevPrev, shape.c, shape.reductionPrev, rng));
    this.pre1 = this.addModule('pre1', preprocess(space, shape.cPrev, shape.c, false, rng));
  }

  protected concat(states: tf.Tensor[], concat: readonly number[]): tf.Tensor {
    const parts = concat.map((i) => states[i]!);
    return parts.length === 1 ? parts[0]! : tf.concat(parts, -1);
  }

  forward(): never {
    throw new Error(`${this.constructor.name}: call run(s0, s1, ctx, …)`);
  }
}

/** A supernet cell: a {@link MixedOp} on every edge. */
export class SearchCell extends CellBase {
  readonly edges: ModuleList<MixedOp>;

  constructor(space: CellSpaceConfig, shape: CellShape, rng: Rng) {
    super(space, shape, rng);
    this.edges = this.addModule(
      'edges',
      new ModuleList(
        edgeList(space.steps).map(
          ({ input }) =>
            new MixedOp({ ops: space.ops, space: space.space, channels: shape.c, stride: shape.reduction && input < 2 ? 2 : 1, partialChannels: space.partialChannels }, rng),
        ),
      ),
    );
  }

  /** (s0, s1) -> concat of the last `multiplier` nodes. `choices[e]` mixes edge e; `nodeWeights[e]` scales it (PC-DARTS β). */
  run(s0: tf.Tensor, s1: tf.Tensor, ctx: ForwardContext, choices: readonly EdgeChoice[], edgeScale?: readonly (tf.Tensor | null)[]): tf.Tensor {
    const states = [this.pre0.forward(s0, ctx), this.pre1.forward(s1, ctx)];
    let e = 0;
    for (let i = 0; i < this.space.steps; i++) {
      const terms: tf.Tensor[] = [];
      for (let j = 0; j < states.length; j++, e++) {
        const ch = choices[e]!;
        let t = this.edges.at(e).forward(states[j]!, ctx, ch.weights, ch.active);
        const scale = edgeScale?.[e];
        if (scale) t = tf.mul(t, scale);
        terms.push(t);
      }
      states.push(tf.addN(terms));
    }
    const m = this.space.multiplier;
    return this.concat(states, Array.from({ length: m }, (_, k) => 2 + this.space.steps - m + k));
  }
}

/** One node's two incoming ops in a genotype: [op name, input index]. */
export type GenePair = [string, number];

/** A cell with the ops a genotype names: node i = op_a(state a) + op_b(state b). */
export class DiscreteCell extends CellBase {
  readonly ops: ModuleList;

  constructor(space: CellSpaceConfig, shape: CellShape, readonly gene: readonly GenePair[], readonly concatNodes: readonly number[], rng: Rng) {
    super(space, shape, rng);
    this.ops = this.addModule(
      'ops',
      new ModuleList(gene.map(([name, input]) => createOp(name, space.space, shape.c, shape.reduction && input < 2 ? 2 : 1, rng))),
    );
  }

  /** (s0, s1) -> concat of the genotype's concat nodes. */
  run(s0: tf.Tensor, s1: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const states = [this.pre0.forward(s0, ctx), this.pre1.forward(s1, ctx)];
    const perNode = this.gene.length / this.space.steps;
    for (let i = 0; i < this.space.steps; i++) {
      const terms: tf.Tensor[] = [];
      for (let k = 0; k < perNode; k++) {
        const g = i * perNode + k;
        terms.push(this.ops.at(g).forward(states[this.gene[g]![1]]!, ctx));
      }
      states.push(terms.length === 1 ? terms[0]! : tf.addN(terms));
    }
    return this.concat(states, this.concatNodes);
  }
}
