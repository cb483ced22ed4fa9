// LoHa's PEFT form (peft_type LOHA): hada_w1_a, hada_w2_a [out, r] and hada_w1_b, hada_w2_b [r, fanIn],
// PyTorch layout (Weft keeps their transposes; a conv kernel's fanIn is PyTorch's in·kh·kw order).
// Effective conv2d (Tucker): hada_w*_a [r, out], hada_w*_b [r, in], hada_t* [r, r, kh, kw].
import * as tf from '@tensorflow/tfjs-core';
import { checkNoExtraTensors, peftTensor, type PeftCodec, type PeftTensors } from '../peft-codec.js';
import { torchToWeftRows, weftRowsToTorch } from '../conv-layout.js';
import type { LohaConfig } from './config.js';
import type { LohaLayer } from './layer.js';

/** The PEFT tensor names and PyTorch shapes of one LoHa layer. */
function expected(layer: LohaLayer): Record<string, number[]> {
  const { r } = layer.options;
  const { base } = layer;
  const o = base.outFeatures;
  const fan = layer.u1.shape[0]!;
  const out: Record<string, number[]> = {};
  for (const i of [1, 2]) {
    if (layer.t1) {
      const [kh, kw] = base.conv!.kernel;
      Object.assign(out, { [`hada_w${i}_a`]: [r, o], [`hada_w${i}_b`]: [r, base.inFeatures], [`hada_t${i}`]: [r, r, kh, kw] });
    } else Object.assign(out, { [`hada_w${i}_a`]: [o, r], [`hada_w${i}_b`]: [r, fan] });
  }
  return out;
}

/** LoHa's PEFT codec. */
export const LOHA_PEFT: PeftCodec<LohaConfig, LohaLayer> = {
  type: 'LOHA',
  tensor: /\.(hada_w[12]_[ab]|hada_t[12])$/,
  options: ['r', 'alpha', 'rank_dropout', 'module_dropout', 'rank_pattern', 'alpha_pattern', 'use_effective_conv2d'],
  fromPeft(j) {
    return {
      r: j.num('r'), alpha: j.num('alpha'), rankDropout: j.num('rank_dropout'), moduleDropout: j.num('module_dropout'),
      rankPattern: j.patterns('rank_pattern'), alphaPattern: j.patterns('alpha_pattern'), effectiveConv2d: j.bool('use_effective_conv2d'),
    };
  },
  toPeft(c) {
    return {
      r: c.r, alpha: c.alpha, rank_dropout: c.rankDropout, module_dropout: c.moduleDropout, init_weights: true, use_effective_conv2d: c.effectiveConv2d,
      rank_pattern: c.rankPattern, alpha_pattern: c.alphaPattern, layers_pattern: null, layers_to_transform: null,
    };
  },
  save(layer) {
    const conv = layer.base.conv;
    return tf.tidy(() => {
      const out: PeftTensors = {};
      for (const [i, t, u, v] of [[1, layer.t1, layer.u1, layer.v1], [2, layer.t2, layer.u2, layer.v2]] as const) {
        if (t) {
          out[`hada_t${i}`] = tf.transpose(t, [3, 2, 0, 1]); // (kh, kw, r_in, r_out) -> (r_out, r_in, kh, kw)
          out[`hada_w${i}_a`] = tf.clone(v);
          out[`hada_w${i}_b`] = tf.transpose(u);
        } else {
          out[`hada_w${i}_a`] = tf.transpose(v);
          out[`hada_w${i}_b`] = conv ? weftRowsToTorch(u, conv.kernel, layer.base.inFeatures) : tf.transpose(u);
        }
      }
      return out;
    });
  },
  load(layer, tensors, where) {
    const shapes = expected(layer);
    const got = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, peftTensor(tensors, n, s, where)]));
    const hint = layer.t1 ? '(this layer is in Tucker form: use_effective_conv2d)' : layer.base.conv ? '(hada_t1/hada_t2 need use_effective_conv2d=true)' : '(hada_t1/hada_t2 are for Conv2d layers)';
    checkNoExtraTensors(tensors, Object.keys(shapes), where, hint);
    const conv = layer.base.conv;
    tf.tidy(() => {
      for (const [i, t, u, v] of [[1, layer.t1, layer.u1, layer.v1], [2, layer.t2, layer.u2, layer.v2]] as const) {
        const a = got[`hada_w${i}_a`]!;
        const b = got[`hada_w${i}_b`]!;
        if (t) {
          t.assign(tf.transpose(got[`hada_t${i}`]!, [2, 3, 1, 0])); // (r_out, r_in, kh, kw) -> (kh, kw, r_in, r_out)
          v.assign(a);
          u.assign(tf.transpose(b));
        } else {
          v.assign(tf.transpose(a));
          u.assign(conv ? torchToWeftRows(b, conv.kernel, layer.base.inFeatures) : tf.transpose(b));
        }
      }
    });
  },
};
