// The techniques of compare.html, one entry each: a name, the package it comes from, and a
// builder that makes a model for the shared task (2-D spirals) from the same width (32) and
// depth (4 hidden layers) budget. Adding a technique to the page is one entry in TECHNIQUES.
// A builder may do work before the budget starts (LoRA pretrains its base on a related task,
// NAS scores candidate architectures): it says so in `note`, and that work is not counted.
import * as tf from '@tensorflow/tfjs-core';
import {
  ForwardContext,
  Linear,
  MLPClassifier,
  Module,
  Rng,
  makeOptimizer,
  rotation,
  softmaxCrossEntropy,
  train,
  type Dataset,
} from '@weft/core';
import { HashedMLPClassifier, SharedMLPClassifier, injectAdapter, type LoraConfig } from '@weft/sharing';
import { MoE } from '@weft/moe';
import { SubnetNetwork, naswot, randomSubnet, resolveEntangledSpace, type SubnetConfig } from '@weft/nas';
import type { BuiltModel, CompareData, CompareTaskConfig } from '../jobs/compare-job.js';

/** What a builder gets: the task's data and config, a seeded generator, and an abort signal. */
export interface BuildContext {
  data: CompareData;
  config: CompareTaskConfig;
  rng: Rng;
  signal: AbortSignal;
}

/** A built model plus what happened before the budget (shown under the run). */
export interface BuiltTechnique extends BuiltModel {
  /** Work done before the step budget, in words (pretraining, search), or empty. */
  note?: string;
}

/** One technique of the comparison. */
export interface TechniqueEntry {
  /** Stable id (URL, tests). */
  id: string;
  /** Short name for the chart and the table. */
  title: string;
  /** Package the technique comes from. */
  pkg: string;
  /** One sentence on what is compared. */
  summary: string;
  /** Builds a fresh, untrained model (and what to train) for the shared task. */
  build(ctx: BuildContext): Promise<BuiltTechnique>;
}

/** Width and hidden layers every technique starts from. */
export const BASE = { width: 32, layers: 4 } as const;
const hiddenWidths = () => Array.from({ length: BASE.layers }, () => BASE.width);

/** A 2 → 32 input layer, a mixture-of-experts FFN with a residual, and a head (MoE layers work on (..., d)). */
class MoEClassifier extends Module {
  readonly input: Linear;
  readonly moe: MoE;
  readonly head: Linear;
  constructor(inFeatures: number, numClasses: number, rng: Rng) {
    super();
    this.input = this.addModule('input', new Linear({ inFeatures, outFeatures: BASE.width }, rng));
    this.moe = this.addModule('moe', new MoE({ dim: BASE.width, numExperts: 4, topK: 1, hidden: BASE.width, capacityFactor: 2 }, rng));
    this.head = this.addModule('head', new Linear({ inFeatures: BASE.width, outFeatures: numClasses }, rng));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const h = tf.relu(this.input.forward(x, ctx)); // (B, d)
    return this.head.forward(tf.add(h, this.moe.forward(h, ctx)), ctx); // (B, d) -> (B, classes)
  }
}

/** Train `model` on `ds` for `steps` (used for the LoRA base's pretraining). */
async function pretrain(model: Module, ds: Dataset, steps: number, c: CompareTaskConfig, signal: AbortSignal): Promise<void> {
  const n = ds.xShape[0]!;
  const x = tf.tensor2d(ds.x as Float32Array, [n, ds.xShape[1]!]);
  const y = tf.tensor1d(ds.y as Int32Array, 'int32');
  const opt = makeOptimizer({ name: 'adam', learningRate: c.lr });
  const rng = new Rng(c.seed).fork('pretrain-batches');
  try {
    await train({
      steps,
      model,
      optimizer: opt,
      signal,
      batch: () => {
        const idx = tf.tensor1d(Int32Array.from({ length: Math.min(c.batch, n) }, () => rng.int(n)), 'int32'); // (B,)
        return { x: tf.gather(x, idx), y: tf.gather(y, idx) };
      },
      loss: (logits, b) => softmaxCrossEntropy(logits, b.y),
      reportEvery: 50,
    });
  } finally {
    opt.dispose();
    tf.dispose([x, y]);
  }
}

/** Every technique the page can run, in queue order. */
export const TECHNIQUES: TechniqueEntry[] = [
  {
    id: 'dense',
    title: 'Dense baseline',
    pkg: '@weft/core',
    summary: `An MLP with ${BASE.layers} hidden layers of ${BASE.width}, every layer its own weights.`,
    build: async ({ data, rng }) => ({ model: new MLPClassifier({ inFeatures: data.inFeatures, numClasses: data.numClasses, hidden: hiddenWidths() }, rng) }),
  },
  {
    id: 'dense-small',
    title: 'Dense, 2 layers',
    pkg: '@weft/core',
    summary: 'The same MLP with 2 hidden layers: exactly as many stored parameters as the all-shared model, a third of its hidden compute.',
    build: async ({ data, rng }) => ({ model: new MLPClassifier({ inFeatures: data.inFeatures, numClasses: data.numClasses, hidden: [BASE.width, BASE.width] }, rng) }),
  },
  {
    id: 'shared',
    title: 'Cross-layer sharing',
    pkg: '@weft/sharing',
    summary: `ALBERT-style all-shared: one ${BASE.width}×${BASE.width} Linear in all ${BASE.layers - 1} hidden slots (with residuals).`,
    build: async ({ data, rng }) => ({
      model: new SharedMLPClassifier({ inFeatures: data.inFeatures, numClasses: data.numClasses, hidden: hiddenWidths(), plan: 'all-shared' }, rng),
    }),
  },
  {
    id: 'hashed',
    title: 'Hashed sharing',
    pkg: '@weft/sharing',
    summary: 'STABLE-RPS: every weight of the dense MLP read from one shared array 4× smaller, through a fixed hash.',
    build: async ({ data, rng }) => ({
      model: new HashedMLPClassifier({ inFeatures: data.inFeatures, numClasses: data.numClasses, hidden: hiddenWidths(), method: 'stable-rps', compression: 4 }, rng),
    }),
  },
  {
    id: 'moe',
    title: 'Mixture of experts',
    pkg: '@weft/moe',
    summary: `4 experts (${BASE.width}→${BASE.width}→${BASE.width}), top-1 routing with capacity factor 2 and a load-balancing loss: 4× the expert parameters stored, one expert active per example.`,
    build: async ({ data, rng }) => ({ model: new MoEClassifier(data.inFeatures, data.numClasses, rng) }),
  },
  {
    id: 'lora',
    title: 'LoRA fine-tuning',
    pkg: '@weft/sharing',
    summary: 'The dense baseline pretrained on the spirals turned by 90°, then frozen; LoRA r=4 on its three 32×32 hidden layers learns the task.',
    build: async ({ data, config, rng, signal }) => {
      const model = new MLPClassifier({ inFeatures: data.inFeatures, numClasses: data.numClasses, hidden: hiddenWidths() }, rng);
      await pretrain(model, rotation(Math.PI / 2)(data.train, 0), config.steps, config, signal);
      const lora: LoraConfig = { method: 'lora', targets: 'layers\\.[1-3]', r: 4, alpha: 8 };
      injectAdapter(model, 'task', lora, { rng: rng.fork('lora') });
      return { model, note: `base pretrained for ${config.steps} steps on the turned spirals (not counted), then frozen` };
    },
  },
  {
    id: 'nas',
    title: 'NAS-found MLP',
    pkg: '@weft/nas',
    summary: 'Zero-cost NAS: 24 random MLPs (depth 1–4, widths 8–32) from an entangled space scored by NASWOT at init; the best is trained.',
    build: async ({ data, rng, signal }) => {
      const space = resolveEntangledSpace({
        kind: 'mlp',
        inFeatures: data.inFeatures,
        numOutputs: data.numClasses,
        depthChoices: [1, 2, 3, 4],
        widthChoices: [8, 16, 32],
      });
      const n = Math.min(16, data.train.xShape[0]!); // NASWOT's kernel is singular when two points share a code: a small batch
      const x = tf.tensor2d((data.train.x as Float32Array).subarray(0, n * data.inFeatures), [n, data.inFeatures]);
      let best: { score: number; subnet: SubnetConfig } | null = null;
      const pick = rng.fork('nas');
      try {
        for (let i = 0; i < 24 && !signal.aborted; i++) {
          const subnet = randomSubnet(space, pick);
          const candidate = new SubnetNetwork(space, subnet, pick.fork(`candidate-${i}`));
          try {
            const score = await naswot({ model: candidate, x });
            if (Number.isFinite(score) && (!best || score > best.score)) best = { score, subnet };
          } finally {
            candidate.dispose();
          }
          await new Promise((r) => setTimeout(r, 0)); // keep the page responsive between candidates
        }
      } finally {
        x.dispose();
      }
      if (!best) throw new Error('NAS: no candidate got a finite NASWOT score');
      const widths = best.subnet.widths.slice(0, best.subnet.depth);
      return {
        model: new SubnetNetwork(space, best.subnet, rng),
        note: `found depth ${best.subnet.depth}, widths ${widths.join('-')} (NASWOT ${best.score.toFixed(1)}) among 24 candidates`,
      };
    },
  },
];

/** Entry by id. */
export function techniqueById(id: string): TechniqueEntry | undefined {
  return TECHNIQUES.find((t) => t.id === id);
}
