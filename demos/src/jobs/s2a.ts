// adapters.html's S2A view (S2A: A Unified Framework for Parameter and Memory Efficient Transfer
// Learning, arXiv:2503.08154): the lab's pretrained base tuned on the rotated task by a LoRA on every
// layer and by S2A's side module (S2ASideTuner: a bottleneck network over the frozen backbone's
// features, its ReLU keeping only the x > 0 mask), each `steps` full-batch Adam steps. Bytes held for
// the backward pass are measured as packages/sharing/test/s2a.test.ts does: tf.memory().numBytes alive
// once the forward pass has run inside tf.variableGrads, less what was alive before it (the largest
// over the steps). The LoRA is deleted and the side module and its backbone copy freed once scored.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, MLPClassifier, Rng, accuracy, makeOptimizer, softmaxCrossEntropy, type DatasetTensors } from '@weft/core';
import { S2ASideTuner, adaptedLayers, deleteAdapter, injectAdapter, setActiveAdapters } from '@weft/sharing';

/** One tuned model's figures. */
export interface S2ARow {
  kind: 'lora' | 's2a';
  label: string;
  /** Parameters it trains. */
  trainable: number;
  /** Largest tf.memory().numBytes held between the forward and the backward pass of one training step. */
  backwardBytes: number;
  /** Accuracy on the rotated task's held-out half. */
  accuracy: number;
}

/** LoRA's rank (2 on the 2-wide first and last layers) and the side module's bottleneck (as in s2a.test.ts). */
export const S2A_SETTINGS = { r: 4, bottleneck: 16 } as const;

type Tunable = { forward(x: tf.Tensor, ctx?: ForwardContext): tf.Tensor; trainableParameters(): tf.Variable[] };

/** Train `model` `steps` full-batch Adam steps on `d`; the largest bytes held for a backward pass, and the accuracy on `test`. */
async function tune(model: Tunable, d: DatasetTensors, test: DatasetTensors, steps: number): Promise<{ backwardBytes: number; accuracy: number }> {
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  let held = 0;
  try {
    for (let s = 0; s < steps; s++) {
      tf.tidy(() => {
        const before = tf.memory().numBytes;
        const { value, grads } = tf.variableGrads(() => {
          const loss = softmaxCrossEntropy(model.forward(d.x, new ForwardContext({ training: true })), d.y) as tf.Scalar;
          held = Math.max(held, tf.memory().numBytes - before); // alive after the forward: what the backward reads
          return loss;
        }, model.trainableParameters());
        optimizer.applyGradients(grads);
        value.dispose();
      });
    }
  } finally {
    optimizer.dispose(); // its Adam moments
  }
  const a = tf.tidy(() => accuracy(model.forward(test.x, new ForwardContext()), test.y));
  const acc = (await a.data())[0]!;
  a.dispose();
  return { backwardBytes: held, accuracy: acc };
}

/** LoRA on `base` and an S2A side module over a copy of `base`, each tuned on `task`, scored on `test`. The base's active adapters are restored. */
export async function s2aRows(base: MLPClassifier, task: DatasetTensors, test: DatasetTensors, steps: number, seed: number): Promise<S2ARow[]> {
  const rows: S2ARow[] = [];
  const before = [...(adaptedLayers(base)[0]?.[1].active ?? [])];
  const name = 's2a_lora';
  const { r, bottleneck } = S2A_SETTINGS;
  injectAdapter(base, name, { method: 'lora', targets: 'layers\\.[0-9]+', r, alpha: 2 * r, rankPattern: { 'layers\\.(0|2)': Math.min(r, 2) } }, { rng: new Rng(seed + 1) });
  try {
    setActiveAdapters(base, [name]);
    const trainable = base.trainableParameters().reduce((s, v) => s + v.size, 0);
    rows.push({ kind: 'lora', label: `LoRA r=${r} (every layer)`, trainable, ...(await tune(base, task, test, steps)) });
  } finally {
    deleteAdapter(base, name);
    setActiveAdapters(base, before);
  }
  // The side module reads a plain copy of the base (inside an adapted layer its weights sit under ".base.").
  const copy = new MLPClassifier(base.config, new Rng(0));
  const byPath = new Map(base.namedParameters().map(([p, v]) => [p.replace('.base.', '.'), v]));
  for (const [p, v] of copy.namedParameters()) {
    const src = byPath.get(p);
    if (src) v.assign(src);
  }
  const side = new S2ASideTuner(copy, { bottleneck }, new Rng(seed + 1));
  try {
    const trainable = side.trainableParameters().reduce((s, v) => s + v.size, 0);
    rows.push({ kind: 's2a', label: `S2A side module (bottleneck ${bottleneck})`, trainable, ...(await tune(side, task, test, steps)) });
  } finally {
    side.dispose();
    copy.dispose();
  }
  return rows;
}
