// Every transformers fixture (test/fixtures/transformers/<name>: tiny random checkpoints and the
// logits transformers 5.17 computed for them) loaded into Weft and run on every backend: logits
// (BERT: last_hidden_state and pooler_output) equal transformers' to 2e-4 absolute (float32 on
// both sides; the difference is summation order), and the loaded parameter count equals
// transformers' num_parameters. Browser-safe: files are fetched through Vite's ?url imports.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeBackends } from '@weft/core/testing';
import { loadTransformers, type HfFiles } from '@weft/hf';

const NAMES = ['llama', 'llama3-rope', 'llama-tied', 'llama-f16', 'llama-sharded', 'mistral', 'qwen2', 'qwen3', 'qwen3-bf16', 'mixtral', 'qwen2_moe', 'qwen3_moe', 'olmoe', 'gpt2', 'bert'];
// Measured on wasm: at most 5e-7 for float32 checkpoints, 2e-5 for half-float ones (transformers
// computes those in their own dtype's rounding of the matmul inputs).
const tolOf = (dtype: unknown) => (dtype === 'float32' ? 5e-6 : 1e-4);

const urls = import.meta.glob('../../../test/fixtures/transformers/*/*', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

/** The fixture's files as (file name, glob key, served URL). */
function filesOf(name: string): Array<[string, string, string]> {
  return Object.entries(urls).flatMap(([key, url]) => {
    const m = /transformers\/([^/]+)\/([^/]+)$/.exec(key);
    return m && m[1] === name ? [[m[2]!, key, url] as [string, string, string]] : [];
  });
}

/** Bytes of a fixture file: from disk in Node, fetched from the dev server in a browser. */
async function bytesOf(key: string, url: string): Promise<Uint8Array> {
  if (typeof window === 'undefined') {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises');
    return new Uint8Array(await fs.readFile(new URL(key, import.meta.url)));
  }
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

async function fetchFiles(name: string): Promise<{ files: HfFiles; expected: Record<string, unknown> }> {
  const files: HfFiles = {};
  let expected: Record<string, unknown> = {};
  for (const [file, key, url] of filesOf(name)) {
    const bytes = await bytesOf(key, url);
    if (file === 'case.json') expected = JSON.parse(new TextDecoder().decode(bytes));
    else files[file] = bytes;
  }
  return { files, expected };
}

function maxAbsDiff(a: ArrayLike<number>, b: number[]): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

describeBackends('transformers fixtures', () => {
  for (const name of NAMES) {
    it(`${name}: Weft's outputs equal transformers 5.17's`, async () => {
      const { files, expected } = await fetchFiles(name);
      const loaded = await loadTransformers(files);
      const TOL = tolOf(expected['weights_dtype']);
      const ids = tf.tensor2d(expected['input_ids'] as number[][], undefined, 'int32');
      loaded.model.eval();
      const nParams = loaded.model.parameters().reduce((n, v) => n + v.size, 0);
      expect(nParams).toBe(expected['num_parameters']);
      if (loaded.spec.kind === 'bert') {
        const out = tf.tidy(() => (loaded.model as import('@weft/hf').BertModel).call(ids));
        expect(maxAbsDiff(await out.lastHiddenState.data(), (expected['last_hidden_state'] as number[][][]).flat(2))).toBeLessThan(TOL);
        expect(maxAbsDiff(await out.poolerOutput.data(), (expected['pooler_output'] as number[][]).flat())).toBeLessThan(TOL);
        tf.dispose([out.lastHiddenState, out.poolerOutput]);
      } else {
        const logits = tf.tidy(() => (loaded.model as import('@weft/hf').HfCausalLM).call(ids));
        expect(maxAbsDiff(await logits.data(), (expected['logits'] as number[][][]).flat(2))).toBeLessThan(TOL);
        logits.dispose();
      }
      ids.dispose();
      loaded.model.dispose();
    });
  }
});
