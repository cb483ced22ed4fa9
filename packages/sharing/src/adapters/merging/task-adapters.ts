// Shared by the routed merges (Mediator, 1bit-Merging): per-layer task vectors of named adapters
// read once, per-task LoRA adapters written from per-layer ΔW, and routing each example to the task
// expert whose prediction is least uncertain (lowest entropy), Mediator's uncertainty-based routing.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, describeValue, type Module } from '@weft/core';
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

/**
 * Uncertainty-based routing: given each expert's logits for the same batch ([N, C] each), pick per
 * example the expert with the lowest predictive entropy and return its logits [N, C] and the choice [N].
 */
export function routeByUncertainty(expertLogits: tf.Tensor2D[]): { logits: tf.Tensor2D; choice: tf.Tensor1D } {
  return tf.tidy(() => {
    const entropy = tf.stack(expertLogits.map((z) => {
      const logp = tf.logSoftmax(z);
      return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)); // (N)
    }), 1); // (N, E)
    const choice = tf.argMin(entropy, 1) as tf.Tensor1D;
    const stacked = tf.stack(expertLogits, 1); // (N, E, C)
    const onehot = tf.expandDims(tf.oneHot(choice, expertLogits.length), 2); // (N, E, 1)
    return { logits: tf.sum(tf.mul(stacked, onehot), 1) as tf.Tensor2D, choice };
  });
}
