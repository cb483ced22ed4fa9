// OneHot: tfjs wasm's kernel ignores the `dtype` attribute and writes int32 values into the output,
// so `tf.oneHot(i, d, 1, 0, 'float32')` reads back as denormals (1 → 1.4e-45; found by @weft/moe's
// dispatch, which ranks pairs with a float one-hot cumsum). One pass here, in the requested dtype.
import { OneHot } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, OneHotAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { assertDtype, computeOutput } from './io.js';

const NAME = 'OneHot';

/** `out[..., j] = onValue if indices[...] = j else offValue`, in `dtype`; out-of-range indices give a row of offValue. */
export const oneHot: KernelFunc = ({ inputs, backend, attrs }) => {
  const { indices } = inputs as { indices: TensorInfo };
  const { depth, onValue, offValue, dtype } = attrs as unknown as OneHotAttrs;
  assertDtype(NAME, 'indices', indices, ['int32']);
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`${NAME}: depth=${depth} must be a non-negative integer`);
  return computeOutput(NAME, backend, [...indices.shape, depth], dtype, [indices], (out, idx) => {
    const n = idx!.length;
    if (offValue !== 0) out.fill(offValue);
    for (let i = 0; i < n; i++) {
      const j = idx![i]!;
      if (j >= 0 && j < depth) out[i * depth + j] = onValue;
    }
  });
};

/** Weft's OneHot for tfjs wasm. */
export const oneHotWasmConfig: KernelConfig = { kernelName: OneHot, backendName: 'wasm', kernelFunc: oneHot };
