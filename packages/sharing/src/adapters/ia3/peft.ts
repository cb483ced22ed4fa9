// IA3's PEFT form (peft_type IA3): ia3_l [out, 1], or [1, in] on a feed-forward module, and
// feedforward_modules, a subset of target_modules.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '@weft/core';
import { checkNoExtraTensors, peftConfigError, peftTensor, type PeftCodec } from '../peft-codec.js';
import type { Ia3Config } from './config.js';
import type { Ia3Layer } from './layer.js';

/** IA3's PEFT codec. */
export const IA3_PEFT: PeftCodec<Ia3Config, Ia3Layer> = {
  type: 'IA3',
  tensor: /\.(ia3_l)$/,
  options: ['feedforward_modules'],
  fromPeft(j) {
    const targets = j.targets('target_modules', true);
    const feedforward = j.targets('feedforward_modules', false);
    if (feedforward && typeof targets !== 'string' && typeof feedforward !== 'string') {
      const missing = feedforward.filter((f) => !(targets as readonly string[]).includes(f));
      if (missing.length > 0) peftConfigError(`feedforward_modules ${describeValue(missing)} must be a subset of target_modules`);
    }
    return { feedforward };
  },
  toPeft(_c, layers) {
    return { feedforward_modules: layers.filter(([, l]) => l.options.feedforward).map(([p]) => p), fan_in_fan_out: false, init_ia3_weights: true };
  },
  save(layer) {
    const n = layer.l.shape[0]!;
    return { ia3_l: tf.reshape(layer.l, layer.options.feedforward ? [1, n] : [n, 1]) };
  },
  load(layer, tensors, where) {
    const n = layer.l.shape[0]!;
    const t = peftTensor(tensors, 'ia3_l', layer.options.feedforward ? [1, n] : [n, 1], where);
    checkNoExtraTensors(tensors, ['ia3_l'], where, 'for IA3');
    tf.tidy(() => layer.l.assign(tf.reshape(t, [n])));
  },
};
