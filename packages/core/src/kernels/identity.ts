// Identity on tfjs wasm without a copy. tfjs's engine clones every tensor a gradient saves
// (`inputsToSave`/`outputsToSave`, customGrad's `save`) through the Identity kernel, and tfjs wasm's
// Identity copies the data: 123 copies per step of a 2-block TinyTransformer, 144 in a dropless MoE
// layer, whose grouped products save the stacked expert weights (two [E, K, N] copies per step,
// growing with E). Tensors are immutable and no kernel writes into its inputs, so the clone can
// share the data, counted once more, as tfjs cpu's Identity and wasm's own Reshape do.
import { Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const identity: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Weft's Identity for tfjs wasm: the same data, one more reference. */
export const identityWasmConfig: KernelConfig = { kernelName: Identity, backendName: 'wasm', kernelFunc: identity };
