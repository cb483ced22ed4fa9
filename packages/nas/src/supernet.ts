// The DARTS supernet (DARTS: Differentiable Architecture Search, arXiv 1806.09055,
// cnn/model_search.py `Network`): stem, stacked search cells sharing one α per cell type
// (normal, reduce), head. α (and PC-DARTS' β, arXiv 1907.05737) are parameters of this module
// under `alpha_*` / `beta_*`; `weightParameters()` and `archParameters()` split them for the two
// optimisers of bilevel search. How α becomes per-edge weights is the pluggable `sampler`
// (softmax for DARTS, Gumbel for GDAS, masks for DropNAS, one path for SPOS); `overrides` fix or
// remove ops per edge (perturbation-based selection, discretisation). With the space's `cellAlphas`
// (D-DARTS: Distributed Differentiable Architecture Search, arXiv 2108.09306) every cell has its own
// α (`alpha_cell<i>`), and `alphaNormal`/`alphaReduce` are the first normal/reduce cell's.
import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, type ForwardContext, Rng } from '@weft/core';
import { SearchCell, type EdgeChoice } from './cell.js';
import { Head, Stem, cellShapes } from './network.js';
import { edgeCount, edgeList, reductionLayers, resolveSpace, type CellSpaceConfig } from './space.js';

/** The two cell types. */
export type CellKind = 'normal' | 'reduce';

/** Turns a cell type's α (edges, ops) into the weights of every edge for one forward pass. */
export type ArchSampler = (kind: CellKind, alpha: tf.Tensor, ctx: ForwardContext) => EdgeChoice[];

/**
 * The rows of a (E, n) tensor as E tensors of shape (n,). Slices, not `tf.unstack`: tfjs' Unpack
 * gradient fails when some rows get no gradient (an overridden or unused edge).
 */
export function rowsOf(t: tf.Tensor): tf.Tensor[] {
  const [E, n] = t.shape as [number, number];
  return Array.from({ length: E }, (_, e) => tf.reshape(tf.slice(t, [e, 0], [1, n]), [n])); // (1, n) -> (n,)
}

/** DARTS' continuous relaxation: softmax over the ops of every edge. */
export const softmaxSampler: ArchSampler = (_kind, alpha) => rowsOf(tf.softmax(alpha, -1)).map((weights) => ({ weights }));

/** An override of one edge: compute only `active` ops, with their α-weights or (with `unit`) weight 1. */
export interface EdgeOverride {
  active: number[];
  unit?: boolean;
}

/** The DARTS supernet over a cell space. */
export class SearchNetwork extends Module {
  readonly space: CellSpaceConfig;
  readonly stem: Stem;
  readonly cells: ModuleList<SearchCell>;
  readonly head: Head;
  /** α of normal cells, (edges, ops). */
  readonly alphaNormal: tf.Variable;
  /** α of reduction cells, (edges, ops), or null when no cell reduces. */
  readonly alphaReduce: tf.Variable | null;
  /** D-DARTS: α of every cell, (edges, ops) each, or null without `cellAlphas`. */
  readonly alphaCells: tf.Variable[] | null;
  /** PC-DARTS edge-normalisation β per cell type, (edges,), or null. */
  readonly betaNormal: tf.Variable | null;
  readonly betaReduce: tf.Variable | null;
  /** How α becomes edge weights. Default: softmax (DARTS). */
  sampler: ArchSampler = softmaxSampler;
  /** Per-edge overrides, keyed `${kind}:${edge}`. */
  readonly overrides = new Map<string, EdgeOverride>();

  constructor(config: Partial<CellSpaceConfig> = {}, rng: Rng = new Rng(0)) {
    super();
    const space = (this.space = resolveSpace(config));
    this.stem = this.addModule('stem', new Stem(space, rng));
    const { cells, headIn } = cellShapes(space, space.multiplier);
    this.cells = this.addModule('cells', new ModuleList(cells.map((shape) => new SearchCell(space, shape, rng))));
    this.head = this.addModule('head', new Head(space, headIn, rng));
    const E = edgeCount(space.steps);
    const n = space.ops.length;
    // DARTS: α = 1e-3 · N(0, 1).
    const init = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, 1e-3), shape);
    const red = reductionLayers(space);
    if (space.cellAlphas) {
      this.alphaCells = red.map((_, i) => this.addParameter(`alpha_cell${i}`, init([E, n])));
      this.alphaNormal = this.alphaCells[red.indexOf(false)] ?? this.alphaCells[0]!;
      this.alphaReduce = red.some(Boolean) ? this.alphaCells[red.indexOf(true)]! : null;
    } else {
      this.alphaCells = null;
      this.alphaNormal = this.addParameter('alpha_normal', init([E, n]));
      this.alphaReduce = red.some(Boolean) ? this.addParameter('alpha_reduce', init([E, n])) : null;
    }
    this.betaNormal = space.edgeNormalization ? this.addParameter('beta_normal', init([E])) : null;
    this.betaReduce = space.edgeNormalization && this.alphaReduce ? this.addParameter('beta_reduce', init([E])) : null;
  }

  /** The cell types present. */
  kinds(): CellKind[] {
    return this.alphaReduce ? ['normal', 'reduce'] : ['normal'];
  }

  /** α of a cell type. */
  alpha(kind: CellKind): tf.Variable {
    const a = kind === 'normal' ? this.alphaNormal : this.alphaReduce;
    if (!a) throw new Error(`SearchNetwork: kind="${kind}" has no α (no cell of that type in this space)`);
    return a;
  }

  /** The architecture parameters (α — per cell with `cellAlphas` — and β with edge normalisation). */
  archParameters(): tf.Variable[] {
    const alphas = this.alphaCells ?? [this.alphaNormal, this.alphaReduce];
    return [...alphas, this.betaNormal, this.betaReduce].filter((v): v is tf.Variable => v !== null);
  }

  /** Every other trainable parameter (the network weights w). */
  weightParameters(): tf.Variable[] {
    const arch = new Set(this.archParameters());
    return this.trainableParameters().filter((v) => !arch.has(v));
  }

  /** PC-DARTS' per-edge scale: softmax of β over the incoming edges of each node. */
  edgeScales(kind: CellKind): tf.Tensor[] | null {
    const beta = kind === 'normal' ? this.betaNormal : this.betaReduce;
    if (!beta) return null;
    const out: tf.Tensor[] = [];
    let start = 0;
    for (let i = 0; i < this.space.steps; i++) {
      const n = i + 2;
      const w = tf.softmax(tf.slice(beta, [start], [n]));
      for (let j = 0; j < n; j++) out.push(tf.reshape(tf.slice(w, [j], [1]), []));
      start += n;
    }
    return out;
  }

  private choices(kind: CellKind, ctx: ForwardContext, alpha: tf.Tensor = this.alpha(kind)): EdgeChoice[] {
    const ch = this.sampler(kind, alpha, ctx);
    if (this.overrides.size === 0) return ch;
    return ch.map((c, e) => {
      const o = this.overrides.get(`${kind}:${e}`);
      if (!o) return c;
      return { weights: o.unit ? tf.onesLike(c.weights) : c.weights, active: o.active };
    });
  }

  /** (B, …input) -> (B, numOutputs). */
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const red = reductionLayers(this.space);
    const byKind = new Map<CellKind, { choices: EdgeChoice[]; scales: tf.Tensor[] | null }>();
    for (const k of this.kinds()) byKind.set(k, { choices: this.choices(k, ctx), scales: this.edgeScales(k) });
    let s0 = this.stem.forward(x, ctx);
    let s1 = s0;
    this.cells.items.forEach((cell, i) => {
      const k: CellKind = red[i] ? 'reduce' : 'normal';
      const { choices, scales } = byKind.get(k)!;
      // D-DARTS: cell i mixes its edges by its own α.
      const own = this.alphaCells && this.alphaCells[i] !== this.alpha(k) ? this.choices(k, ctx, this.alphaCells[i]!) : choices;
      [s0, s1] = [s1, cell.run(s0, s1, ctx, own, scales ?? undefined)];
    });
    return this.head.forward(s1, ctx);
  }

  /**
   * The edge weights genotype parsing reads: softmax(α) per edge, times the β-softmax of the
   * edge with edge normalisation (PC-DARTS). Awaits the data (no dataSync).
   */
  async edgeWeights(): Promise<Record<CellKind, number[][]>> {
    const out: Partial<Record<CellKind, number[][]>> = {};
    for (const k of this.kinds()) {
      const t = tf.tidy(() => {
        const w = tf.softmax(this.alpha(k), -1);
        const scales = this.edgeScales(k);
        return scales ? tf.mul(w, tf.expandDims(tf.stack(scales), 1)) : w;
      });
      const data = await t.data();
      t.dispose();
      const n = this.space.ops.length;
      out[k] = Array.from({ length: data.length / n }, (_, e) => Array.from(data.subarray(e * n, (e + 1) * n)));
    }
    out.reduce ??= [];
    return out as Record<CellKind, number[][]>;
  }

  /**
   * D-DARTS: the edge weights of every cell (softmax of its α, times the β-softmax with edge
   * normalisation), in network order; without `cellAlphas`, each cell's type's. Awaits the data.
   */
  async cellEdgeWeights(): Promise<number[][][]> {
    const byKind = await this.edgeWeights();
    const red = reductionLayers(this.space);
    const n = this.space.ops.length;
    const out: number[][][] = [];
    for (let i = 0; i < this.space.layers; i++) {
      const k: CellKind = red[i] ? 'reduce' : 'normal';
      const a = this.alphaCells?.[i];
      if (!a || a === this.alpha(k)) {
        out.push(byKind[k]);
        continue;
      }
      const t = tf.tidy(() => {
        const w = tf.softmax(a, -1);
        const scales = this.edgeScales(k);
        return scales ? tf.mul(w, tf.expandDims(tf.stack(scales), 1)) : w;
      });
      const data = await t.data();
      t.dispose();
      out.push(Array.from({ length: data.length / n }, (_, e) => Array.from(data.subarray(e * n, (e + 1) * n))));
    }
    return out;
  }

  /** The (node, input) of every edge of a cell, in α order. */
  edges(): Array<{ node: number; input: number }> {
    return edgeList(this.space.steps);
  }
}
