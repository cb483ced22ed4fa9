// The merge explorer's routed merges: Mediator (arXiv:2502.04411: the most conflicting layers kept
// per task, the others averaged; the kept experts as the dense average plus sparse task residuals)
// and 1bit-Merging (arXiv:2502.10743: 1-bit task vectors) over the explorer's task LoRAs, each held-out
// point routed by the uncertainty of the experts' predictions (below the confidence: the experts
// mixed by certainty). Scored on every task's held-out half; the experts are deleted afterwards.
import * as tf from '@tensorflow/tfjs-core';
import { accuracy, type DatasetTensors, type MLPClassifier } from '@weft/core';
import { deleteAdapter, mediatorMerge, oneBitMerge, routeByUncertainty, setActiveAdapters } from '@weft/sharing';
import type { MergeOutcome } from './merge-explorer-job.js';

/** The page's settings of the routed merges. */
export interface RoutedOptions {
  /** Mediator's share of each routed layer's task residual kept (1: the experts whole). */
  density: number;
  /** Routing confidence: a point whose certainty is below it mixes the experts. */
  confidence: number;
}

/** One routed merge's result. */
export interface RoutedOutcome extends MergeOutcome {
  /** Stored task-vector numbers (bits for 1bit-Merging) ÷ keeping every task's ΔW in float32. */
  storageRatio: number;
  /** Per task k: the share of its held-out points whose least uncertain expert is task k's own. */
  ownShare: number[];
}

/** Both routed merges, and which layers Mediator routed. */
export interface RoutedMerges {
  mediator: RoutedOutcome & { layers: Array<{ path: string; conflict: number; routed: boolean }> };
  oneBit: RoutedOutcome;
}

/** Score experts `experts` routed by uncertainty on each task's test half. */
async function scoreRouted(base: MLPClassifier, experts: string[], tests: DatasetTensors[], confidence: number): Promise<Omit<RoutedOutcome, 'storageRatio'>> {
  const perTask: number[] = [], ownShare: number[] = [];
  for (const [k, test] of tests.entries()) {
    const logits = experts.map((e) => {
      setActiveAdapters(base, [e]);
      return tf.tidy(() => base.call(test.x) as tf.Tensor2D); // the forward's intermediates freed
    });
    const { logits: z, choice, weights } = routeByUncertainty(logits, { confidence });
    const [a, own] = tf.tidy(() => [accuracy(z, test.y), tf.mean(tf.cast(tf.equal(choice, k), 'float32'))]);
    perTask.push((await a!.data())[0]!);
    ownShare.push((await own!.data())[0]!);
    tf.dispose([...logits, z, choice, weights, a!, own!]);
  }
  setActiveAdapters(base, []);
  return { perTask, average: perTask.reduce((s, v) => s + v, 0) / perTask.length, ownShare };
}

/** Mediator and 1bit-Merging over the task LoRAs `names` on `base`, scored on `tests` (one per task). */
export async function routedMerges(base: MLPClassifier, names: string[], tests: DatasetTensors[], options: RoutedOptions): Promise<RoutedMerges> {
  const med = await mediatorMerge(base, names, 'mediator', { density: options.density });
  try {
    const mediator = { ...(await scoreRouted(base, med.experts, tests, options.confidence)), storageRatio: med.storageRatio, layers: med.layers };
    const one = await oneBitMerge(base, names, 'onebit');
    try {
      const oneBit = { ...(await scoreRouted(base, one.experts, tests, options.confidence)), storageRatio: one.storageRatio };
      return { mediator, oneBit };
    } finally {
      one.experts.forEach((e) => deleteAdapter(base, e));
    }
  } finally {
    med.experts.forEach((e) => deleteAdapter(base, e));
  }
}
