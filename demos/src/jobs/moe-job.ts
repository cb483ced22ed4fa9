// The training job of moe.html: a regressor (Linear → MoE → Linear, residual) on core's Gaussian
// clusters with a different nonlinear target per cluster — the task where experts can specialise.
// Each report reads the layer's statistics (load, dropped pairs, balance and z-loss values) and,
// on a fixed probe of 12 points per cluster, the token → expert combine weights for the heatmap.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, batchIndices, clusterTasks, makeOptimizer, mse, parameterLedger, train, type Dataset, type Ledger, type TrainResult } from '@weft/core';
import { ChainOfExperts, GroveMoE, MoE, MPOEMoE, Regressor, normalizedMutualInformation, type MoEConfig } from '@weft/moe';
import type { TrainingJob, TrainingSegment } from '../controllers/training-controller.js';
import type { MoEState } from '../pages/moe-state.js';
import { setLearningRate } from './learning-rate.js';

const BATCH = 128;
const CLUSTERS = 8;
const PROBE_PER_CLUSTER = 12;

/** What the page shows after a report. */
export interface MoEView {
  /** Combine weights (probe tokens × experts), probe tokens grouped by cluster. */
  weights: number[][];
  /** Cluster of each probe token. */
  cluster: number[];
  /** NMI between each probe token's first-choice expert and its cluster. */
  nmi: number;
}

/** One MoE regressor and its data. */
export class MoEJob implements TrainingJob {
  readonly totalSteps: number;
  /** The model. */
  readonly model: Regressor;
  /** The data. */
  readonly dataset: Dataset;
  private readonly x: tf.Tensor;
  private readonly y: tf.Tensor;
  private readonly probe: tf.Tensor;
  private readonly probeCluster: number[];
  private readonly opt: tf.Optimizer;
  private readonly order: Generator<Int32Array>;
  private disposed = false;

  constructor(readonly state: MoEState) {
    this.totalSteps = state.steps;
    const rng = new Rng(state.seed);
    this.dataset = clusterTasks({ n: 2048, clusters: CLUSTERS, dim: 2, target: 'nonlinear', outputs: 1 }, state.seed);
    // Throws the library's error for a bad combination (k > E, Switch with k = 2, DSelect-k with E = 6, …).
    const cfg: MoEConfig = {
      dim: 16, numExperts: state.experts, topK: state.k, hidden: 16, expert: state.expert, router: state.router,
      capacityFactor: state.capacity > 0 ? state.capacity : null, dropPolicy: state.drop,
      loadBalance: state.balance, loadBalanceWeight: state.aux, zLossWeight: state.z, loraZeroInit: false, name: 'moe',
    };
    // Each layer reports its routing under the name 'moe' (Chain-of-Experts: its first iteration's).
    this.model = new Regressor(2, 1, 16, (r) => {
      if (state.layer === 'chain-of-experts') return new ChainOfExperts({ ...cfg, iterations: 2 }, r);
      if (state.layer === 'grove') return new GroveMoE(cfg, r);
      if (state.layer === 'mpoe') return new MPOEMoE({ ...cfg, dimFactors: [2, 4, 2], hiddenFactors: [2, 4, 2] }, r);
      return new MoE(cfg, r);
    }, rng.fork('model'));
    this.x = tf.tensor(this.dataset.x, this.dataset.xShape);
    this.y = tf.tensor(this.dataset.y, this.dataset.yShape);
    const cluster = this.dataset.extra!.cluster as Int32Array;
    const picks: number[] = [];
    for (let c = 0; c < CLUSTERS; c++) {
      for (let i = 0, got = 0; i < cluster.length && got < PROBE_PER_CLUSTER; i++) if (cluster[i] === c) (picks.push(i), got++);
    }
    this.probeCluster = picks.map((i) => cluster[i]!);
    this.probe = tf.tidy(() => tf.gather(this.x, tf.tensor1d(picks, 'int32')));
    this.opt = makeOptimizer({ name: 'adam', learningRate: state.lr });
    this.order = batchIndices(this.dataset.xShape[0]!, BATCH, { rng: rng.fork('batches'), epochs: Infinity });
  }

  /** The model's ledger (stored / active per token). */
  ledger(): Ledger {
    return parameterLedger(this.model);
  }

  /** Combine weights on the probe points, and the NMI of their first choices with the clusters. */
  async view(): Promise<MoEView> {
    const ctx = new ForwardContext({ collectStats: true });
    tf.tidy(() => void this.model.forward(this.probe, ctx));
    const w = ctx.stats.get('moe.weights') as tf.Tensor;
    const flat = Array.from(await w.data());
    ctx.disposeStats();
    const e = this.state.experts;
    const weights = this.probeCluster.map((_, i) => flat.slice(i * e, i * e + e));
    const first = weights.map((row) => row.indexOf(Math.max(...row)));
    return { weights, cluster: this.probeCluster, nmi: normalizedMutualInformation(first, this.probeCluster) };
  }

  /** Use learning rate `lr` from the next step on (live, mid-run included). */
  setLearningRate(lr: number): void {
    setLearningRate(this.opt, lr);
  }

  run(segment: TrainingSegment): Promise<TrainResult> {
    if (this.disposed) throw new Error('MoEJob: run() after dispose()');
    return train({
      model: this.model,
      optimizer: this.opt,
      steps: segment.steps,
      reportEvery: Math.max(5, Math.round(this.totalSteps / 120)),
      batch: () => {
        const idx = tf.tensor1d(this.order.next().value!, 'int32'); // (B,)
        return { x: tf.gather(this.x, idx), y: tf.gather(this.y, idx) };
      },
      loss: (o, b) => mse(o, b.y),
      onProgress: segment.onProgress,
      signal: segment.signal,
      seed: this.state.seed * 100_003 + segment.fromStep,
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    this.opt.dispose();
    tf.dispose([this.x, this.y, this.probe]);
  }
}
