// Shared by the routed merges (Mediator, 1bit-Merging): per-layer task vectors of named adapters
// read once, per-task LoRA adapters written from per-layer ΔW, and routing each example to the task
// expert whose prediction is least uncertain (lowest entropy), Mediator's uncertainty-based routing.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, checkKnownKeys, describeValue, type Module } from '@weft/core';
import { checkNumber, checkPositive } from '@weft/core/internal';
import type { AdaptedLayer } from '../adapted-layer.js';
import { checkAdapterName } from '../adapted-layer.js';
import { fanIn } from '../base-op.js';
import { adaptedLayers, adapterNames } from '../inject.js';
import type { LoraConfig } from '../lora/config.js';
import { LoraLayer } from '../lora/layer.js';
import { resolveAdapterConfig } from '../registry.js';
import { svd } from '../svd.js';

/** One adapted layer's task vectors ΔWᵢ (flat [rows, cols]) of every source. */
export interface LayerTaskVectors {
  path: string;
  layer: AdaptedLayer;
  rows: number;
  cols: number;
  tasks: Float32Array[];
}

/** Read every source's ΔW on the layers all sources adapt (checks the names). */
export async function readTaskVectors(model: Module<any, any>, sources: string[], fn: string): Promise<LayerTaskVectors[]> {
  if (!Array.isArray(sources) || sources.length < 2) throw new Error(`${fn}: sources=${describeValue(sources)} must list ≥ 2 adapter names`);
  const known = adapterNames(model);
  for (const s of sources) if (!known.includes(s)) throw new Error(`${fn}: no adapter ${describeValue(s)} (has: ${known.join(', ') || 'none'})`);
  const out: LayerTaskVectors[] = [];
  for (const [path, l] of adaptedLayers(model)) {
    if (!sources.every((s) => l.has(s))) continue;
    const tasks: Float32Array[] = [];
    for (const s of sources) {
      const d = l.adapter(s).deltaWeight(); // [fanIn, out]
      tasks.push((await d.data()) as Float32Array);
      d.dispose();
    }
    out.push({ path, layer: l, rows: fanIn(l.base), cols: l.base.outFeatures, tasks });
  }
  if (out.length === 0) throw new Error(`${fn}: no layer has all of ${sources.join(', ')}`);
  return out;
}

/** Add adapter `name` holding ΔW = `deltas[path]` exactly (a LoRA of rank min(rows, cols), by SVD). */
export function addDeltaAdapter(layers: LayerTaskVectors[], deltas: Map<string, Float32Array>, name: string, fn: string): void {
  checkAdapterName(name, fn);
  for (const { path, layer, rows, cols } of layers) {
    if (layer.has(name)) throw new Error(`${fn}: adapter "${name}" already exists at "${path}"`);
    const dw = deltas.get(path)!;
    const r = Math.min(rows, cols);
    const { u, s, v, k } = svd(dw, rows, cols);
    const a = new Float32Array(rows * r), b = new Float32Array(r * cols);
    for (let c = 0; c < r; c++) {
      const root = Math.sqrt(s[c]!);
      for (let i = 0; i < rows; i++) a[i * r + c] = u[i * k + c]! * root;
      for (let j = 0; j < cols; j++) b[c * cols + j] = v[j * k + c]! * root;
    }
    const lora = new LoraLayer(layer.base, { r, alpha: r, dropout: 0, rslora: false, dora: false, initWeights: true }, new Rng(0));
    tf.tidy(() => {
      lora.loraA.assign(tf.tensor2d(a, [rows, r]));
      lora.loraB.assign(tf.tensor2d(b, [r, cols]));
    });
    lora.resolvedConfig = resolveAdapterConfig<LoraConfig>({ method: 'lora', targets: [], r, alpha: r });
    layer.add(name, lora);
  }
}

/** Options of {@link routeByUncertainty}. */
export interface UncertaintyRouting {
  /**
   * Certainty an example needs for one expert: its experts' weights are softmax(−entropy / temperature);
   * when the largest is below `confidence` (an out-of-distribution example) the example's logits are
   * the weighted mixture of every expert's logits instead of the chosen expert's. In [0, 1]; 0 always
   * picks one expert. Default: 0.
   */
  confidence?: number;
  /** Temperature of those weights (> 0). Default: 1. */
  temperature?: number;
}

/**
 * Uncertainty-based routing (Mediator's): given each expert's logits for the same batch ([N, C] each),
 * pick per example the expert with the lowest predictive entropy — or, for an example whose certainty
 * is below `options.confidence`, mix the experts by softmax(−entropy / temperature) — and return the
 * logits [N, C], the least uncertain expert [N] and the per-example expert weights used [N, E].
 */
export function routeByUncertainty(expertLogits: tf.Tensor2D[], options: UncertaintyRouting = {}): { logits: tf.Tensor2D; choice: tf.Tensor1D; weights: tf.Tensor2D } {
  checkKnownKeys('routeByUncertainty: options', options, ['confidence', 'temperature']);
  const confidence = checkNumber('routeByUncertainty', 'confidence', options.confidence ?? 0, 0, 1);
  const temperature = checkPositive('routeByUncertainty', 'temperature', options.temperature ?? 1);
  if (!Array.isArray(expertLogits) || expertLogits.length === 0) throw new Error('routeByUncertainty: expertLogits must be a non-empty list of [N, C] logits');
  return tf.tidy(() => {
    const entropy = tf.stack(expertLogits.map((z) => {
      const logp = tf.logSoftmax(z);
      return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)); // (N)
    }), 1); // (N, E)
    const choice = tf.argMin(entropy, 1) as tf.Tensor1D;
    const onehot = tf.oneHot(choice, expertLogits.length); // (N, E)
    const soft = tf.softmax(tf.div(tf.neg(entropy), temperature)); // (N, E)
    const sure = tf.greaterEqual(tf.max(soft, 1, true), confidence); // (N, 1)
    const weights = tf.where(tf.broadcastTo(sure, soft.shape), tf.cast(onehot, 'float32'), soft) as tf.Tensor2D;
    const stacked = tf.stack(expertLogits, 1); // (N, E, C)
    return { logits: tf.sum(tf.mul(stacked, tf.expandDims(weights, 2)), 1) as tf.Tensor2D, choice, weights }; // (N, E, C) -> (N, C)
  });
}
