// A genotype as a discrete network trained from scratch (DARTS, arXiv 1806.09055, cnn/model.py
// `NetworkCIFAR`): the search skeleton with each node = op_a(state a) + op_b(state b). Departures:
// no auxiliary head, no drop-path, affine-free BN as in the search ops, sizes scaled down.
import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, Rng, type ForwardContext } from '@weft/core';
import { DiscreteCell } from './cell.js';
import { validateGenotype, type Genotype } from './genotype.js';
import { Head, Stem } from './network.js';
import { reductionLayers, resolveSpace, type CellSpaceConfig } from './space.js';

/** A network built from a genotype. */
export class DiscreteNetwork extends Module {
  readonly space: CellSpaceConfig;
  readonly stem: Stem;
  readonly cells: ModuleList<DiscreteCell>;
  readonly head: Head;

  constructor(readonly genotype: Genotype, config: Partial<CellSpaceConfig> = {}, rng: Rng = new Rng(0)) {
    super();
    const space = (this.space = resolveSpace(config));
    validateGenotype(genotype, space);
    this.stem = this.addModule('stem', new Stem(space, rng));
    const red = reductionLayers(space);
    let cPP = space.stemMultiplier * space.channels;
    let cP = cPP;
    let c = space.channels;
    let reductionPrev = false;
    const cells: DiscreteCell[] = [];
    for (let i = 0; i < space.layers; i++) {
      if (red[i]) c *= 2;
      const gene = genotype.cells?.[i] ?? (red[i] ? genotype.reduce : genotype.normal); // D-DARTS: the cell's own genes
      const concat = red[i] ? genotype.reduce_concat : genotype.normal_concat;
      cells.push(new DiscreteCell(space, { cPrevPrev: cPP, cPrev: cP, c, reduction: red[i]!, reductionPrev }, gene, concat, rng));
      reductionPrev = red[i]!;
      [cPP, cP] = [cP, concat.length * c];
    }
    this.cells = this.addModule('cells', new ModuleList(cells));
    this.head = this.addModule('head', new Head(space, cP, rng));
  }

  /** (B, …input) -> (B, numOutputs). */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    let s0 = this.stem.forward(x, ctx);
    let s1 = s0;
    for (const cell of this.cells.items) [s0, s1] = [s1, cell.run(s0, s1, ctx)];
    return this.head.forward(s1, ctx);
  }
}
