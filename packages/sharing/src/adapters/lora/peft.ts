// LoRA's PEFT form (peft_type LORA, incl. rsLoRA and DoRA): lora_A.weight [r, in] and lora_B.weight
// [out, r] (conv: [r, in, kh, kw] and [out, r, 1, 1]; embedding: lora_embedding_A [r, numEmbeddings]
// and lora_embedding_B [dim, r]), and DoRA's lora_magnitude_vector as PEFT shapes it: [out] on a
// Linear, [1, out, 1, 1] on a Conv2d (DoraConv2dLayer's keepdim norm, transposed), [dim] on an
// Embedding; in PyTorch's layout, transposed at this boundary.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '@weft/core';
import { checkNoExtraTensors, peftConfigError, peftTensor, type PeftCodec, type PeftTensors } from '../peft-codec.js';
import type { LoraConfig } from './config.js';
import type { LoraLayer } from './layer.js';

/** LoRA's PEFT codec. */
export const LORA_PEFT: PeftCodec<LoraConfig, LoraLayer> = {
  type: 'LORA',
  tensor: /\.(lora_A\.weight|lora_B\.weight|lora_embedding_A|lora_embedding_B|lora_magnitude_vector)$/,
  options: ['r', 'lora_alpha', 'lora_dropout', 'use_rslora', 'use_dora', 'rank_pattern', 'alpha_pattern', 'bias'],
  fromPeft(j) {
    const bias = j.raw('bias') ?? 'none';
    if (bias !== 'none') peftConfigError(`option bias=${describeValue(bias)} is not supported by Weft (only "none")`);
    return {
      r: j.num('r'), alpha: j.num('lora_alpha'), dropout: j.num('lora_dropout'), rslora: j.bool('use_rslora'), dora: j.bool('use_dora'),
      rankPattern: j.patterns('rank_pattern'), alphaPattern: j.patterns('alpha_pattern'),
    };
  },
  toPeft(c) {
    return {
      r: c.r, lora_alpha: c.alpha, lora_dropout: c.dropout, use_rslora: c.rslora, use_dora: c.dora, bias: 'none', fan_in_fan_out: false,
      init_lora_weights: true, lora_bias: false, rank_pattern: c.rankPattern, alpha_pattern: c.alphaPattern, layers_pattern: null, layers_to_transform: null,
    };
  },
  save(layer) {
    return tf.tidy(() => {
      const { base } = layer;
      const r = layer.options.r;
      const out: PeftTensors = {};
      if (base.kind === 'linear') {
        out['lora_A.weight'] = tf.transpose(layer.loraA); // [in, r] -> [r, in]
        out['lora_B.weight'] = tf.transpose(layer.loraB); // [r, out] -> [out, r]
      } else if (base.kind === 'embedding') {
        out['lora_embedding_A'] = tf.transpose(layer.loraA); // [numEmbeddings, r] -> [r, numEmbeddings]
        out['lora_embedding_B'] = tf.transpose(layer.loraB); // [r, dim] -> [dim, r]
      } else {
        const [kh, kw] = base.conv!.kernel;
        out['lora_A.weight'] = tf.transpose(tf.reshape(layer.loraA, [kh, kw, base.inFeatures, r]), [3, 2, 0, 1]); // -> [r, in, kh, kw]
        out['lora_B.weight'] = tf.reshape(tf.transpose(layer.loraB), [base.outFeatures, r, 1, 1]); // -> [out, r, 1, 1]
      }
      if (layer.magnitude) out['lora_magnitude_vector'] = tf.reshape(layer.magnitude, magnitudeShape(layer)); // [out] -> PEFT's shape
      return out;
    });
  },
  load(layer, tensors, where) {
    const { base } = layer;
    const r = layer.options.r;
    const dora = layer.magnitude ? ['lora_magnitude_vector'] : [];
    /** DoRA's magnitude, checked after the factors (its name and shape); assigned in PEFT's shape -> [out]. */
    const magnitude = () => (layer.magnitude ? peftTensor(tensors, 'lora_magnitude_vector', magnitudeShape(layer), where) : null);
    if (base.kind === 'embedding') {
      const a = peftTensor(tensors, 'lora_embedding_A', [r, base.inFeatures], where);
      const b = peftTensor(tensors, 'lora_embedding_B', [base.outFeatures, r], where);
      const m = magnitude();
      checkNoExtraTensors(tensors, ['lora_embedding_A', 'lora_embedding_B', ...dora], where, 'for this LoRA config on an Embedding');
      tf.tidy(() => {
        layer.loraA.assign(tf.transpose(a)); // [r, numEmbeddings] -> [numEmbeddings, r]
        layer.loraB.assign(tf.transpose(b)); // [dim, r] -> [r, dim]
        if (m) layer.magnitude!.assign(tf.reshape(m, [base.outFeatures])); // PEFT's shape -> [out]
      });
      return;
    }
    const linear = base.kind === 'linear';
    const [kh, kw] = base.conv?.kernel ?? [1, 1];
    const a = peftTensor(tensors, 'lora_A.weight', linear ? [r, base.inFeatures] : [r, base.inFeatures, kh, kw], where);
    const b = peftTensor(tensors, 'lora_B.weight', linear ? [base.outFeatures, r] : [base.outFeatures, r, 1, 1], where);
    const m = magnitude();
    checkNoExtraTensors(tensors, ['lora_A.weight', 'lora_B.weight', ...dora], where, 'for this LoRA config');
    tf.tidy(() => {
      layer.loraA.assign(linear ? tf.transpose(a) : tf.reshape(tf.transpose(a, [2, 3, 1, 0]), [kh * kw * base.inFeatures, r])); // [r, in, kh, kw] -> [kh·kw·in, r]
      layer.loraB.assign(tf.transpose(tf.reshape(b, [base.outFeatures, r]))); // [out, r(,1,1)] -> [r, out]
      if (m) layer.magnitude!.assign(tf.reshape(m, [base.outFeatures])); // PEFT's shape -> [out]
    });
  },
};

/**
 * The shape PEFT gives DoRA's lora_magnitude_vector: [out] on a Linear (and on GPT-2's Conv1D, whatever
 * fan_in_fan_out), [1, out, 1, 1] on a Conv2d (the norm over dims 1–3 with keepdim, transposed(1, 0)),
 * [dim] on an Embedding (the norm over the vocabulary per embedding dimension).
 */
function magnitudeShape(layer: LoraLayer): number[] {
  const out = layer.base.outFeatures;
  return layer.base.kind === 'conv2d' ? [1, out, 1, 1] : [out];
}
