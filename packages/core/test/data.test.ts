import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  batches, batchIndices, circles, clusters, clusterTasks, concatDatasets, copyTask, DATASETS, IGNORE_INDEX, labelPermutation,
  makeDataset, modularAddition, moons, numExamples, parityTask, permutedLabels, registerDataset, reverseTask, rotatedSpirals,
  rotation, Rng, shapes, sine, sineFamily, sortTask, spirals, split, splitByTask, subset, taskFamily, toTensors, xor,
  type Dataset,
} from '@weft/core';

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const counts = (y: ArrayLike<number>, k: number) => {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < y.length; i++) c[y[i]!]!++;
  return c;
};
const row = (a: ArrayLike<number>, i: number, w: number) => Array.from(a as ArrayLike<number>).slice(i * w, (i + 1) * w);

/** Least squares of y on [x, 1] (normal equations, Gaussian elimination): coefficients and RMS residual. */
function leastSquares(x: number[][], y: number[]): { coef: number[]; rms: number } {
  const d = x[0]!.length + 1;
  const A = Array.from({ length: d }, () => new Array<number>(d + 1).fill(0));
  for (let i = 0; i < x.length; i++) {
    const f = [...x[i]!, 1];
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) A[a]![b]! += f[a]! * f[b]!;
      A[a]![d]! += f[a]! * y[i]!;
    }
  }
  for (let p = 0; p < d; p++) {
    let m = p;
    for (let r = p + 1; r < d; r++) if (Math.abs(A[r]![p]!) > Math.abs(A[m]![p]!)) m = r;
    [A[p], A[m]] = [A[m]!, A[p]!];
    for (let r = 0; r < d; r++) {
      if (r === p) continue;
      const f = A[r]![p]! / A[p]![p]!;
      for (let cc = p; cc <= d; cc++) A[r]![cc]! -= f * A[p]![cc]!;
    }
  }
  const coef = A.map((r, i) => r[d]! / r[i]!);
  let sse = 0;
  for (let i = 0; i < x.length; i++) {
    const f = [...x[i]!, 1];
    const pred = f.reduce((s, v, j) => s + v * coef[j]!, 0);
    sse += (pred - y[i]!) ** 2;
  }
  return { coef, rms: Math.sqrt(sse / x.length) };
}

describe('every registered dataset', () => {
  for (const name of Object.keys(DATASETS)) {
    it(`${name}: seeded, well-shaped, in range`, () => {
      const a = makeDataset(name, undefined, 1);
      const b = makeDataset(name, undefined, 1);
      const c = makeDataset(name, undefined, 2);
      expect(a.x).toEqual(b.x);
      expect(a.y).toEqual(b.y);
      expect(a.extra).toEqual(b.extra);
      expect(a.x).not.toEqual(c.x);

      const n = numExamples(a);
      expect(n).toBeGreaterThan(0);
      expect(a.x.length).toBe(prod(a.xShape));
      expect(a.y.length).toBe(prod(a.yShape));
      expect(a.yShape[0]).toBe(n);
      for (const arr of Object.values(a.extra ?? {})) expect(arr.length % n).toBe(0);
      expect(JSON.parse(JSON.stringify(a.meta ?? {}))).toEqual(a.meta ?? {});
      expect(Object.keys(DATASETS[name]!.defaults).length).toBeGreaterThan(0);

      if (a.task === 'classification') {
        expect(a.x).toBeInstanceOf(Float32Array);
        expect(a.y).toBeInstanceOf(Int32Array);
        expect(a.yShape).toEqual([n]);
        expect(a.y.every((v) => v >= 0 && v < a.numClasses!)).toBe(true);
      } else if (a.task === 'regression') {
        expect(a.x).toBeInstanceOf(Float32Array);
        expect(a.y).toBeInstanceOf(Float32Array);
        expect(a.yShape.length).toBe(2);
      } else {
        expect(a.x).toBeInstanceOf(Int32Array);
        expect(a.y).toBeInstanceOf(Int32Array);
        expect(a.xShape.length).toBe(2);
        expect(a.x.every((v) => v >= 0 && v < a.vocabSize!)).toBe(true);
        expect(a.y.every((v) => v === IGNORE_INDEX || (v >= 0 && v < a.numClasses!))).toBe(true);
      }
      expect(a.x.every((v) => Number.isFinite(v))).toBe(true);
      expect(a.y.every((v) => Number.isFinite(v))).toBe(true);
    });
  }

  it('accepts an Rng as the seed and forks it per dataset', () => {
    const rng = new Rng(5);
    expect(spirals({}, rng).x).toEqual(spirals({}, new Rng(5)).x);
    expect(spirals({}, rng).x).toEqual(spirals({}, 5).x);
    expect(spirals({}, rng).x).not.toEqual(spirals({}, rng.fork('other')).x);
  });
});

describe('2-D classification', () => {
  it('labels are balanced', () => {
    expect(counts(spirals({ n: 900, arms: 3 }).y, 3)).toEqual([300, 300, 300]);
    expect(counts(moons({ n: 400 }).y, 2)).toEqual([200, 200]);
    expect(counts(circles({ n: 400 }).y, 2)).toEqual([200, 200]);
    expect(counts(xor({ n: 400 }).y, 2)).toEqual([200, 200]);
    expect(counts(clusters({ n: 400, clusters: 4 }).y, 4)).toEqual([100, 100, 100, 100]);
  });

  it('noise-free points lie on their curves', () => {
    const c = circles({ n: 200, noise: 0, factor: 0.3 });
    for (let i = 0; i < 200; i++) expect(Math.hypot(c.x[2 * i]!, c.x[2 * i + 1]!)).toBeCloseTo(c.y[i] === 0 ? 1 : 0.3, 5);
    const x = xor({ n: 200, noise: 0 });
    for (let i = 0; i < 200; i++) expect(Number(x.x[2 * i]! * x.x[2 * i + 1]! < 0)).toBe(x.y[i]);
    const s = spirals({ n: 200, noise: 0, turns: 0.25 });
    // a quarter turn: arm 0 has angle in [0, π/2], arm 1 in [π, 3π/2]
    for (let i = 0; i < 200; i++) {
      const a = Math.atan2(s.x[2 * i + 1]!, s.x[2 * i]!);
      if (s.y[i] === 0) expect(a).toBeGreaterThanOrEqual(-1e-6), expect(a).toBeLessThanOrEqual(Math.PI / 2 + 1e-6);
      else expect(a < 0 || a > Math.PI - 1e-6).toBe(true);
    }
  });

  it('clusters are centred on meta.centers', () => {
    const d = clusters({ n: 3000, clusters: 3, dim: 5, std: 0.1, spread: 2 });
    const centers = d.meta!.centers as number[];
    for (let k = 0; k < 3; k++) {
      const mean = new Array<number>(5).fill(0);
      for (let i = k; i < 3000; i += 3) for (let j = 0; j < 5; j++) mean[j]! += d.x[i * 5 + j]! / 1000;
      expect(Math.hypot(...centers.slice(k * 5, k * 5 + 5))).toBeCloseTo(2, 5);
      for (let j = 0; j < 5; j++) expect(mean[j]!).toBeCloseTo(centers[k * 5 + j]!, 1);
    }
  });
});

describe('clusterTasks', () => {
  it('each cluster has its own linear target: per-cluster fits are exact, one global fit is not', () => {
    const d = clusterTasks({ n: 800, clusters: 4, dim: 3, target: 'linear', noise: 0 });
    const cluster = d.extra!.cluster!;
    expect(counts(cluster, 4)).toEqual([200, 200, 200, 200]);
    const xs = Array.from({ length: 800 }, (_, i) => row(d.x, i, 3));
    const ys = Array.from(d.y);
    const fits = [0, 1, 2, 3].map((k) => {
      const idx = xs.map((_, i) => i).filter((i) => cluster[i] === k);
      return leastSquares(idx.map((i) => xs[i]!), idx.map((i) => ys[i]!));
    });
    for (const f of fits) expect(f.rms).toBeLessThan(1e-3);
    for (let a = 0; a < 4; a++) {
      for (let b = a + 1; b < 4; b++) {
        const diff = Math.hypot(...fits[a]!.coef.slice(0, 3).map((v, j) => v - fits[b]!.coef[j]!));
        expect(diff).toBeGreaterThan(0.1);
      }
    }
    expect(leastSquares(xs, ys).rms).toBeGreaterThan(0.2);
  });

  it('cluster ids are the nearest center when clusters are well separated', () => {
    const d = clusterTasks({ n: 400, clusters: 5, dim: 4, spread: 5, std: 0.3 });
    const centers = d.meta!.centers as number[];
    for (let i = 0; i < 400; i++) {
      const dist = [0, 1, 2, 3, 4].map((k) => Math.hypot(...row(d.x, i, 4).map((v, j) => v - centers[k * 4 + j]!)));
      expect(dist.indexOf(Math.min(...dist))).toBe(d.extra!.cluster![i]);
    }
  });

  it('nonlinear and classification variants', () => {
    const r = clusterTasks({ target: 'nonlinear', outputs: 2, n: 200 });
    expect(r.yShape).toEqual([200, 2]);
    const c = clusterTasks({ task: 'classification', outputs: 3, n: 600, target: 'nonlinear' });
    expect(c.yShape).toEqual([600]);
    expect(c.numClasses).toBe(3);
    expect(counts(c.y, 3).every((k) => k > 0)).toBe(true);
  });
});

describe('sine', () => {
  it('noise-free points are on the sine', () => {
    const d = sine({ n: 100, amplitude: 2, frequency: 3, phase: 0.5, noise: 0 });
    for (let i = 0; i < 100; i++) expect(d.y[i]!).toBeCloseTo(2 * Math.sin(3 * d.x[i]! + 0.5), 5);
    expect(d.x.every((v) => v >= -5 && v < 5)).toBe(true);
  });

  it('a family has one amplitude and phase per task', () => {
    const d = sineFamily({ tasks: 5, n: 20 });
    expect(d.xShape).toEqual([100, 1]);
    const { amplitudes, phases } = d.meta as { amplitudes: number[]; phases: number[] };
    expect(new Set(amplitudes).size).toBe(5);
    const parts = splitByTask(d);
    expect(parts.length).toBe(5);
    parts.forEach((p, k) => {
      expect(numExamples(p)).toBe(20);
      for (let i = 0; i < 20; i++) expect(p.y[i]!).toBeCloseTo(amplitudes[k]! * Math.sin(p.x[i]! + phases[k]!), 5);
    });
  });
});

describe('sequence tasks', () => {
  const L = 6;
  for (const [name, make, f] of [
    ['copy', copyTask, (s: number[]) => s],
    ['reverse', reverseTask, (s: number[]) => [...s].reverse()],
    ['sort', sortTask, (s: number[]) => [...s].sort((a, b) => a - b)],
  ] as const) {
    it(`${name}: lm layout, answer after SEP, only the answer scored`, () => {
      const d = make({ n: 50, length: L, vocabSize: 7 });
      expect(d.xShape).toEqual([50, 2 * L]);
      expect(d.yShape).toEqual([50, 2 * L]);
      expect(d.vocabSize).toBe(8);
      expect(d.meta!.sep).toBe(7);
      for (let i = 0; i < 50; i++) {
        const x = row(d.x, i, 2 * L);
        const y = row(d.y, i, 2 * L);
        const target = f(x.slice(0, L));
        expect(x[L]).toBe(7);
        expect(y.slice(0, L)).toEqual(new Array(L).fill(IGNORE_INDEX));
        expect(y.slice(L)).toEqual(target);
        expect(x.slice(L + 1)).toEqual(target.slice(0, L - 1)); // teacher forcing: y[p] = x[p + 1]
        if (name === 'sort') for (let j = 1; j < L; j++) expect(y[L + j]!).toBeGreaterThanOrEqual(y[L + j - 1]!);
      }
    });

    it(`${name}: aligned layout`, () => {
      const d = make({ n: 50, length: L, vocabSize: 5, format: 'aligned' });
      expect(d.xShape).toEqual([50, L]);
      expect(d.vocabSize).toBe(5);
      for (let i = 0; i < 50; i++) expect(row(d.y, i, L)).toEqual(f(row(d.x, i, L)));
    });
  }

  it('parity: final label is the parity, classes balanced', () => {
    for (const vocabSize of [2, 5]) {
      const d = parityTask({ n: 200, length: 9, vocabSize });
      expect(d.yShape).toEqual([200]);
      expect(counts(d.y, 2)).toEqual([100, 100]);
      for (let i = 0; i < 200; i++) expect(row(d.x, i, 9).reduce((a, b) => a + b, 0) % 2).toBe(d.y[i]);
    }
  });

  it('parity: prefix targets are running parities', () => {
    const d = parityTask({ n: 50, length: 7, targets: 'prefix' });
    expect(d.yShape).toEqual([50, 7]);
    for (let i = 0; i < 50; i++) {
      const x = row(d.x, i, 7);
      row(d.y, i, 7).forEach((v, t) => expect(v).toBe(x.slice(0, t + 1).reduce((a, b) => a + b, 0) % 2));
    }
  });

  it('modular addition: tokens and answers', () => {
    const d = modularAddition({ n: 300, modulus: 11, terms: 3 });
    expect(d.xShape).toEqual([300, 6]);
    expect(d.vocabSize).toBe(13);
    expect(d.numClasses).toBe(11);
    for (let i = 0; i < 300; i++) {
      const x = row(d.x, i, 6);
      expect([x[1], x[3], x[5]]).toEqual([11, 11, 12]);
      expect((x[0]! + x[2]! + x[4]!) % 11).toBe(d.y[i]);
    }
    const lm = modularAddition({ n: 20, modulus: 7, format: 'lm' });
    expect(lm.yShape).toEqual([20, 4]);
    for (let i = 0; i < 20; i++) {
      const x = row(lm.x, i, 4);
      expect(row(lm.y, i, 4)).toEqual([IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, (x[0]! + x[2]!) % 7]);
    }
  });

  it('modular addition: exhaustive enumerates every pair once', () => {
    const d = modularAddition({ modulus: 13, exhaustive: true });
    expect(d.xShape).toEqual([169, 4]);
    const seen = new Set<number>();
    for (let i = 0; i < 169; i++) {
      seen.add(d.x[i * 4]! * 13 + d.x[i * 4 + 2]!);
      expect((d.x[i * 4]! + d.x[i * 4 + 2]!) % 13).toBe(d.y[i]);
    }
    expect(seen.size).toBe(169);
    expect(counts(d.y, 13)).toEqual(new Array(13).fill(13));
  });
});

describe('shapes', () => {
  const d = shapes({ n: 600, noise: 0 });
  const S = 8;
  const img = (i: number) => Array.from(d.x.subarray(i * 64, (i + 1) * 64));
  const at = (im: number[], r: number, q: number) => im[r * S + q]!;

  it('NHWC float32 in [0, 1], balanced labels', () => {
    expect(d.xShape).toEqual([600, 8, 8, 1]);
    expect(d.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(counts(d.y, 6)).toEqual(new Array(6).fill(100));
    expect(d.meta!.shapes).toEqual(['square', 'circle', 'triangle', 'cross', 'hline', 'vline']);
    const noisy = shapes({ n: 10, noise: 0.2 });
    expect(noisy.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('all ink lies inside the shape box, and there is enough of it', () => {
    const center = d.extra!.center!;
    const scale = d.extra!.scale!;
    for (let i = 0; i < 600; i++) {
      const im = img(i);
      const [cx, cy, s] = [center[2 * i]!, center[2 * i + 1]!, scale[i]!];
      let mass = 0;
      let inBox = 0;
      for (let r = 0; r < S; r++) {
        for (let q = 0; q < S; q++) {
          const v = at(im, r, q);
          mass += v;
          if (q + 1 > cx - s && q < cx + s && r + 1 > cy - s && r < cy + s) inBox += v;
        }
      }
      expect(inBox).toBeCloseTo(mass, 5);
      expect(mass).toBeGreaterThan(2 * s - 0.5); // at least a line of length 2s, one pixel wide
    }
  });

  it('each class looks like its shape', () => {
    for (let i = 0; i < 600; i++) {
      const im = img(i);
      const mass = im.reduce((a, b) => a + b, 0);
      const rows = Array.from({ length: S }, (_, r) => im.slice(r * S, r * S + S).reduce((a, b) => a + b, 0));
      const cols = Array.from({ length: S }, (_, q) => rows.map((_, r) => at(im, r, q)).reduce((a, b) => a + b, 0));
      const top2 = (v: number[]) => [...v].sort((a, b) => b - a).slice(0, 2).reduce((a, b) => a + b, 0);
      const cx = d.extra!.center![2 * i]!;
      const cy = d.extra!.center![2 * i + 1]!;
      const s = d.extra!.scale![i]!;
      const kind = (d.meta!.shapes as string[])[d.y[i]!];
      if (kind === 'hline') expect(top2(rows)).toBeCloseTo(mass, 5); // one pixel thick: at most two rows
      if (kind === 'vline') expect(top2(cols)).toBeCloseTo(mass, 5);
      if (kind === 'square' || kind === 'circle') {
        // outlines: the pixel under the center is empty when the shape is big enough
        if (s >= 2.5) expect(at(im, Math.floor(cy), Math.floor(cx))).toBeLessThan(0.2);
        expect(top2(rows)).toBeLessThan(mass * 0.9);
      }
      if (kind === 'triangle') {
        // apex up: more ink below the center than above
        const below = rows.reduce((a, v, r) => a + (r + 0.5 > cy ? v : 0), 0);
        expect(below).toBeGreaterThan(mass - below);
      }
      if (kind === 'cross') expect(at(im, Math.floor(cy), Math.floor(cx))).toBeGreaterThan(0.2);
    }
  });

  it('a subset of shapes relabels in the given order', () => {
    const two = shapes({ n: 10, shapes: ['vline', 'hline'] });
    expect(two.numClasses).toBe(2);
    expect(two.meta!.shapes).toEqual(['vline', 'hline']);
  });
});

describe('task families', () => {
  it('rotated spirals are rotations of one base draw', () => {
    const d = rotatedSpirals({ n: 100, tasks: 4, maxAngle: Math.PI });
    expect(d.xShape).toEqual([400, 2]);
    expect(d.meta!.angles).toEqual([0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4]);
    const [t0, ...rest] = splitByTask(d);
    expect(t0!.x).toEqual(spirals({ n: 100 }, new Rng(0).fork('rotatedSpirals')).x);
    rest.forEach((t, j) => {
      const theta = ((j + 1) * Math.PI) / 4;
      expect(t.y).toEqual(t0!.y);
      for (let i = 0; i < 100; i++) {
        const [a, b] = [t0!.x[2 * i]!, t0!.x[2 * i + 1]!];
        expect(t.x[2 * i]!).toBeCloseTo(Math.cos(theta) * a - Math.sin(theta) * b, 5);
        expect(t.x[2 * i + 1]!).toBeCloseTo(Math.sin(theta) * a + Math.cos(theta) * b, 5);
        expect(Math.hypot(t.x[2 * i]!, t.x[2 * i + 1]!)).toBeCloseTo(Math.hypot(a, b), 5);
      }
    });
  });

  it('permuted labels: same inputs, task k labels = π_k(base labels)', () => {
    const base = clusters({ n: 60, clusters: 4 });
    const d = permutedLabels(base, { tasks: 3 }, 9);
    const perms = d.meta!.permutations as number[];
    expect(perms.slice(0, 4)).toEqual([0, 1, 2, 3]);
    const tasks = splitByTask(d);
    tasks.forEach((t, k) => {
      expect(t.x).toEqual(base.x);
      expect(Array.from(t.y)).toEqual(Array.from(base.y).map((v) => perms[k * 4 + v]));
    });
    expect(tasks[1]!.y).not.toEqual(tasks[2]!.y);
    // registry form: a base by name
    const r = makeDataset('permuted-labels', { base: 'shapes', baseConfig: { n: 12 }, tasks: 2 }, 3);
    expect(r.xShape).toEqual([24, 8, 8, 1]);
    expect(r.extra!.task).toEqual(Int32Array.from([...new Array(12).fill(0), ...new Array(12).fill(1)]));
  });

  it('taskFamily applies any transforms and tags tasks', () => {
    const base = moons({ n: 10 });
    const d = taskFamily(base, [rotation(0), labelPermutation([1, 0]), (b) => ({ ...b, x: b.x.map((v) => v * 2) })]);
    expect(d.name).toBe('moons-family');
    expect(d.meta!.numTasks).toBe(3);
    const [a, b, c] = splitByTask(d);
    expect(a!.x).toEqual(base.x);
    expect(Array.from(b!.y)).toEqual(Array.from(base.y).map((v) => 1 - v));
    expect(c!.x).toEqual(base.x.map((v) => v * 2));
    expect(() => taskFamily(base, [])).toThrow('taskFamily: transforms must be a non-empty array');
    expect(() => taskFamily(base, [() => sine({ n: 10 })])).not.toThrow();
    expect(() => taskFamily(base, [(b) => b, () => sine({ n: 10 })])).toThrow(/concatDatasets: parts\[1\]/);
  });
});

describe('subset, split, batches', () => {
  const ds = shapes({ n: 50 });

  it('subset copies rows and extra', () => {
    const s = subset(ds, [3, 3, 0]);
    expect(s.xShape).toEqual([3, 8, 8, 1]);
    expect(Array.from(s.x.subarray(0, 64))).toEqual(Array.from(ds.x.subarray(192, 256)));
    expect(Array.from(s.extra!.center!)).toEqual([...row(ds.extra!.center!, 3, 2), ...row(ds.extra!.center!, 3, 2), ...row(ds.extra!.center!, 0, 2)]);
    expect(() => subset(ds, [50])).toThrow('subset: indices[0]=50 must be an integer in [0, 49]');
  });

  it('split partitions, reproducibly', () => {
    const parts = split(ds, [0.6, 0.2, 0.2], 4);
    expect(parts.map(numExamples)).toEqual([30, 10, 10]);
    const centers = parts.flatMap((p) => Array.from({ length: numExamples(p) }, (_, i) => row(p.extra!.center!, i, 2).join()));
    expect(new Set(centers).size).toBe(50);
    expect(split(ds, [0.6, 0.2, 0.2], 4)[1]!.x).toEqual(parts[1]!.x);
    expect(split(ds, [0.6, 0.2, 0.2], 5)[1]!.x).not.toEqual(parts[1]!.x);
    expect(split(ds, [0.5], new Rng(1)).map(numExamples)).toEqual([25]);
    expect(() => split(ds, [0.7, 0.7], 0)).toThrow('split: fractions=[0.7,0.7] sum to 1.4; they must sum to at most 1');
    expect(() => split(ds, [0, 1], 0)).toThrow('split: fractions[0]=0 must be a number in (0, 1]');
  });

  it('batches cover each epoch once, shuffled or in order', () => {
    const seq = [...batches(ds, 16)];
    expect(seq.map(numExamples)).toEqual([16, 16, 16, 2]);
    expect(seq[0]!.x).toEqual(ds.x.subarray(0, 16 * 64));
    expect([...batches(ds, 16, { dropLast: true })].length).toBe(3);
    const idx = [...batchIndices(50, 16, { rng: 3, epochs: 2 })];
    expect(idx.length).toBe(8);
    const epoch1 = idx.slice(0, 4).flatMap((b) => Array.from(b));
    expect([...epoch1].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epoch1).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(idx.slice(4).flatMap((b) => Array.from(b))).not.toEqual(epoch1);
    const endless = batchIndices(5, 2, { epochs: Infinity });
    for (let i = 0; i < 100; i++) expect(endless.next().done).toBe(false);
    expect(() => batches(ds, 0).next()).toThrow('batches: batchSize=0 must be an integer ≥ 1');
    expect(() => batchIndices(0, 2, { epochs: Infinity }).next()).toThrow(/would yield nothing forever/);
  });

  it('concatDatasets rejects mismatched parts', () => {
    expect(() => concatDatasets([moons({ n: 4 }), shapes({ n: 4 })])).toThrow(/parts\[1\] .* does not match parts\[0\]/);
    expect(numExamples(concatDatasets([moons({ n: 4 }), circles({ n: 6 })]))).toBe(10);
  });
});

describe('toTensors', () => {
  it('uploads with the right shapes and dtypes (on the active backend)', async () => {
    const d = clusterTasks({ n: 12, task: 'classification', outputs: 3 });
    const t = toTensors(d);
    expect(t.x.shape).toEqual([12, 2]);
    expect(t.x.dtype).toBe('float32');
    expect(t.y.dtype).toBe('int32');
    expect(t.extra.cluster!.shape).toEqual([12]);
    expect(Array.from(await t.y.data())).toEqual(Array.from(d.y));
    const img = toTensors(shapes({ n: 3 }));
    expect(img.x.shape).toEqual([3, 8, 8, 1]);
    expect(img.extra.center!.shape).toEqual([3, 2]);
    const seq = toTensors(copyTask({ n: 4 }));
    expect(seq.x.dtype).toBe('int32');
    // IGNORE_INDEX rows of oneHot are zero, so a masked cross-entropy needs no gather
    const oh = tf.oneHot(seq.y as tf.Tensor2D, 11);
    expect((await oh.sum().data())[0]).toBe(4 * 8);
    tf.dispose([t, img, seq, oh]);
  });
});

describe('config errors name the argument, the value and what is allowed', () => {
  const cases: [() => unknown, string | RegExp][] = [
    [() => spirals({ n: 0 }), 'spirals: n=0 must be an integer ≥ 1'],
    [() => spirals({ arms: 1.5 }), 'spirals: arms=1.5 must be an integer in [2, 64]'],
    [() => spirals({ noise: -1 }), 'spirals: noise=-1 must be a number finite and ≥ 0'],
    [() => spirals({ nosie: 0.1 } as never), "spirals: unknown option 'nosie'; did you mean 'noise'? (allowed: n, arms, turns, radius, noise)"],
    [() => spirals({ n: '5' } as never), 'spirals: n="5" must be a number'],
    [() => spirals(7 as never), 'spirals: config=7 must be an object'],
    [() => spirals({}, NaN), 'spirals: seed=NaN must be a finite number or an Rng'],
    [() => circles({ factor: 1 }), 'circles: factor=1 must be strictly between 0 and 1'],
    [() => clusterTasks({ task: 'ranking' as never }), 'clusterTasks: task="ranking" must be one of "regression", "classification"'],
    [() => clusterTasks({ task: 'classification', outputs: 1 }), 'clusterTasks: outputs=1 must be an integer in [2, 1024]'],
    [() => sine({ xMin: 2, xMax: 1 }), 'sine: xMin=2 must be ≤ xMax=1'],
    [() => copyTask({ format: 'seq2seq' as never }), 'copyTask: format="seq2seq" must be one of "lm", "aligned"'],
    [() => sortTask({ vocabSize: 1 }), 'sortTask: vocabSize=1 must be an integer in [2, 1048576]'],
    [() => parityTask({ targets: 'all' as never }), 'parityTask: targets="all" must be one of "final", "prefix"'],
    [() => modularAddition({ modulus: 97, terms: 4, exhaustive: true }), /modularAddition: exhaustive with modulus=97, terms=4 needs \d+ elements; at most 16777216 are allowed/],
    [() => shapes({ shapes: ['star'] as never }), 'shapes: shapes[0]="star" must be one of square, circle, triangle, cross, hline, vline'],
    [() => shapes({ maxScale: 0.9 }), 'shapes: maxScale=0.9 must be a number in [0.1, 0.5]'],
    [() => clusters({ n: 1e7, dim: 100 }), 'clusters: n=10000000 × dim=100 needs 1000000000 elements; at most 16777216 are allowed'],
    [() => rotatedSpirals({ tasks: 0 }), 'rotatedSpirals: tasks=0 must be an integer in [1, 1024]'],
    [() => permutedLabels(sine(), {}), 'permutedLabels: base "sine" is a regression dataset; it must be a classification dataset with numClasses'],
    [() => labelPermutation([0, 0]), 'labelPermutation: permutation=[0, 0] must be a permutation of 0..1'],
    [() => makeDataset('mnist'), /makeDataset: name="mnist" must be one of spirals, moons, /],
    [() => makeDataset('permuted-labels', { base: 'sine' }), /permutedLabels: base "sine" is a regression dataset/],
    [() => registerDataset('spirals', DATASETS.spirals!), 'registerDataset: name="spirals" is already registered'],
  ];
  for (const [fn, message] of cases) {
    it(String(message), () => expect(fn).toThrow(message));
  }
});

it('registerDataset adds a generator makeDataset can find', () => {
  registerDataset('two-points', {
    description: 'two points',
    defaults: {},
    make: (): Dataset => ({ name: 'two-points', task: 'classification', x: new Float32Array(4), xShape: [2, 2], y: new Int32Array([0, 1]), yShape: [2], numClasses: 2 }),
  });
  expect(numExamples(makeDataset('two-points'))).toBe(2);
  delete DATASETS['two-points'];
});
