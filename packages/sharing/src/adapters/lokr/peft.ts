// LoKr's PEFT form (peft_type LOKR): lokr_w1 [out_l, in_m] or lokr_w1_a [out_l, r] · lokr_w1_b [r, in_m],
// and the same for w2, PyTorch layout (Weft keeps the transposes, since kron(A, B)ᵀ = kron(Aᵀ, Bᵀ)).
// Conv2d: lokr_w2 [out_k, in_n, kh, kw] or lokr_w2_b [r, in_n·kh·kw]; effective conv2d: lokr_t2
// [r, r, kh, kw], lokr_w2_a [r, out_k], lokr_w2_b [r, in_n].
import * as tf from '@tensorflow/tfjs-core';
import { checkNoExtraTensors, peftTensor, type PeftCodec, type PeftTensors } from '../peft-codec.js';
import { torchToWeftRows, weftRowsToTorch } from '../conv-layout.js';
import type { LokrConfig } from './config.js';
import type { LokrLayer } from './layer.js';

/** The PEFT tensor names and PyTorch shapes of one LoKr layer. */
function expected(layer: LokrLayer): Record<string, number[]> {
  const [[outL, outK], [inM, inN]] = layer.shape;
  const r = layer.options.r;
  const conv = layer.base.conv;
  const k = conv ? conv.kernel : [];
  const out: Record<string, number[]> = {};
  if (layer.f1.full) out['lokr_w1'] = [outL, inM];
  else Object.assign(out, { lokr_w1_a: [outL, r], lokr_w1_b: [r, inM] });
  if (layer.f2.full) out['lokr_w2'] = [outK, inN, ...k];
  else if (layer.f2.core) Object.assign(out, { lokr_t2: [r, r, ...k], lokr_w2_a: [r, outK], lokr_w2_b: [r, inN] });
  else Object.assign(out, { lokr_w2_a: [outK, r], lokr_w2_b: [r, inN * layer.kernel[0] * layer.kernel[1]] });
  return out;
}

/** LoKr's PEFT codec. */
export const LOKR_PEFT: PeftCodec<LokrConfig, LokrLayer> = {
  type: 'LOKR',
  tensor: /\.(lokr_w[12](?:_[ab])?|lokr_t2)$/,
  options: ['r', 'alpha', 'rank_dropout', 'module_dropout', 'rank_dropout_scale', 'decompose_both', 'decompose_factor', 'rank_pattern', 'alpha_pattern', 'use_effective_conv2d'],
  fromPeft(j) {
    return {
      r: j.num('r'), alpha: j.num('alpha'), rankDropout: j.num('rank_dropout'), moduleDropout: j.num('module_dropout'),
      rankDropoutScale: j.bool('rank_dropout_scale'), decomposeBoth: j.bool('decompose_both'), decomposeFactor: j.num('decompose_factor'),
      rankPattern: j.patterns('rank_pattern'), alphaPattern: j.patterns('alpha_pattern'), effectiveConv2d: j.bool('use_effective_conv2d'),
    };
  },
  toPeft(c) {
    return {
      r: c.r, alpha: c.alpha, rank_dropout: c.rankDropout, module_dropout: c.moduleDropout, rank_dropout_scale: c.rankDropoutScale,
      decompose_both: c.decomposeBoth, decompose_factor: c.decomposeFactor, init_weights: true, use_effective_conv2d: c.effectiveConv2d,
      rank_pattern: c.rankPattern, alpha_pattern: c.alphaPattern, layers_pattern: null, layers_to_transform: null,
    };
  },
  save(layer) {
    const inN = layer.shape[1][1];
    const { kernel } = layer;
    return tf.tidy(() => {
      const out: PeftTensors = {};
      const { f1, f2 } = layer;
      if (f1.full) out['lokr_w1'] = tf.transpose(f1.full);
      else Object.assign(out, { lokr_w1_a: tf.transpose(f1.right!), lokr_w1_b: tf.transpose(f1.left!) });
      if (f2.full) {
        const w2 = weftRowsToTorch(f2.full, kernel, inN); // (kh·kw·in_n, out_k) -> (out_k, in_n·kh·kw)
        out['lokr_w2'] = layer.base.conv ? tf.reshape(w2, [w2.shape[0], inN, ...kernel]) : w2;
      } else if (f2.core) {
        Object.assign(out, { lokr_t2: tf.transpose(f2.core, [3, 2, 0, 1]), lokr_w2_a: tf.clone(f2.right!), lokr_w2_b: tf.transpose(f2.left!) });
      } else Object.assign(out, { lokr_w2_a: tf.transpose(f2.right!), lokr_w2_b: weftRowsToTorch(f2.left!, kernel, inN) });
      return out;
    });
  },
  load(layer, tensors, where) {
    const shapes = expected(layer);
    const got = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, peftTensor(tensors, n, s, where)]));
    const { r, decomposeBoth, effectiveConv2d } = layer.options;
    checkNoExtraTensors(tensors, Object.keys(shapes), where, `; with r=${r}, decompose_both=${decomposeBoth}, use_effective_conv2d=${effectiveConv2d} this layer has ${Object.keys(shapes).join(', ')}`);
    const inN = layer.shape[1][1];
    const { kernel } = layer;
    tf.tidy(() => {
      const { f1, f2 } = layer;
      if (f1.full) f1.full.assign(tf.transpose(got['lokr_w1']!));
      else {
        f1.right!.assign(tf.transpose(got['lokr_w1_a']!));
        f1.left!.assign(tf.transpose(got['lokr_w1_b']!));
      }
      if (f2.full) f2.full.assign(torchToWeftRows(got['lokr_w2']!, kernel, inN));
      else if (f2.core) {
        f2.core.assign(tf.transpose(got['lokr_t2']!, [2, 3, 1, 0])); // (r_out, r_in, kh, kw) -> (kh, kw, r_in, r_out)
        f2.right!.assign(got['lokr_w2_a']!);
        f2.left!.assign(tf.transpose(got['lokr_w2_b']!));
      } else {
        f2.right!.assign(tf.transpose(got['lokr_w2_a']!));
        f2.left!.assign(torchToWeftRows(got['lokr_w2_b']!, kernel, inN));
      }
    });
  },
};
