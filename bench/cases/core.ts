// Core benchmark cases: the trainer against a bare minimize loop and against tfjs-layers' fit,
// and an MLP step against the time of its matmuls alone — each pair measured in one run,
// interleaved, on Weft's wasm backend.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Linear, Module, Rng, initBackend, train, type ForwardContext } from '@weft/core';
import { medianMs, type BenchCase } from '../case.js';

/** A plain MLP of Linear layers with ReLU (what tfjs-layers' Dense stack computes). */
export class Mlp extends Module {
  readonly layers: Linear[];
  constructor(widths: number[], rng: Rng) {
    super();
    this.layers = widths.slice(1).map((w, i) => this.addModule(`fc${i}`, new Linear({ inFeatures: widths[i]!, outFeatures: w }, rng)));
  }
  forward(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return this.layers.reduce((h, l, i) => (i < this.layers.length - 1 ? tf.relu(l.forward(h, ctx)) : l.forward(h, ctx)), x);
  }
}

function data(batch: number, inF: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const x = tf.tensor2d(rng.normalArray(batch * inF), [batch, inF]);
  const labels = Int32Array.from({ length: batch }, () => rng.int(classes));
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes) as tf.Tensor2D;
  return { x, y };
}

const xent = (logits: tf.Tensor, b: { y: tf.Tensor }) => tf.losses.softmaxCrossEntropy(b.y, logits) as tf.Scalar;

/** Per-step ms of the Weft trainer on `model` for `steps` steps. */
async function trainerStepMs(model: Module, opt: tf.Optimizer, b: { x: tf.Tensor; y: tf.Tensor }, steps: number): Promise<number> {
  const t0 = performance.now();
  await train({ model, optimizer: opt, steps, batch: () => b, loss: xent, reportEvery: 25 });
  return (performance.now() - t0) / steps;
}

async function useWasm(): Promise<void> {
  const r = await initBackend({ prefer: ['wasm'], fallback: false });
  if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
}

export const cases: BenchCase[] = [
  {
    name: 'core.trainer_vs_minimize_loop',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.05,
    better: 'lower',
    async run() {
      await useWasm();
      const widths = [64, 256, 256, 10];
      const b = data(256, 64, 10, 1);
      const model = new Mlp(widths, new Rng(1));
      const opt = tf.train.adam(1e-3);
      const vars = model.trainableParameters();
      const steps = 50;
      // Each run also records its process CPU time per step (wasm runs on this one thread): a ratio
      // that a loaded machine disturbs far less than wall time, reported beside the wall-time value.
      const cpuMs = () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      };
      const cpu: Record<'weft' | 'plain', number[]> = { weft: [], plain: [] };
      const bare = async () => {
        const t0 = performance.now();
        let last: tf.Scalar | null = null;
        for (let i = 0; i < steps; i++) {
          last?.dispose();
          last = opt.minimize(() => xent(model.forward(b.x, undefined as never), b), true, vars);
        }
        await last!.data();
        last!.dispose();
        return (performance.now() - t0) / steps;
      };
      await bare();
      await trainerStepMs(model, opt, b, 10);
      const weft: number[] = [];
      const plain: number[] = [];
      for (let r = 0; r < 5; r++) {
        let c0 = cpuMs();
        plain.push(await bare());
        cpu.plain.push((cpuMs() - c0) / steps);
        c0 = cpuMs();
        weft.push(await trainerStepMs(model, opt, b, steps));
        cpu.weft.push((cpuMs() - c0) / steps);
      }
      const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
      tf.dispose([b.x, b.y]);
      opt.dispose();
      model.dispose();
      return { value: med(weft) / med(plain), detail: { trainerStepMs: med(weft), minimizeStepMs: med(plain), cpuRatio: med(cpu.weft) / med(cpu.plain), widths, batch: 256, steps, reps: 5 } };
    },
  },
  {
    name: 'core.trainer_vs_layers_fit',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.0,
    better: 'lower',
    async run() {
      await useWasm();
      const widths = [64, 256, 256, 10];
      const batch = 256;
      const steps = 40;
      const b = data(batch, 64, 10, 2);
      const xs = tf.tile(b.x, [steps, 1]);
      const ys = tf.tile(b.y, [steps, 1]);
      const seq = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [64], units: 256, activation: 'relu' }),
          tfl.layers.dense({ units: 256, activation: 'relu' }),
          tfl.layers.dense({ units: 10 }),
        ],
      });
      seq.compile({ optimizer: tf.train.adam(1e-3), loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
      const fitStep = async () => {
        const t0 = performance.now();
        await seq.fit(xs, ys, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
        return (performance.now() - t0) / steps;
      };
      const model = new Mlp(widths, new Rng(2));
      const opt = tf.train.adam(1e-3);
      await fitStep();
      await trainerStepMs(model, opt, b, 10);
      const fit: number[] = [];
      const weft: number[] = [];
      for (let r = 0; r < 5; r++) {
        fit.push(await fitStep());
        weft.push(await trainerStepMs(model, opt, b, steps));
      }
      const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
      tf.dispose([b.x, b.y, xs, ys]);
      seq.dispose();
      opt.dispose();
      model.dispose();
      return { value: med(weft) / med(fit), detail: { trainerStepMs: med(weft), layersFitBatchMs: med(fit), widths, batch, stepsPerRep: steps, reps: 5 } };
    },
  },
  {
    name: 'core.mlp_step_vs_matmul_roofline',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.5,
    better: 'lower',
    async run() {
      await useWasm();
      const widths = [64, 512, 512, 10];
      const batch = 256;
      const b = data(batch, 64, 10, 3);
      const model = new Mlp(widths, new Rng(3));
      const opt = tf.train.adam(1e-3);
      // The step's matmuls: forward x·W for each layer; backward dW = hᵀ·g for each layer and
      // dh = g·Wᵀ for every layer but the first.
      const acts = widths.slice(0, -1).map((w) => tf.randomNormal([batch, w]));
      const grads = widths.slice(1).map((w) => tf.randomNormal([batch, w]));
      const weights = model.layers.map((l) => l.weight);
      const matmuls = async () => {
        const outs: tf.Tensor[] = [];
        for (let i = 0; i < weights.length; i++) {
          outs.push(tf.matMul(acts[i]!, weights[i]!));
          outs.push(tf.matMul(acts[i]!, grads[i]!, true, false));
          if (i > 0) outs.push(tf.matMul(grads[i]!, weights[i]!, false, true));
        }
        await outs.at(-1)!.data();
        tf.dispose(outs);
      };
      await trainerStepMs(model, opt, b, 5);
      const step: number[] = [];
      const mm: number[] = [];
      for (let r = 0; r < 5; r++) {
        mm.push(await medianMs(matmuls, 10, 1));
        step.push(await trainerStepMs(model, opt, b, 20));
      }
      const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
      const gflop = (2 * batch * widths.slice(1).reduce((s, w, i) => s + widths[i]! * w * (i > 0 ? 3 : 2), 0)) / 1e9;
      tf.dispose([b.x, b.y, ...acts, ...grads]);
      opt.dispose();
      model.dispose();
      return {
        value: med(step) / med(mm),
        detail: { stepMs: med(step), matmulsMs: med(mm), matmulGflopPerStep: gflop, matmulGflops: gflop / (med(mm) / 1000), widths, batch },
      };
    },
  },
];
