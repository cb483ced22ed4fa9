// BatchMatMul and _FusedMatMul with transposeA/transposeB: tfjs wasm's kernels leave XNNPACK for a
// slow loop when an operand is transposed (≈0.5–2 vs ≈16–30 GFLOP/s measured; every matMul gradient
// transposes one), and _FusedMatMul then adds the bias wrongly; this wraps them: transpose
// explicitly (O(size)), then tfjs's untransposed path.
import { BatchMatMul, _FusedMatMul } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, runBackendKernel } from './io.js';

const SMALL = 32 * 32 * 32;

/** Swap the last two axes of `t` with wasm's Transpose kernel. */
function swapLastTwo(backend: unknown, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  return runBackendKernel('Transpose', 'wasm', backend, { x: t }, { perm });
}

/**
 * `original` (tfjs wasm's kernel) called with both operands in plain layout. With `keepSmall`,
 * tiny products still go to `original` as they are (for BatchMatMul only: it is right, just slow).
 */
export function untransposedMatMul(original: KernelFunc, keepSmall: boolean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const { a, b } = inputs as { a?: TensorInfo; b?: TensorInfo };
    if ((!transposeA && !transposeB) || !a || !b || !isHeapBackend(backend) || a.shape.length < 2 || b.shape.length < 2) {
      return original(args);
    }
    // Below ~32³ multiply-adds the extra transpose costs more than the slow loop (measured).
    const work = a.shape.reduce((p, d) => p * d, 1) * b.shape[transposeB ? b.shape.length - 2 : b.shape.length - 1]!;
    if (keepSmall && work < SMALL) return original(args);
    const temps: TensorInfo[] = [];
    try {
      const a2 = transposeA ? swapLastTwo(backend, a) : a;
      if (transposeA) temps.push(a2);
      const b2 = transposeB ? swapLastTwo(backend, b) : b;
      if (transposeB) temps.push(b2);
      return original({ inputs: { ...inputs, a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Weft's wrapper of tfjs wasm's BatchMatMul (`original`; its setup/dispose hooks are kept). */
export function batchMatMulWasmConfig(original: KernelConfig): KernelConfig {
  return { ...original, kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: untransposedMatMul(original.kernelFunc, true) };
}

/** Weft's wrapper of tfjs wasm's _FusedMatMul (`original`; its setup/dispose hooks are kept). */
export function fusedMatMulWasmConfig(original: KernelConfig): KernelConfig {
  return { ...original, kernelName: _FusedMatMul, backendName: 'wasm', kernelFunc: untransposedMatMul(original.kernelFunc, false) };
}
