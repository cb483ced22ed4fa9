// Weft's registered training kernels: `registerTrainingKernels` registers, once per backend, the
// kernels that gradients need and the backend lacks, has wrong, or has slow.
//
// Found empirically (tf.grads of ~120 ops and layer patterns on tfjs 4.22 wasm, compared with cpu):
//   missing on wasm:  UnsortedSegmentSum (gather's gradient: Embedding, MoE dispatch, hashed sharing),
//                     Conv2DBackpropFilter (conv2d, conv1d, conv2dTranspose, separable conv),
//                     DepthwiseConv2dNativeBackpropInput / ...BackpropFilter (depthwise, separable),
//                     Einsum (forward; tfjs has no einsum gradient on any backend).
//   wrong on wasm:    MaxPoolGrad (wrong when channels > 1), Conv3DBackpropInputV2 (wrong when
//                     in-channels > 1), Conv3DBackpropFilterV2 (wrong with stride 2), GatherV2 with
//                     batchDims > 0 (gathers the wrong rows, forward), _FusedMatMul with a bias and
//                     transposeA/transposeB (forward), ResizeNearestNeighborGrad (ignores
//                     halfPixelCenters), Relu/Relu6/ClipByValue (NaN becomes a bound: XNNPACK's clamp).
//   wrong on cpu:     ResizeNearestNeighborGrad (wrong when batch > 1; ignores halfPixelCenters).
//   slow on webgpu:   Sum/Mean/Max/Min over a short axis (one 64-thread workgroup per output).
//                     Weft's fused ops as tfjs op chains, a dispatch per op: WGSL kernels instead
//                     (*-webgpu.ts: Adam/SGD, LayerNorm, GELU/SiLU, masked softmax, cross-entropy,
//                     the guard's finite check and select); a 2-block TinyTransformer Adam step went
//                     from 1,169 dispatches to 408 (test/webgpu-dispatches.backends.test.ts).
//   zeros on webgpu:  AddN of more than 7 tensors (one storage buffer each, 8 per shader stage).
//   NaN lost on webgpu (SwiftShader): Relu6, Sigmoid, Elu, Selu, Exp, Softplus, Softmax (WGSL may assume no NaN);
//                     on webgl: Elu, Selu, Softplus (NaN → Inf); Relu/Relu6 give NaN for −Inf, LeakyRelu for +Inf
//                     (packed 0/1 masks).
//   wrong everywhere: BatchMatMul broadcasting a batch dimension that is not leading, e.g.
//                     (B, k, ·, ·) × (B, 1, ·, ·), pairs the wrong batches (forward; cpu, wasm, webgl, webgpu).
//   slow on wasm:     BatchMatMul/_FusedMatMul with transposeA or transposeB (every matMul gradient
//                     has one) leave XNNPACK for a loop ≈10–30× slower; so does BatchMatMul with a
//                     batch > 1 (stacked MoE experts): ≈1.5 GFLOP/s, replaced by a wasm SIMD kernel
//                     (≈15–18 GFLOP/s), which also takes single products up to 2^25 multiply-adds
//                     (XNNPACK's per-call setup made 256×64×64 ≈3× slower); Conv2DBackpropInput is a
//                     direct loop, ≈5–10× slower than XNNPACK (as a conv at stride 1, else matmul+col2im).
//                     Sum/Mean/Max/Min transpose the reduced axes to the end and reduce with a scalar
//                     loop (0.4 GB/s over a leading axis), Transpose runs at 0.8 GB/s: SIMD kernels.
//                     Binary ops outside XNNPACK (comparisons, logical ops, Maximum/Minimum, int32
//                     Add/Sub/Mul) broadcast at ~100 ns per element: broadcast in JS (broadcast-binary.ts).
//                     Identity copies (the engine clones every tensor a gradient saves): shared (identity.ts).
//   engine-bound on cpu and wasm: a small Transformer's step was ~370 kernel calls, each with the engine's
//                     bookkeeping and clones of the tensors its gradient saves; Linear (reshapes, matMul,
//                     bias add), attention's head split/merge, its q, k, v projections and its core
//                     (scores, masked softmax, weights·v) run as one kernel each way instead (linear.ts,
//                     heads.ts, qkv.ts, attention.ts; ops/ holds their gradients).
//                     TopK sorts each row in full: a small k is one pass per row (top-k.ts; a router's top-2 of 512×64).
//                     A dropless MoE's block plan was ~40 kernels of integer bookkeeping (a sort, segment
//                     sums, cumsums, casts): one kernel (dispatch-plan.ts; on webgpu one WGSL thread and 3 slices); its buffer gathers with a zero
//                     row were Concat + GatherV2, and Transpose ×2 + UnsortedSegmentSum + SplitV backward:
//                     one kernel each way (gather-rows.ts; WGSL forward on webgpu); a router's gates, picked
//                     and renormalised, were 10 kernels forward and 20 backward: one each way (pick-columns.ts);
//                     the un-permute (gather, gate, sum per token) 5 forward and ~10 backward: one each way
//                     (combine-rows.ts; on webgpu the tf ops, whose gradient is a scatter-add).
//                     A step's task loss plus weighted aux losses: ~16 kernels, one each way (weighted-sum.ts).
//                     moe.html's step: 204 → 96.
//   slow on cpu:      UnsortedSegmentSum (one full mask per segment: quadratic).
//   also missing on wasm, not needed for training here: Complex/Real/Imag/FFT/IFFT/ComplexAbs,
//                     RaggedGather/RaggedRange/RaggedTensorToTensor, StaticRegexReplace,
//                     Conv2D with dataFormat NCHW (forward; XNNPACK is NHWC only).
//   not kernels (fail on every backend, tfjs-core's gradients): no gradient for GatherNd, ScatterNd,
//                     StridedSlice, TopK, Einsum, Diag; broadcasting gradients of BatchMatMul
//                     (batch dims), Maximum/Minimum are not reduced to the input shape; Cumsum's
//                     gradient on axis ≠ last has the wrong shape; dilated conv2d/depthwise gradients
//                     are refused; Prod's and batchDims-GatherV2's gradients call chained ops
//                     (`x.reshape`, `x.split`): they work because @weft/core registers tfjs's chained ops.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulWasmConfig, fusedMatMulWasmConfig } from './batch-mat-mul.js';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputWasmConfig } from './conv2d-backprop-input.js';
import { conv3DBackpropFilterWasmConfig } from './conv3d-backprop-filter.js';
import { conv3DBackpropInputWasmConfig } from './conv3d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './depthwise-conv2d-backprop-input.js';
import { einsumWasmConfig } from './einsum.js';
import { gatherV2WasmConfig } from './gather-v2.js';
import { maxPoolGradWasmConfig } from './max-pool-grad.js';
import { resizeNearestNeighborGradConfig } from './resize-nearest-neighbor-grad.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { oneHotWasmConfig } from './one-hot.js';
import { simdBatchMatMulWasmConfig } from './batch-mat-mul-simd.js';
import { broadcastBatchMatMulConfig } from './batch-mat-mul-broadcast.js';
import { groupedMatMulConfigs } from './grouped-mat-mul.js';
import { shortReduceWebGPUConfigs } from './webgpu-short-reduce.js';
import { chunkedAddNConfig } from './webgpu-add-n.js';
import { stridedSliceWasmConfig } from './strided-slice.js';
import { selectAllByScalarConfig, selectByScalarConfig } from './select-by-scalar.js';
import { allFiniteConfig } from './all-finite.js';
import { layerNormConfigs } from './layer-norm.js';
import { linearConfigs } from './linear.js';
import { reluGradConfig } from './relu-grad.js';
import { headsConfigs } from './heads.js';
import { qkvConfigs } from './qkv.js';
import { attentionConfigs } from './attention.js';
import { embeddingConfigs } from './embedding.js';
import { dispatchPlanConfig } from './dispatch-plan.js';
import { gatherRowsConfigs } from './gather-rows.js';
import { gatherRowsWebGPUConfig } from './gather-rows-webgpu.js';
import { dispatchPlanWebGPUConfig } from './dispatch-plan-webgpu.js';
import { pickColumnsConfigs } from './pick-columns.js';
import { combineRowsConfigs } from './combine-rows.js';
import { weightedSumConfigs } from './weighted-sum.js';
import { pickColumnsWebGPUConfigs } from './pick-columns-webgpu.js';
import { activationConfigs } from './activation.js';
import { maskedSoftmaxConfigs } from './masked-softmax.js';
import { softmaxCrossEntropyConfigs } from './softmax-cross-entropy.js';
import { reduceWasmConfig } from './reduce-simd.js';
import { optimizerUpdateConfigs } from './optimizer-update.js';
import { optimizerUpdateWebGPUConfigs } from './optimizer-update-webgpu.js';
import { layerNormWebGPUConfigs } from './layer-norm-webgpu.js';
import { selectByScalarWebGPUConfig } from './select-by-scalar-webgpu.js';
import { allFiniteWebGPUConfig } from './all-finite-webgpu.js';
import { activationWebGPUConfigs } from './activation-webgpu.js';
import { reluGradWebGPUConfig } from './relu-grad-webgpu.js';
import { maskedSoftmaxWebGPUConfigs } from './masked-softmax-webgpu.js';
import { softmaxCrossEntropyWebGPUConfigs } from './softmax-cross-entropy-webgpu.js';
import { transposeWasmConfig } from './transpose-simd.js';
import { tileWasmConfig } from './tile.js';
import { topKWasmConfig } from './top-k.js';
import { BROADCAST_BINARY_KERNELS, broadcastBinaryWasmConfig } from './broadcast-binary.js';
import { identityWasmConfig } from './identity.js';
import { clipActivationConfig, selectLeakyReluConfig, nanKeepingActivationWasmConfigs, nanKeepingSoftmaxConfig, nanKeepingUnaryConfig } from './nan-activations.js';

const registered = new Set<string>();
/** tfjs's own kernels that Weft replaced, keyed `backend/kernelName`. */
const replaced = new Map<string, KernelConfig>();

/** tfjs's own kernel `name` on `backend`, even after Weft replaced it. */
function tfjsOriginal(name: string, backend: string): KernelConfig | undefined {
  return tfjsKernel(name, backend) ?? tf.getKernel(name, backend);
}

/** The kernels Weft registers on `backend` (built lazily: some wrap tfjs's own kernel). */
function kernelsFor(backend: string): KernelConfig[] {
  const wrap = (name: string, make: (original: KernelConfig) => KernelConfig) => {
    const original = tfjsOriginal(name, backend);
    return original ? [make(original)] : [];
  };
  if (backend === 'wasm') {
    return [
      unsortedSegmentSumConfig('wasm'),
      conv2DBackpropFilterWasmConfig,
      conv2DBackpropInputWasmConfig,
      depthwiseConv2dNativeBackpropFilterWasmConfig,
      depthwiseConv2dNativeBackpropInputWasmConfig,
      maxPoolGradWasmConfig,
      conv3DBackpropInputWasmConfig,
      conv3DBackpropFilterWasmConfig,
      resizeNearestNeighborGradConfig('wasm'),
      einsumWasmConfig,
      oneHotWasmConfig,
      ...wrap('GatherV2', gatherV2WasmConfig),
      ...wrap('BatchMatMul', (o) => broadcastBatchMatMulConfig(simdBatchMatMulWasmConfig(batchMatMulWasmConfig(o)), 'wasm')),
      ...wrap('_FusedMatMul', fusedMatMulWasmConfig),
      ...wrap('StridedSlice', stridedSliceWasmConfig),
      ...groupedMatMulConfigs('wasm'),
      ...nanKeepingActivationWasmConfigs,
      selectByScalarConfig('wasm'),
      ...['Sum', 'Mean', 'Max', 'Min'].flatMap((n) => wrap(n, reduceWasmConfig)),
      ...wrap('Transpose', transposeWasmConfig),
      ...wrap('Tile', tileWasmConfig),
      ...wrap('TopK', topKWasmConfig),
      ...BROADCAST_BINARY_KERNELS.flatMap((n) => wrap(n, broadcastBinaryWasmConfig)),
      identityWasmConfig,
      ...optimizerUpdateConfigs('wasm'),
      selectAllByScalarConfig('wasm'),
      allFiniteConfig('wasm'),
      ...layerNormConfigs('wasm'),
      ...linearConfigs('wasm'),
      reluGradConfig('wasm'),
      ...headsConfigs('wasm'),
      ...qkvConfigs('wasm'),
      ...attentionConfigs('wasm'),
      ...embeddingConfigs('wasm'),
      ...gatherRowsConfigs('wasm'),
      dispatchPlanConfig('wasm'),
      ...pickColumnsConfigs('wasm'),
      ...combineRowsConfigs('wasm'),
      ...weightedSumConfigs('wasm'),
      ...activationConfigs('wasm'),
      ...maskedSoftmaxConfigs('wasm'),
      ...softmaxCrossEntropyConfigs('wasm'),
    ];
  }
  const batchMatMul = wrap('BatchMatMul', (o) => broadcastBatchMatMulConfig(o, backend));
  if (backend === 'cpu') return [unsortedSegmentSumConfig('cpu'), resizeNearestNeighborGradConfig('cpu'), ...batchMatMul, ...groupedMatMulConfigs('cpu'), selectByScalarConfig('cpu'), ...optimizerUpdateConfigs('cpu'), selectAllByScalarConfig('cpu'), allFiniteConfig('cpu'), ...layerNormConfigs('cpu'), ...linearConfigs('cpu'), reluGradConfig('cpu'), ...headsConfigs('cpu'), ...qkvConfigs('cpu'), ...attentionConfigs('cpu'), ...embeddingConfigs('cpu'), ...gatherRowsConfigs('cpu'), dispatchPlanConfig('cpu'), ...pickColumnsConfigs('cpu'), ...combineRowsConfigs('cpu'), ...weightedSumConfigs('cpu'), ...activationConfigs('cpu'), ...maskedSoftmaxConfigs('cpu'), ...softmaxCrossEntropyConfigs('cpu')];
  if (backend === 'webgl') {
    const nanKeeping = [
      ...wrap('Relu', (o) => clipActivationConfig(o, 0, Infinity)),
      ...wrap('Relu6', (o) => clipActivationConfig(o, 0, 6)),
      ...wrap('LeakyRelu', selectLeakyReluConfig),
      ...['Elu', 'Selu', 'Softplus'].flatMap((n) => wrap(n, nanKeepingUnaryConfig)),
    ];
    return [...batchMatMul, ...groupedMatMulConfigs(backend), ...nanKeeping];
  }
  if (backend === 'webgpu') {
    const nanKeeping = [...['Relu6', 'Sigmoid', 'Elu', 'Selu', 'Exp', 'Softplus'].flatMap((n) => wrap(n, nanKeepingUnaryConfig)), ...wrap('Softmax', nanKeepingSoftmaxConfig)];
    // The fused WGSL kernels once tfjs webgpu is loaded (its Add stands for the package).
    const fused = tfjsOriginal('Add', 'webgpu') ? [...optimizerUpdateWebGPUConfigs, ...layerNormWebGPUConfigs, selectByScalarWebGPUConfig, allFiniteWebGPUConfig, ...activationWebGPUConfigs, reluGradWebGPUConfig, ...maskedSoftmaxWebGPUConfigs, ...softmaxCrossEntropyWebGPUConfigs, gatherRowsWebGPUConfig, dispatchPlanWebGPUConfig, ...pickColumnsWebGPUConfigs] : [];
    return [...batchMatMul, ...groupedMatMulConfigs(backend), ...shortReduceWebGPUConfigs((name) => tfjsOriginal(name, 'webgpu')), ...nanKeeping, ...wrap('AddN', chunkedAddNConfig), ...fused];
  }
  return [];
}

/**
 * Register Weft's training kernels on `backend` (idempotent; on webgl and webgpu the BatchMatMul
 * broadcast fix and the grouped product, on webgpu also short reductions and the fused WGSL kernels). Call it after the backend's package is imported;
 * `initBackend` does.
 */
export function registerTrainingKernels(backend: string): void {
  if (registered.has(backend)) return;
  for (const config of kernelsFor(backend)) {
    const existing = tf.getKernel(config.kernelName, backend);
    if (existing) {
      const key = `${backend}/${config.kernelName}`;
      if (!replaced.has(key)) replaced.set(key, existing);
      tf.unregisterKernel(config.kernelName, backend);
    }
    tf.registerKernel(config);
  }
  registered.add(backend);
}

/** Whether the active backend has Weft's kernel `name` (registering Weft's kernels there first if needed). */
export function activeBackendHas(name: string): boolean {
  const backend = tf.getBackend();
  if (!tf.getKernel(name, backend)) registerTrainingKernels(backend);
  return !!tf.getKernel(name, backend);
}

/** The names of the kernels Weft registers on `backend`. */
export function trainingKernelNames(backend: string): string[] {
  return kernelsFor(backend).map((k) => k.kernelName);
}

/**
 * The tfjs kernel that Weft's registration replaced on `backend` (e.g. tfjs cpu's quadratic
 * UnsortedSegmentSum, for benchmarks and reference tests), or undefined if there was none.
 */
export function tfjsKernel(kernelName: string, backend: string): KernelConfig | undefined {
  return replaced.get(`${backend}/${kernelName}`);
}
