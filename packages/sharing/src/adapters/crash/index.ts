// CRaSh: Clustering, Removing, and Sharing Enhance Fine-tuning without Full Large Language Model
// (arXiv:2310.15477), for an MLPClassifier stack: the hidden layers' representations on a data batch
// are compared by linear CKA; the width-preserving middle layers are cut into `clusters` contiguous
// groups where consecutive layers are least similar; the emulator keeps the first layer, the head and
// one representative per group (its first layer), shared over the group's positions (by value: each
// position holds the representative's weights). An adapter tuned on the emulator is then plugged
// into the full model position by position. Departures: the paper clusters transformer blocks of an
// LLM and measures functional similarity too; here only linear CKA on one batch.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, MLPClassifier, Rng, describeValue } from '@weft/core';
import { checkInt } from '@weft/core/internal';

/**
 * Linear CKA of two representations of the same n examples, `a` [n, da] and `b` [n, db] (row-major):
 * ‖B̄ᵀĀ‖²_F / (‖ĀᵀĀ‖_F ‖B̄ᵀB̄‖_F) with columns centred (Kornblith et al. 2019). 1 for identical (up to
 * rotation and scale), near 0 for unrelated representations.
 */
export function linearCka(a: Float32Array, b: Float32Array, n: number): number {
  const da = a.length / n, db = b.length / n;
  const centre = (x: Float32Array, d: number) => {
    const out = Float64Array.from(x);
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += out[i * d + j]!;
      m /= n;
      for (let i = 0; i < n; i++) out[i * d + j]! -= m;
    }
    return out;
  };
  const [A, B] = [centre(a, da), centre(b, db)];
  const cross = (X: Float64Array, dx: number, Y: Float64Array, dy: number) => {
    let s = 0;
    for (let p = 0; p < dx; p++) for (let q = 0; q < dy; q++) {
      let v = 0;
      for (let i = 0; i < n; i++) v += X[i * dx + p]! * Y[i * dy + q]!;
      s += v * v;
    }
    return s;
  };
  const den = Math.sqrt(cross(A, da, A, da) * cross(B, db, B, db));
  return den > 0 ? cross(B, db, A, da) / den : 0;
}

/** The output of every hidden layer (after its activation) of `model` on `x`, flat [n, width] each. */
export async function hiddenRepresentations(model: MLPClassifier, x: tf.Tensor2D): Promise<Float32Array[]> {
  const ctx = new ForwardContext({ training: false });
  const out: Float32Array[] = [];
  let h: tf.Tensor = x;
  const layers = model.layers;
  for (let i = 0; i < layers.length - 1; i++) {
    const next = tf.tidy(() => tf.relu(layers.at(i).forward(h, ctx))); // the layer's intermediates freed (2 tensors a layer leaked)
    if (h !== x) h.dispose();
    h = next;
    out.push((await h.data()) as Float32Array);
  }
  if (h !== x) h.dispose();
  return out;
}

/** CRaSh's clusters: contiguous groups of the middle layers (indices into model.layers), and the CKA of each consecutive pair. */
export interface CrashClusters {
  groups: number[][];
  similarity: number[];
}

/**
 * Cut the width-preserving hidden layers 1 … L−2 of `model` into `clusters` contiguous groups at the
 * `clusters − 1` consecutive pairs whose representations on `x` are least similar (linear CKA).
 */
export async function crashClusters(model: MLPClassifier, x: tf.Tensor2D, clusters: number): Promise<CrashClusters> {
  const fn = 'crashClusters';
  const middle = Array.from({ length: model.layers.length - 2 }, (_, k) => k + 1); // layers 1 … L−2 map width → width
  checkInt(fn, 'clusters', clusters, 1, Math.max(1, middle.length));
  if (middle.some((i) => model.layers.at(i).config.inFeatures !== model.layers.at(i).config.outFeatures)) {
    throw new Error(`${fn}: the hidden layers must all have one width (got ${describeValue(model.config.hidden)})`);
  }
  const reps = await hiddenRepresentations(model, x);
  const n = x.shape[0];
  // similarity[k] compares the outputs of middle[k] and middle[k + 1] (reps[i] is layer i's output).
  const similarity = middle.slice(0, -1).map((i) => linearCka(reps[i]!, reps[i + 1]!, n));
  const cuts = similarity.map((s, k) => [s, k] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]).slice(0, clusters - 1).map(([, k]) => k).sort((p, q) => p - q);
  const groups: number[][] = [];
  let start = 0;
  for (const c of [...cuts, middle.length - 1]) {
    groups.push(middle.slice(start, c + 1));
    start = c + 1;
  }
  return { groups, similarity };
}

/**
 * The emulator: an MLPClassifier of the same shape whose first layer and head are the full model's
 * and whose every middle position holds its group's representative (the group's first layer).
 */
export async function crashEmulator(model: MLPClassifier, clusters: CrashClusters): Promise<MLPClassifier> {
  const emu = new MLPClassifier(model.config, new Rng(0));
  const rep = new Map<number, number>();
  for (const g of clusters.groups) for (const i of g) rep.set(i, g[0]!);
  for (let i = 0; i < model.layers.length; i++) {
    const src = model.layers.at(rep.get(i) ?? i), dst = emu.layers.at(i);
    dst.weight.assign(src.weight);
    if (src.bias && dst.bias) dst.bias.assign(src.bias);
  }
  return emu;
}

/**
 * Plug adapter `name`, tuned on the emulator, into the full model: `full` must carry an adapter of the
 * same name and config (inject it first); every adapter parameter is copied by path.
 */
export function plugAdapter(emulator: MLPClassifier, full: MLPClassifier, name: string): number {
  const target = new Map(full.namedParameters().map(([p, v]) => [p, v]));
  let copied = 0;
  for (const [p, v] of emulator.namedParameters()) {
    if (!p.includes(`.${name}.`)) continue;
    const t = target.get(p);
    if (!t) throw new Error(`plugAdapter: the full model has no parameter "${p}" (inject adapter "${name}" with the emulator's config first)`);
    if (t.shape.join() !== v.shape.join()) throw new Error(`plugAdapter: "${p}" is [${t.shape}] in the full model, [${v.shape}] in the emulator`);
    t.assign(v);
    copied++;
  }
  if (copied === 0) throw new Error(`plugAdapter: the emulator has no adapter "${name}"`);
  return copied;
}
