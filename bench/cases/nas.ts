// @weft/nas benchmark cases: a DARTS supernet training step against the sum of the steps of the
// single-op networks it mixes (conv space with the DARTS primitives, and the stacked vector
// space), the entangled supernet's stored parameters against its largest subnet's (ledger), and
// the wall time of a full toy search (DARTS, first order, planted vector task) on tfjs cpu.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, initBackend, makeOptimizer, mse, parameterLedger } from '@weft/core';
import { EntangledSupernet, SearchNetwork, createCellSearch, extractSubnet, largestSubnet, plantedCellTask, runSearch, type CellSpaceConfig } from '@weft/nas';
import { medianMs, type BenchCase } from '../case.js';

async function use(backend: 'wasm' | 'cpu'): Promise<void> {
  const r = await initBackend({ prefer: [backend], fallback: false });
  if (r.backend !== backend) throw new Error(`bench needs ${backend}: ${JSON.stringify(r.reasons)}`);
}

/** Median ms of one weight step (Adam) of `net` on (x, y). */
async function stepMs(net: SearchNetwork, x: tf.Tensor, y: tf.Tensor, reps: number): Promise<number> {
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const vars = net.weightParameters();
  const ms = await medianMs(async () => {
    const l = opt.minimize(() => mse(net.forward(x, new ForwardContext({ training: true })), y), true, vars)!;
    await l.data();
    l.dispose();
  }, reps, 3);
  opt.dispose();
  return ms;
}

/** Supernet step / Σ single-op network steps, measured interleaved. */
async function supernetVsSum(space: Partial<CellSpaceConfig> & { ops: string[] }, xShape: number[], outputs: number, reps: number) {
  const rng = new Rng(1);
  const x = tf.tensor(rng.normalArray(xShape.reduce((a, b) => a * b, 1)), xShape);
  const y = tf.tensor(rng.normalArray(xShape[0]! * outputs), [xShape[0]!, outputs]);
  const sup = new SearchNetwork({ ...space, numOutputs: outputs }, new Rng(2));
  const singles = space.ops.filter((o) => o !== 'none').map((o) => new SearchNetwork({ ...space, numOutputs: outputs, ops: [o] }, new Rng(3)));
  const supMs: number[] = [];
  const sumMs: number[] = [];
  for (let r = 0; r < 3; r++) {
    supMs.push(await stepMs(sup, x, y, reps));
    let s = 0;
    for (const n of singles) s += await stepMs(n, x, y, reps);
    sumMs.push(s);
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  tf.dispose([x, y]);
  sup.dispose();
  singles.forEach((n) => n.dispose());
  return { supernetStepMs: med(supMs), sumOfSingleOpStepsMs: med(sumMs), ratio: med(supMs) / med(sumMs) };
}

export const cases: BenchCase[] = [
  {
    name: 'nas.supernet_step_vs_sum',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.25,
    better: 'lower',
    async run() {
      await use('wasm');
      const conv = await supernetVsSum(
        { space: 'conv', steps: 2, multiplier: 2, channels: 4, layers: 3, ops: ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] },
        [16, 8, 8, 1], 6, 5,
      );
      const vector = await supernetVsSum(
        { space: 'vector', steps: 2, channels: 16, inChannels: 4, ops: ['none', 'skip_connect', 'linear', 'gated_linear', 'relu_linear', 'tanh_linear', 'sigmoid_linear'] },
        [64, 4], 4, 10,
      );
      return { value: conv.ratio, detail: { conv: { ...conv, batch: 16, image: '8x8x1', steps: 2, channels: 4, layers: 3 }, vectorStacked: { ...vector, batch: 64, channels: 16 } } };
    },
  },
  {
    name: 'nas.entangled_params_vs_largest',
    unit: 'ratio',
    backend: 'wasm',
    target: 1.05,
    better: 'lower',
    async run() {
      await use('wasm');
      const detail: Record<string, unknown> = {};
      let worst = 0;
      for (const kind of ['mlp', 'cnn'] as const) {
        const net = new EntangledSupernet({ kind }, new Rng(0));
        const sub = extractSubnet(net, largestSubnet(net.space));
        const a = parameterLedger(net).totals.stored;
        const b = parameterLedger(sub).totals.stored;
        detail[kind] = { supernetStored: a, largestSubnetStored: b, ratio: a / b, space: net.space };
        worst = Math.max(worst, a / b);
        net.dispose();
        sub.dispose();
      }
      return { value: worst, detail };
    },
  },
  {
    name: 'nas.search_seconds',
    unit: 's',
    backend: 'cpu',
    target: null,
    better: 'lower',
    async run() {
      await use('cpu');
      const space = { space: 'vector' as const, steps: 2, channels: 8, inChannels: 4, numOutputs: 4, ops: ['none', 'skip_connect', 'relu', 'tanh', 'sigmoid'] };
      const task = plantedCellTask(space, 1, { n: 1024 });
      const tr = { x: tf.slice(task.x, [0, 0], [512, 4]), y: tf.slice(task.y, [0, 0], [512, 4]) };
      const va = { x: tf.slice(task.x, [512, 0], [512, 4]), y: tf.slice(task.y, [512, 0], [512, 4]) };
      const { net, searcher } = createCellSearch('darts', space, mse, {}, 2);
      const r = await runSearch({ searcher, train: tr, val: va, steps: 150, batchSize: 64, reportEvery: 50 });
      searcher.dispose();
      net.dispose();
      tf.dispose([task.x, task.y, tr, va]);
      await use('wasm');
      return { value: r.seconds, detail: { method: 'darts (first order)', steps: 150, batch: 64, space, stepsPerSecond: r.training.stepsPerSecond } };
    },
  },
];
