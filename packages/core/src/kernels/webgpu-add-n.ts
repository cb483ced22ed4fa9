// AddN of many tensors on tfjs webgpu. tfjs binds every input as its own storage buffer, and WebGPU's
// default limit is 8 storage buffers per shader stage (the output takes one): with more than 7
// inputs the pipeline is invalid and tfjs returns zeros without an error (a DARTS mixed op over the
// 10 conv candidates summed 9 terms to 0 and its gradients to NaN). This wraps the kernel: up to
// MAX_ADD_N_INPUTS inputs go to tfjs's kernel as they are; more are summed in chunks of that many,
// and the chunks' sums summed again (the same additions, grouped; float32 rounding may differ in the
// last bit from one long sum).
import { AddN } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** Inputs one tfjs webgpu AddN program may bind (8 storage buffers, one of them the output). */
export const MAX_ADD_N_INPUTS = 7;

interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

/** AddN for tfjs webgpu over any number of inputs, built on tfjs's own kernel. */
export function chunkedAddNConfig(original: KernelConfig): KernelConfig {
  const run = original.kernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    let terms = inputs as unknown as TensorInfo[];
    if (terms.length <= MAX_ADD_N_INPUTS) return run({ inputs, backend, attrs });
    const made: TensorInfo[] = [];
    while (terms.length > MAX_ADD_N_INPUTS) {
      const sums: TensorInfo[] = [];
      for (let i = 0; i < terms.length; i += MAX_ADD_N_INPUTS) {
        const chunk = terms.slice(i, i + MAX_ADD_N_INPUTS);
        if (chunk.length === 1) {
          sums.push(chunk[0]!);
          continue;
        }
        const s = run({ inputs: chunk as never, backend, attrs }) as TensorInfo;
        made.push(s);
        sums.push(s);
      }
      terms = sums;
    }
    const out = run({ inputs: terms as never, backend, attrs }) as TensorInfo;
    for (const t of made) (backend as unknown as DisposingBackend).disposeData(t.dataId);
    return out;
  };
  return { kernelName: AddN, backendName: original.backendName, kernelFunc };
}
