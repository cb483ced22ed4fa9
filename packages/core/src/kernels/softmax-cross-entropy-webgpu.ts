// WeftSoftmaxXent and WeftSoftmaxXentGrad (softmax-cross-entropy.ts has the formulas, the inputs and
// the attrs: the mean softmax cross-entropy over integer labels, rows whose label is ignoreIndex not
// scored, labels outside [0, C) scoring 0) as WGSL on tfjs webgpu, where the op-by-op loss is about
// 10 dispatches each way. Forward, 2 dispatches: each row's loss and whether it is scored (a thread
// per row), then their mean over the scored rows (one thread). Backward, 2 — the scored rows' count
// (one thread; none without an ignoreIndex), then dz (a thread per row). float32 math (max-shifted log-sum-exp). A row holding
// NaN or +Inf gives NaN, as on cpu (tested by bits: WGSL compilers may assume no NaN).
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SOFTMAX_XENT, SOFTMAX_XENT_GRAD } from './softmax-cross-entropy.js';
import { isWebGPU, runFlat, type Uniform, type WebGPUBackendLike } from './webgpu-program.js';

interface XentAttrs {
  ignoreIndex: number;
  hasIgnore: boolean;
}

function check(kernel: string, backend: unknown, logits: TensorInfo, labels: TensorInfo): { gpu: WebGPUBackendLike; rows: number; C: number } {
  if (!isWebGPU(backend)) throw new Error(`${kernel}: the backend is not tfjs webgpu; this kernel is registered only there`);
  if (logits.dtype !== 'float32' || labels.dtype !== 'int32') throw new Error(`${kernel}: logits ${logits.dtype} and labels ${labels.dtype}; expected float32 and int32`);
  const C = logits.shape[logits.shape.length - 1] ?? 0;
  const lead = logits.shape.slice(0, -1);
  if (labels.shape.length !== lead.length || labels.shape.some((d, i) => d !== lead[i])) throw new Error(`${kernel}: labels [${labels.shape}] must be logits [${logits.shape}] without its last axis`);
  return { gpu: backend, rows: lead.reduce((p, d) => p * d, 1), C };
}

/** WGSL: `scored` and `label` of row `index`. */
const SCORED = (hasIgnore: boolean) => `let label = labels[index]; let scored = ${hasIgnore ? 'label != uniforms.ignoreIndex' : 'true'};`;

/** WGSL: max `mx`, Σ e^(z − mx) `sum` and `bad` (a NaN or +Inf) of the row at `o`. */
const ROW = `var mx = bitcast<f32>(u32(uniforms.C) * 0u + 0xff800000u); // −Inf at run time (WGSL refuses a constant)
  var bad = false;
  for (var c = 0; c < uniforms.C; c = c + 1) { let z = logits[o + c]; let bits = bitcast<u32>(z); bad = bad || (bits & 0x7fffffffu) > 0x7f800000u || bits == 0x7f800000u; mx = max(mx, z); }
  var sum = 0.0;
  for (var c = 0; c < uniforms.C; c = c + 1) { sum = sum + exp(logits[o + c] - mx); }`;
const NAN = 'bitcast<f32>(u32(uniforms.C) * 0u + 0x7fc00000u)';

const xent: KernelFunc = ({ inputs, backend, attrs }) => {
  const { logits, labels } = inputs as { logits: TensorInfo; labels: TensorInfo };
  const { ignoreIndex, hasIgnore } = attrs as unknown as XentAttrs;
  const { gpu, rows, C } = check(SOFTMAX_XENT, backend, logits, labels);
  const u: Uniform[] = [['C', 'i32', C], ['ignoreIndex', 'i32', ignoreIndex]];
  // (rows, 2): each row's −log softmax(z)[y] (0 when not scored or out of range) and 1 when scored.
  const perRow = runFlat(
    gpu, `weft_xent_rows_${hasIgnore ? 'i' : ''}`, [rows, 2], rows, { logits, labels }, u,
    `${SCORED(hasIgnore)}
     let o = index * uniforms.C;
     ${ROW}
     let inRange = scored && label >= 0 && label < uniforms.C;
     let loss = select(0.0, mx + log(sum) - logits[o + select(0, label, inRange)], inRange);
     setOutputAtIndex(2 * index, select(loss, ${NAN}, bad));
     setOutputAtIndex(2 * index + 1, select(0.0, 1.0, scored));`,
  );
  const out = runFlat(
    gpu, 'weft_xent_mean', [], 1, { perRow }, [['rows', 'i32', rows]],
    `var total = 0.0;
     var count = 0.0;
     for (var r = 0; r < uniforms.rows; r = r + 1) { total = total + perRow[2 * r]; count = count + perRow[2 * r + 1]; }
     setOutputAtIndex(0, total / max(count, 1.0));`,
  );
  gpu.disposeData(perRow.dataId);
  return out;
};

const xentGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, logits, labels } = inputs as { dy: TensorInfo; logits: TensorInfo; labels: TensorInfo };
  const { ignoreIndex, hasIgnore } = attrs as unknown as XentAttrs;
  const { gpu, rows, C } = check(SOFTMAX_XENT_GRAD, backend, logits, labels);
  if (dy.dtype !== 'float32' || dy.shape.reduce((p, d) => p * d, 1) !== 1) throw new Error(`${SOFTMAX_XENT_GRAD}: dy has shape [${dy.shape}] and dtype ${dy.dtype}; expected a float32 scalar`);
  const u: Uniform[] = [['C', 'i32', C], ['ignoreIndex', 'i32', ignoreIndex], ['rows', 'i32', rows]];
  // Without ignored rows every row is scored: the count is a uniform, no dispatch.
  const count = hasIgnore
    ? runFlat(
        gpu, 'weft_xent_count', [1], 1, { labels }, u,
        `var n = 0.0;
         for (var r = 0; r < uniforms.rows; r = r + 1) { n = n + select(0.0, 1.0, labels[r] != uniforms.ignoreIndex); }
         setOutputAtIndex(0, max(n, 1.0));`,
      )
    : null;
  const dz = runFlat(
    gpu, `weft_xent_grad_${hasIgnore ? 'i' : ''}`, logits.shape, rows, { dy, logits, labels, ...(count ? { count } : {}) }, u,
    `${SCORED(hasIgnore)}
     let o = index * uniforms.C;
     let inRange = scored && label >= 0 && label < uniforms.C;
     ${ROW}
     let k = dy[0] / ${count ? 'count[0]' : 'max(f32(uniforms.rows), 1.0)'};
     for (var c = 0; c < uniforms.C; c = c + 1) {
       let p = exp(logits[o + c] - mx) / sum - select(0.0, 1.0, c == label);
       setOutputAtIndex(o + c, select(select(0.0, k * p, inRange), ${NAN}, bad));
     }`,
  );
  if (count) gpu.disposeData(count.dataId);
  return dz;
};

/** Weft's fused softmax cross-entropy kernels as WGSL programs on tfjs webgpu. */
export const softmaxCrossEntropyWebGPUConfigs: KernelConfig[] = [
  { kernelName: SOFTMAX_XENT, backendName: 'webgpu', kernelFunc: xent },
  { kernelName: SOFTMAX_XENT_GRAD, backendName: 'webgpu', kernelFunc: xentGrad },
];
