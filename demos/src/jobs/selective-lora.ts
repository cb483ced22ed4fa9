// adapters.html's Selective LoRA view (Fine Tuning without Catastrophic Forgetting via Selective Low
// Rank Adaptation, arXiv:2501.15377): the lab's pretrained base (task A, the base task) tuned on the
// rotated task (B) by plain LoRA and by Selective LoRA (TAPS' indicator gate over each layer's LoRA
// block, `method: 'taps'` with `r`), each as a named adapter on the frozen base; which blocks the
// gate leaves on, and A and B accuracy before and after. Both adapters are deleted once scored.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, accuracy, makeOptimizer, softmaxCrossEntropy, train, type DatasetTensors, type MLPClassifier } from '@weft/core';
import { adaptedLayers, deleteAdapter, injectAdapter, setActiveAdapters, tapsActiveLayers, type AdapterConfigBase } from '@weft/sharing';

/** One row: the base (no adapter), LoRA or Selective LoRA. */
export interface SelectiveRow {
  kind: 'base' | 'lora' | 'selective';
  label: string;
  /** Parameters the adapter trains (0 for the base). */
  trainable: number;
  /** Accuracy on task A's (the base task's) and task B's (the rotated task's) held-out points. */
  a: number;
  b: number;
  /** Selective LoRA: each adapted layer's path and whether its gate is on; empty otherwise. */
  gates: Array<{ path: string; on: boolean; score: number }>;
}

/** Rank of both adapters, the gate's sparsity weight λ and its threshold (as in selective-lora.test.ts). */
export const SELECTIVE = { r: 2, sparsity: 0.05, threshold: 0.1 } as const;

const CONFIGS: Array<{ kind: 'lora' | 'selective'; label: string; config: AdapterConfigBase & Record<string, unknown> }> = [
  { kind: 'lora', label: `LoRA r=${SELECTIVE.r}`, config: { method: 'lora', targets: 'layers\\.[0-9]+', r: SELECTIVE.r, alpha: 2 * SELECTIVE.r } },
  { kind: 'selective', label: `Selective LoRA r=${SELECTIVE.r}`, config: { method: 'taps', targets: 'layers\\.[0-9]+', r: SELECTIVE.r, sparsity: SELECTIVE.sparsity, threshold: SELECTIVE.threshold, initScore: 1 } },
];

/** Tune `base` (pretrained on A) on `tuneB` by each adapter, `steps` full-batch Adam steps; score on `testA` and `testB`. The base's active adapters are restored. */
export async function selectiveRows(base: MLPClassifier, tuneB: DatasetTensors, testA: DatasetTensors, testB: DatasetTensors, steps: number, seed: number): Promise<SelectiveRow[]> {
  const before = [...(adaptedLayers(base)[0]?.[1].active ?? [])];
  const acc = async (d: DatasetTensors) => {
    const t = tf.tidy(() => accuracy(base.call(d.x), d.y));
    const v = (await t.data())[0]!;
    t.dispose();
    return v;
  };
  const rows: SelectiveRow[] = [];
  try {
    setActiveAdapters(base, []);
    rows.push({ kind: 'base', label: 'the base, before tuning', trainable: 0, a: await acc(testA), b: await acc(testB), gates: [] });
    for (const { kind, label, config } of CONFIGS) {
      const name = `selective_${kind}`;
      injectAdapter(base, name, config, { rng: new Rng(seed + 5) });
      try {
        setActiveAdapters(base, [name]);
        const trainable = adaptedLayers(base).reduce((s, [, l]) => s + l.adapter(name).parameters().reduce((t, v) => t + v.size, 0), 0);
        const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
        try {
          await train({ model: base, steps, reportEvery: steps, optimizer, batch: () => ({ x: tuneB.x, y: tuneB.y }), loss: (logits, b) => softmaxCrossEntropy(logits, b.y), seed });
        } finally {
          optimizer.dispose(); // its Adam moments
        }
        let gates: SelectiveRow['gates'] = [];
        if (kind === 'selective') {
          const { active, scores } = await tapsActiveLayers(base, name);
          gates = Object.entries(scores).map(([path, score]) => ({ path, on: active.includes(path), score }));
        }
        rows.push({ kind, label, trainable, a: await acc(testA), b: await acc(testB), gates });
      } finally {
        deleteAdapter(base, name);
      }
    }
  } finally {
    setActiveAdapters(base, before);
  }
  return rows;
}
