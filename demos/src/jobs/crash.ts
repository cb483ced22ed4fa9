// adapters.html's CRaSh view (CRaSh: Clustering, Removing, and Sharing Enhance Fine-tuning without Full
// Large Language Model, arXiv:2310.15477). The lab's base has one width-preserving layer, too few to
// cluster, so this view pretrains its own deeper MLP (six hidden layers of 32) on the base task, cuts
// its middle layers into two clusters by linear CKA on the base task's points, builds the emulator
// (one representative per cluster, shared over its positions), tunes a LoRA on the emulator for the
// rotated task and plugs it back into the full model; compared with the untuned full model, the tuned
// emulator and a LoRA tuned on the full model (as packages/sharing/test/crash.test.ts). Every model is
// freed once scored.
import * as tf from '@tensorflow/tfjs-core';
import { MLPClassifier, Rng, accuracy, makeOptimizer, softmaxCrossEntropy, train, type DatasetTensors } from '@weft/core';
import { crashClusters, crashEmulator, injectAdapter, plugAdapter } from '@weft/sharing';

/** The view's model and settings. */
export const CRASH = { hidden: [32, 32, 32, 32, 32, 32], clusters: 2, r: 4 } as const;

/** What the view shows. */
export interface CrashOutcome {
  /** Linear CKA of each consecutive pair of middle layers' outputs: similarity[k] compares layers k+1 and k+2. */
  similarity: number[];
  /** The clusters: indices into the model's layers. */
  groups: number[][];
  /** Accuracy on the rotated task's held-out half. */
  rows: Array<{ kind: 'untuned' | 'emulator' | 'plugged' | 'full-lora'; label: string; accuracy: number }>;
}

/** Pretrain on `pre` (`preSteps`), cluster, tune on `task` (`steps`), score on `test`. */
export async function crashOutcome(pre: DatasetTensors, task: DatasetTensors, test: DatasetTensors, numClasses: number, preSteps: number, steps: number, seed: number): Promise<CrashOutcome> {
  const config = { inFeatures: 2, hidden: [...CRASH.hidden], numClasses };
  const last = CRASH.hidden.length;
  const lora = { method: 'lora', targets: 'layers\\.[0-9]+', r: CRASH.r, alpha: 2 * CRASH.r, rankPattern: { [`layers\\.(0|${last})`]: 2 } } as const;
  const fit = async (m: MLPClassifier, d: DatasetTensors, n: number) => {
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.005 });
    try {
      await train({ model: m, steps: n, reportEvery: n, optimizer, batch: () => ({ x: d.x, y: d.y }), loss: (z, b) => softmaxCrossEntropy(z, b.y), seed });
    } finally {
      optimizer.dispose(); // its Adam moments
    }
  };
  const acc = async (m: MLPClassifier) => {
    const t = tf.tidy(() => accuracy(m.call(test.x), test.y));
    const v = (await t.data())[0]!;
    t.dispose();
    return v;
  };
  const models: MLPClassifier[] = [];
  try {
    const full = new MLPClassifier(config, new Rng(seed));
    models.push(full);
    await fit(full, pre, preSteps);
    const rows: CrashOutcome['rows'] = [{ kind: 'untuned', label: 'full model, untuned', accuracy: await acc(full) }];
    const clusters = await crashClusters(full, pre.x as tf.Tensor2D, CRASH.clusters);
    const emu = await crashEmulator(full, clusters);
    models.push(emu);
    injectAdapter(emu, 'b', lora, { rng: new Rng(seed + 1) });
    await fit(emu, task, steps);
    rows.push({ kind: 'emulator', label: 'emulator + LoRA, tuned', accuracy: await acc(emu) });
    // A copy of the untuned full model for the reference LoRA, before the plugged adapter goes in.
    const ref = new MLPClassifier(config, new Rng(seed));
    models.push(ref);
    ref.parameters().forEach((v, i) => v.assign(full.parameters()[i]!));
    injectAdapter(full, 'b', lora, { rng: new Rng(seed + 1) });
    plugAdapter(emu, full, 'b');
    rows.push({ kind: 'plugged', label: "CRaSh: the emulator's LoRA in the full model", accuracy: await acc(full) });
    injectAdapter(ref, 'b', lora, { rng: new Rng(seed + 1) });
    await fit(ref, task, steps);
    rows.push({ kind: 'full-lora', label: 'LoRA tuned on the full model', accuracy: await acc(ref) });
    return { similarity: clusters.similarity, groups: clusters.groups, rows };
  } finally {
    for (const m of models) m.dispose();
  }
}
