// Autoregressive decoding of a causal LM with a KV cache: the prompt in one forward pass, then one
// token per step over the cached keys and values. Greedy or sampled (temperature, then top-k, then
// top-p, the order of transformers' logits processors), stopping at a stop token (kept in the output,
// as transformers does) or after maxNewTokens. One readback per token: the chosen id (greedy, an
// argmax on the device) or the last position's logits (sampling).
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, describeValue } from '@weft/core';
import type { HfCausalLM } from './decoder.js';
import type { Gpt2LM } from './gpt2.js';
import { KVCache } from './kv-cache.js';

/** A causal LM {@link generate} decodes. */
export type CausalLM = HfCausalLM | Gpt2LM;

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Tokens to generate at most. Default: 32. */
  maxNewTokens?: number;
  /** Softmax temperature; 0 is greedy (argmax). Default: 0. */
  temperature?: number;
  /** Sample among the k most likely tokens only (0 = all). Default: 0. */
  topK?: number;
  /** Sample among the smallest set of most likely tokens whose probability reaches p (1 = all). Default: 1. */
  topP?: number;
  /** Token ids that end generation (kept in the output). Default: none. */
  stopTokens?: number[];
  /** Seed of the sampling stream. Default: 0. */
  seed?: number;
  /** Decode over a KV cache (false recomputes the whole sequence per token, for comparison). Default: true. */
  useCache?: boolean;
  /** Called with each new token id as it is chosen. */
  onToken?: (id: number) => void;
}

const GENERATE_KEYS = configKeys<GenerateOptions>({ maxNewTokens: true, temperature: true, topK: true, topP: true, stopTokens: true, seed: true, useCache: true, onToken: true });

/** What {@link generate} returns. */
export interface Generation {
  /** The new token ids (the stop token included when one ended it). */
  tokens: number[];
  /** Why it ended. */
  finish: 'stop' | 'length';
}

/** Sampling options of {@link sampleToken}. */
export interface SampleOptions {
  temperature: number;
  topK: number;
  topP: number;
}

/**
 * Draw a token id from `logits` (one position's, length V): greedy when temperature is 0; else
 * softmax(logits / T) restricted to the top-k, then to the top-p nucleus, renormalised.
 */
export function sampleToken(logits: ArrayLike<number>, o: SampleOptions, rng: Rng): number {
  const V = logits.length;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
  if (o.temperature === 0) return best;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const keep = order.slice(0, o.topK > 0 ? Math.min(o.topK, V) : V);
  const max = logits[best]! / o.temperature;
  const w = keep.map((i) => Math.exp(logits[i]! / o.temperature - max));
  const total = w.reduce((a, b) => a + b, 0);
  let n = keep.length;
  if (o.topP < 1) {
    // Smallest prefix whose probability reaches topP (at least one token).
    let c = 0;
    for (n = 0; n < keep.length; ) {
      c += w[n]! / total;
      n++;
      if (c >= o.topP) break;
    }
  }
  const mass = w.slice(0, n).reduce((a, b) => a + b, 0);
  let u = rng.next() * mass;
  for (let j = 0; j < n; j++) {
    u -= w[j]!;
    if (u <= 0) return keep[j]!;
  }
  return keep[n - 1]!;
}

function checkOptions(o: GenerateOptions, vocab: number): Required<Omit<GenerateOptions, 'onToken'>> {
  checkKnownKeys('generate: options', o, GENERATE_KEYS);
  const r = {
    maxNewTokens: o.maxNewTokens ?? 32, temperature: o.temperature ?? 0, topK: o.topK ?? 0, topP: o.topP ?? 1,
    stopTokens: o.stopTokens ?? [], seed: o.seed ?? 0, useCache: o.useCache ?? true,
  };
  if (!Number.isSafeInteger(r.maxNewTokens) || r.maxNewTokens < 0) throw new Error(`generate: maxNewTokens=${describeValue(r.maxNewTokens)} must be an integer ≥ 0`);
  if (!(Number.isFinite(r.temperature) && r.temperature >= 0)) throw new Error(`generate: temperature=${describeValue(r.temperature)} must be a finite number ≥ 0 (0 = greedy)`);
  if (!Number.isSafeInteger(r.topK) || r.topK < 0) throw new Error(`generate: topK=${describeValue(r.topK)} must be an integer ≥ 0 (0 = no limit)`);
  if (!(r.topP > 0 && r.topP <= 1)) throw new Error(`generate: topP=${describeValue(r.topP)} must be in (0, 1]`);
  if (!Array.isArray(r.stopTokens) || !r.stopTokens.every((t) => Number.isSafeInteger(t) && t >= 0 && t < vocab)) {
    throw new Error(`generate: stopTokens=${describeValue(r.stopTokens)} must be token ids in [0, ${vocab})`);
  }
  return r;
}

/** Generate up to `maxNewTokens` tokens after `prompt` (token ids, batch 1). */
export async function generate(model: CausalLM, prompt: number[], options: GenerateOptions = {}): Promise<Generation> {
  const vocab = model.spec.vocabSize;
  const o = checkOptions(options, vocab);
  if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every((t) => Number.isSafeInteger(t) && t >= 0 && t < vocab)) {
    throw new Error(`generate: prompt=${describeValue(prompt)} must be a non-empty list of token ids in [0, ${vocab})`);
  }
  const limit = model.spec.maxPositions;
  if (model.spec.kind === 'gpt2' && prompt.length + o.maxNewTokens > limit) {
    throw new Error(`generate: ${prompt.length} prompt + ${o.maxNewTokens} new tokens exceed n_positions=${limit}`);
  }
  const rng = new Rng(o.seed);
  const stop = new Set(o.stopTokens);
  const cache = o.useCache ? new KVCache(model.spec.numLayers) : null;
  const ctx = new ForwardContext({ training: false });
  const seq = [...prompt];
  const tokens: number[] = [];
  try {
    let next = prompt;
    while (tokens.length < o.maxNewTokens) {
      const input = cache ? next : seq;
      const out = tf.tidy(() => {
        const ids = tf.tensor2d(input, [1, input.length], 'int32');
        const logits = model.forward({ ids, cache }, ctx); // (1, T, V)
        const last = tf.reshape(tf.slice(logits, [0, input.length - 1, 0], [1, 1, vocab]), [vocab]); // (1, 1, V) -> (V)
        return o.temperature === 0 ? tf.argMax(last) : last;
      });
      const values = await out.data().finally(() => out.dispose());
      const id = o.temperature === 0 ? values[0]! : sampleToken(values, o, rng);
      tokens.push(id);
      seq.push(id);
      options.onToken?.(id);
      if (stop.has(id)) return { tokens, finish: 'stop' };
      next = [id];
    }
    return { tokens, finish: 'length' };
  } finally {
    cache?.dispose();
  }
}
