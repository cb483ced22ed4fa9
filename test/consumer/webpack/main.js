// A user's page, bundled by webpack 5 from the built @weft packages (resolved by name through their
// "exports", no aliases, no loaders, no resolve fallbacks): a TinyTransformer whose feed-forward
// parts are MoE layers, with a LoRA adapter injected into its attention, trains on a copy task in
// the browser. It calls `initBackend()` with no options, as the README does: headless Chromium's
// GPUs are software renderers, so Weft starts wasm from the binaries @weft/core ships, which webpack
// emits as assets from their `new URL(…, import.meta.url)` references. The result goes to
// `document.body.dataset.result` for test/consumer/consumers.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX, Rng, TinyTransformer, copyTask, initBackend, makeOptimizer, parameterLedger, softmaxCrossEntropy, train } from '@weft/core';
import { MoE } from '@weft/moe';
import { injectAdapter } from '@weft/sharing';

async function main() {
  const backend = await initBackend();
  const data = copyTask({ n: 64, length: 4, vocabSize: 6 }, 3);
  const [n, T] = data.xShape;
  const model = new TinyTransformer(
    { vocabSize: data.vocabSize, maxLen: T, dim: 16, depth: 1, numHeads: 2, ffn: (dim, rng) => new MoE({ dim, numExperts: 4, topK: 2, hidden: 32 }, rng) },
    new Rng(1),
  );
  const loraPaths = injectAdapter(model, 'lora', { method: 'lora', targets: ['q', 'v'], r: 4 }, { rng: new Rng(2), freezeBase: false });
  const ledger = parameterLedger(model).totals;
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
  const run = await train({
    steps: 150,
    model,
    optimizer,
    batch: () => ({ x: tf.tensor2d(data.x, [n, T], 'int32'), y: tf.tensor2d(data.y, [n, T], 'int32') }),
    loss: (logits, b) => softmaxCrossEntropy(logits, b.y, { ignoreIndex: IGNORE_INDEX }),
    reportEvery: 10,
  });
  optimizer.dispose();
  model.dispose();
  return {
    backend: backend.backend,
    reasons: backend.reasons,
    loraPaths,
    stored: ledger.stored,
    active: ledger.active,
    firstLoss: run.history[0].loss,
    finalLoss: run.finalLoss,
    steps: run.steps,
  };
}

main().then(
  (r) => {
    document.body.dataset.result = JSON.stringify(r);
    document.getElementById('status').textContent = `done: loss ${r.firstLoss} -> ${r.finalLoss}`;
  },
  (e) => {
    document.body.dataset.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
    document.getElementById('status').textContent = `failed: ${String(e)}`;
  },
);
