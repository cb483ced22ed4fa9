// A user's Node script: plain `node main.mjs`, no bundler and no transform. Each @weft package
// resolves by name through its package.json "exports" to the built dist/, as after `npm install`.
// It trains a TinyTransformer whose feed-forward parts are MoE layers on a copy task, adapts it
// to reversing with a LoRA adapter on the frozen base, and runs a few DARTS steps on a planted cell. It prints
// one line `RESULT {json}` for test/consumer/consumers.test.ts and exits 1 on the first failure.
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX, Rng, TinyTransformer, copyTask, reverseTask, initBackend, makeOptimizer, mse, parameterLedger, softmaxCrossEntropy, train } from '@weft/core';
import { MoE } from '@weft/moe';
import { injectAdapter } from '@weft/sharing';
import { createCellSearch, plantedCellTask, runSearch } from '@weft/nas';
import { buildTransformersModel, loadTransformers, saveTransformers } from '@weft/hf';

function check(ok, message) {
  if (!ok) {
    console.error(`consumer-node: ${message}`);
    process.exit(1);
  }
}

const resolved = Object.fromEntries(['@weft/core', '@weft/sharing', '@weft/moe', '@weft/nas', '@weft/hf'].map((p) => [p, import.meta.resolve(p)]));
for (const [p, url] of Object.entries(resolved)) check(/\/dist\/index\.js$/.test(url), `${p} resolved to ${url}, not its dist/`);

const backend = await initBackend({ prefer: ['wasm', 'cpu'] });

// Copy, then reverse, 4 tokens; decoder-only layout: [s1..s4, SEP, t1..t3] -> [IGNORE x4, t1..t4].
const copy = copyTask({ n: 64, length: 4, vocabSize: 6 }, 3);
const reverse = reverseTask({ n: 64, length: 4, vocabSize: 6 }, 4);
const [n, T] = copy.xShape;
const model = new TinyTransformer(
  { vocabSize: copy.vocabSize, maxLen: T, dim: 16, depth: 1, numHeads: 2, ffn: (dim, rng) => new MoE({ dim, numExperts: 4, topK: 2, hidden: 32 }, rng) },
  new Rng(1),
);
const ledger = parameterLedger(model).totals;
check(ledger.active < ledger.stored, `MoE: active per token ${ledger.active} should be below stored ${ledger.stored}`);

const loss = (logits, b) => softmaxCrossEntropy(logits, b.y, { ignoreIndex: IGNORE_INDEX });
async function fit(data, steps, learningRate) {
  const optimizer = makeOptimizer({ name: 'adam', learningRate });
  const batch = () => ({ x: tf.tensor2d(data.x, [n, T], 'int32'), y: tf.tensor2d(data.y, [n, T], 'int32') });
  const r = await train({ steps, model, optimizer, batch, loss, reportEvery: 10 });
  optimizer.dispose();
  return { first: r.history[0].loss, last: r.finalLoss };
}

const base = await fit(copy, 150, 0.01);
check(base.last < base.first * 0.8, `pretraining: loss ${base.first} -> ${base.last} did not fall by 20%`);

// LoRA on the attention projections, trained on reversing; the base is frozen (PEFT's default).
const frozen = model.tokens.weight;
const before = await frozen.data();
const paths = injectAdapter(model, 'lora', { method: 'lora', targets: ['q', 'v'], r: 4 }, { rng: new Rng(2) });
check(paths.length === 2, `LoRA injected into ${paths.join(', ')}; expected the q and v projections`);
const adapted = await fit(reverse, 150, 0.02);
check(adapted.last < adapted.first * 0.8, `LoRA fine-tuning: loss ${adapted.first} -> ${adapted.last} did not fall by 20%`);
const after = await frozen.data();
check(before.every((v, i) => v === after[i]), 'LoRA fine-tuning changed the frozen token embedding');
const trainable = parameterLedger(model).totals.trainable;

// DARTS on a planted one-node vector cell.
const space = { space: 'vector', steps: 1, multiplier: 1, channels: 4, inChannels: 4, numOutputs: 4, ops: ['none', 'relu', 'tanh'] };
const task = plantedCellTask(space, 1, { n: 256 });
const { net, searcher } = createCellSearch('darts', space, mse, {}, 1);
const search = await runSearch({ searcher, train: task, val: task, steps: 20, batchSize: 64, reportEvery: 10 });
check(search.result.normal.length > 0, `DARTS returned no genotype: ${JSON.stringify(search.result)}`);
searcher.dispose();
net.dispose();
tf.dispose([task.x, task.y]);

// A tiny llama config built, saved in transformers' layout and loaded back by @weft/hf.
const llamaConfig = { model_type: 'llama', vocab_size: 16, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 16, rms_norm_eps: 1e-5 };
const built = buildTransformersModel(llamaConfig, 3);
const saved = await saveTransformers(built);
const loadedHf = await loadTransformers({ 'config.json': new TextEncoder().encode(saved.config), 'model.safetensors': saved.safetensors });
const hfIds = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
const [a, b] = [built.model.call(hfIds), loadedHf.model.call(hfIds)];
const [la, lb] = [await a.data(), await b.data()];
const hfSame = la.length === lb.length && la.every((v, i) => v === lb[i]);
check(hfSame, '@weft/hf: a saved and reloaded llama gives other logits');
tf.dispose([a, b, hfIds]);
built.model.dispose();
loadedHf.model.dispose();

model.dispose();
const result = { resolved, backend: backend.backend, stored: ledger.stored, active: ledger.active, base, adapted, loraPaths: paths, trainableAfterLora: trainable, genotype: search.result, numTensors: tf.memory().numTensors };
console.log(`RESULT ${JSON.stringify(result)}`);
