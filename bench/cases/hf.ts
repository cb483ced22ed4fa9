// @weft/hf benchmark cases (wasm) on a 4-layer, d=256 llama built from a config: a forward pass
// against the time of its own matmuls (the GEMM rate measured on the same shapes in the same run),
// a LoRA training step against a forward pass on the same tokens, and decoding speed with and
// without the KV cache.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, initBackend } from '@weft/core';
import { injectAdapter } from '@weft/sharing';
import { buildTransformersModel, generate, type HfCausalLM } from '@weft/hf';
import { medianMs, type BenchCase } from '../case.js';

const D = 256;
const LAYERS = 4;
const HEADS = 4;
const FFN = 688;
const VOCAB = 2048;
const T = 128;
const CONFIG = {
  model_type: 'llama', vocab_size: VOCAB, hidden_size: D, intermediate_size: FFN, num_hidden_layers: LAYERS, num_attention_heads: HEADS,
  num_key_value_heads: HEADS, max_position_embeddings: 512, rms_norm_eps: 1e-5,
};

async function useWasm(): Promise<void> {
  const r = await initBackend({ prefer: ['wasm'], fallback: false });
  if (r.backend !== 'wasm') throw new Error(`bench needs wasm: ${JSON.stringify(r.reasons)}`);
}

const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;

function build(): HfCausalLM {
  return buildTransformersModel(CONFIG, 1).model.eval() as HfCausalLM;
}

function tokens(seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  return tf.tensor2d(Array.from({ length: T }, () => Math.floor(rng.next() * VOCAB)), [1, T], 'int32');
}

async function forwardMs(model: HfCausalLM, ids: tf.Tensor, n: number): Promise<number> {
  return medianMs(async () => {
    const y = tf.tidy(() => model.call(ids));
    await y.data();
    y.dispose();
  }, n, 2);
}

export const cases: BenchCase[] = [
  {
    name: 'hf.forward_vs_matmul_roofline',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const model = build();
      const ids = tokens(2);
      // The forward's matmuls per layer: q, k, v, o (T×D·D×D), gate, up (T×D·D×F), down (T×F·F×D),
      // scores and weighted values per head (T×Dh·Dh×T, T×T·T×Dh); then the head (T×D·D×V).
      const Dh = D / HEADS;
      const r = (shape: number[]) => tf.randomNormal(shape);
      const xD = r([T, D]);
      const xF = r([T, FFN]);
      const wDD = r([D, D]);
      const wDF = r([D, FFN]);
      const wFD = r([FFN, D]);
      const wDV = r([D, VOCAB]);
      const q = r([HEADS, T, Dh]);
      const p = r([HEADS, T, T]);
      const matmuls = async () => {
        const outs: tf.Tensor[] = [];
        for (let l = 0; l < LAYERS; l++) {
          for (let i = 0; i < 4; i++) outs.push(tf.matMul(xD, wDD));
          outs.push(tf.matMul(xD, wDF), tf.matMul(xD, wDF), tf.matMul(xF, wFD));
          outs.push(tf.matMul(q, q, false, true), tf.matMul(p, q));
        }
        outs.push(tf.matMul(xD, wDV));
        await outs.at(-1)!.data();
        tf.dispose(outs);
      };
      const fwd: number[] = [];
      const mm: number[] = [];
      for (let k = 0; k < 5; k++) {
        mm.push(await medianMs(matmuls, 5, 1));
        fwd.push(await forwardMs(model, ids, 5));
      }
      const flop = 2 * (LAYERS * (4 * T * D * D + 3 * T * D * FFN + 2 * T * T * D) + T * D * VOCAB);
      tf.dispose([ids, xD, xF, wDD, wDF, wFD, wDV, q, p]);
      model.dispose();
      return {
        value: med(fwd) / med(mm),
        detail: { forwardMs: med(fwd), matmulsMs: med(mm), gflopPerForward: flop / 1e9, matmulGflops: flop / 1e9 / (med(mm) / 1000), forwardGflops: flop / 1e9 / (med(fwd) / 1000), layers: LAYERS, dim: D, tokens: T },
      };
    },
  },
  {
    name: 'hf.lora_step_vs_forward',
    unit: 'ratio',
    backend: 'wasm',
    target: null,
    better: 'lower',
    async run() {
      await useWasm();
      const model = build();
      injectAdapter(model, 'default', { method: 'lora', targets: ['q_proj', 'v_proj'], r: 8 }, { rng: new Rng(3) });
      const ids = tokens(4);
      const labels = tf.oneHot(tf.reshape(tokens(5), [T]), VOCAB);
      const opt = tf.train.adam(1e-3);
      const vars = model.trainableParameters();
      const step = async () => {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, tf.reshape(model.call(ids), [T, VOCAB])) as tf.Scalar, true, vars)!;
        await loss.data();
        loss.dispose();
      };
      const stepMs: number[] = [];
      const fwd: number[] = [];
      await step();
      for (let k = 0; k < 5; k++) {
        stepMs.push(await medianMs(step, 3, 1));
        fwd.push(await forwardMs(model, ids, 3));
      }
      const trainable = vars.reduce((n, v) => n + v.size, 0);
      tf.dispose([ids, labels]);
      opt.dispose();
      model.dispose();
      return { value: med(stepMs) / med(fwd), detail: { loraStepMs: med(stepMs), forwardMs: med(fwd), trainableParams: trainable, r: 8, targets: 'q_proj,v_proj', tokens: T } };
    },
  },
  {
    name: 'hf.decode_tokens_per_s',
    unit: 'tokens/s',
    backend: 'wasm',
    target: null,
    better: 'higher',
    async run() {
      await useWasm();
      const model = build();
      const prompt = Array.from({ length: 16 }, (_, i) => (i * 37) % VOCAB);
      const N = 48;
      const rate = async (useCache: boolean) => {
        const t0 = performance.now();
        const g = await generate(model, prompt, { maxNewTokens: N, useCache });
        return g.tokens.length / ((performance.now() - t0) / 1000);
      };
      await rate(true);
      const cached: number[] = [];
      const uncached: number[] = [];
      for (let k = 0; k < 3; k++) {
        cached.push(await rate(true));
        uncached.push(await rate(false));
      }
      model.dispose();
      return { value: med(cached), detail: { cachedTokensPerS: med(cached), uncachedTokensPerS: med(uncached), cacheSpeedup: med(cached) / med(uncached), promptTokens: prompt.length, newTokens: N, greedy: true } };
    },
  },
];
