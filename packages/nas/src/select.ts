// Perturbation-based architecture selection (Rethinking Architecture Selection in
// Differentiable NAS, arXiv 2108.04392, Alg. 1–2): instead of reading α, measure each op's
// influence on the supernet. Edges are visited in random order; on each, every op is removed in
// turn and the validation accuracy (or loss, for regression) re-measured; the op whose removal
// hurts most is kept and the edge discretised; the supernet is tuned for `tuneSteps` between
// decisions. Topology: per node, the 2 incoming edges whose removal hurts most are kept.
// Departures: one validation batch measures each perturbation; tuning reuses the caller's step.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, accuracy, checkKnownKeys, configKeys, describeValue } from '@weft/core';
import type { GenePair } from './cell.js';
import type { Genotype } from './genotype.js';
import { NONE } from './ops.js';
import type { Batch, TaskLoss } from './search/bilevel.js';
import type { CellKind, SearchNetwork } from './supernet.js';

/** Config of {@link perturbationSelect}. */
export interface PerturbationConfig {
  /** Score: 'accuracy' (classification, higher is better) or 'loss' (lower is better). Default 'accuracy'. */
  metric: 'accuracy' | 'loss';
  /** Supernet tuning steps after each edge decision (the caller's `tune`). Default 0. */
  tuneSteps: number;
  /** Seed of the edge order. Default 0. */
  seed: number;
}

/** Defaults of {@link PerturbationConfig}. */
export const PERTURBATION_DEFAULTS: PerturbationConfig = { metric: 'accuracy', tuneSteps: 0, seed: 0 };
const PERTURBATION_KEYS = configKeys<PerturbationConfig>({ metric: true, tuneSteps: true, seed: true });

async function score(net: SearchNetwork, val: Batch, loss: TaskLoss, metric: PerturbationConfig['metric']): Promise<number> {
  const t = tf.tidy(() => {
    const out = net.forward(val.x, new ForwardContext({ training: false }));
    return metric === 'accuracy' ? accuracy(out, val.y) : tf.neg(loss(out, val.y));
  });
  const v = (await t.data())[0]!;
  t.dispose();
  return v; // higher is better
}

/**
 * Phase 1 of perturbation-based selection: the op kept on every edge (index into `space.ops`),
 * per cell type. Edges are discretised one by one (in random order) and stay discretised in the
 * supernet's overrides, so the caller can go on to topology selection; call
 * `net.overrides.clear()` to undo.
 */
export async function perturbationOps(
  net: SearchNetwork,
  val: Batch,
  loss: TaskLoss,
  config: Partial<PerturbationConfig> = {},
  tune?: (steps: number) => Promise<void>,
): Promise<Record<CellKind, number[]>> {
  checkKnownKeys('perturbationSelect', config, PERTURBATION_KEYS);
  const c = { ...PERTURBATION_DEFAULTS, ...config };
  if (c.metric !== 'accuracy' && c.metric !== 'loss') throw new Error(`perturbationSelect: metric=${describeValue(c.metric)}; allowed: accuracy, loss`);
  const rng = new Rng(c.seed);
  const ops = net.space.ops;
  const all = ops.map((_, i) => i);
  const E = net.edges().length;
  const out: Record<CellKind, number[]> = { normal: new Array(E).fill(-1), reduce: net.kinds().includes('reduce') ? new Array(E).fill(-1) : [] };
  const order: Array<[CellKind, number]> = [];
  for (const k of net.kinds()) for (let e = 0; e < E; e++) order.push([k, e]);
  for (const p of rng.permutation(order.length)) {
    const [k, e] = order[p]!;
    const key = `${k}:${e}`;
    const base = await score(net, val, loss, c.metric);
    let best = -1;
    let bestDrop = -Infinity;
    for (const o of all) {
      if (ops[o] === NONE) continue;
      net.overrides.set(key, { active: all.filter((i) => i !== o) });
      const drop = base - (await score(net, val, loss, c.metric));
      if (drop > bestDrop) [best, bestDrop] = [o, drop];
    }
    net.overrides.set(key, { active: [best], unit: true });
    out[k][e] = best;
    if (tune && c.tuneSteps > 0) await tune(c.tuneSteps);
  }
  return out;
}

/**
 * Select a genotype by perturbation (ops, then topology). `tune(steps)` (optional) trains the
 * supernet for a few steps with the overrides in place. The supernet's overrides are cleared
 * afterwards.
 */
export async function perturbationSelect(
  net: SearchNetwork,
  val: Batch,
  loss: TaskLoss,
  config: Partial<PerturbationConfig> = {},
  tune?: (steps: number) => Promise<void>,
): Promise<Genotype> {
  checkKnownKeys('perturbationSelect', config, PERTURBATION_KEYS);
  const c = { ...PERTURBATION_DEFAULTS, ...config };
  const ops = net.space.ops;
  const edges = net.edges();
  const genes: Record<CellKind, GenePair[]> = { normal: [], reduce: [] };
  try {
    const chosen = await perturbationOps(net, val, loss, c, tune);
    // Topology: per node, keep the 2 inputs whose removal hurts most.
    for (const k of net.kinds()) {
      for (let node = 0; node < net.space.steps; node++) {
        const inEdges = edges.map((ed, e) => ({ ...ed, e })).filter((ed) => ed.node === node);
        const base = await score(net, val, loss, c.metric);
        const drops: Array<{ input: number; drop: number }> = [];
        for (const ed of inEdges) {
          const key = `${k}:${ed.e}`;
          const keep = net.overrides.get(key)!;
          net.overrides.set(key, { active: [], unit: true });
          drops.push({ input: ed.input, drop: base - (await score(net, val, loss, c.metric)) });
          net.overrides.set(key, keep);
        }
        // Strongest first, as DARTS' parse orders a node's pair.
        for (const { input } of drops.sort((a, b) => b.drop - a.drop || a.input - b.input).slice(0, 2)) {
          const e = inEdges.find((ed) => ed.input === input)!.e;
          genes[k].push([ops[chosen[k][e]!]!, input]);
        }
      }
    }
  } finally {
    net.overrides.clear();
  }
  const s = net.space;
  const concat = Array.from({ length: s.multiplier }, (_, i) => 2 + s.steps - s.multiplier + i);
  const hasReduce = net.kinds().includes('reduce');
  return { normal: genes.normal, normal_concat: concat, reduce: genes.reduce, reduce_concat: hasReduce ? [...concat] : [] };
}
