// Weft's training kernels: the linear UnsortedSegmentSum against tfjs cpu's quadratic one, and
// one MLP training step on tfjs cpu against wasm with Weft's kernels.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { medianMs, type BenchCase } from '../case.js';
import { registerTrainingKernels, tfjsKernel } from '../../packages/core/src/kernels/index.js';

/** Load and activate tfjs backend `name` (`cpu` or `wasm`). */
async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new Error(`bench kernels: tf.setBackend('${name}') failed`);
  await tf.ready();
}

/** tfjs cpu's own UnsortedSegmentSum: the one Weft replaced, or the registered one before Weft registers. */
function tfjsCpuSegmentSum(): KernelConfig {
  const original = tfjsKernel('UnsortedSegmentSum', 'cpu') ?? tf.getKernel('UnsortedSegmentSum', 'cpu');
  if (!original) throw new Error('bench kernels: tfjs cpu has no UnsortedSegmentSum kernel');
  return original;
}

const segmentSum: BenchCase = {
  name: 'core.segment_sum_speedup',
  unit: 'ratio',
  backend: 'cpu',
  target: 100,
  better: 'higher',
  async run() {
    const [rows, cols, numSegments] = [2048, 64, 1024];
    const previous = tf.getBackend();
    await useBackend('cpu');
    const tfjs = tfjsCpuSegmentSum();
    registerTrainingKernels('cpu');
    const weft = tf.getKernel('UnsortedSegmentSum', 'cpu')!;
    if (weft.kernelFunc === tfjs.kernelFunc) throw new Error('bench kernels: Weft did not replace the cpu UnsortedSegmentSum');
    const backend = tf.backend();
    const x = tf.randomNormal([rows, cols], 0, 1, 'float32', 1);
    const ids = tf.randomUniform([rows], 0, numSegments, 'int32', 2);
    const call = (k: KernelConfig) => () => {
      const out = k.kernelFunc({ inputs: { x, segmentIds: ids }, backend, attrs: { numSegments } }) as TensorInfo;
      backend.disposeData(out.dataId);
    };
    const weftMs = await medianMs(call(weft), 21, 3);
    const tfjsMs = await medianMs(call(tfjs), 1, 0); // quadratic: one run is ~10 s
    tf.dispose([x, ids]);
    if (previous) await tf.setBackend(previous);
    return { value: tfjsMs / weftMs, detail: { tfjsMs, weftMs, rows, cols, numSegments, tfjsRuns: 1, weftRuns: 21 } };
  },
};

/** One Adam step of a 64→256→256→10 MLP (batch 256, softmax cross-entropy), set up on `backend`. */
async function mlpOn(backend: 'cpu' | 'wasm') {
  await useBackend(backend);
  registerTrainingKernels(backend);
  const [batch, sizes] = [256, [64, 256, 256, 10]];
  const vars: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    vars.push(tf.variable(tf.randomNormal([sizes[i]!, sizes[i + 1]!], 0, Math.sqrt(2 / sizes[i]!), 'float32', 10 + i)));
    vars.push(tf.variable(tf.zeros([sizes[i + 1]!])));
  }
  const x = tf.randomNormal([batch, sizes[0]!], 0, 1, 'float32', 3);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 4), 10);
  const optimizer = tf.train.adam(1e-3);
  const loss = () => {
    let h: tf.Tensor = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = tf.add(tf.matMul(h, vars[i]!), vars[i + 1]!); // (B, in) @ (in, out) + (out)
      if (i + 2 < vars.length) h = tf.relu(h);
    }
    return tf.losses.softmaxCrossEntropy(labels, h) as tf.Scalar;
  };
  return {
    /** ms of each of `n` steps, run with `backend` active. */
    async times(n: number): Promise<number[]> {
      await tf.setBackend(backend);
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const l = optimizer.minimize(loss, true, vars)!;
        await l.data();
        l.dispose();
        out.push(performance.now() - t0);
      }
      return out;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([...vars, x, labels]);
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const mlpStep: BenchCase = {
  name: 'core.wasm_vs_cpu_mlp_step',
  unit: 'ratio',
  backend: 'cpu+wasm',
  target: 15,
  better: 'higher',
  async run() {
    const previous = tf.getBackend();
    const cpu = await mlpOn('cpu');
    const wasm = await mlpOn('wasm');
    await cpu.times(2); // warm-up
    await wasm.times(3);
    // interleaved rounds, so both backends see the same machine load
    const [cpuTimes, wasmTimes]: [number[], number[]] = [[], []];
    for (let round = 0; round < 4; round++) {
      cpuTimes.push(...(await cpu.times(2)));
      wasmTimes.push(...(await wasm.times(8)));
    }
    cpu.dispose();
    wasm.dispose();
    if (previous) await tf.setBackend(previous);
    const [cpuMs, wasmMs] = [median(cpuTimes), median(wasmTimes)];
    return {
      value: cpuMs / wasmMs,
      detail: { cpuMs, wasmMs, cpuSteps: cpuTimes.length, wasmSteps: wasmTimes.length, batch: 256, layers: '64-256-256-10', optimizer: 'adam' },
    };
  },
};

/**
 * GB/s of Weft's wasm kernel `name` on a 4096×256 float32 tensor against tfjs wasm's own kernel (the
 * one Weft replaced), both called directly on the same input; `bytes` counts what the kernel moves.
 */
function wasmKernelGbps(caseName: string, name: string, attrs: Record<string, unknown>, bytes: (n: number) => number): BenchCase {
  return {
    name: caseName,
    unit: 'GB/s',
    backend: 'wasm',
    target: 20,
    better: 'higher',
    async run() {
      const previous = tf.getBackend();
      await useBackend('wasm');
      registerTrainingKernels('wasm');
      const tfjs = tfjsKernel(name, 'wasm');
      const weft = tf.getKernel(name, 'wasm');
      if (!tfjs || !weft || tfjs.kernelFunc === weft.kernelFunc) throw new Error(`bench kernels: Weft did not replace the wasm ${name}`);
      const backend = tf.backend();
      const shape = [4096, 256];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
      const call = (k: KernelConfig) => () => {
        const out = k.kernelFunc({ inputs: { x }, backend, attrs: attrs as never }) as TensorInfo;
        backend.disposeData(out.dataId);
      };
      const [weftMs, tfjsMs]: number[][] = [[], []];
      for (let round = 0; round < 3; round++) {
        weftMs.push(await medianMs(call(weft), 15, 2));
        tfjsMs.push(await medianMs(call(tfjs), 3, 1));
      }
      x.dispose();
      if (previous) await tf.setBackend(previous);
      const [w, t] = [median(weftMs), median(tfjsMs)];
      const gb = bytes(4096 * 256) / 1e9;
      return { value: gb / (w / 1000), detail: { shape, attrs, weftMs: w, tfjsMs: t, tfjsGbps: gb / (t / 1000), speedup: t / w, bytesCounted: bytes(4096 * 256) } };
    },
  };
}

/** Sum over the leading axis (a bias gradient): bytes read. */
const sumAxis0 = wasmKernelGbps('core.sum_axis0_gbps', 'Sum', { axis: [0], keepDims: false }, (n) => 4 * n);
/** Transpose of a matrix: bytes read and written. */
const transpose = wasmKernelGbps('core.transpose_gbps', 'Transpose', { perm: [1, 0] }, (n) => 8 * n);

/** The kernel benchmark cases. */
export const cases: BenchCase[] = [segmentSum, mlpStep, sumAxis0, transpose];
