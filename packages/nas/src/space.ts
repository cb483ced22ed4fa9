// The cell search space of DARTS (arXiv 1806.09055, §2.1 and cnn/model_search.py), as a plain
// config: a cell is a DAG of 2 input nodes and `steps` intermediate nodes, each intermediate node
// summing one edge from every earlier node; the cell outputs the concat of its last `multiplier`
// nodes. The network stacks `layers` cells (the conv space reduces at layers/3 and 2·layers/3 as
// DARTS does). Departure: sizes are scaled down for 8×8 toy images and vector tasks.
import { checkKnownKeys, configKeys, describeValue } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { DARTS_PRIMITIVES, VECTOR_PRIMITIVES, checkOps, type OpSpace } from './ops.js';

/** Config of a cell search space (and of the networks built from it). */
export interface CellSpaceConfig {
  /** 'conv' (NHWC images, DARTS primitives) or 'vector' ((B, F) features, vector primitives). */
  space: OpSpace;
  /** Candidate ops on every edge. Default: every primitive of the space, `none` first. */
  ops: string[];
  /** Intermediate nodes per cell. Default 4 (conv, as DARTS), 2 (vector). */
  steps: number;
  /** How many of the last intermediate nodes the cell concatenates. Default: steps. */
  multiplier: number;
  /** Channels C of the first cell's nodes (doubled at each reduction cell). Default 4 (conv), 8 (vector). */
  channels: number;
  /** Cells stacked. Default 3 (conv: normal, reduce, reduce at 8×8 as DARTS' layer rule gives), 1 (vector). */
  layers: number;
  /** Input channels (conv, NHWC last axis) or input features (vector). Default 1 (conv), 4 (vector). */
  inChannels: number;
  /** Outputs of the head (classes, or regression targets). Default 6 (conv, the 6 shapes), 1 (vector). */
  numOutputs: number;
  /** Stem width as a multiple of `channels` (DARTS: 3). Default 3 (conv), 1 (vector). */
  stemMultiplier: number;
  /** PC-DARTS partial channels K (1/K of the channels enter the ops). Default 1. */
  partialChannels: number;
  /** PC-DARTS edge normalisation (β per incoming edge of each node). Default false. */
  edgeNormalization: boolean;
  /** D-DARTS: one α per cell of the network instead of one per cell type. Default false. */
  cellAlphas: boolean;
}

const SPACE_KEYS = configKeys<CellSpaceConfig>({
  space: true, ops: true, steps: true, multiplier: true, channels: true, layers: true, inChannels: true, numOutputs: true, stemMultiplier: true, partialChannels: true, edgeNormalization: true, cellAlphas: true,
});

/** Default config of each space. */
export function defaultSpace(space: OpSpace): CellSpaceConfig {
  return space === 'conv'
    ? { space, ops: [...DARTS_PRIMITIVES], steps: 4, multiplier: 4, channels: 4, layers: 3, inChannels: 1, numOutputs: 6, stemMultiplier: 3, partialChannels: 1, edgeNormalization: false, cellAlphas: false }
    : { space, ops: [...VECTOR_PRIMITIVES], steps: 2, multiplier: 2, channels: 8, layers: 1, inChannels: 4, numOutputs: 1, stemMultiplier: 1, partialChannels: 1, edgeNormalization: false, cellAlphas: false };
}

/** Fill defaults and validate a space config. */
export function resolveSpace(config: Partial<CellSpaceConfig> & { space?: OpSpace } = {}): CellSpaceConfig {
  checkKnownKeys('space', config, SPACE_KEYS);
  const space = config.space ?? 'conv';
  if (space !== 'conv' && space !== 'vector') throw new Error(`space: space=${describeValue(space)}; allowed: conv, vector`);
  const d = defaultSpace(space);
  const steps = config.steps ?? d.steps;
  const c: CellSpaceConfig = { ...d, ...config, space, steps, multiplier: config.multiplier ?? steps };
  checkOps('space', c.ops, space);
  for (const name of ['steps', 'multiplier', 'channels', 'layers', 'inChannels', 'numOutputs', 'stemMultiplier', 'partialChannels'] as const) checkInt('space', name, c[name], 1);
  if (space === 'conv' && c.layers < 3) throw new Error(`space: layers=${c.layers} must be ≥ 3 in the conv space (DARTS reduces at layers/3 and 2·layers/3; fewer layers leave no normal cell)`);
  if (c.multiplier > c.steps) throw new Error(`space: multiplier=${c.multiplier} must be ≤ steps=${c.steps}`);
  if (c.channels % c.partialChannels !== 0) throw new Error(`space: partialChannels=${c.partialChannels} must divide channels=${c.channels}`);
  if (space === 'conv' && c.channels % 2 !== 0) throw new Error(`space: channels=${c.channels} must be even in the conv space (factorized reduce halves it)`);
  return c;
}

/** Which cells reduce (DARTS: i ∈ {⌊layers/3⌋, ⌊2·layers/3⌋}; never in the vector space). */
export function reductionLayers(c: CellSpaceConfig): boolean[] {
  return Array.from({ length: c.layers }, (_, i) => c.space === 'conv' && (i === Math.floor(c.layers / 3) || i === Math.floor((2 * c.layers) / 3)));
}

/** Number of edges of a cell with `steps` intermediate nodes: Σ_{i<steps} (i + 2). */
export function edgeCount(steps: number): number {
  return (steps * (steps + 3)) / 2;
}

/** The (node, input) of every edge in α order: node i (0-based among intermediates) takes inputs 0 … i+1. */
export function edgeList(steps: number): Array<{ node: number; input: number }> {
  const out: Array<{ node: number; input: number }> = [];
  for (let i = 0; i < steps; i++) for (let j = 0; j < i + 2; j++) out.push({ node: i, input: j });
  return out;
}
