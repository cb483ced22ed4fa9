// MoE benchmark cases on Weft's wasm backend (the CPU default): layer forward+backward (training
// context, aux losses on), each pair measured interleaved in one run, reported as ratios.
// - moe.sparse_vs_dense: top-2 of 16 sparse (dropless, the layer's default) / all 16 experts dense.
// - moe.cost_vs_experts: top-2 at E=32 / at E=4, capacity factor 1.25 (cost should follow k, not E).
// - moe.cost_vs_experts_dropless: the same dropless, E=64 / E=4 (equal FLOPs; CPU-time ratio and kernels per step in its detail).
// - moe.router_overhead: (layer − expert compute) / expert compute at top-2 of 16, capacity 1.25.
// - moe.sparse_vs_dense_webgpu: moe.sparse_vs_dense on tfjs webgpu (Dawn on SwiftShader, a CPU
//   Vulkan): the dropless top-2 of 16 step / the all-16 dense step, ideal k/E = 0.125; no target,
//   since it checks that dispatch stays sparse on the GPU backend (below 1), not a GPU speed — a
//   software Vulkan's dispatch and copy overheads weigh more than on a GPU. Measured in every bench
//   run (`npm run bench -- moe.sparse_vs_dense_webgpu` alone).
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@weft/core';
import { autoBlockSize, MoE, type MoEConfig } from '@weft/moe';
import { type BenchCase } from '../case.js';
import { interleaved, stepOf, useWasm } from '../moe-timing.js';

const TOKENS = 512;
const DIM = 64;
const HIDDEN = 256;

const layer = (cfg: Partial<MoEConfig>, seed = 1) =>
  new MoE({ dim: DIM, numExperts: 16, topK: 2, hidden: HIDDEN, router: 'mixtral', ...cfg }, new Rng(seed));

export const cases: BenchCase[] = [
  {
    name: 'moe.sparse_vs_dense',
    unit: 'ratio',
    backend: 'wasm',
    target: 0.25,
    better: 'lower',
    async run() {
      await useWasm();
      const x = tf.tensor2d(new Rng(2).normalArray(TOKENS * DIM), [TOKENS, DIM]);
      const dropless = layer({});
      const capacity = layer({ capacityFactor: 1.25 });
      const dense = layer({ dispatch: 'dense' });
      const [ms, mc, md] = await interleaved([stepOf(dropless, x), stepOf(capacity, x), stepOf(dense, x)]);
      for (const m of [dropless, capacity, dense]) m.dispose();
      x.dispose();
      return {
        value: ms! / md!,
        detail: {
          droplessMs: ms, capacity125Ms: mc, denseMs: md, capacityRatio: mc! / md!, ideal: 2 / 16,
          droplessBlockSize: autoBlockSize(TOKENS * 2, 16), tokens: TOKENS, dim: DIM, hidden: HIDDEN, experts: 16, topK: 2,
        },
      };
    },
  },
  {
    name: 'moe.cost_vs_experts',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.5,
    better: 'lower',
    async run() {
      await useWasm();
      const x = tf.tensor2d(new Rng(3).normalArray(TOKENS * DIM), [TOKENS, DIM]);
      const e4 = layer({ numExperts: 4, capacityFactor: 1.25 });
      const e32 = layer({ numExperts: 32, capacityFactor: 1.25 });
      const e32dropless = layer({ numExperts: 32 });
      const e4dropless = layer({ numExperts: 4 });
      const [t4, t32, t32d, t4d] = await interleaved([stepOf(e4, x), stepOf(e32, x), stepOf(e32dropless, x), stepOf(e4dropless, x)]);
      for (const m of [e4, e32, e32dropless, e4dropless]) m.dispose();
      x.dispose();
      return {
        value: t32! / t4!,
        detail: { e4Ms: t4, e32Ms: t32, droplessE4Ms: t4d, droplessE32Ms: t32d, droplessRatio: t32d! / t4d!, capacityFactor: 1.25, tokens: TOKENS, dim: DIM, hidden: HIDDEN, topK: 2 },
      };
    },
  },
  {
    // Issue 13: a dropless layer's step at E=64 / at E=4 (512 tokens, d=64, hidden 256, top-2: equal FLOPs).
    name: 'moe.cost_vs_experts_dropless',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.2,
    better: 'lower',
    async run() {
      await useWasm();
      const x = tf.tensor2d(new Rng(6).normalArray(TOKENS * DIM), [TOKENS, DIM]);
      const [e4, e64] = [layer({ numExperts: 4 }), layer({ numExperts: 64 })];
      // Each step's process CPU time too (wasm runs on this thread): a ratio a loaded machine disturbs far less than wall time.
      const cpu: [number[], number[]] = [[], []];
      const cpuTimed = (f: () => Promise<void>, sink: number[]) => async () => {
        const u0 = process.cpuUsage();
        await f();
        const u = process.cpuUsage(u0);
        sink.push((u.user + u.system) / 1000);
      };
      // 11 rounds (the other cases take 5): the two steps differ by ~10%, less than a loaded machine's swings between rounds.
      const [t4, t64] = await interleaved([cpuTimed(stepOf(e4, x), cpu[0]), cpuTimed(stepOf(e64, x), cpu[1])], 11, 3);
      // Kernels per step (one profiled step each; the same at both E when nothing runs per expert).
      const kernels = async (m: MoE) => (await tf.profile(stepOf(m, x) as unknown as () => tf.TensorContainer)).kernels.length;
      const [k4, k64] = [await kernels(e4), await kernels(e64)];
      for (const m of [e4, e64]) m.dispose();
      x.dispose();
      const [c4, c64] = cpu.map((a) => [...a].sort((p, q) => p - q)[a.length >> 1]!);
      return { value: t64! / t4!, detail: { e4Ms: t4, e64Ms: t64, cpuRatio: c64! / c4!, e4CpuMs: c4, e64CpuMs: c64, e4Kernels: k4, e64Kernels: k64, tokens: TOKENS, dim: DIM, hidden: HIDDEN, topK: 2, router: 'mixtral' } };
    },
  },
  {
    name: 'moe.router_overhead',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const x = tf.tensor2d(new Rng(4).normalArray(TOKENS * DIM), [TOKENS, DIM]);
      const m = layer({ capacityFactor: 1.25 });
      const cap = m.capacity(TOKENS)!;
      // Expert compute alone: the same stacked experts on a full (E, C, d) buffer, forward+backward.
      const buf = tf.tensor3d(new Rng(5).normalArray(16 * cap * DIM), [16, cap, DIM]);
      const vars = m.experts.trainableParameters();
      const expertsOnly = async () => {
        const g = tf.tidy(() => {
          const { grads, value } = tf.variableGrads(() => tf.sum(m.experts.apply(buf, null)) as tf.Scalar, vars);
          value.dispose();
          return Object.values(grads);
        });
        await g[0]!.data();
        tf.dispose(g);
      };
      const [full, experts] = await interleaved([stepOf(m, x), expertsOnly]);
      m.dispose();
      tf.dispose([x, buf]);
      return { value: (full! - experts!) / experts!, detail: { layerMs: full, expertComputeMs: experts, capacity: cap, tokens: TOKENS, dim: DIM, hidden: HIDDEN, experts: 16, topK: 2 } };
    },
  },
  {
    name: 'moe.sparse_vs_dense_webgpu',
    unit: 'ratio',
    backend: 'webgpu',
    target: null,
    better: 'lower',
    async run() {
      const { create, globals } = await import('webgpu');
      Object.assign(globalThis, globals);
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
      try {
        const r = await initBackend({ prefer: ['webgpu'], fallback: false });
        if (r.backend !== 'webgpu') throw new Error(`bench needs webgpu: ${JSON.stringify(r.reasons)}`);
        const x = tf.tensor2d(new Rng(2).normalArray(TOKENS * DIM), [TOKENS, DIM]);
        const dropless = layer({});
        const capacity = layer({ capacityFactor: 1.25 });
        const dense = layer({ dispatch: 'dense' });
        const [ms, mc, md] = await interleaved([stepOf(dropless, x), stepOf(capacity, x), stepOf(dense, x)], 3, 1);
        for (const m of [dropless, capacity, dense]) m.dispose();
        x.dispose();
        return { value: ms! / md!, detail: { droplessMs: ms, capacity125Ms: mc, denseMs: md, capacityRatio: mc! / md!, ideal: 2 / 16, adapter: 'SwiftShader (CPU Vulkan)', tokens: TOKENS, dim: DIM, hidden: HIDDEN, experts: 16, topK: 2 } };
      } finally {
        if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
        delete (globalThis as { navigator?: unknown }).navigator;
        await useWasm();
      }
    },
  },
];
