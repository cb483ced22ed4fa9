// Adapter benchmark cases (wasm): forward time of a merged LoRA against the base, of an unmerged
// LoRA r=8 at width 512 against the base, and peak tensor bytes of an Adam step with LoRA r=4
// against full fine-tuning. Each pair is measured in interleaved rounds in one run.
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Rng, initBackend, type ForwardContext } from '@weft/core';
import { injectAdapter, mergeAdapters, setActiveAdapters, withPerExampleAdapters } from '@weft/sharing';
import { medianMs, type BenchCase } from '../case.js';

/** Linear layers with ReLU between them. */
class Stack extends Module {
  readonly layers: Linear[];
  constructor(width: number, depth: number, rng: Rng) {
    super();
    this.layers = Array.from({ length: depth }, (_, i) => this.addModule(`fc${i}`, new Linear({ inFeatures: width, outFeatures: width }, rng)));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.reduce((h, l, i) => (i < this.layers.length - 1 ? tf.relu(l.forward(h, ctx)) : l.forward(h, ctx)), x);
  }
}

async function useWasm(): Promise<void> {
  const r = await initBackend({ prefer: ['wasm'], fallback: false });
  if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
}

const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;

/** ms per forward pass of `model` on `x` over `n` passes (one readback at the end). */
async function forwardMs(model: Module, x: tf.Tensor, n: number): Promise<number> {
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < n; i++) {
    last?.dispose();
    last = tf.tidy(() => model.call(x));
  }
  await last!.data();
  last!.dispose();
  return (performance.now() - t0) / n;
}

/**
 * Interleaved, paired timing on a shared machine: each round times `n` passes of `a` then of `b`
 * (order alternating); returns the median per-round ratio a/b and the median times.
 */
async function compare(a: Module, b: Module, x: tf.Tensor, n: number, rounds: number): Promise<{ ratio: number; aMs: number; bMs: number }> {
  await forwardMs(a, x, 5);
  await forwardMs(b, x, 5);
  const ta: number[] = [];
  const tb: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0;
    const t1 = await forwardMs(first ? a : b, x, n);
    const t2 = await forwardMs(first ? b : a, x, n);
    const [pa, pb] = first ? [t1, t2] : [t2, t1];
    ta.push(pa);
    tb.push(pb);
    ratios.push(pa / pb);
  }
  return { ratio: med(ratios), aMs: med(ta), bMs: med(tb) };
}

/**
 * Peak tensor bytes (tf.profile) of the second Adam step on `model`, above `floor` (the bytes that
 * existed before the model was built: data and anything unrelated in the process).
 */
async function stepPeakBytes(model: Module, x: tf.Tensor, y: tf.Tensor, floor: number): Promise<number> {
  const opt = tf.train.adam(1e-3);
  const vars = model.trainableParameters();
  const step = () => tf.dispose(opt.minimize(() => tf.losses.meanSquaredError(y, model.call(x)) as tf.Scalar, true, vars));
  step(); // creates Adam's moments
  const info = await tf.profile(step);
  opt.dispose();
  return info.peakBytes - floor;
}

export const cases: BenchCase[] = [
  {
    name: 'adapters.merged_vs_base_forward',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.02,
    better: 'lower',
    async run() {
      await useWasm();
      const width = 512, depth = 4, batch = 64;
      const base = new Stack(width, depth, new Rng(1));
      const lora = new Stack(width, depth, new Rng(1));
      injectAdapter(lora, 'a', { method: 'lora', targets: 'fc[0-9]+', r: 8, initWeights: false }, { rng: new Rng(2) });
      mergeAdapters(lora);
      const x = tf.tensor2d(new Rng(3).normalArray(batch * width), [batch, width]);
      const { ratio, aMs: tm, bMs: tb } = await compare(lora, base, x, 3, 61);
      // Control: the same harness on two identical base models (the noise floor of this machine).
      const twin = new Stack(width, depth, new Rng(1));
      const control = await compare(twin, base, x, 3, 31);
      tf.dispose(x);
      base.dispose();
      lora.dispose();
      twin.dispose();
      return { value: ratio, detail: { mergedMs: tm, baseMs: tb, baseVsIdenticalBaseRatio: control.ratio, width, depth, batch, r: 8, rounds: 61, passes: 3 } };
    },
  },
  {
    name: 'adapters.unmerged_overhead',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.15,
    better: 'lower',
    async run() {
      await useWasm();
      const width = 512, depth = 4, batch = 64;
      const base = new Stack(width, depth, new Rng(1));
      const lora = new Stack(width, depth, new Rng(1));
      injectAdapter(lora, 'a', { method: 'lora', targets: 'fc[0-9]+', r: 8, initWeights: false }, { rng: new Rng(2) });
      const x = tf.tensor2d(new Rng(3).normalArray(batch * width), [batch, width]);
      const { ratio, aMs: tl, bMs: tb } = await compare(lora, base, x, 3, 61);
      tf.dispose(x);
      base.dispose();
      lora.dispose();
      return { value: ratio, detail: { unmergedMs: tl, baseMs: tb, width, depth, batch, r: 8, rounds: 61, passes: 3 } };
    },
  },
  {
    // RoAd (arXiv:2409.00119): a batch whose 64 examples use 8 different adapters, in one element-wise
    // pass, against the same batch all on one adapter; the detail has LoRA's generic mixed batch.
    name: 'adapters.road_mixed_batch',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const width = 512, depth = 4, batch = 64, adapters = 8;
      const x = tf.tensor2d(new Rng(3).normalArray(batch * width), [batch, width]);
      const names = Array.from({ length: adapters }, (_, i) => `a${i}`);
      const perExample = Array.from({ length: batch }, (_, i) => names[i % adapters]!);
      const timing = async (method: 'road' | 'lora') => {
        const m = new Stack(width, depth, new Rng(1));
        for (const [i, n] of names.entries()) {
          injectAdapter(m, n, method === 'road' ? { method: 'road', targets: 'fc[0-9]+', initWeights: false } : { method: 'lora', targets: 'fc[0-9]+', r: 8, initWeights: false }, { rng: new Rng(10 + i) });
        }
        setActiveAdapters(m, [names[0]!]);
        const run = (mixed: boolean) => async () => {
          const y = tf.tidy(() => (mixed ? withPerExampleAdapters(m, perExample, () => m.call(x)) : m.call(x)));
          await y.data();
          y.dispose();
        };
        const single = await medianMs(run(false), 21, 3);
        const mixed = await medianMs(run(true), 21, 3);
        m.dispose();
        return { single, mixed };
      };
      const road = await timing('road');
      const lora = await timing('lora');
      tf.dispose(x);
      return {
        value: road.mixed / road.single,
        detail: { roadSingleMs: road.single, roadMixedMs: road.mixed, loraSingleMs: lora.single, loraMixedMs: lora.mixed, loraMixedOverSingle: lora.mixed / lora.single, width, depth, batch, adapters },
      };
    },
  },
  {
    name: 'adapters.finetune_memory',
    unit: 'ratio',
    backend: 'wasm',
    target: 0.3,
    better: 'lower',
    async run() {
      await useWasm();
      const width = 256, depth = 4, batch = 16;
      const rng = new Rng(4);
      const x = tf.tensor2d(rng.normalArray(batch * width), [batch, width]);
      const y = tf.tensor2d(rng.normalArray(batch * width), [batch, width]);
      let floor = tf.memory().numBytes;
      const full = new Stack(width, depth, new Rng(1));
      const fullPeak = await stepPeakBytes(full, x, y, floor);
      full.dispose();
      floor = tf.memory().numBytes;
      const lora = new Stack(width, depth, new Rng(1));
      injectAdapter(lora, 'a', { method: 'lora', targets: 'fc[0-9]+', r: 4 }, { rng: new Rng(2) });
      const loraPeak = await stepPeakBytes(lora, x, y, floor);
      lora.dispose();
      const weightBytes = depth * (width * width + width) * 4;
      tf.dispose([x, y]);
      return { value: loraPeak / fullPeak, detail: { loraPeakBytes: loraPeak, fullPeakBytes: fullPeak, baseWeightBytes: weightBytes, width, depth, batch, r: 4 } };
    },
  },
];
