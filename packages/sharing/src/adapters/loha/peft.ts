// LoHa's PEFT form (peft_type LOHA): hada_w1_a, hada_w2_a [out, r] and hada_w1_b, hada_w2_b [r, in],
// PyTorch layout (Weft keeps their transposes). PEFT's effective-conv2d form (hada_t1/hada_t2) is refused.
import * as tf from '@tensorflow/tfjs-core';
import { checkNoExtraTensors, peftTensor, type PeftCodec } from '../peft-codec.js';
import type { LohaConfig } from './config.js';
import type { LohaLayer } from './layer.js';

const NAMES = ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'];

/** LoHa's PEFT codec. */
export const LOHA_PEFT: PeftCodec<LohaConfig, LohaLayer> = {
  type: 'LOHA',
  tensor: /\.(hada_w[12]_[ab]|hada_t[12])$/,
  options: ['r', 'alpha', 'rank_dropout', 'module_dropout', 'rank_pattern', 'alpha_pattern'],
  fromPeft(j) {
    return {
      r: j.num('r'), alpha: j.num('alpha'), rankDropout: j.num('rank_dropout'), moduleDropout: j.num('module_dropout'),
      rankPattern: j.patterns('rank_pattern'), alphaPattern: j.patterns('alpha_pattern'),
    };
  },
  toPeft(c) {
    return {
      r: c.r, alpha: c.alpha, rank_dropout: c.rankDropout, module_dropout: c.moduleDropout, init_weights: true, use_effective_conv2d: false,
      rank_pattern: c.rankPattern, alpha_pattern: c.alphaPattern, layers_pattern: null, layers_to_transform: null,
    };
  },
  save(layer) {
    return tf.tidy(() => ({
      hada_w1_a: tf.transpose(layer.v1),
      hada_w1_b: tf.transpose(layer.u1),
      hada_w2_a: tf.transpose(layer.v2),
      hada_w2_b: tf.transpose(layer.u2),
    }));
  },
  load(layer, tensors, where) {
    const { r } = layer.options;
    const [i, o] = [layer.base.inFeatures, layer.base.outFeatures];
    const [w1a, w1b, w2a, w2b] = NAMES.map((n) => peftTensor(tensors, n, n.endsWith('_a') ? [o, r] : [r, i], where));
    checkNoExtraTensors(tensors, NAMES, where, "(hada_t1/hada_t2 are PEFT's effective-conv2d form, not supported)");
    tf.tidy(() => {
      layer.v1.assign(tf.transpose(w1a!));
      layer.u1.assign(tf.transpose(w1b!));
      layer.v2.assign(tf.transpose(w2a!));
      layer.u2.assign(tf.transpose(w2b!));
    });
  },
};
