// Whole training steps of the pages' small models against their kernels and their GEMMs: the
// kernels per step of a 2-block TinyTransformer (d=64, T=32; Weft's trainer with makeOptimizer's
// Adam, as the pages train it) and its step time against the time its matrix products would take at
// the measured wasm GEMM rate (a 256×256×256 product, the rate Weft's GEMMs reach).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@weft/core';
import { medianMs, type BenchCase } from '../case.js';
import { profileStep } from '../profile.js';

/** This process's CPU time (user + system) in ms: what a figure is where other processes compete for the cores. */
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e3;
};

/** GFLOP/s of a 256×256×256 float32 matMul on wasm: median of 20 by wall time, and over those 20 by CPU time. */
async function gemmGflops(): Promise<{ wall: number; cpu: number }> {
  const [a, b] = [tf.randomNormal([256, 256], 0, 1, 'float32', 1), tf.randomNormal([256, 256], 0, 1, 'float32', 2)];
  const c0 = cpuMs();
  const ms = await medianMs(async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }, 20, 3);
  const cpu = (cpuMs() - c0) / 23;
  tf.dispose([a, b]);
  const flop = 2 * 256 ** 3;
  return { wall: flop / 1e6 / ms, cpu: flop / 1e6 / cpu };
}

const TRANSFORMER = { dim: 64, seq: 32, batch: 8, steps: 10 };

export const cases: BenchCase[] = [
  {
    name: 'core.transformer_kernels_per_step',
    unit: 'kernels',
    backend: 'wasm',
    target: 400,
    better: 'lower',
    async run() {
      const p = await profileStep('tinyTransformer', { backend: 'wasm', ...TRANSFORMER });
      const top = p.rows.slice().sort((a, b) => b.calls - a.calls).slice(0, 8).map((r) => `${r.name} ${r.calls}`);
      return { value: p.kernels, detail: { model: p.describe, mostCalled: top, steps: TRANSFORMER.steps } };
    },
  },
  {
    name: 'core.transformer_step_vs_gemm_roofline',
    unit: 'ratio',
    backend: 'wasm',
    target: 2.5,
    better: 'lower',
    async run() {
      const r = await initBackend({ prefer: ['wasm'], fallback: false });
      if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
      const [rates, cpuRates, steps, cpuSteps] = [[], [], [], []] as number[][];
      let flops = 0;
      for (let round = 0; round < 3; round++) {
        const g = await gemmGflops();
        rates.push(g.wall);
        cpuRates.push(g.cpu);
        const p = await profileStep('tinyTransformer', { backend: 'wasm', ...TRANSFORMER, steps: 20 });
        steps.push(p.stepMs);
        cpuSteps.push(p.stepCpuMs);
        flops = p.productFlops;
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      const gemmMs = flops / 1e6 / med(rates);
      const cpuTimeRatio = med(cpuSteps) / (flops / 1e6 / med(cpuRates)); // the same figure in CPU time (robust to a loaded machine)
      return { value: med(steps) / gemmMs, detail: { stepMs: med(steps), gemmGflops: med(rates), productGflopPerStep: flops / 1e9, gemmMsAtThatRate: gemmMs, stepCpuMs: med(cpuSteps), gemmGflopsCpuTime: med(cpuRates), cpuTimeRatio, ...TRANSFORMER } };
    },
  },
];
