// Poly's PEFT form (peft_type POLY): poly_lora_A [Q, S, in/Q, r], poly_lora_B [Q, S, r, out/Q] and
// poly_router.module_logits [T, Q·S], stored as Weft keeps them; r, n_tasks, n_skills, n_splits, poly_type.
import * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '@weft/core';
import { checkNoExtraTensors, peftConfigError, peftTensor, type PeftCodec } from '../peft-codec.js';
import type { PolyConfig } from './config.js';
import type { PolyLayer } from './layer.js';

const NAMES = ['poly_lora_A', 'poly_lora_B', 'poly_router.module_logits'];

/** Poly's PEFT codec. */
export const POLY_PEFT: PeftCodec<PolyConfig, PolyLayer> = {
  type: 'POLY',
  tensor: /\.(poly_lora_A|poly_lora_B|poly_router\.module_logits)$/,
  options: ['r', 'n_tasks', 'n_skills', 'n_splits', 'poly_type'],
  fromPeft(j) {
    const type = j.raw('poly_type');
    if (type !== undefined && type !== null && type !== 'poly') peftConfigError(`poly_type=${describeValue(type)} must be "poly"`);
    return { r: j.num('r'), nTasks: j.num('n_tasks'), nSkills: j.num('n_skills'), nSplits: j.num('n_splits') };
  },
  toPeft(c) {
    return { r: c.r, n_tasks: c.nTasks, n_skills: c.nSkills, n_splits: c.nSplits, poly_type: c.polyType, init_weights: true };
  },
  save(layer) {
    return { poly_lora_A: tf.clone(layer.loraA), poly_lora_B: tf.clone(layer.loraB), 'poly_router.module_logits': tf.clone(layer.logits) };
  },
  load(layer, tensors, where) {
    const [a, b, z] = [layer.loraA, layer.loraB, layer.logits].map((v, i) => peftTensor(tensors, NAMES[i]!, v.shape, where));
    checkNoExtraTensors(tensors, NAMES, where, 'for Poly');
    layer.loraA.assign(a!);
    layer.loraB.assign(b!);
    layer.logits.assign(z!);
  },
};
