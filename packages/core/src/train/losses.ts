// Losses and metrics as scalar tensors (synchronous, for use inside a training step's tidy).
// Cross-entropy is one fused kernel each way on cpu, wasm and webgpu (kernels/softmax-cross-entropy.ts, softmax-cross-entropy-webgpu.ts);
// elsewhere it goes through logSoftmax (max-shifted) and a one-hot product, so it is stable and its
// gradient needs no scatter kernel.
import * as tf from '@tensorflow/tfjs-core';
import { checkKnownKeys } from '../config.js';
import { IGNORE_INDEX } from '../data/dataset.js';
import { SOFTMAX_XENT, SOFTMAX_XENT_GRAD } from '../kernels/softmax-cross-entropy.js';

/** Options of {@link softmaxCrossEntropy}. */
export interface CrossEntropyOptions {
  /**
   * Labels equal to this are not scored (padding, prompt tokens): the mean is over the other
   * positions. `null` scores every position. Default: {@link IGNORE_INDEX} (−100, PyTorch's default),
   * which Weft's sequence datasets write where a position is not scored.
   */
  ignoreIndex?: number | null;
}

function checkLabels(fn: string, logits: tf.Tensor, labels: tf.Tensor): void {
  if (labels.dtype !== 'int32') {
    throw new Error(`${fn}: labels must be an int32 tensor, got dtype ${labels.dtype} (shape [${labels.shape}])`);
  }
  if (logits.rank < 1) throw new Error(`${fn}: logits has shape [${logits.shape}]; expected (..., classes)`);
  const lead = logits.shape.slice(0, -1);
  if (labels.rank !== lead.length || labels.shape.some((d, i) => d !== lead[i])) {
    throw new Error(`${fn}: labels shape [${labels.shape}] must equal logits shape [${logits.shape}] without its last (classes) axis, i.e. [${lead}]`);
  }
}

/** 1 where a label is scored, 0 where it equals `ignoreIndex` (float32, labels' shape), or null when nothing is ignored. */
function scoredMask(labels: tf.Tensor, ignoreIndex: number | null): tf.Tensor | null {
  if (ignoreIndex === null) return null;
  if (!Number.isInteger(ignoreIndex)) throw new Error(`ignoreIndex=${ignoreIndex} must be an integer`);
  return tf.cast(tf.notEqual(labels, tf.scalar(ignoreIndex, 'int32')), 'float32');
}

/**
 * Mean softmax cross-entropy of `logits` (..., C) against integer `labels` (...), over the scored
 * positions (labels ≠ ignoreIndex). With no scored position the loss is 0 (not NaN). Labels
 * outside [0, C) other than ignoreIndex score as 0 (a GPU cannot check them without a readback).
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: CrossEntropyOptions = {}): tf.Scalar {
  checkKnownKeys('softmaxCrossEntropy', options, ['ignoreIndex']);
  checkLabels('softmaxCrossEntropy', logits, labels);
  const ignoreIndex = options.ignoreIndex === undefined ? IGNORE_INDEX : options.ignoreIndex;
  if (ignoreIndex !== null && !Number.isInteger(ignoreIndex)) throw new Error(`ignoreIndex=${ignoreIndex} must be an integer`);
  if (logits.dtype === 'float32' && tf.getKernel(SOFTMAX_XENT, tf.getBackend()) && tf.getKernel(SOFTMAX_XENT_GRAD, tf.getBackend())) {
    // One kernel each way on cpu, wasm and webgpu (kernels/softmax-cross-entropy*.ts), differentiated
    // by the registered softmaxCrossEntropyGrad.
    return tf.engine().runKernel(SOFTMAX_XENT, { logits, labels }, { ignoreIndex: ignoreIndex ?? 0, hasIgnore: ignoreIndex !== null }) as tf.Scalar;
  }
  return tf.tidy(() => {
    const C = logits.shape[logits.rank - 1]!;
    const logp = tf.logSoftmax(logits, -1); // (..., C)
    const picked = tf.sum(tf.mul(logp, tf.oneHot(labels, C)), -1); // (..., C) -> (...)
    const mask = scoredMask(labels, options.ignoreIndex === undefined ? IGNORE_INDEX : options.ignoreIndex);
    if (!mask) return tf.neg(tf.mean(picked)) as tf.Scalar;
    const count = tf.maximum(tf.sum(mask), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), count) as tf.Scalar;
  });
}

/**
 * The gradient of the fused cross-entropy kernel (registered with Weft's gradient fixes): one
 * WeftSoftmaxXentGrad. labels need no gradient but are saved with the logits: a caller may make
 * them inside the gradient's closure, whose tidy disposes them before the backward pass runs.
 */
export const softmaxCrossEntropyGrad: tf.GradConfig = {
  kernelName: SOFTMAX_XENT,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, [z, y], attrs) => ({ logits: () => tf.engine().runKernel(SOFTMAX_XENT_GRAD, { dy: dy as tf.Tensor, logits: z!, labels: y! }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor }),
};

/** Mean squared error over all elements; shapes must match. */
export function mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (pred.rank !== target.rank || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`mse: pred shape [${pred.shape}] must equal target shape [${target.shape}]`);
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/**
 * Fraction of scored positions (labels ≠ `ignoreIndex`; `null` scores all) whose arg-max logit
 * equals the label (a scalar in [0, 1]; 0 when nothing is scored). Ties go to the lowest class
 * index. Default `ignoreIndex`: {@link IGNORE_INDEX}, as {@link softmaxCrossEntropy}.
 */
export function accuracy(logits: tf.Tensor, labels: tf.Tensor, ignoreIndex: number | null = IGNORE_INDEX): tf.Scalar {
  checkLabels('accuracy', logits, labels);
  return tf.tidy(() => {
    const hit = tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32'); // (...)
    const mask = scoredMask(labels, ignoreIndex);
    if (!mask) return tf.mean(hit) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(hit, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}
