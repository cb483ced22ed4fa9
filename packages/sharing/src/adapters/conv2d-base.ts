// The base op of a Weft Conv2d (NHWC, kernel [kh, kw, in, out]): adapters see it as a tfjs Conv2D
// (base-op.ts), with core's explicit zero padding passed to tf.conv2d as explicit padding.
// Depthwise and dilated convolutions are refused (tfjs has no conv2d gradient for dilation > 1).
import { Conv2d, pair, readPadding } from '@weft/core';
import type { BaseOp } from './base-op.js';

/** The base op of a dense, undilated Weft Conv2d; `path` names it in errors. */
export function conv2dBaseOp(conv: Conv2d, path: string): BaseOp {
  const c = conv.config;
  if (conv.depthwise) throw new Error(`adapters: "${path}" is a depthwise Conv2d (groups=${c.groups}); adapters support dense Conv2d layers (groups=1)`);
  const dilation = pair('Conv2d', 'dilation', c.dilation ?? 1);
  if (dilation[0] !== 1 || dilation[1] !== 1) throw new Error(`adapters: "${path}" is a Conv2d with dilation=[${dilation}]; adapters support dilation 1 only`);
  const p = readPadding('Conv2d', c.padding ?? 0);
  const padding = Array.isArray(p) && (p[0] > 0 || p[1] > 0) ? ([[0, 0], [p[0], p[0]], [p[1], p[1]], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : Array.isArray(p) ? 'valid' : p;
  return {
    kind: 'conv2d', weight: conv.weight, bias: conv.bias, inFeatures: c.inChannels, outFeatures: c.outChannels,
    conv: { kernel: pair('Conv2d', 'kernelSize', c.kernelSize), strides: pair('Conv2d', 'stride', c.stride ?? 1), padding, dilations: [1, 1] },
  };
}
