// D-DARTS: Distributed Differentiable Architecture Search (arXiv 2108.09306), §3: instead of one α
// shared by every cell of a type, each cell of the supernet has its own α (the space's `cellAlphas`,
// set by this method's registry entry) and DARTS' first- or second-order bilevel steps train them all;
// the result names each cell's own genes (`Genotype.cells`), with `normal`/`reduce` the first cell of
// each type. Departures: no DARTOpti space and no derivation of deeper networks from trained cells.
import { parseCell, parseGenotype, type Genotype } from '../genotype.js';
import { DartsSearch } from './darts.js';

/** D-DARTS: DARTS over a supernet with one α per cell. */
export class DDartsSearch extends DartsSearch {
  override readonly method: string = 'd-darts';

  /** The first cells' genotype (DARTS' fields) and every cell's own genes. */
  override async result(): Promise<Genotype> {
    if (!this.net.alphaCells) throw new Error("d-darts: the supernet has one α per cell type; build it with the space option cellAlphas=true (createCellSearch('d-darts') does)");
    const g = parseGenotype(await this.net.edgeWeights(), this.net.space);
    g.cells = (await this.net.cellEdgeWeights()).map((w) => parseCell(w, this.net.space.ops, this.net.space.steps));
    return g;
  }
}
