// The ranking benchmark (How to Train Your Super-Net, arXiv 2003.04276, and Deeper Insights into
// Weight Sharing in NAS, arXiv 2001.01431, judge a supernet by the Kendall τ between the accuracies
// it gives subnets and their stand-alone accuracies). Two weight-entangled spaces — an MLP on 3-arm
// spirals ('vector') and a CNN on 8×8 shapes ('conv8') — with 24 seeded, distinct subnets each, a
// fixed stand-alone training recipe (Adam, seeds 0–2, accuracy on a held-out split) and the scores
// a trained supernet gives the same subnets. The stand-alone accuracies are cached in table.ts
// (made by scripts/nas-ranking-table.mjs). Departure: toy spaces and budgets, one split for
// validation and ranking.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, accuracy, describeValue, makeOptimizer, shapes, softmaxCrossEntropy, spirals, toTensors, train, type Module } from '@weft/core';
import { resolveEntangledSpace, validateSubnet, type EntangledSpaceConfig, type SubnetConfig } from '../entangled/space.js';
import { SubnetNetwork } from '../entangled/subnet.js';
import type { Batch } from '../search/bilevel.js';

/** The benchmark names. */
export const RANKING_BENCHMARKS = ['vector', 'conv8'] as const;
/** One of {@link RANKING_BENCHMARKS}. */
export type RankingBenchmarkName = (typeof RANKING_BENCHMARKS)[number];

/** A benchmark's definition (fixed: the cached table depends on every field). */
export interface RankingBenchmark {
  name: RankingBenchmarkName;
  /** One line for a page. */
  description: string;
  /** The entangled space the subnets come from. */
  space: EntangledSpaceConfig;
  /** Number of subnets. */
  count: number;
  /** Seed of the subnet draw. */
  subnetSeed: number;
  /** Stand-alone training: Adam at `learningRate`, `steps` batches of `batchSize`, one run per seed. */
  standalone: { steps: number; batchSize: number; learningRate: number; seeds: number[] };
  /** Examples in the training and the held-out split. */
  split: { train: number; val: number };
}

const DEFS: Record<RankingBenchmarkName, RankingBenchmark> = {
  vector: {
    name: 'vector',
    description: 'Entangled MLP (depth 1–3, widths 4/8/16, relu or tanh per layer) on 3-arm spirals',
    space: resolveEntangledSpace({ kind: 'mlp', inFeatures: 2, numOutputs: 3, depthChoices: [1, 2, 3], widthChoices: [4, 8, 16], activationChoices: ['relu', 'tanh'] }),
    count: 24,
    subnetSeed: 11,
    standalone: { steps: 400, batchSize: 64, learningRate: 0.02, seeds: [0, 1, 2] },
    split: { train: 800, val: 400 },
  },
  conv8: {
    name: 'conv8',
    description: 'Entangled CNN (depth 1–3, widths 4/8, kernels 1/3/5) on 8×8 shapes (6 classes)',
    space: resolveEntangledSpace({ kind: 'cnn', inFeatures: 1, numOutputs: 6, depthChoices: [1, 2, 3], widthChoices: [4, 8], kernelChoices: [1, 3, 5] }),
    count: 24,
    subnetSeed: 12,
    standalone: { steps: 300, batchSize: 64, learningRate: 0.02, seeds: [0, 1, 2] },
    split: { train: 768, val: 256 },
  },
};

/** A benchmark's definition. */
export function rankingBenchmark(name: RankingBenchmarkName): RankingBenchmark {
  if (!Object.hasOwn(DEFS, name)) throw new Error(`rankingBenchmark: name=${describeValue(name)} is unknown; allowed: ${RANKING_BENCHMARKS.join(', ')}`);
  return DEFS[name];
}

/** A subnet with the choices past its depth set to the first choice, so equal networks have equal configs. */
export function canonicalSubnet(space: EntangledSpaceConfig, s: SubnetConfig): SubnetConfig {
  validateSubnet(space, s);
  const past = <T>(a: readonly T[], first: T) => a.map((v, l) => (l < s.depth ? v : first));
  const out: SubnetConfig = { depth: s.depth, widths: past(s.widths, space.widthChoices[0]!) };
  if (s.kernels) out.kernels = past(s.kernels, space.kernelChoices[0]!);
  if (s.activations) out.activations = past(s.activations, space.activationChoices[0]!);
  return out;
}

/** A short stable name of a subnet, e.g. `d2 w16,8 k3,5 relu,tanh` (layers past the depth left out). */
export function subnetKey(s: SubnetConfig): string {
  const used = <T>(a: readonly T[] | undefined) => (a ? a.slice(0, s.depth).join(',') : null);
  return [`d${s.depth}`, `w${used(s.widths)}`, s.kernels ? `k${used(s.kernels)}` : null, used(s.activations)].filter((p) => p !== null).join(' ');
}

/**
 * The benchmark's subnets: `count` distinct ones, drawn uniformly (depth first, then each layer's
 * choices) by a seeded Rng, redrawing duplicates.
 */
export function benchmarkSubnets(b: RankingBenchmark): SubnetConfig[] {
  const rng = new Rng(b.subnetSeed);
  const s = b.space;
  const D = s.depthChoices.at(-1)!;
  const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)]!;
  const seen = new Set<string>();
  const out: SubnetConfig[] = [];
  for (let tries = 0; out.length < b.count; tries++) {
    if (tries > 100 * b.count) throw new Error(`benchmarkSubnets: the space of '${b.name}' has fewer than ${b.count} distinct subnets`);
    const depth = pick(s.depthChoices);
    const layer = (choices: readonly number[] | readonly string[]) => Array.from({ length: D }, () => pick(choices as readonly (number | string)[]));
    const raw: SubnetConfig = { depth, widths: layer(s.widthChoices) as number[] };
    if (s.kind === 'cnn') raw.kernels = layer(s.kernelChoices) as number[];
    if (s.activationChoices.length > 1) raw.activations = layer(s.activationChoices) as SubnetConfig['activations'];
    const c = canonicalSubnet(s, raw);
    const key = subnetKey(c);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

/** The benchmark's two splits (new tensors; the caller disposes them). */
export function benchmarkData(b: RankingBenchmark): { train: Batch; val: Batch } {
  const n = b.split.train + b.split.val;
  const ds = b.name === 'vector' ? spirals({ n, arms: 3, turns: 1.25, noise: 0.08 }, 7) : shapes({ n, size: 8 }, 3);
  const t = toTensors(ds);
  const cut = (from: number, size: number): Batch => ({
    x: tf.slice(t.x, from, size), // first axis: (N, …) -> (size, …)
    y: tf.slice(t.y, from, size),
  });
  const out = { train: cut(0, b.split.train), val: cut(b.split.train, b.split.val) };
  tf.dispose([t.x, t.y, ...Object.values(t.extra ?? {})]);
  return out;
}

/** Accuracy of `model` on a split (one readback). */
export async function accuracyOn(model: Module, b: Batch): Promise<number> {
  const a = tf.tidy(() => accuracy(model.forward(b.x, new ForwardContext({ training: false })), b.y));
  const v = (await a.data())[0]!;
  a.dispose();
  return v;
}

/** Train a fresh stand-alone network of `subnet` with the benchmark's recipe and seed; its held-out accuracy. */
export async function trainStandalone(b: RankingBenchmark, data: { train: Batch; val: Batch }, subnet: SubnetConfig, seed: number): Promise<number> {
  const rng = new Rng(seed);
  const net = new SubnetNetwork(b.space, subnet, rng.fork('init'));
  const { steps, batchSize, learningRate } = b.standalone;
  const n = data.train.x.shape[0]!;
  const draw = rng.fork('batches');
  const idx = Array.from({ length: steps }, () => Int32Array.from({ length: batchSize }, () => draw.int(n)));
  const opt = makeOptimizer({ name: 'adam', learningRate });
  try {
    await train({
      model: net,
      optimizer: opt,
      steps,
      reportEvery: steps,
      seed,
      loss: (o, batch: Batch) => softmaxCrossEntropy(o, batch.y),
      batch: (i) => {
        const t = tf.tensor1d(idx[i]!, 'int32');
        return { x: tf.gather(data.train.x, t), y: tf.gather(data.train.y, t) };
      },
    });
    return await accuracyOn(net, data.val);
  } finally {
    opt.dispose();
    net.dispose();
  }
}

/** A module that runs the subnet it is set to (an entangled supernet, a mixture of supernets). */
export type SubnetRunner = Module & { subnet: SubnetConfig | null };

/**
 * The held-out accuracy each subnet gets with a supernet's inherited weights (its ranking scores).
 * `net` is the supernet, or a function giving the supernet that holds a subnet (few-shot parts).
 */
export async function supernetAccuracies(net: SubnetRunner | ((s: SubnetConfig) => SubnetRunner), subnets: readonly SubnetConfig[], val: Batch): Promise<number[]> {
  const out: number[] = [];
  for (const s of subnets) {
    const n = typeof net === 'function' ? net(s) : net;
    const saved = n.subnet;
    n.subnet = s;
    try {
      out.push(await accuracyOn(n, val));
    } finally {
      n.subnet = saved;
    }
  }
  return out;
}

/** One subnet of a cached table: its config, name, parameter count and stand-alone accuracy per seed. */
export interface RankingTableRow {
  subnet: SubnetConfig;
  key: string;
  params: number;
  /** Held-out accuracy after stand-alone training, one per seed of the recipe. */
  standalone: number[];
}

/** A benchmark's cached table (see table.ts and scripts/nas-ranking-table.mjs). */
export interface RankingTable {
  benchmark: RankingBenchmarkName;
  rows: RankingTableRow[];
  /** Other rankings of the same rows, higher = predicted better: zero-cost proxies at init, supernet accuracies. */
  scores: Record<string, number[]>;
  /** How each score was made. */
  notes: Record<string, string>;
  /** Seconds the script took for this benchmark on the machine that made it. */
  seconds: number;
}

/** The mean stand-alone accuracy of each row (the reference ranking). */
export function standaloneMeans(t: RankingTable): number[] {
  return t.rows.map((r) => r.standalone.reduce((a, b) => a + b, 0) / r.standalone.length);
}
