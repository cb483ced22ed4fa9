// adapters.html's controllable multi-task view (Efficient Controllable Multi-Task Architectures,
// arXiv:2308.11744): one ControllableMultiTask (a slimmable shared encoder, a slimmable decoder per
// task) trained once by the sandwich rule with configuration-invariant distillation on the page's two
// tasks (A: the base task, B: the rotated task), then evaluated at every uniform width (encoder and
// both decoders at the same fraction) without retraining: each task's accuracy and the MACs per example.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, accuracy, makeOptimizer, softmaxCrossEntropy, type DatasetTensors } from '@weft/core';
import { ControllableMultiTask, sandwichLoss } from '@weft/sharing';

/** One width's figures. */
export interface ControllableRow {
  /** The fraction of every layer's units kept (encoder and decoders). */
  fraction: number;
  /** Multiply-accumulates of one example through the encoder and both decoders. */
  macs: number;
  /** Accuracy on task A's and task B's held-out points. */
  a: number;
  b: number;
}

/** Full widths of the encoder's hidden layers and of each decoder's (the module's defaults, as in controllable.test.ts). */
export const CONTROLLABLE = { encoderWidth: 64, decoderWidth: 32 } as const;

/** Train once on both tasks (`steps` full-batch Adam steps of the sandwich loss), score each uniform width. The model is freed after. */
export async function controllableRows(train: [DatasetTensors, DatasetTensors], test: [DatasetTensors, DatasetTensors], classes: [number, number], steps: number, seed: number): Promise<ControllableRow[]> {
  const m = new ControllableMultiTask({ inFeatures: 2, tasks: classes, ...CONTROLLABLE }, new Rng(seed));
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  try {
    const rng = new Rng(seed + 5);
    for (let k = 0; k < steps; k++) {
      optimizer.minimize(() => sandwichLoss(m, train, (z, y) => softmaxCrossEntropy(z, y), rng, 1), false, m.trainableParameters());
    }
    const rows: ControllableRow[] = [];
    for (const fraction of m.fractions) {
      const widths = { encoder: fraction, decoders: classes.map(() => fraction) };
      m.widths = widths;
      const acc: number[] = [];
      for (const [t, d] of test.entries()) {
        m.task = t;
        const a = tf.tidy(() => accuracy(m.forward(d.x), d.y));
        acc.push((await a.data())[0]!);
        a.dispose();
      }
      rows.push({ fraction, macs: m.macs(widths), a: acc[0]!, b: acc[1]! });
    }
    return rows;
  } finally {
    optimizer.dispose(); // its Adam moments
    m.dispose();
  }
}
