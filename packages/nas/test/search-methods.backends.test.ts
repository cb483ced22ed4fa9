// Every registered search method on every backend (webgpu included): two search steps through
// runSearch on a tiny space of its family, then its result. The losses must be finite, the result a
// valid architecture of the space, and nothing may leak (a step that reads back with dataSync
// fails on webgpu). Options that shrink a method's result search or move its pause into two steps
// are set where the method lists them (read from the registry entry, not by name).
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { Rng, mse } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { createCellSearch, createEntangledSearch, resolveEntangledSpace, resolveSpace, runSearch, searchMethod, searchMethodNames, validateGenotype, validateSubnet } from '@weft/nas';

const CELL = { space: 'vector' as const, steps: 1, multiplier: 1, channels: 4, inChannels: 3, numOutputs: 2 };
const ENTANGLED = { kind: 'mlp' as const, inFeatures: 3, numOutputs: 2, depthChoices: [1, 2], widthChoices: [2, 4] };
/** Smaller result searches and an early pause, for the methods that take these options. */
const SMALL: Record<string, unknown> = { search: 'random', candidates: 2, splitStep: 1, gmSamples: 1, randomSubnets: 1, evaluations: 3, warmup: 1, updates: 1 };

describeBackends('every search method runs two steps', () => {
  for (const name of searchMethodNames()) {
    it(name, async () => {
      const m = searchMethod(name);
      const config = Object.fromEntries(Object.entries(SMALL).filter(([k]) => m.options.includes(k)));
      const rng = new Rng(4);
      const x = tf.tensor2d(rng.normalArray(16 * 3), [16, 3]);
      const y = tf.tensor2d(rng.normalArray(16 * 2), [16, 2]);
      const data = { train: { x, y }, val: { x, y } };
      const before = tf.memory().numTensors;
      if (m.family === 'cell') {
        const { net, searcher } = createCellSearch(name, CELL, mse, config, 1);
        const r = await runSearch({ searcher, ...data, steps: 2, batchSize: 8, reportEvery: 1 });
        expect(r.training.history.map((h) => h.loss).every(Number.isFinite)).toBe(true);
        validateGenotype(r.result, resolveSpace({ ...CELL, ...m.spaceDefaults }));
        searcher.dispose();
        net.dispose();
      } else {
        const { net, searcher } = createEntangledSearch(name, ENTANGLED, mse, config, 1);
        const r = await runSearch({ searcher, ...data, steps: 2, batchSize: 8, reportEvery: 1 });
        expect(r.training.history.map((h) => h.loss).every(Number.isFinite)).toBe(true);
        expect(r.training.steps).toBe(2);
        validateSubnet(resolveEntangledSpace(ENTANGLED), r.result);
        searcher.dispose();
        net.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
    });
  }
});
