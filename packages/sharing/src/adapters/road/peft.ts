// RoAd's PEFT form (peft_type ROAD): road_theta and road_alpha, 1-D (out/2, out or 2·out by
// variant), and the config's variant and group_size.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '@weft/core';
import { checkNoExtraTensors, peftConfigError, peftTensor, type PeftCodec } from '../peft-codec.js';
import { ROAD_VARIANTS, type RoadConfig } from './config.js';
import type { RoadLayer } from './layer.js';

const NAMES = ['road_theta', 'road_alpha'];

/** RoAd's PEFT codec. */
export const ROAD_PEFT: PeftCodec<RoadConfig, RoadLayer> = {
  type: 'ROAD',
  tensor: /\.(road_theta|road_alpha)$/,
  options: ['variant', 'group_size'],
  fromPeft(j) {
    const variant = j.raw('variant');
    if (variant !== undefined && variant !== null && !(ROAD_VARIANTS as readonly unknown[]).includes(variant)) {
      peftConfigError(`variant=${describeValue(variant)} must be one of ${ROAD_VARIANTS.join(', ')}`);
    }
    return { variant: (variant ?? undefined) as RoadConfig['variant'], groupSize: j.num('group_size') };
  },
  toPeft(c) {
    // PEFT's RoadConfig has no exclude_modules (undefined leaves it out of the JSON); target_modules lists the adapted layers.
    return { variant: c.variant, group_size: c.groupSize, init_weights: true, exclude_modules: undefined };
  },
  save(layer) {
    return { road_theta: tf.clone(layer.theta), road_alpha: tf.clone(layer.alpha) };
  },
  load(layer, tensors, where) {
    const n = layer.theta.shape[0]!;
    const [theta, alpha] = NAMES.map((name) => peftTensor(tensors, name, [n], where));
    checkNoExtraTensors(tensors, NAMES, where, 'for RoAd');
    layer.theta.assign(theta!);
    layer.alpha.assign(alpha!);
  },
};
