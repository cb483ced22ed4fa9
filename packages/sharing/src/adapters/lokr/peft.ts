// LoKr's PEFT form (peft_type LOKR): lokr_w1 [out_l, in_m] or lokr_w1_a [out_l, r] · lokr_w1_b [r, in_m],
// and the same for w2, PyTorch layout (Weft keeps the transposes, since kron(A, B)ᵀ = kron(Aᵀ, Bᵀ)).
// PEFT's effective-conv2d form (lokr_t2) is refused.
import * as tf from '@tensorflow/tfjs-core';
import { checkNoExtraTensors, peftTensor, type PeftCodec, type PeftTensors } from '../peft-codec.js';
import type { LokrConfig } from './config.js';
import type { LokrLayer } from './layer.js';

/** The PEFT tensor names and PyTorch shapes of one LoKr layer. */
function expected(layer: LokrLayer): Record<string, number[]> {
  const [[outL, outK], [inM, inN]] = layer.shape;
  const r = layer.options.r;
  const out: Record<string, number[]> = {};
  if (layer.f1.full) out['lokr_w1'] = [outL, inM];
  else Object.assign(out, { lokr_w1_a: [outL, r], lokr_w1_b: [r, inM] });
  if (layer.f2.full) out['lokr_w2'] = [outK, inN];
  else Object.assign(out, { lokr_w2_a: [outK, r], lokr_w2_b: [r, inN] });
  return out;
}

/** LoKr's PEFT codec. */
export const LOKR_PEFT: PeftCodec<LokrConfig, LokrLayer> = {
  type: 'LOKR',
  tensor: /\.(lokr_w[12](?:_[ab])?|lokr_t2)$/,
  options: ['r', 'alpha', 'rank_dropout', 'module_dropout', 'rank_dropout_scale', 'decompose_both', 'decompose_factor', 'rank_pattern', 'alpha_pattern'],
  fromPeft(j) {
    return {
      r: j.num('r'), alpha: j.num('alpha'), rankDropout: j.num('rank_dropout'), moduleDropout: j.num('module_dropout'),
      rankDropoutScale: j.bool('rank_dropout_scale'), decomposeBoth: j.bool('decompose_both'), decomposeFactor: j.num('decompose_factor'),
      rankPattern: j.patterns('rank_pattern'), alphaPattern: j.patterns('alpha_pattern'),
    };
  },
  toPeft(c) {
    return {
      r: c.r, alpha: c.alpha, rank_dropout: c.rankDropout, module_dropout: c.moduleDropout, rank_dropout_scale: c.rankDropoutScale,
      decompose_both: c.decomposeBoth, decompose_factor: c.decomposeFactor, init_weights: true, use_effective_conv2d: false,
      rank_pattern: c.rankPattern, alpha_pattern: c.alphaPattern, layers_pattern: null, layers_to_transform: null,
    };
  },
  save(layer) {
    return tf.tidy(() => {
      const out: PeftTensors = {};
      for (const [i, f] of [[1, layer.f1], [2, layer.f2]] as const) {
        if (f.full) out[`lokr_w${i}`] = tf.transpose(f.full);
        else {
          out[`lokr_w${i}_a`] = tf.transpose(f.right!);
          out[`lokr_w${i}_b`] = tf.transpose(f.left!);
        }
      }
      return out;
    });
  },
  load(layer, tensors, where) {
    const shapes = expected(layer);
    const got = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, peftTensor(tensors, n, s, where)]));
    const { r, decomposeBoth } = layer.options;
    checkNoExtraTensors(tensors, Object.keys(shapes), where, `; with r=${r}, decompose_both=${decomposeBoth} this layer has ${Object.keys(shapes).join(', ')}`);
    tf.tidy(() => {
      for (const [i, f] of [[1, layer.f1], [2, layer.f2]] as const) {
        if (f.full) f.full.assign(tf.transpose(got[`lokr_w${i}`]!));
        else {
          f.right!.assign(tf.transpose(got[`lokr_w${i}_a`]!));
          f.left!.assign(tf.transpose(got[`lokr_w${i}_b`]!));
        }
      }
    });
  },
};
