// DARTS collapse measured for every cell-space search method: the skip-connection (and
// parameter-free) share of the derived normal cell, checked on hand-made edge weights, then
// recorded every 50 steps of a 400-step search on the planted vector cell task, seeds 0–2.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { mse } from '@weft/core';
import { collapseShare, createCellSearch, plantedCellTask, resolveSpace, runSearch, searchMethodNames, trackCollapse } from '../src/index.js';
import { LONG_EXPERIMENTS } from './long-experiments.js';

const SPACE = resolveSpace({ space: 'vector', steps: 2, channels: 8, inChannels: 4, numOutputs: 4, ops: ['none', 'skip_connect', 'linear', 'relu', 'tanh', 'sigmoid'] });
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

describe('DARTS collapse', () => {
  it('collapse share of hand-made edge weights: node 2 keeps skip (0.9) and relu, node 3 keeps skip (0.7) and linear: 2 of 4 skip, 3 of 4 parameter-free (the vector relu is a bare activation)', () => {
    //          none  skip  linear relu  tanh  sigmoid
    const normal = [
      [0.02, 0.9, 0.02, 0.02, 0.02, 0.02],
      [0.04, 0.04, 0.04, 0.8, 0.04, 0.04],
      [0.06, 0.7, 0.06, 0.06, 0.06, 0.06],
      [0.08, 0.08, 0.6, 0.08, 0.08, 0.08],
      [0.5, 0.1, 0.1, 0.1, 0.1, 0.1],
    ];
    expect(collapseShare({ normal, reduce: [] }, SPACE)).toEqual({ skip: 0.5, parameterFree: 0.75 });
    const conv = resolveSpace({ space: 'conv', steps: 1, multiplier: 1, ops: ['none', 'max_pool_3x3', 'sep_conv_3x3', 'skip_connect'] });
    // One node, two edges: max_pool and sep_conv derived: no skip, half parameter-free.
    expect(collapseShare({ normal: [[0, 0.9, 0.1, 0], [0, 0, 0.8, 0.2]], reduce: [[0, 0, 0, 1], [0, 0, 0, 1]] }, conv)).toEqual({ skip: 0, parameterFree: 0.5 });
  });

  it('the planted cell task leaks nothing (its teacher\'s scaled weights stayed allocated: 8 tensors a task, found by the experiment below)', () => {
    const before = tf.memory().numTensors;
    const task = plantedCellTask(SPACE, 0, { n: 64 });
    tf.dispose([task.x, task.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.runIf(LONG_EXPERIMENTS)('experiment: skip-connection share of the derived cell over 400 search steps, every cell-space method, seeds 0–2', async () => {
    const before = tf.memory().numTensors;
    for (const method of searchMethodNames('cell')) {
      const traj: number[][] = [];
      const pf: number[] = [];
      for (const seed of [0, 1, 2]) {
        const task = plantedCellTask(SPACE, seed, { n: 2048 });
        const half = 1024;
        const train = { x: tf.slice(task.x, 0, half), y: tf.slice(task.y, 0, half) };
        const val = { x: tf.slice(task.x, half, half), y: tf.slice(task.y, half, half) };
        const { net, searcher } = createCellSearch(method, SPACE, mse, {}, seed + 10);
        // ROME derives its genotype from its own rows (topology β); the others from softmax α.
        const rows = { edgeWeights: () => (searcher.edgeWeights ? searcher.edgeWeights() : net.edgeWeights()), space: net.space };
        const t = trackCollapse(rows);
        t.points.push({ step: 0, ...collapseShare(await rows.edgeWeights(), net.space) });
        await runSearch({ searcher, train, val, steps: 400, batchSize: 64, seed, reportEvery: 50, onProgress: t.onProgress });
        traj.push(t.points.map((p) => p.skip));
        pf.push(t.points.at(-1)!.parameterFree);
        searcher.dispose();
        net.dispose();
        tf.dispose([task.x, task.y, train.x, train.y, val.x, val.y]);
      }
      const at = (k: number) => traj.map((r) => r[k]!);
      console.log(
        `[nas collapse] ${method}: skip share at steps 0, 50, …, 400 (mean of 3 seeds): ${traj[0]!.map((_, k) => mean(at(k)).toFixed(2)).join(' ')}; final ${mean(at(traj[0]!.length - 1)).toFixed(2)} ± ${sd(at(traj[0]!.length - 1)).toFixed(2)}, parameter-free ${mean(pf).toFixed(2)}`,
      );
      expect(traj.every((r) => r.length === 9 && r.every((v) => v >= 0 && v <= 1))).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 1_800_000);
});
