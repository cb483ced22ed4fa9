// Weft's aux losses against transformers' own values (test/fixtures/moe/losses.json, made by
// scripts/fixtures/make_fixtures.py with transformers 5.17 on random inputs): Mixtral's and
// Qwen2-MoE's `load_balancing_loss_func(gate_logits, num_experts, top_k, attention_mask)` over 1–3
// layers, k = 1–3, with and without left padding; Switch's `router_z_loss_func(router_logits)` and
// `load_balancing_loss_func(router_probs, expert_indices)`. Every case of the file is checked (a new
// one is covered, an unknown `fn` fails) to 1e-5 relative, float32's reach on sums of a few dozen terms.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { mixtralLoadBalancingLoss, routerZLoss, switchLoadBalancingLoss } from '../src/index.js';

/** One case of the fixture: transformers' function, its inputs, and the loss it returned. */
interface Case {
  fn: string;
  loss: number;
  gate_logits?: number[][][];
  num_experts?: number;
  top_k?: number;
  attention_mask?: number[][] | null;
  batch?: number;
  seq?: number;
  router_logits?: number[][][];
  router_probs?: number[][][];
  expert_indices?: number[][];
}

const CASES = JSON.parse(readFileSync(new URL('../../../test/fixtures/moe/losses.json', import.meta.url), 'utf8')) as Case[];
const RELATIVE_TOLERANCE = 1e-5;

function need<T>(c: Case, key: keyof Case): T {
  const value = c[key];
  if (value === undefined) throw new Error(`fixture case ${c.fn} lacks '${key}'`);
  return value as T;
}

/** Mixtral and Qwen2-MoE share the signature (gate_logits tuple of (B·T, E), num_experts, top_k, attention_mask (B, T)). */
function mixtralStyle(c: Case): tf.Scalar {
  const layers = need<number[][][]>(c, 'gate_logits');
  const e = need<number>(c, 'num_experts');
  const rows = need<number>(c, 'batch') * need<number>(c, 'seq');
  for (const l of layers) {
    expect(l.length, 'rows of a layer = batch · seq').toBe(rows);
    expect(l[0]!.length, 'columns = num_experts').toBe(e);
  }
  const mask = c.attention_mask;
  return tf.tidy(() => mixtralLoadBalancingLoss(
    layers.map((l) => tf.tensor2d(l)),
    mask ? { topK: need<number>(c, 'top_k'), attentionMask: tf.tensor2d(mask) } : { topK: need<number>(c, 'top_k') },
  ));
}

/** Weft's loss for a case, by transformers' function name. */
const WEFT: Record<string, (c: Case) => tf.Scalar> = {
  'mixtral.load_balancing_loss_func': mixtralStyle,
  'qwen2_moe.load_balancing_loss_func': mixtralStyle,
  'switch.router_z_loss_func': (c) => tf.tidy(() => routerZLoss(tf.tensor3d(need<number[][][]>(c, 'router_logits')))),
  'switch.load_balancing_loss_func': (c) => tf.tidy(() => switchLoadBalancingLoss({
    probs: tf.tensor3d(need<number[][][]>(c, 'router_probs')),
    indices: tf.tensor2d(need<number[][]>(c, 'expert_indices'), undefined, 'int32'),
  })),
};

describe("aux losses = transformers' on test/fixtures/moe/losses.json", () => {
  it('the fixture has every function Weft reproduces', () => {
    expect(new Set(CASES.map((c) => c.fn))).toEqual(new Set(Object.keys(WEFT)));
  });

  it.each(CASES.map((c, i) => [`${i}: ${c.fn}`, c] as const))('%s', async (_, c) => {
    const weft = WEFT[c.fn];
    if (!weft) throw new Error(`no Weft counterpart for transformers' ${c.fn}; known: ${Object.keys(WEFT).join(', ')}`);
    const before = tf.memory().numTensors;
    const t = weft(c);
    const got = (await t.data())[0]!;
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(got - c.loss) / Math.abs(c.loss), `Weft ${got}, transformers ${c.loss}`).toBeLessThan(RELATIVE_TOLERANCE);
  });
});
