// The search job of nas.html: a planted task (data from a hidden teacher: a random genotype of a
// DARTS-style vector cell, or a random subnet of a weight-entangled MLP) or, for the conv space,
// 8×8 shape images (no teacher), a supernet and a searcher from @weft/nas's registry, run by
// core's trainer through the searcher's bilevel step.
// Each report reads α (or β) and the current architecture; `retrain` trains the found genotype
// and a random one from scratch for comparison.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, accuracy, makeOptimizer, mse, parameterLedger, shapes, softmaxCrossEntropy, toTensors, train, type Ledger, type TrainResult } from '@weft/core';
import {
  DiscreteNetwork, createCellSearch, createEntangledSearch, searchMethod, extractSubnet, largestSubnet, opRecovery, parseGenotype, perturbationSelect,
  plantedCellTask, plantedSubnetTask, randomGenotype, reductionLayers, subnetRecovery, toDartsString, type CellSearch, type EntangledSearch, type Genotype,
  type CellKind, type SearchBatch, type SubnetConfig, type TaskLoss,
} from '@weft/nas';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import type { NasState } from '../pages/nas-state.js';

/** The vector cell space of the page. */
export const CELL_SPACE = { space: 'vector' as const, steps: 2, channels: 8, inChannels: 4, numOutputs: 4, ops: ['none', 'skip_connect', 'linear', 'relu', 'tanh', 'sigmoid'] };
/** The conv cell space of the page: DARTS' cell with 2 nodes, normal–reduce–reduce, all 8 DARTS primitives, on 8×8 shapes (6 classes). */
export const CONV_SPACE = { space: 'conv' as const, steps: 2, multiplier: 2, channels: 4, layers: 3, inChannels: 1, numOutputs: 6 };
/** The entangled space of the page. */
export const ENTANGLED_SPACE = { kind: 'mlp' as const, inFeatures: 4, numOutputs: 4, depthChoices: [1, 2, 3], widthChoices: [4, 8, 16] };
const N = 1024;
/** Batch size of a space (the conv supernet runs every op of 10 edges on images: smaller batches). */
const batchOf = (space: NasState['space']) => (space === 'conv' ? 32 : 64);
/** Rows [start, start + count) of a tensor. */
const rows = (t: tf.Tensor, start: number, count: number) => tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [count, ...t.shape.slice(1)]);

/** One group of bars (an edge's α, or one elastic choice's β). */
export interface BarGroup {
  /** Label, e.g. "2 ← 0" or "width of layer 1". */
  label: string;
  /** Option names. */
  names: string[];
  /** Softmax weights. */
  weights: number[];
  /** Index of the teacher's choice on this group, or -1. */
  teacher: number;
}

/** What the page shows after a report. */
export interface NasView {
  groups: BarGroup[];
  /** Cell space: the current genotype (α-argmax) and its DARTS text; entangled: the argmax subnet. */
  genotype: Genotype | null;
  subnet: SubnetConfig | null;
  text: string;
  /** Share of the teacher's choices recovered (null without a teacher: the conv space). */
  recovery: number | null;
  /** Share of skip_connect among the genotype's ops (DARTS collapse shows as a high share). */
  skipShare: number;
  /** The bars and genotype are the searcher's own edge rows (ROME: topology weight × op share), not softmax α. */
  ownRows: boolean;
  /** D-DARTS (one α per cell): every cell's softmax α, edge by op; null when the cells of a type share α. */
  cells: CellAlphas[] | null;
}

/** One cell's softmax α: a row per edge (labels `node ← input`), a column per op. */
export interface CellAlphas {
  label: string;
  edges: string[];
  ops: string[];
  weights: number[][];
}

/** Random genotypes retrained beside the found one (their mean is the "average architecture"). */
export const RANDOM_RETRAINS = 3;

/**
 * Retraining result: validation loss (MSE, or cross-entropy on shapes) of the found architecture and
 * of {@link RANDOM_RETRAINS} random ones of the same space, and on shapes their accuracies (for the
 * relative improvement of NAS evaluation is frustratingly hard).
 */
export interface RetrainResult {
  found: number;
  /** Mean validation loss of the random genotypes. */
  random: number;
  /** The first random genotype, DARTS' text form. */
  randomText: string;
  /** Validation loss of each random genotype. */
  randoms: number[];
  /** Held-out accuracy of the found genotype (conv space), else null. */
  foundAccuracy: number | null;
  /** Held-out accuracy of each random genotype (conv space), else null. */
  randomAccuracies: number[] | null;
}

/** One search. */
export class NasJob implements TrainingJob {
  readonly totalSteps: number;
  readonly cell: CellSearch | null = null;
  readonly entangled: EntangledSearch | null = null;
  readonly teacher: Genotype | SubnetConfig | null;
  readonly loss: TaskLoss;
  private readonly batch: number;
  private readonly train: { x: tf.Tensor; y: tf.Tensor };
  private readonly val: { x: tf.Tensor; y: tf.Tensor };
  private readonly all: tf.Tensor[];
  private readonly rng: Rng;
  private disposed = false;
  /** Steps trained so far (for a searcher's pause). */
  private stepsDone = 0;
  /** Whether the searcher's pause (few-shot's split) has run. */
  private pausedOnce = false;

  constructor(readonly state: NasState) {
    this.totalSteps = state.steps;
    this.rng = new Rng(state.seed);
    // The architecture learning rate, for the methods that have an architecture optimiser (SPOS has none).
    const arch = searchMethod(state.method).options.includes('archOptimizer') ? { archOptimizer: { name: 'adam' as const, learningRate: state.archLr, beta1: 0.5, beta2: 0.999 } } : {};
    let task: { x: tf.Tensor; y: tf.Tensor };
    this.loss = state.space === 'conv' ? softmaxCrossEntropy : mse;
    this.batch = batchOf(state.space);
    if (state.space === 'conv') {
      task = toTensors(shapes({ n: N }, state.seed));
      this.teacher = null;
      try {
        this.cell = createCellSearch(state.method, CONV_SPACE, this.loss, arch, state.seed + 1);
      } catch (e) {
        tf.dispose([task.x, task.y]);
        throw e;
      }
    } else if (state.space === 'cell') {
      const t = plantedCellTask(CELL_SPACE, state.seed, { n: N });
      task = t;
      this.teacher = t.teacher;
      try {
        this.cell = createCellSearch(state.method, CELL_SPACE, mse, arch, state.seed + 1);
      } catch (e) {
        tf.dispose([t.x, t.y]);
        throw e;
      }
    } else {
      const t = plantedSubnetTask(ENTANGLED_SPACE, state.seed, { n: N });
      task = t;
      this.teacher = t.teacher;
      try {
        this.entangled = createEntangledSearch(state.method, ENTANGLED_SPACE, mse, arch, state.seed + 1);
      } catch (e) {
        tf.dispose([t.x, t.y]);
        throw e;
      }
    }
    const half = N / 2;
    this.train = { x: rows(task.x, 0, half), y: rows(task.y, 0, half) };
    this.val = { x: rows(task.x, half, half), y: rows(task.y, half, half) };
    this.all = [task.x, task.y, this.train.x, this.train.y, this.val.x, this.val.y];
  }

  /** Ledger of the supernet, and (entangled) of its largest subnet. */
  ledgers(): { supernet: Ledger; largest: Ledger | null } {
    if (this.cell) return { supernet: parameterLedger(this.cell.net), largest: null };
    const net = this.entangled!.net;
    const sub = extractSubnet(net, largestSubnet(net.space));
    const largest = parameterLedger(sub);
    sub.dispose();
    return { supernet: parameterLedger(this.entangled!.searcher.weightsModule ?? net), largest };
  }

  /** α / β bars, the current architecture and its recovery of the teacher. */
  async view(selection: NasState['selection']): Promise<NasView> {
    await this.pauseIfDue();
    if (this.cell) {
      const { net } = this.cell;
      // A search with its own genotype rows (ROME's topology β) shows those; the others, softmax α.
      const w = await (this.cell.searcher.edgeWeights?.() ?? net.edgeWeights());
      const teacher = this.teacher as Genotype | null;
      const edges = net.edges();
      const groups = net.kinds().flatMap((kind: CellKind) =>
        w[kind].map((row, e) => {
          const { node, input } = edges[e]!;
          const gene = teacher?.[kind] ?? [];
          const t = gene.findIndex((p, k) => Math.floor(k / 2) === node && p[1] === input);
          return { label: `${kind === 'reduce' ? 'reduce ' : ''}${node + 2} ← ${input}`, names: net.space.ops, weights: row, teacher: t >= 0 ? net.space.ops.indexOf(gene[t]![0]) : -1 };
        }),
      );
      const genotype =
        this.state.method === 'spos'
          ? await this.cell.searcher.result(this.val) // SPOS: the best of random genotypes with the shared weights
          : selection === 'perturbation'
            ? await perturbationSelect(net, this.val, this.loss, { metric: teacher ? 'loss' : 'accuracy' })
            : parseGenotype(w, net.space);
      const skip = genotype.normal.filter(([op]) => op === 'skip_connect').length / genotype.normal.length;
      const kinds = reductionLayers(net.space);
      const cells = net.alphaCells
        ? (await net.cellEdgeWeights()).map((weights, i) => ({ label: `cell ${i + 1} · ${kinds[i] ? 'reduce' : 'normal'}`, edges: edges.map(({ node, input }) => `${node + 2} ← ${input}`), ops: net.space.ops, weights }))
        : null;
      return { groups, genotype, subnet: null, text: toDartsString(genotype), recovery: teacher ? opRecovery(teacher, w, net.space) : null, skipShare: skip, ownRows: this.cell.searcher.edgeWeights !== undefined, cells };
    }
    const net = this.entangled!.net;
    const soft = async (v: tf.Variable) => {
      const t = tf.softmax(v, -1);
      const d = Array.from(await t.data());
      t.dispose();
      return d;
    };
    const s = net.space;
    const teacher = this.teacher as SubnetConfig;
    const pw = await soft(net.betaWidth);
    const pd = await soft(net.betaDepth);
    const W = s.widthChoices.length;
    const groups: BarGroup[] = [{ label: 'depth', names: s.depthChoices.map(String), weights: pd, teacher: s.depthChoices.indexOf(teacher.depth) }];
    for (let l = 0; l < net.maxDepth; l++) {
      groups.push({ label: `width of layer ${l + 1}`, names: s.widthChoices.map(String), weights: pw.slice(l * W, l * W + W), teacher: l < teacher.depth ? s.widthChoices.indexOf(teacher.widths[l]!) : -1 });
    }
    const subnet = await this.entangled!.searcher.result(this.val);
    return { groups, genotype: null, subnet, text: JSON.stringify(subnet), recovery: subnetRecovery(teacher, subnet, s), skipShare: 0, ownRows: false, cells: null };
  }

  /**
   * A searcher with a pause (few-shot NAS splits its supernet there; see runSearch) gets it at the
   * first progress report at or after its step: reports are awaited between steps, so the split
   * sees one batch of the training half and the training goes on after it.
   */
  private async pauseIfDue(): Promise<void> {
    const searcher = this.cell?.searcher ?? this.entangled!.searcher;
    if (this.pausedOnce || !searcher.atPause || searcher.pauseAt === undefined || this.stepsDone < searcher.pauseAt) return;
    this.pausedOnce = true;
    const rng = this.rng.fork('pause');
    const i = tf.tensor1d(Int32Array.from({ length: this.batch }, () => rng.int(N / 2)), 'int32');
    const b = { x: tf.gather(this.train.x, i), y: tf.gather(this.train.y, i) };
    try {
      await searcher.atPause(b);
    } finally {
      tf.dispose([i, b.x, b.y]);
    }
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) throw new Error('NasJob: run() after dispose()');
    const searcher = this.cell?.searcher ?? this.entangled!.searcher;
    const rng = this.rng.fork(`batches-${segment.fromStep}`);
    const half = N / 2;
    const draw = () => tf.tensor1d(Int32Array.from({ length: this.batch }, () => rng.int(half)), 'int32');
    return train<SearchBatch>({
      steps: segment.steps,
      reportEvery: Math.max(5, Math.round(this.totalSteps / 100)),
      batch: () => {
        const a = draw();
        const b = draw();
        return { train: { x: tf.gather(this.train.x, a), y: tf.gather(this.train.y, a) }, val: { x: tf.gather(this.val.x, b), y: tf.gather(this.val.y, b) } };
      },
      step: (b, s) => {
        this.stepsDone = segment.fromStep + s.step + 1;
        return searcher.step(b, { ...s, step: segment.fromStep + s.step });
      },
      onProgress: segment.onProgress,
      signal: segment.signal,
      seed: this.state.seed * 100_003 + segment.fromStep,
    });
  }

  /** Train the found genotype and {@link RANDOM_RETRAINS} random ones from scratch (150 steps each); validation loss (and accuracy on shapes) of each. */
  async retrain(found: Genotype): Promise<RetrainResult> {
    const grng = new Rng(this.state.seed + 7);
    const randoms = Array.from({ length: RANDOM_RETRAINS }, () => randomGenotype(this.cell!.net.space, grng));
    const conv = this.state.space === 'conv';
    const fit = async (g: Genotype) => {
      const net = new DiscreteNetwork(g, this.cell!.net.space, new Rng(this.state.seed + 3));
      const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const rng = new Rng(this.state.seed + 5);
      await train({
        model: net, optimizer: opt, steps: 150, reportEvery: 150, loss: (o, b) => this.loss(o, b.y),
        batch: () => {
          const i = tf.tensor1d(Int32Array.from({ length: this.batch }, () => rng.int(N / 2)), 'int32');
          return { x: tf.gather(this.train.x, i), y: tf.gather(this.train.y, i) };
        },
      });
      const l = tf.tidy(() => {
        const out = net.forward(this.val.x, new ForwardContext());
        return tf.stack([this.loss(out, this.val.y), conv ? accuracy(out, this.val.y) : tf.scalar(0)]);
      });
      const [loss, acc] = await l.data();
      l.dispose();
      opt.dispose();
      net.dispose();
      return { loss: loss!, accuracy: acc! };
    };
    const f = await fit(found);
    const r: Array<{ loss: number; accuracy: number }> = [];
    for (const g of randoms) r.push(await fit(g));
    const randomLosses = r.map((x) => x.loss);
    return {
      found: f.loss,
      random: randomLosses.reduce((a, b) => a + b, 0) / randomLosses.length,
      randomText: toDartsString(randoms[0]!),
      randoms: randomLosses,
      foundAccuracy: conv ? f.accuracy : null,
      randomAccuracies: conv ? r.map((x) => x.accuracy) : null,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const s = this.cell ?? this.entangled!;
    s.searcher.dispose();
    s.net.dispose();
    tf.dispose(this.all);
  }
}
