// Einsum: tfjs wasm has none (forward only: tfjs has no einsum gradient on any backend). The same
// plan as tfjs cpu's kernel — transpose, broadcast-multiply, sum one axis at a time — on wasm's kernels.
import { backend_util, Einsum, util } from '@tensorflow/tfjs-core';
import type { EinsumAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isHeapBackend, runBackendKernel } from './io.js';

const NAME = 'Einsum';

/** `tf.einsum(equation, ...tensors)` on tfjs wasm, built from wasm's Transpose/Reshape/Multiply/Sum. */
export const einsumWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  if (!isHeapBackend(backend)) throw new Error(`${NAME}: Weft registers this kernel for the wasm backend only`);
  const { equation } = attrs as unknown as EinsumAttrs;
  const tensors = inputs as unknown as TensorInfo[];
  const { allDims, summedDims, idDims } = backend_util.decodeEinsumEquation(equation, tensors.length);
  backend_util.checkEinsumDimSizes(allDims.length, idDims, tensors as unknown as Parameters<typeof backend_util.checkEinsumDimSizes>[2]);
  const { path, steps } = backend_util.getEinsumComputePath(summedDims, idDims);
  const run = (name: string, ins: Record<string, TensorInfo>, a: Record<string, unknown>) =>
    runBackendKernel(name, 'wasm', backend, ins, a as never);
  const temps: TensorInfo[] = [];
  let out: TensorInfo | null = null;
  let remaining = allDims.length;
  try {
    for (let i = 0; i < steps.length; i++) {
      for (const term of steps[i]!) {
        const { permutationIndices: perm, expandDims } = backend_util.getEinsumPermutation(remaining, idDims[term]!);
        let x = tensors[term]!;
        if (!backend_util.isIdentityPermutation(perm)) {
          x = run('Transpose', { x }, { perm });
          temps.push(x);
        }
        const target = x.shape.slice();
        for (const d of expandDims) target.splice(d, 0, 1);
        if (!util.arraysEqual(x.shape, target)) {
          x = run('Reshape', { x }, { shape: target });
          temps.push(x);
        }
        if (out === null) {
          out = x;
        } else {
          out = run('Multiply', { a: x, b: out }, {});
          temps.push(out);
        }
      }
      if (i < steps.length - 1) {
        if (path[i]! >= 0) {
          out = run('Sum', { x: out! }, { axis: path[i]! - (allDims.length - remaining), keepDims: false });
          temps.push(out);
        }
        remaining--;
      }
    }
    if (out === null) throw new Error(`${NAME}: equation="${equation}" has no operands`);
    // The result must own its data: copy when it is still one of the inputs.
    if (!temps.includes(out)) out = run('Identity', { x: out }, {});
    else temps.splice(temps.indexOf(out), 1);
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
};

/** Weft's Einsum for tfjs wasm. */
export const einsumWasmConfig: KernelConfig = { kernelName: Einsum, backendName: 'wasm', kernelFunc: einsumWasm };
