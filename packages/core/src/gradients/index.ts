// Gradients tfjs 4.22 lacks or gets wrong, registered once for every backend (the backends'
// kernels then do the work): broadcast BatchMatMul/Maximum/Minimum, Cumsum on any axis,
// StridedSlice, GatherNd, ScatterNd, TopK, and dilated Conv2D/DepthwiseConv2dNative; and the
// gradients of Weft's own grouped matrix product, fused Linear, head split/merge, q, k, v projections
// activations, norms, the attention core and the embedding lookup.
import * as tf from '@tensorflow/tfjs-core';
import { withBroadcastReduction } from './broadcast.js';
import { cumsumGrad } from './cumsum.js';
import { withDilation } from './dilated-conv.js';
import { gatherNdGrad, scatterNdGrad, stridedSliceGrad, topKGrad } from './index-scatter.js';
import { groupedMatMulGrad } from '../ops/grouped-mat-mul.js';
import { linearGrad } from '../ops/linear.js';
import { reluGrad } from './relu.js';
import { installDirectSavedTensors } from './saved-tensors.js';
import { softmaxCrossEntropyGrad } from '../train/losses.js';
import { headsGrad } from '../ops/heads.js';
import { qkvGrad } from '../ops/qkv.js';
import { activationGrad } from '../ops/activation.js';
import { layerNormGrad } from '../ops/layer-norm.js';
import { attentionCoreGrad } from '../ops/attention-core.js';
import { embeddingGrad } from '../ops/embedding.js';
import { gatherRowsGrad } from '../ops/gather-rows.js';
import { pickColumnsGrad } from '../ops/pick-columns.js';
import { combineRowsGrad } from '../ops/combine-rows.js';
import { weightedSumGrad } from '../ops/weighted-sum.js';

export { dilateKernel } from './dilated-conv.js';

let fixes: tf.GradConfig[] | null = null;

/**
 * Register Weft's gradient fixes (idempotent; `@weft/core` calls it when imported and `initBackend`
 * again). A fix that something registered over since is registered again: in Node,
 * `@tensorflow/tfjs` imported after Weft registers all of tfjs's own gradients a second time.
 */
export function registerGradientFixes(): void {
  fixes ??= [
    withBroadcastReduction('BatchMatMul', ['a', 'b']),
    withBroadcastReduction('Maximum', ['a', 'b']),
    withBroadcastReduction('Minimum', ['a', 'b']),
    cumsumGrad,
    stridedSliceGrad,
    gatherNdGrad,
    scatterNdGrad,
    topKGrad,
    withDilation('Conv2D'),
    withDilation('DepthwiseConv2dNative'),
    groupedMatMulGrad, // Weft's own op (ops/grouped-mat-mul.ts)
    linearGrad, // Weft's fused Linear (ops/linear.ts)
    reluGrad, // Relu's gradient as one kernel (gradients/relu.ts)
    softmaxCrossEntropyGrad, // the fused cross-entropy (train/losses.ts)
    headsGrad, // attention's head split/merge (ops/heads.ts)
    qkvGrad, // attention's fused q, k, v projections (ops/qkv.ts)
    activationGrad, // fused GELU / SiLU (ops/activation.ts)
    layerNormGrad, // fused LayerNorm / RMSNorm with a weight (ops/layer-norm.ts)
    attentionCoreGrad, // attention's fused core (ops/attention-core.ts)
    embeddingGrad, // the embedding lookup (ops/embedding.ts)
    gatherRowsGrad, // rows by index with a zero row (ops/gather-rows.ts)
    pickColumnsGrad, // a router's gates (ops/pick-columns.ts)
    combineRowsGrad, // a sparse MoE's un-permute (ops/combine-rows.ts)
    weightedSumGrad, // task + weighted aux losses (ops/weighted-sum.ts)
  ];
  for (const g of fixes) if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
  installDirectSavedTensors(); // saved tensors without an Identity call each (gradients/saved-tensors.ts)
}
