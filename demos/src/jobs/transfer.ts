// The merge explorer's transfer view: AdapterHub composition (arXiv:2007.07779) and ScaLearn
// (arXiv:2310.01217) over frozen task LoRAs. The page's own task (rotated by the page's angle, the
// explorer's middle task) is learned from a few of its points by composing the LoRAs of its two
// neighbours (½× and 1½× the angle): Average (nothing trains), ScaLearn (one learned scalar per source
// and layer) and AdapterFusion (attention over the sources' outputs, Q, K and V per layer). Each
// composition is deleted after it is scored.
import * as tf from '@tensorflow/tfjs-core';
import { accuracy, makeOptimizer, softmaxCrossEntropy, train, type DatasetTensors, type MLPClassifier } from '@weft/core';
import { adaptedLayers, addComposition, deleteAdapter, setActiveAdapters, type CompositionKind } from '@weft/sharing';

/** One composition's result on the target task. */
export interface TransferRow {
  kind: CompositionKind;
  label: string;
  /** Parameters the composition trains (0 for Average). */
  trainable: number;
  /** Accuracy on the target task's held-out half. */
  accuracy: number;
}

const KINDS: Array<{ kind: CompositionKind; label: string }> = [
  { kind: 'average', label: 'Average (AdapterHub)' },
  { kind: 'scalearn', label: 'ScaLearn' },
  { kind: 'fuse', label: 'AdapterFusion (AdapterHub Fuse)' },
];

/** Points of the target task the compositions learn from. */
export const TRANSFER_POINTS = 100;

/** Compose `sources` (LoRA names on `base`) for the target task: train each composition `steps` full-batch Adam steps on `few`, score it on `test`. */
export async function transferRows(base: MLPClassifier, sources: string[], few: DatasetTensors, test: DatasetTensors, steps: number, seed: number): Promise<TransferRow[]> {
  const rows: TransferRow[] = [];
  for (const { kind, label } of KINDS) {
    const name = `transfer_${kind}`;
    addComposition(base, name, { kind, sources, seed });
    try {
      setActiveAdapters(base, [name]);
      const trainable = adaptedLayers(base).reduce((s, [, l]) => s + (l.has(name) ? l.adapter(name).parameters().reduce((t, v) => t + v.size, 0) : 0), 0);
      if (trainable > 0) {
        const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        try {
          await train({ model: base, steps, reportEvery: steps, optimizer, batch: () => ({ x: few.x, y: few.y }), loss: (logits, b) => softmaxCrossEntropy(logits, b.y), seed });
        } finally {
          optimizer.dispose(); // its Adam moments
        }
      }
      const a = tf.tidy(() => accuracy(base.call(test.x), test.y));
      rows.push({ kind, label, trainable, accuracy: (await a.data())[0]! });
      a.dispose();
    } finally {
      deleteAdapter(base, name);
    }
  }
  setActiveAdapters(base, []);
  return rows;
}
