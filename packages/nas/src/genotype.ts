// Genotypes as in DARTS (arXiv 1806.09055, cnn/genotypes.py): `Genotype(normal, normal_concat,
// reduce, reduce_concat)`, each cell a list of (op, input) pairs, two per intermediate node. The
// argmax parse follows model_search.py `genotype()`: per node keep the 2 incoming edges with the
// strongest non-`none` op weight (ties: the lower input, Python's stable sort), and on each the
// strongest non-`none` op (ties: the first). JSON uses DARTS' field names; `toDartsString` prints
// the Python text form (concat as `range(a, b)` when contiguous, as model_search.py produces).
import { checkKnownKeys, configKeys, describeValue } from '@weft/core';
import type { GenePair } from './cell.js';
import { NONE } from './ops.js';
import type { CellSpaceConfig } from './space.js';

/** A discrete cell architecture (DARTS' namedtuple, JSON-serialisable). */
export interface Genotype {
  /** Normal cell: [op, input] per edge, two per intermediate node; inputs 0, 1 are the cell inputs. */
  normal: GenePair[];
  /** Nodes the normal cell concatenates. */
  normal_concat: number[];
  /** Reduction cell (empty in spaces without reduction cells). */
  reduce: GenePair[];
  /** Nodes the reduction cell concatenates (empty when `reduce` is). */
  reduce_concat: number[];
  /**
   * D-DARTS (arXiv 2108.09306): the genes of every cell of the network, in order, each overriding
   * its type's `normal`/`reduce` (concat still by type). Absent in DARTS genotypes; DARTS' text form
   * ({@link toDartsString}) leaves it out.
   */
  cells?: GenePair[][];
}

const GENOTYPE_KEYS = configKeys<Genotype>({ normal: true, normal_concat: true, reduce: true, reduce_concat: true, cells: true });

/**
 * DARTS' `_parse`: from per-edge op weights (edges in α order, each a row over `ops`) pick 2
 * inputs per node by their strongest non-`none` weight and the strongest non-`none` op on each.
 */
export function parseCell(weights: readonly (readonly number[])[], ops: readonly string[], steps: number): GenePair[] {
  const noneIdx = ops.indexOf(NONE);
  if (ops.length === 0 || (ops.length === 1 && noneIdx === 0)) throw new Error(`parseCell: ops=[${ops}] has no op besides "${NONE}" to select`);
  const gene: GenePair[] = [];
  let start = 0;
  for (let i = 0; i < steps; i++) {
    const n = i + 2;
    const W = weights.slice(start, start + n);
    if (W.length !== n) throw new Error(`parseCell: ${weights.length} edge rows are too few for steps=${steps}`);
    const strength = (row: readonly number[]) => Math.max(...row.filter((_, k) => k !== noneIdx));
    // A stable sort by descending strength, as Python's sorted(key=-max).
    const edges = Array.from({ length: n }, (_, j) => j)
      .sort((a, b) => strength(W[b]!) - strength(W[a]!) || a - b)
      .slice(0, 2);
    for (const j of edges) {
      let best = -1;
      W[j]!.forEach((v, k) => {
        if (k !== noneIdx && (best < 0 || v > W[j]![best]!)) best = k;
      });
      gene.push([ops[best]!, j]);
    }
    start += n;
  }
  return gene;
}

/** The genotype of a supernet's edge weights (DARTS `genotype()`): concat = range(2 + steps − multiplier, steps + 2). */
export function parseGenotype(weights: { normal: number[][]; reduce: number[][] }, space: CellSpaceConfig): Genotype {
  const concat = Array.from({ length: space.multiplier }, (_, k) => 2 + space.steps - space.multiplier + k);
  const hasReduce = weights.reduce.length > 0;
  return {
    normal: parseCell(weights.normal, space.ops, space.steps),
    normal_concat: concat,
    reduce: hasReduce ? parseCell(weights.reduce, space.ops, space.steps) : [],
    reduce_concat: hasReduce ? [...concat] : [],
  };
}

function pyList(gene: readonly GenePair[]): string {
  return `[${gene.map(([op, j]) => `('${op}', ${j})`).join(', ')}]`;
}

function pyConcat(c: readonly number[]): string {
  if (c.length > 0 && c.every((v, i) => i === 0 || v === c[i - 1]! + 1)) return `range(${c[0]}, ${c.at(-1)! + 1})`;
  return `[${c.join(', ')}]`;
}

/** DARTS' text form, e.g. `Genotype(normal=[('sep_conv_3x3', 0), …], normal_concat=range(2, 6), reduce=[…], reduce_concat=range(2, 6))`. */
export function toDartsString(g: Genotype): string {
  return `Genotype(normal=${pyList(g.normal)}, normal_concat=${pyConcat(g.normal_concat)}, reduce=${pyList(g.reduce)}, reduce_concat=${pyConcat(g.reduce_concat)})`;
}

/** Most intermediate nodes a genotype's text may describe (DARTS cells have 4; a bound keeps a hostile text small). */
export const MAX_GENOTYPE_NODES = 1000;

/**
 * Check a cell's concat list against its `nodes` intermediate nodes (numbered 2 … nodes + 1): at
 * most `nodes` entries, each an integer node, none twice. `where` names the list in errors.
 */
function checkConcat(where: string, concat: readonly unknown[], nodes: number): void {
  if (concat.length > nodes) throw new Error(`${where} has ${concat.length} entries; the cell has ${nodes} intermediate nodes, so at most ${nodes} (each once)`);
  const seen = new Set<number>();
  for (const [i, c] of concat.entries()) {
    if (!Number.isInteger(c) || (c as number) < 2 || (c as number) > nodes + 1) {
      throw new Error(`${where}[${i}]=${describeValue(c)} is not a node; nodes are 2 … ${nodes + 1}`);
    }
    if (seen.has(c as number)) throw new Error(`${where}[${i}]=${c} repeats node ${c}; each node is concatenated at most once`);
    seen.add(c as number);
  }
}

/**
 * Parse DARTS' text form (as printed by DARTS or {@link toDartsString}; concat as `range(a, b)` or a
 * list). The text is untrusted: each cell has two (op, input) pairs per node, at most
 * {@link MAX_GENOTYPE_NODES} nodes, inputs of node i in [0, i), and a concat of distinct nodes
 * (empty when the cell is); op names are checked against a space by {@link validateGenotype}.
 */
export function fromDartsString(text: string): Genotype {
  if (typeof text !== 'string' || text.length > 100_000) throw new Error('fromDartsString: text must be a string of at most 100000 characters');
  const m = /^\s*Genotype\(\s*normal\s*=\s*(\[[^\]]*\])\s*,\s*normal_concat\s*=\s*(range\(\s*\d+\s*,\s*\d+\s*\)|\[[\d,\s]*\])\s*,\s*reduce\s*=\s*(\[[^\]]*\])\s*,\s*reduce_concat\s*=\s*(range\(\s*\d+\s*,\s*\d+\s*\)|\[[\d,\s]*\])\s*\)\s*$/.exec(text);
  if (!m) throw new Error(`fromDartsString: not a DARTS Genotype(normal=[…], normal_concat=…, reduce=[…], reduce_concat=…): "${text.slice(0, 80)}…"`);
  const gene = (name: string, s: string): GenePair[] => {
    const out: GenePair[] = [];
    const re = /\(\s*'([A-Za-z0-9_]+)'\s*,\s*(\d+)\s*\)/g;
    let r: RegExpExecArray | null;
    while ((r = re.exec(s))) {
      if (out.length === 2 * MAX_GENOTYPE_NODES) throw new Error(`fromDartsString: ${name} has more than ${2 * MAX_GENOTYPE_NODES} pairs (${MAX_GENOTYPE_NODES} nodes)`);
      out.push([r[1]!, Number(r[2])]);
    }
    const stripped = s.replace(re, '').replace(/[\s,[\]]/g, '');
    if (stripped.length > 0) throw new Error(`fromDartsString: cannot read "${s.slice(0, 80)}" as a list of ('op', input) pairs`);
    if (out.length % 2 !== 0) throw new Error(`fromDartsString: ${name} has ${out.length} pairs; a cell has two per node`);
    out.forEach(([, j], k) => {
      const node = Math.floor(k / 2) + 2;
      if (j >= node) throw new Error(`fromDartsString: ${name}[${k}] has input ${j}; the inputs of node ${node} are 0 … ${node - 1}`);
    });
    return out;
  };
  const concat = (name: string, s: string, nodes: number): number[] => {
    const r = /^range\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(s);
    let list: number[];
    if (r) {
      const [a, b] = [Number(r[1]), Number(r[2])];
      if (b - a > nodes) throw new Error(`fromDartsString: ${name}=${s.slice(0, 80)} has ${b - a} entries; the cell has ${nodes} intermediate nodes`);
      list = Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
    } else {
      // Entries are integers separated by commas; "[1 0]" is refused (Python refuses it), never read as 10.
      const inner = s.slice(1, -1).trim();
      const parts = inner === '' ? [] : inner.split(',').map((p) => p.trim());
      if (parts.some((p) => !/^\d+$/.test(p))) throw new Error(`fromDartsString: ${name}=${s.slice(0, 80)} must be a list of node numbers separated by commas`);
      if (parts.length > nodes) throw new Error(`fromDartsString: ${name} has ${parts.length} entries; the cell has ${nodes} intermediate nodes, so at most ${nodes} (each once)`);
      list = parts.map(Number);
    }
    checkConcat(`fromDartsString: ${name}`, list, nodes);
    return list;
  };
  const normal = gene('normal', m[1]!);
  const reduce = gene('reduce', m[3]!);
  return { normal, normal_concat: concat('normal_concat', m[2]!, normal.length / 2), reduce, reduce_concat: concat('reduce_concat', m[4]!, reduce.length / 2) };
}

/**
 * Check a genotype (e.g. from JSON or a URL) fits a space: op names, two inputs per node, indices,
 * and a concat of distinct nodes (at most `steps` of them); a space without reduction cells takes
 * empty `reduce` and `reduce_concat`.
 */
export function validateGenotype(g: unknown, space: CellSpaceConfig): asserts g is Genotype {
  if (typeof g !== 'object' || g === null) throw new Error(`genotype: ${describeValue(g)} must be an object {normal, normal_concat, reduce, reduce_concat}`);
  checkKnownKeys('genotype', g, GENOTYPE_KEYS);
  const o = g as Record<string, unknown>;
  const hasReduce = space.space === 'conv';
  const cell = (name: 'normal' | 'reduce', needed: boolean) => {
    const gene = Object.hasOwn(o, name) ? o[name] : undefined;
    const concat = Object.hasOwn(o, `${name}_concat`) ? o[`${name}_concat`] : undefined;
    if (!Array.isArray(gene) || !Array.isArray(concat)) throw new Error(`genotype.${name} and genotype.${name}_concat must be arrays`);
    if (!needed) {
      if (gene.length > 0 || concat.length > 0) {
        throw new Error(`genotype.${name} has ${gene.length} entries and ${name}_concat ${concat.length} but this ${space.space} space has no ${name} cell; give [] for both`);
      }
      return;
    }
    checkGene(name, gene);
    if (concat.length === 0) throw new Error(`genotype.${name}_concat is empty`);
    checkConcat(`genotype.${name}_concat`, concat, space.steps);
  };
  const checkGene = (name: string, gene: unknown[]) => {
    if (gene.length !== 2 * space.steps) throw new Error(`genotype.${name} has ${gene.length} entries; the space has steps=${space.steps}, so it needs ${2 * space.steps} (two per node)`);
    gene.forEach((p, k) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || !Number.isInteger(p[1])) {
        throw new Error(`genotype.${name}[${k}]=${describeValue(p)} must be [op name, input index]`);
      }
      const [op, j] = p as [string, number];
      if (!space.ops.includes(op) || op === NONE) {
        throw new Error(`genotype.${name}[${k}]: unknown op ${describeValue(op)}; allowed: ${space.ops.filter((x) => x !== NONE).join(', ')}`);
      }
      const node = Math.floor(k / 2);
      if (j < 0 || j >= node + 2) throw new Error(`genotype.${name}[${k}]: input ${j} of node ${node + 2} must be in [0, ${node + 2})`);
    });
  };
  cell('normal', true);
  cell('reduce', hasReduce);
  if (Object.hasOwn(o, 'cells') && o.cells !== undefined) {
    const cells = o.cells;
    if (!Array.isArray(cells) || cells.length !== space.layers) throw new Error(`genotype.cells=${describeValue(cells)} must list the genes of each of the space's ${space.layers} cells`);
    cells.forEach((gene, i) => {
      if (!Array.isArray(gene)) throw new Error(`genotype.cells[${i}]=${describeValue(gene)} must be an array of [op name, input index]`);
      checkGene(`cells[${i}]`, gene);
    });
  }
}

/** A uniformly random genotype of a space (two distinct inputs per node, a non-`none` op on each). */
export function randomGenotype(space: CellSpaceConfig, rng: { int(n: number): number }): Genotype {
  const ops = space.ops.filter((o) => o !== NONE);
  if (ops.length === 0) throw new Error(`randomGenotype: ops=[${space.ops}] has no op besides "${NONE}"`);
  const cell = (): GenePair[] => {
    const gene: GenePair[] = [];
    for (let i = 0; i < space.steps; i++) {
      const a = rng.int(i + 2);
      let b = rng.int(i + 1);
      if (b >= a) b += 1;
      for (const j of [Math.min(a, b), Math.max(a, b)]) gene.push([ops[rng.int(ops.length)]!, j]);
    }
    return gene;
  };
  const concat = Array.from({ length: space.multiplier }, (_, k) => 2 + space.steps - space.multiplier + k);
  const hasReduce = space.space === 'conv';
  return { normal: cell(), normal_concat: concat, reduce: hasReduce ? cell() : [], reduce_concat: hasReduce ? [...concat] : [] };
}
