// Weft's training kernels (packages/core/src/kernels) against references: tfjs cpu's own kernels
// where those are right, naive JS loops where they are not, and tf.grads on wasm against cpu.
// Tolerances: |a − b| ≤ atol + rtol·|b| per element, stated per test (float32 sums of ≤ a few
// hundred terms of size ≤ 1 need ≈1e-5; exact for integer data and pure data movement).
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, NamedAttrMap, NamedTensorMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@weft/core';
import { describeBackends } from '@weft/core/testing';
import { registerTrainingKernels, tfjsKernel, trainingKernelNames } from '../src/kernels/index.js';
import { kernelLimits } from '../src/kernels/io.js';
import { simdXentFor, writeRowExp, writeRowStats } from '../src/kernels/softmax-cross-entropy-simd.js';
import { simdLayerNormBackwardFor, simdLayerNormForwardFor, writeLayerNormBackward, writeLayerNormForward } from '../src/kernels/layer-norm-simd.js';
import { SINGLE_PRODUCT_MAX, simdBatchMatMulFor, writeBatchMatMul as writeBatchMatMulForTests } from '../src/kernels/batch-mat-mul-simd.js';
import { writeModule } from '../src/kernels/wasm-module.js';

type Backend = string;
/** Plain data for a tensor, made in JS so both backends get identical inputs. */
interface Data {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: DataType;
}
/** A result read back from a backend. */
interface Result {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: DataType;
}

const rng = new Rng(20240601);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
function rand(shape: number[], lo = -1, hi = 1): Data {
  return { values: Float32Array.from({ length: size(shape) }, () => rng.uniform(lo, hi)), shape, dtype: 'float32' };
}
function randInt(shape: number[], lo: number, hi: number): Data {
  return { values: Int32Array.from({ length: size(shape) }, () => Math.floor(rng.uniform(lo, hi))), shape, dtype: 'int32' };
}
const T = (d: Data) => tf.tensor(d.values, d.shape, d.dtype);

/** Run `fn` on `backend` (inside tidy) and read its output(s) back. */
async function on(backend: Backend, fn: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const outs = tf.tidy(() => [fn()].flat());
    return outs.map((t) => {
      const r = { values: t.dataSync().slice(), shape: t.shape, dtype: t.dtype };
      t.dispose();
      return r;
    });
  } finally {
    if (previous !== backend) await tf.setBackend(previous);
  }
}

/** Run kernel `name` through the engine (so the registered kernel is the one used). */
function kernel(name: string, inputs: NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as NamedAttrMap) as tf.Tensor;
}

/** Expect `a` and `b` to agree elementwise within `atol + rtol·|b|`. */
function expectClose(a: Result, b: Result | Data, atol: number, rtol = 0, what = ''): void {
  expect(a.shape, `${what} shape`).toEqual(b.shape);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.values.length; i++) {
    const excess = Math.abs(a.values[i]! - b.values[i]!) - (atol + rtol * Math.abs(b.values[i]!));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  expect(at, `${what}: element ${at} is ${a.values[at]} vs ${b.values[at]}`).toBe(-1);
}

/** Same inputs, same function on wasm and on cpu: outputs must agree. */
async function expectWasmMatchesCpu(fn: () => tf.Tensor | tf.Tensor[], atol: number, rtol = 0, what = '') {
  const [w, c] = [await on('wasm', fn), await on('cpu', fn)];
  expect(w.length).toBe(c.length);
  w.forEach((r, i) => expectClose(r, c[i]!, atol, rtol, `${what} output ${i}`));
}

/** Wasm heap tensors and engine tensors before/after `fn` are the same (no leak). */
async function expectNoLeak(fn: () => tf.Tensor | tf.Tensor[]) {
  await tf.setBackend('wasm');
  tf.dispose(tf.tidy(fn)); // first use may allocate caches
  const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
  tf.dispose(tf.tidy(fn));
  expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
}

beforeAll(async () => {
  // The node setup made wasm active (with Weft's kernels); load cpu too, as the reference.
  const cpu = await initBackend({ prefer: ['cpu'], fallback: false });
  expect(cpu.backend).toBe('cpu');
  const wasm = await initBackend({ prefer: ['wasm'], fallback: false });
  expect(wasm.backend).toBe('wasm');
});

describe('registration', () => {
  it('registers each kernel once per backend and keeps tfjs originals it replaced', () => {
    const names = trainingKernelNames('wasm');
    expect(names).toEqual(
      expect.arrayContaining([
        'UnsortedSegmentSum',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'MaxPoolGrad',
        'Conv3DBackpropInputV2',
        'Conv3DBackpropFilterV2',
        'ResizeNearestNeighborGrad',
        'Einsum',
        'GatherV2',
        'BatchMatMul',
        '_FusedMatMul',
      ]),
    );
    const grouped = ['WeftGroupedMatMul', 'WeftGroupedMatMulWeightGrad', 'WeftGroupedBiasGrad'];
    expect(names).toEqual(expect.arrayContaining(grouped));
    expect(trainingKernelNames('cpu')).toEqual(['UnsortedSegmentSum', 'ResizeNearestNeighborGrad', 'BatchMatMul', ...grouped, 'WeftSelectByScalar', 'WeftAdamUpdate', 'WeftSgdUpdate', 'WeftSelectAllByScalar', 'WeftAllFinite', 'WeftLayerNorm', 'WeftLayerNormGrad', 'WeftLinear', 'WeftLinearParamGrad', 'WeftReluGrad', 'WeftHeads', 'WeftQkv', 'WeftQkvGrad', 'WeftAttention', 'WeftAttentionGrad', 'WeftEmbedding', 'WeftEmbeddingGrad', 'WeftGatherRows', 'WeftGatherRowsGrad', 'WeftDispatchPlan', 'WeftPickColumns', 'WeftPickColumnsGrad', 'WeftCombineRows', 'WeftCombineRowsGrad', 'WeftWeightedSum', 'WeftWeightedSumGrad', 'WeftActivation', 'WeftActivationGrad', 'WeftMaskedSoftmax', 'WeftMaskedSoftmaxGrad', 'WeftSoftmaxXent', 'WeftSoftmaxXentGrad']);
    // webgl/webgpu: the BatchMatMul broadcast fix (once their package is loaded: not in Node's project) and the grouped product.
    expect(trainingKernelNames('webgpu')).toEqual([...(tf.getKernel('BatchMatMul', 'webgpu') ? ['BatchMatMul'] : []), ...grouped]);
    const before = names.map((n) => tf.getKernel(n, 'wasm')!.kernelFunc);
    registerTrainingKernels('wasm'); // idempotent
    expect(names.map((n) => tf.getKernel(n, 'wasm')!.kernelFunc)).toEqual(before);
    // tfjs cpu's own (quadratic) UnsortedSegmentSum is kept for benchmarks; wasm had none.
    expect(tfjsKernel('UnsortedSegmentSum', 'cpu')?.kernelFunc).toBeTypeOf('function');
    expect(tfjsKernel('UnsortedSegmentSum', 'cpu')?.kernelFunc).not.toBe(tf.getKernel('UnsortedSegmentSum', 'cpu')!.kernelFunc);
    expect(tfjsKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    expect(tfjsKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBeTypeOf('function');
  });
});

/** Naive unsorted segment sum: ids outside [0, numSegments) dropped. */
function naiveSegmentSum(x: Data, ids: Data, numSegments: number): Data {
  const inner = x.shape.slice(ids.shape.length);
  const n = size(inner);
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * n) : new Float32Array(numSegments * n);
  for (let i = 0; i < ids.values.length; i++) {
    const s = ids.values[i]!;
    if (s < 0 || s >= numSegments) continue;
    for (let j = 0; j < n; j++) out[s * n + j] += x.values[i * n + j]!;
  }
  return { values: out, shape: [numSegments, ...inner], dtype: x.dtype };
}

describeBackends('UnsortedSegmentSum', (backend) => {
  const cases: [string, number[], number, number][] = [
    // name, x shape, id rank, numSegments
    ['rows into segments', [37, 5], 1, 11],
    ['vector', [50], 1, 7],
    ['rank-2 ids', [6, 4, 3], 2, 5],
    ['more segments than rows', [4, 2], 1, 9],
    ['no segments', [4, 2], 1, 0],
    ['no rows', [0, 3], 1, 4],
  ];
  for (const [name, shape, idRank, numSegments] of cases) {
    it(`${name}: float32 and int32 equal a naive sum, ids < 0 and ≥ numSegments dropped (exact for int32, 1e-5 float32)`, async () => {
      // ids in [-2, numSegments + 2): some negative, some out of range
      const ids = randInt(shape.slice(0, idRank), -2, numSegments + 2);
      for (const x of [rand(shape), randInt(shape, -50, 50)]) {
        const [got] = await on(backend, () => tf.unsortedSegmentSum(T(x), T(ids) as tf.Tensor1D, numSegments));
        expect(got!.dtype).toBe(x.dtype);
        expectClose(got!, naiveSegmentSum(x, ids, numSegments), x.dtype === 'int32' ? 0 : 1e-5);
      }
    });
  }

  it('equals tfjs cpu’s own kernel on 1-D ids (1e-5)', async () => {
    const x = rand([64, 8]);
    const ids = randInt([64], -1, 13);
    const original = tfjsKernel('UnsortedSegmentSum', 'cpu')!;
    const [ref] = await on('cpu', () => {
      const out = original.kernelFunc({ inputs: { x: T(x), segmentIds: T(ids) }, backend: tf.backend(), attrs: { numSegments: 12 } });
      return tf.engine().makeTensorFromTensorInfo(out as tf.TensorInfo);
    });
    const [got] = await on(backend, () => tf.unsortedSegmentSum(T(x), T(ids) as tf.Tensor1D, 12));
    expectClose(got!, ref!, 1e-5);
  });

  it('rejects ids whose shape is not a prefix of x, and a negative numSegments', async () => {
    await tf.setBackend(backend);
    const x = tf.zeros([4, 3]);
    expect(() => tf.unsortedSegmentSum(x, tf.zeros([3], 'int32') as tf.Tensor1D, 2)).toThrow(/segmentIds has shape \[3\].*prefix of x's shape \[4, 3\]/);
    expect(() => tf.unsortedSegmentSum(x, tf.zeros([4], 'int32') as tf.Tensor1D, -1)).toThrow(/numSegments=-1/);
    x.dispose();
  });
});

describe('UnsortedSegmentSum on cpu at scale', () => {
  // Weft's cpu kernel is linear where tfjs cpu's own is quadratic (≈30 s at this size). How much
  // faster it is, is `pnpm bench`'s core.segment_sum_speedup: tests assert no timing.
  it('sums 2048×64 into 1024 segments as a JS loop does', async () => {
    await tf.setBackend('cpu');
    try {
      const xd = rand([2048, 64]);
      const idd = randInt([2048], 0, 1024);
      const x = T(xd);
      const ids = T(idd) as tf.Tensor1D;
      const out = tf.unsortedSegmentSum(x, ids, 1024);
      const got = await out.data();
      tf.dispose([x, ids, out]);
      const ref = new Float32Array(1024 * 64);
      for (let r = 0; r < 2048; r++) for (let c = 0; c < 64; c++) ref[idd.values[r]! * 64 + c] += xd.values[r * 64 + c]!;
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

// ---- conv2d ----------------------------------------------------------------------------------

interface ConvCase {
  name: string;
  x: number[]; // NHWC input shape
  f: number[]; // [KH, KW, CI, CO]
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
}
const convCases: ConvCase[] = [
  { name: '3×3 same, stride 1, batch 2', x: [2, 7, 7, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: '3×3 valid, stride 2', x: [2, 8, 8, 3], f: [3, 3, 3, 5], strides: 2, pad: 'valid' },
  { name: '3×3 same, stride 2, odd size', x: [3, 7, 9, 2], f: [3, 3, 2, 4], strides: 2, pad: 'same' },
  { name: '2×4 kernel, strides [2,1], same', x: [2, 6, 7, 3], f: [2, 4, 3, 2], strides: [2, 1], pad: 'same' },
  { name: '1×1 kernel', x: [2, 5, 5, 6], f: [1, 1, 6, 3], strides: 1, pad: 'valid' },
  { name: 'numeric pad 1, stride 2', x: [1, 6, 6, 2], f: [3, 3, 2, 3], strides: 2, pad: 1 },
  { name: 'explicit asymmetric pad', x: [2, 5, 6, 2], f: [3, 2, 2, 3], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: 'kernel as large as the image', x: [2, 4, 4, 3], f: [4, 4, 3, 2], strides: 1, pad: 'valid' },
  { name: 'one channel in, one out', x: [4, 6, 6, 1], f: [3, 3, 1, 1], strides: 1, pad: 'same' },
  { name: 'explicit pad larger than the kernel', x: [1, 4, 5, 2], f: [2, 2, 2, 3], strides: 1, pad: [[0, 0], [3, 1], [0, 2], [0, 0]] },
  { name: '5×5 same, stride 1, 8→8 channels', x: [2, 9, 9, 8], f: [5, 5, 8, 8], strides: 1, pad: 'same' },
];
const convOutShape = (c: ConvCase) =>
  tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f as [number, number, number, number], c.strides, 1, c.pad)
    .outShape;

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm', () => {
  for (const c of convCases) {
    it(`${c.name}: equal tfjs cpu's kernels (atol 1e-5, rtol 1e-5)`, async () => {
      const x = rand(c.x);
      const f = rand(c.f);
      const dy = rand(convOutShape(c));
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
      await expectWasmMatchesCpu(
        () => [
          kernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: c.f }),
          kernel('Conv2DBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: c.x }),
        ],
        1e-5,
        1e-5,
        c.name,
      );
    });
  }

  it('NCHW data format equals cpu (1e-5)', async () => {
    const x = rand([2, 3, 7, 6]); // (B, C, H, W)
    const dy = rand([2, 4, 4, 3]); // stride 2, same
    const f = rand([3, 3, 3, 4]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW' };
    await expectWasmMatchesCpu(
      () => [
        kernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: [3, 3, 3, 4] }),
        kernel('Conv2DBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: [2, 3, 7, 6] }),
      ],
      1e-5,
      1e-5,
    );
  });

  it('int32 inputs equal cpu (exact: integer sums)', async () => {
    const x = randInt([2, 5, 5, 2], -3, 4);
    const dy = randInt([2, 5, 5, 3], -3, 4);
    const f = randInt([3, 3, 2, 3], -3, 4);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    await expectWasmMatchesCpu(
      () => [
        kernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: [3, 3, 2, 3] }),
        kernel('Conv2DBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: [2, 5, 5, 2] }),
      ],
      0,
    );
  });

  it('batches done in chunks (small scratch limit) equal one pass (1e-5)', async () => {
    const c: ConvCase = { name: 'chunked', x: [5, 6, 6, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' };
    const x = rand(c.x);
    const f = rand(c.f);
    const dy = rand(convOutShape(c));
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const run = () => [
      kernel('Conv2DBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: c.f }),
      kernel('Conv2DBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: c.x }),
    ];
    const whole = await on('wasm', run);
    const saved = kernelLimits.im2colFloats;
    kernelLimits.im2colFloats = 27 * 36 * 2; // two images per chunk: 3 chunks, the last one short
    try {
      const chunked = await on('wasm', run);
      chunked.forEach((r, i) => expectClose(r, whole[i]!, 1e-5, 1e-5));
      await expectNoLeak(run);
    } finally {
      kernelLimits.im2colFloats = saved;
    }
  });

  it('rejects a dy that does not fit x and the filter', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 5, 5, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    expect(() => kernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] })).toThrow(
      /dy has shape \[1, 4, 4, 3\].*must be \[1, 5, 5, 3\]/,
    );
    tf.dispose([x, dy]);
  });

  it('leaves no tensors behind', async () => {
    const x = rand([2, 6, 6, 3]);
    const dy = rand([2, 3, 3, 4]);
    const f = rand([3, 3, 3, 4]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC' };
    const xt = T(x), dyt = T(dy), ft = T(f);
    await expectNoLeak(() => [
      kernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, { ...attrs, filterShape: [3, 3, 3, 4] }),
      kernel('Conv2DBackpropInput', { dy: dyt, filter: ft }, { ...attrs, inputShape: [2, 6, 6, 3] }),
    ]);
    tf.dispose([xt, dyt, ft]);
  });
});

// ---- depthwise -------------------------------------------------------------------------------

/** Naive depthwise backprop (any stride, dilation, padding). */
function naiveDepthwiseGrads(x: Data, f: Data, dy: Data, strides: number, dil: number, pad: 'same' | 'valid') {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    f.shape as [number, number, number, number],
    strides,
    dil,
    pad,
    undefined,
    true,
  );
  const [B, H, W, C] = x.shape as [number, number, number, number];
  const [KH, KW, , M] = f.shape as [number, number, number, number];
  const { outHeight: OH, outWidth: OW } = info;
  const dx = new Float32Array(x.values.length);
  const df = new Float32Array(f.values.length);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const h = oh * strides - info.padInfo.top + kh * dil;
            const w = ow * strides - info.padInfo.left + kw * dil;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            for (let c = 0; c < C; c++)
              for (let m = 0; m < M; m++) {
                const g = dy.values[((b * OH + oh) * OW + ow) * C * M + c * M + m]!;
                const fi = ((kh * KW + kw) * C + c) * M + m;
                const xi = ((b * H + h) * W + w) * C + c;
                dx[xi] += g * f.values[fi]!;
                df[fi] += g * x.values[xi]!;
              }
          }
  return { dx: { values: dx, shape: x.shape, dtype: 'float32' } as Data, df: { values: df, shape: f.shape, dtype: 'float32' } as Data };
}

describe('Depthwise backprop kernels on wasm', () => {
  const cases: [string, number[], number[], number, 'same' | 'valid'][] = [
    ['multiplier 1, same', [2, 7, 7, 3], [3, 3, 3, 1], 1, 'same'],
    ['multiplier 2, same', [2, 7, 6, 3], [3, 3, 3, 2], 1, 'same'],
    ['multiplier 2, stride 2, valid', [2, 8, 8, 3], [3, 3, 3, 2], 2, 'valid'],
    ['multiplier 3, 2×4 kernel, valid', [2, 6, 8, 2], [2, 4, 2, 3], 1, 'valid'],
    ['5×5, stride 2, same, one channel', [3, 9, 9, 1], [5, 5, 1, 3], 2, 'same'],
  ];
  for (const [name, xs, fs, s, pad] of cases) {
    it(`${name}: equal tfjs cpu's kernels and a naive loop (atol 1e-5, rtol 1e-5)`, async () => {
      const x = rand(xs);
      const f = rand(fs);
      const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], s, 1, pad, undefined, true);
      const dy = rand(info.outShape);
      const attrs = { strides: s, pad, dilations: 1 };
      const run = () => [
        kernel('DepthwiseConv2dNativeBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: fs }),
        kernel('DepthwiseConv2dNativeBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: xs }),
      ];
      await expectWasmMatchesCpu(run, 1e-5, 1e-5, name);
      const [df, dx] = await on('wasm', run);
      const ref = naiveDepthwiseGrads(x, f, dy, s, 1, pad);
      expectClose(df!, ref.df, 1e-5, 1e-5, 'filter');
      expectClose(dx!, ref.dx, 1e-5, 1e-5, 'input');
    });
  }

  it('dilation 2 equals a naive loop (tfjs cpu ignores dilation in its backprop kernels) (1e-5)', async () => {
    const x = rand([2, 9, 8, 2]);
    const f = rand([3, 3, 2, 2]);
    const info = tf.backend_util.computeConv2DInfo([2, 9, 8, 2], [3, 3, 2, 2], 1, 2, 'same', undefined, true);
    const dy = rand(info.outShape);
    const attrs = { strides: 1, pad: 'same', dilations: 2 };
    const [df, dx] = await on('wasm', () => [
      kernel('DepthwiseConv2dNativeBackpropFilter', { x: T(x), dy: T(dy) }, { ...attrs, filterShape: [3, 3, 2, 2] }),
      kernel('DepthwiseConv2dNativeBackpropInput', { dy: T(dy), filter: T(f) }, { ...attrs, inputShape: [2, 9, 8, 2] }),
    ]);
    const ref = naiveDepthwiseGrads(x, f, dy, 1, 2, 'same');
    expectClose(df!, ref.df, 1e-5, 1e-5, 'filter');
    expectClose(dx!, ref.dx, 1e-5, 1e-5, 'input');
  });
});

// ---- pools, resize, conv3d -------------------------------------------------------------------

describe('MaxPoolGrad on wasm', () => {
  const cases: [string, number[], number | [number, number], number | [number, number], 'same' | 'valid'][] = [
    ['2×2 stride 2 valid, batch 2, 3 channels', [2, 8, 8, 3], 2, 2, 'valid'],
    ['3×3 stride 2 same', [2, 7, 7, 3], 3, 2, 'same'],
    ['3×3 stride 1 same', [1, 5, 6, 4], 3, 1, 'same'],
    ['[3,2] window, strides [1,2]', [2, 6, 7, 2], [3, 2], [1, 2], 'valid'],
  ];
  for (const [name, xs, k, s, pad] of cases) {
    it(`${name}: gradient equals cpu's, with ties (exact: data movement)`, async () => {
      // small integers: many ties inside windows; both must pick the first maximum
      const x = randInt(xs, -3, 3);
      const xf: Data = { ...x, values: Float32Array.from(x.values), dtype: 'float32' };
      const grad = () => {
        const info = tf.backend_util.computePool2DInfo(xs as [number, number, number, number], k, s, 1, pad);
        const dy = tf.tensor(Float32Array.from({ length: size(info.outShape) }, (_, i) => ((i * 7919) % 13) - 6), info.outShape);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), dy)))(T(xf));
      };
      await expectWasmMatchesCpu(grad, 0, 0, name);
    });
  }
});

/** Exact adjoint of tfjs's nearest-neighbour resize, built from its forward on `ones`-probes. */
function naiveResizeNearestGrad(dy: Data, inShape: number[], alignCorners: boolean, halfPixelCenters: boolean): Data {
  const [B, H, W, C] = inShape as [number, number, number, number];
  const [, OH, OW] = dy.shape as [number, number, number, number];
  const src = (i: number, inS: number, outS: number) => {
    const ratio = (alignCorners && outS > 1 ? inS - 1 : inS) / (alignCorners && outS > 1 ? outS - 1 : outS);
    const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
    const s = Math.min(inS - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    return halfPixelCenters ? Math.max(0, s) : s;
  };
  const dx = new Float32Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++)
          dx[((b * H + src(oh, H, OH)) * W + src(ow, W, OW)) * C + c] += dy.values[((b * OH + oh) * OW + ow) * C + c]!;
  return { values: dx, shape: inShape, dtype: 'float32' };
}

describeBackends('ResizeNearestNeighborGrad', (backend) => {
  for (const [alignCorners, halfPixelCenters] of [
    [false, false],
    [true, false],
    [false, true],
  ] as const) {
    it(`alignCorners=${alignCorners} halfPixelCenters=${halfPixelCenters}, batch 2: the forward's exact adjoint (1e-5)`, async () => {
      const x = rand([2, 4, 5, 3]);
      const dy = rand([2, 7, 9, 3]);
      const [g] = await on(backend, () =>
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [7, 9], alignCorners, halfPixelCenters), T(dy))))(T(x)),
      );
      expectClose(g!, naiveResizeNearestGrad(dy, [2, 4, 5, 3], alignCorners, halfPixelCenters), 1e-5);
      // and the forward really is the mapping the adjoint inverts: <resize(x), dy> = <x, g>
      const [lhs] = await on(backend, () => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(T(x) as tf.Tensor4D, [7, 9], alignCorners, halfPixelCenters), T(dy))));
      let rhs = 0;
      for (let i = 0; i < x.values.length; i++) rhs += x.values[i]! * g!.values[i]!;
      expect(Math.abs(lhs!.values[0]! - rhs)).toBeLessThan(1e-4);
    });
  }
});

describe('Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 on wasm', () => {
  for (const [name, xs, fs, s, pad] of [
    ['2 in-channels, 3 out, same', [2, 3, 4, 4, 2], [2, 2, 2, 2, 3], 1, 'same'],
    ['stride 2, valid', [1, 5, 5, 4, 3], [3, 3, 2, 3, 2], 2, 'valid'],
    ['stride 2, same, batch 2', [2, 4, 5, 5, 2], [3, 2, 3, 2, 2], 2, 'same'],
  ] as [string, number[], number[], number, 'same' | 'valid'][]) {
    it(`${name}: input and filter gradients equal cpu's (1e-5)`, async () => {
      const x = rand(xs);
      const f = rand(fs);
      await expectWasmMatchesCpu(
        () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.sin(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, s, pad))))([T(x), T(f)]),
        1e-5,
        1e-5,
        name,
      );
    });
  }
});

// ---- gather, einsum, matmul ------------------------------------------------------------------

describe('GatherV2 on wasm', () => {
  it('batchDims 0, 1 and 2, every axis, 2-D indices, float32/int32/bool: equal cpu (exact)', async () => {
    const x = rand([3, 4, 6, 2]);
    const xi = randInt([3, 4, 6, 2], -9, 9);
    const idx1 = randInt([3, 5], 0, 4); // batchDims 1, axis 1
    const idx2 = randInt([3, 4, 2], 0, 6); // batchDims 2, axis 2
    const idx1b = randInt([3, 2], 0, 6); // batchDims 1, axis 2 (outer dim between)
    const idx0 = randInt([7], 0, 4);
    const idxRows = randInt([7], 0, 3);
    const idxLast = randInt([2, 3], 0, 2);
    const idxInt = randInt([2, 5], 0, 3);
    await expectWasmMatchesCpu(
      () => [
        tf.gather(T(x), T(idx1), 1, 1),
        tf.gather(T(x), T(idx2), 2, 2),
        tf.gather(T(x), T(idx1b), 2, 1),
        tf.gather(T(xi), T(idx2), 2, 2),
        tf.gather(tf.greater(T(x), 0), T(idx1), 1, 1),
        tf.gather(T(x), T(idx0), 1),
        tf.gather(T(x), T(idxRows), 0), // whole (4, 6, 2) slices
        tf.gather(T(x), T(idxLast), 3), // single elements
        tf.gather(T(xi), T(idxInt), 0),
        tf.gather(tf.greater(T(x), 0), T(idx0), 1),
      ],
      0,
    );
  });

  it('rejects an out-of-range index naming it', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([2, 3]);
    const idx = tf.tensor2d([[0, 3], [1, 1]], [2, 2], 'int32');
    expect(() => tf.gather(x, idx, 1, 1)).toThrow(/index value 3 is not in \[0, 2\]/);
    expect(() => tf.gather(x, tf.tensor1d([2], 'int32'), 0)).toThrow(/index value 2 is not in \[0, 1\]/);
    tf.dispose([x, idx]);
  });
});

describe('Einsum on wasm', () => {
  const a = rand([3, 4]);
  const b = rand([4, 5]);
  const c = rand([2, 3, 4]);
  const d = rand([2, 4, 5]);
  const v = rand([4]);
  for (const [eq, ins] of [
    ['ij,jk->ik', [a, b]],
    ['bij,bjk->bik', [c, d]],
    ['ij->ji', [a]],
    ['ij->', [a]],
    ['ij->ij', [a]],
    ['i,i->', [v, v]],
    ['i,j->ij', [v, v]],
    ['ij,j->i', [a, v]],
    ['bij,jk->bik', [c, b]],
  ] as [string, Data[]][]) {
    it(`${eq} equals cpu (1e-5)`, async () => {
      await expectWasmMatchesCpu(() => tf.einsum(eq, ...ins.map(T)), 1e-5, 1e-5, eq);
    });
  }
  it('returns a tensor that owns its data (identity equation) and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const x = T(a);
    const y = tf.einsum('ij->ij', x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(Array.from(a.values));
    y.dispose();
    const p = T(c), q = T(d);
    await expectNoLeak(() => tf.einsum('bij,bjk->bik', p, q));
    tf.dispose([p, q]);
  });
});

describe('BatchMatMul and _FusedMatMul with transposes on wasm', () => {
  const shapes: [number, number, number][] = [
    [3, 4, 5], // below the size where wasm's own kernel is kept
    [40, 48, 36], // above it
  ];
  for (const [m, k, n] of shapes) {
    for (const [ta, tb] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`${m}×${k}×${n} transposeA=${ta} transposeB=${tb}, 2-D, batched and broadcast batch: equal cpu (atol 1e-5, rtol 1e-5)`, async () => {
        const A = rand(ta ? [k, m] : [m, k]);
        const B = rand(tb ? [n, k] : [k, n]);
        const A3 = rand(ta ? [2, k, m] : [2, m, k]);
        const B3 = rand(tb ? [1, n, k] : [1, k, n]);
        const bias = rand([n]);
        await expectWasmMatchesCpu(
          () => [
            tf.matMul(T(A), T(B), ta, tb),
            tf.matMul(T(A3), T(B3), ta, tb),
            tf.fused.matMul({ a: T(A) as tf.Tensor2D, b: T(B) as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: T(bias), activation: 'relu' }),
          ],
          1e-5,
          1e-5,
        );
      });
    }
  }
  it('leaves no tensors behind', async () => {
    const a = T(rand([64, 40]));
    const b = T(rand([48, 64]));
    await expectNoLeak(() => tf.matMul(a, b, true, true));
    tf.dispose([a, b]);
  });
});

describe('LayerNorm on wasm: the SIMD kernels', () => {
  it('are compiled on this heap, each module under the 4 KB a browser compiles synchronously (their results: layer-norm-fused.backends.test.ts)', async () => {
    await tf.setBackend('wasm');
    expect(simdLayerNormForwardFor(tf.backend())).not.toBeNull();
    expect(simdLayerNormBackwardFor(tf.backend())).not.toBeNull();
    expect(writeModule({ lnf: writeLayerNormForward() }, false).length).toBeLessThan(4096);
    expect(writeModule({ lnb: writeLayerNormBackward() }, false).length).toBeLessThan(4096);
  });
});

describe('softmax cross-entropy on wasm: the SIMD row kernels', () => {
  it('are compiled on this heap, under 4 KB (their results: cross-entropy-fused.backends.test.ts)', async () => {
    await tf.setBackend('wasm');
    expect(simdXentFor(tf.backend())).not.toBeNull();
    expect(writeModule({ xstats: writeRowStats(), xexp: writeRowExp() }, false).length).toBeLessThan(4096);
  });
});

describe('BatchMatMul of a batch on wasm: the SIMD kernel', () => {
  it('is compiled on this heap (a module small enough for synchronous compilation on a browser main thread)', async () => {
    await tf.setBackend('wasm');
    expect(simdBatchMatMulFor(tf.backend())).not.toBeNull();
    // Chromium refuses synchronous WebAssembly.Module() of more than 4 KB on the main thread.
    expect(writeModule({ bmm: writeBatchMatMulForTests() }, false).length).toBeLessThan(4096);
  });
  // Shapes reach every path of the kernel: 4-row tiles and the remaining rows (M mod 4), 8- and
  // 4-column tiles and scalar columns (N mod 4), K of 0 and 1, and a batch broadcast from either side.
  const cases: [number, number, number, number, number][] = [
    // [batchA, batchB, M, K, N]
    [3, 3, 5, 7, 9],
    [2, 2, 4, 1, 8],
    [2, 2, 13, 6, 19],
    [4, 4, 1, 3, 3],
    [2, 2, 6, 0, 12],
    [1, 3, 9, 5, 20],
    [3, 1, 7, 16, 4],
    [5, 5, 16, 64, 40],
  ];
  for (const [ba, bb, m, k, n] of cases) {
    it(`(${ba}|${bb}) × ${m}×${k}×${n}, every transpose: equal cpu (atol 1e-5, rtol 1e-5)`, async () => {
      const inputs = ([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]) => ({
        ta, tb, A: rand(ta ? [ba, k, m] : [ba, m, k]), B: rand(tb ? [bb, n, k] : [bb, k, n]),
      }));
      await expectWasmMatchesCpu(() => inputs.map(({ ta, tb, A, B }) => tf.matMul(T(A), T(B), ta, tb)), 1e-5, 1e-5);
    });
  }
  // One product (batch 1, 2-D or 3-D) runs here too up to SINGLE_PRODUCT_MAX multiply-adds; the
  // largest case is just above it (XNNPACK's path).
  const singles: [number[], number, number, number][] = [
    // [batch shape, M, K, N]
    [[], 13, 6, 19],
    [[], 256, 64, 64],
    [[1], 9, 16, 4],
    [[], 1, 0, 5],
    [[], 512, 257, 256],
  ];
  for (const [batch, m, k, n] of singles) {
    it(`one product [${batch}] × ${m}×${k}×${n}${m * k * n > SINGLE_PRODUCT_MAX ? ' (above SINGLE_PRODUCT_MAX)' : ''}, every transpose: equal cpu (atol 1e-4, rtol 1e-5)`, async () => {
      const inputs = ([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]) => ({
        ta, tb, A: rand([...batch, ...(ta ? [k, m] : [m, k])]), B: rand([...batch, ...(tb ? [n, k] : [k, n])]),
      }));
      await expectWasmMatchesCpu(() => inputs.map(({ ta, tb, A, B }) => tf.matMul(T(A), T(B), ta, tb)), 1e-4, 1e-5);
    });
  }
  // The last N mod 4 columns run as one 4-column tile that reads B up to 12 bytes past a row's end
  // (never storing those lanes); where that would read past the memory's end they run one scalar
  // column at a time. Both paths, writing and accumulating, against a float64 triple loop.
  it('the last N mod 4 columns: B in mid-memory and B ending at the memory’s end, written and accumulated (1e-5)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { bmm } = new WebAssembly.Instance(new WebAssembly.Module(writeModule({ bmm: writeBatchMatMulForTests() }, false)), { env: { memory } }).exports as { bmm: (...a: number[]) => void };
    const heap = new Float32Array(memory.buffer);
    for (const [m, k, n] of [[6, 5, 5], [9, 7, 6], [4, 3, 7], [5, 16, 11]] as const) {
      for (const atEnd of [false, true]) {
        for (const accumulate of [0, 1]) {
          const [a, b, c0] = [rand([m, k]), rand([k, n]), rand([m, n])].map((d) => d.values as Float32Array) as [Float32Array, Float32Array, Float32Array];
          const aPtr = 0, cPtr = 4 * 1024, bPtr = atEnd ? memory.buffer.byteLength - 4 * k * n : 8 * 1024;
          heap.set(a, aPtr / 4); heap.set(b, bPtr / 4); heap.set(c0, cPtr / 4);
          bmm(aPtr, bPtr, cPtr, 1, m, k, n, 0, 0, k, 1, accumulate);
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let want = accumulate ? c0[i * n + j]! : 0;
              for (let q = 0; q < k; q++) want += a[i * k + q]! * b[q * n + j]!;
              expect(Math.abs(heap[cPtr / 4 + i * n + j]! - want), `${m}×${k}×${n} atEnd=${atEnd} accumulate=${accumulate} (${i}, ${j})`).toBeLessThan(1e-5);
            }
        }
      }
    }
  });
  it('leaves no tensors behind (with the transpose of B it makes)', async () => {
    const a = T(rand([3, 10, 12]));
    const b = T(rand([3, 16, 12]));
    await expectNoLeak(() => tf.matMul(a, b, false, true));
    tf.dispose([a, b]);
  });
});

// ---- gradients end to end: wasm equals cpu ---------------------------------------------------

describe('gradients on wasm equal cpu’s (atol 1e-4, rtol 1e-4)', () => {
  /** Loss = Σ f(xs) ⊙ w with fixed, non-trivial weights w, so every output element matters. */
  const weighted = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.reshape(tf.add(tf.sin(tf.range(0, y.size)), 0.3), y.shape)));
  const cases: [string, Data[], (...xs: tf.Tensor[]) => tf.Tensor][] = [
    ['gather rows (Embedding)', [rand([10, 6])], (e) => tf.gather(e!, tf.tensor1d([0, 3, 3, 9, 1, 3], 'int32'))],
    ['gather axis 1 with 2-D indices', [rand([3, 8, 2])], (e) => tf.gather(e!, tf.tensor2d([[0, 7], [7, 2]], [2, 2], 'int32'), 1)],
    ['gather with batchDims 1 (top-k pick)', [rand([3, 8, 2])], (e) => tf.gather(e!, tf.tensor2d([[0, 7], [7, 7], [2, 5]], [3, 2], 'int32'), 1, 1)],
    ['gather then segment sum (MoE dispatch/combine)', [rand([8, 4])], (t) =>
      tf.unsortedSegmentSum(tf.gather(t!, tf.tensor1d([1, 5, 5, 0, 7, 2], 'int32')), tf.tensor1d([0, 2, 2, 1, -1, 3], 'int32'), 4)],
    ['conv2d same stride 1', [rand([2, 6, 6, 3]), rand([3, 3, 3, 4])], (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')],
    ['conv2d valid stride 2', [rand([2, 9, 9, 2]), rand([3, 3, 2, 3])], (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid')],
    ['conv2d same stride 2', [rand([2, 7, 7, 2]), rand([3, 3, 2, 3])], (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')],
    ['conv1d', [rand([2, 9, 3]), rand([3, 3, 4])], (x, f) => tf.conv1d(x as tf.Tensor3D, f as tf.Tensor3D, 1, 'same')],
    ['conv2dTranspose', [rand([2, 4, 4, 3]), rand([3, 3, 5, 3])], (x, f) =>
      tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [2, 8, 8, 5], 2, 'same')],
    ['depthwiseConv2d multiplier 2', [rand([2, 7, 7, 3]), rand([3, 3, 3, 2])], (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')],
    ['depthwiseConv2d stride 2', [rand([2, 8, 8, 3]), rand([3, 3, 3, 1])], (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid')],
    ['separableConv2d', [rand([2, 7, 7, 3]), rand([3, 3, 3, 2]), rand([1, 1, 6, 4])], (x, d, p) =>
      tf.separableConv2d(x as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 1, 'same')],
    ['fused conv2d + bias + relu', [rand([2, 5, 5, 3]), rand([3, 3, 3, 4]), rand([4])], (x, f, b) =>
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' })],
    ['maxPool 2×2 stride 2', [rand([2, 8, 8, 3])], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')],
    ['maxPool 3×3 stride 2 same', [rand([2, 7, 7, 3])], (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same')],
    ['avgPool 3×3 stride 2 same', [rand([2, 7, 7, 3])], (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same')],
    ['dilated max pool (tf.pool)', [rand([2, 8, 8, 3])], (x) => tf.pool(x as tf.Tensor4D, [2, 2], 'max', 'same', 2)],
    ['resizeNearestNeighbor batch 2', [rand([2, 4, 4, 3])], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [8, 8])],
    ['dense layer (matMul + bias + gelu)', [rand([16, 24]), rand([24, 40]), rand([40])], (x, w, b) => {
      const h = tf.add(tf.matMul(x!, w!), b!);
      return tf.mul(0.5, tf.mul(h, tf.add(1, tf.erf(tf.div(h, Math.SQRT2)))));
    }],
    ['batched attention scores (matMul transposeB)', [rand([2, 40, 33]), rand([2, 40, 33])], (q, k) =>
      tf.softmax(tf.matMul(q!, k!, false, true))],
    ['MLP logits → softmax cross-entropy', [rand([64, 48]), rand([48, 64]), rand([64, 10])], (x, w1, w2) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32'), 10), tf.matMul(tf.relu(tf.matMul(x!, w1!)), w2!))],
  ];
  for (const [name, inputs, f] of cases) {
    it(name, async () => {
      await expectWasmMatchesCpu(() => tf.grads((...xs: tf.Tensor[]) => weighted(f(...xs)))(inputs.map(T)), 1e-4, 1e-4, name);
    });
  }
});

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('StridedSlice keeps int32 on wasm', () => {
  it('a strided slice of an int32 tensor reads back as the same integers', async () => {
    const { initBackend } = await import('@weft/core');
    await initBackend({ prefer: ['wasm'], fallback: false });
    const x = tf.reshape(tf.range(0, 24, 1, 'int32'), [2, 3, 4]);
    const y = tf.stridedSlice(x, [0, 1, 0], [2, 3, 4], [1, 2, 2]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([4, 6, 16, 18]);
    tf.dispose([x, y]);
  });
});
