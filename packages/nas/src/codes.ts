// Binary ReLU codes for NASWOT (Neural Architecture Search without Training, arXiv 2006.04647):
// modules with ReLUs call `recordReluCodes` on their pre-activations; the codes are recorded as
// forward-context statistics only when statistics are collected (the NASWOT proxy does), so a
// training step pays nothing.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '@weft/core';

/** Prefix of the statistics holding ReLU codes. */
export const RELU_CODE_PREFIX = 'relu_codes.';

/** Record 1[z > 0] of a pre-activation (B, …) as a (B, units) statistic when `ctx` collects statistics. */
export function recordReluCodes(ctx: ForwardContext | undefined, z: tf.Tensor): void {
  if (!ctx?.collectStats) return;
  const B = z.shape[0]!;
  ctx.addStat(`${RELU_CODE_PREFIX}${ctx.stats.size}`, tf.reshape(tf.cast(tf.greater(z, 0), 'float32'), [B, -1])); // (B, …) -> (B, units)
}
