// Writes packages/nas/src/ranking/table.ts (run by scripts/nas-ranking-table.mjs, which sets
// WEFT_NAS_RANKING_WRITE=1; without it this file refuses to run, so a stray run writes nothing).
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { Rng, softmaxCrossEntropy } from '@weft/core';
import {
  FewShotGmSearch, RANKING_BENCHMARKS, SubnetNetwork, benchmarkData, benchmarkSubnets, createEntangledSearch, gradNorm, gradSign, naswot, rankingBenchmark, runSearch, snip,
  subnetKey, subnetParams, supernetAccuracies, synflowLog, trainStandalone, type RankingTable,
} from '@weft/nas';

/** Supernet training of the table: steps per benchmark (AlphaNet's sandwich steps run 4 subnets: fewer), batch 64, seeds 0–2. */
const SUPERNET_STEPS = { vector: 2000, conv8: 1500 } as const;
const SANDWICH_STEPS = { vector: 1000, conv8: 500 } as const;
const SUPERNET_SEEDS = [0, 1, 2];
/** The supernets ranked: key, method, config, steps, how. */
const SUPERNETS = (steps: number, sandwich: number) => [
  ['spos', 'spos-entangled', {}, steps, 'SPOS: uniform sampling, Adam 0.01'],
  ['fair', 'spos-entangled', { sampling: 'fair' }, steps, 'SPOS with fair sampling (each choice equally often)'],
  ['cosine', 'spos-entangled', { lrSchedule: { totalSteps: steps, warmupSteps: steps / 10, decay: 'cosine' } }, steps, 'SPOS with 10% linear warm-up and cosine decay of the rate'],
  ['fewshot_gm', 'few-shot-gm', { splitStep: steps / 4, splits: 2 }, steps, 'few-shot NAS: split at 25% of the steps at the 2 decisions of least gradient matching (4 sub-supernets)'],
  ['alphanet_alpha', 'alphanet', {}, sandwich, 'AlphaNet: sandwich steps, in-place distillation by the adaptive α-divergence'],
  ['alphanet_kl', 'alphanet', { divergence: 'kl' }, sandwich, 'sandwich steps, in-place distillation by KL'],
] as const;

it('writes the ranking table', async () => {
  if (process.env.WEFT_NAS_RANKING_WRITE !== '1') throw new Error('run through node scripts/nas-ranking-table.mjs');
  const tables: RankingTable[] = [];
  for (const name of RANKING_BENCHMARKS) {
    const t0 = performance.now();
    const b = rankingBenchmark(name);
    const subnets = benchmarkSubnets(b);
    const data = benchmarkData(b);
    const scores: Record<string, number[]> = { params: [], grad_norm: [], snip: [], synflow: [], gradsign: [] };
    const notes: Record<string, string> = {
      params: 'parameter count',
      grad_norm: 'grad-norm at initialisation (init seed 0), the first 64 training examples',
      snip: 'SNIP at initialisation, same network and batch',
      synflow: 'log SynFlow at initialisation, same network',
      gradsign: 'GradSign at initialisation, same network and batch',
    };
    if (b.space.activationChoices.length === 1) {
      scores.naswot = [];
      notes.naswot = 'NASWOT at initialisation, same network and batch';
    }
    const rows = [];
    // A SubnetNetwork has the same parameter count as the supernet slice (subnetParams).
    const probe = createEntangledSearch('spos-entangled', b.space, softmaxCrossEntropy, {}, 0);
    for (const [i, s] of subnets.entries()) {
      const standalone: number[] = [];
      for (const seed of b.standalone.seeds) standalone.push(await trainStandalone(b, data, s, seed));
      const net = new SubnetNetwork(b.space, s, new Rng(0));
      const x = tf.slice(data.train.x, 0, 64);
      const y = tf.slice(data.train.y, 0, 64);
      const p = { model: net, x, y, loss: softmaxCrossEntropy };
      scores.params!.push(subnetParams(probe.net, s));
      scores.grad_norm!.push(await gradNorm(p));
      scores.snip!.push(await snip(p));
      scores.synflow!.push(await synflowLog(p));
      scores.gradsign!.push(await gradSign(p));
      if (scores.naswot) scores.naswot.push(await naswot(p));
      tf.dispose([x, y]);
      net.dispose();
      rows.push({ subnet: s, key: subnetKey(s), params: scores.params!.at(-1)!, standalone });
      console.log(`[${name}] ${i + 1}/${subnets.length} ${subnetKey(s)}: ${standalone.map((a) => a.toFixed(3)).join(' ')}`);
    }
    probe.searcher.dispose();
    probe.net.dispose();
    for (const [key, method, config, steps, how] of SUPERNETS(SUPERNET_STEPS[name], SANDWICH_STEPS[name])) {
      for (const seed of SUPERNET_SEEDS) {
        const { net, searcher } = createEntangledSearch(method, b.space, softmaxCrossEntropy, { ...config, search: 'random', candidates: 1, seed }, seed);
        await runSearch({ searcher, train: data.train, val: data.val, steps, batchSize: 64, seed, reportEvery: steps });
        const fs = searcher instanceof FewShotGmSearch ? searcher : null;
        scores[`supernet_${key}_seed${seed}`] = await supernetAccuracies(fs ? (s) => fs.netFor(s) : net, subnets, data.val);
        notes[`supernet_${key}_seed${seed}`] = `held-out accuracy with the weights of a supernet trained by ${how} (${steps} steps of 64, seed ${seed})`;
        searcher.dispose();
        net.dispose();
      }
      console.log(`[${name}] supernets ${key} done`);
    }
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
    tables.push({ benchmark: name, rows, scores, notes, seconds: Math.round((performance.now() - t0) / 1000) });
  }
  const body = tables.map((t) => `  ${t.benchmark}: ${JSON.stringify(t)},`).join('\n');
  writeFileSync(
    new URL('../../packages/nas/src/ranking/table.ts', import.meta.url),
    `// Generated by scripts/nas-ranking-table.mjs (tfjs wasm): the ranking benchmark's cached stand-alone
// accuracies and other rankings of the same subnets. Do not edit by hand; rerun the script.
import type { RankingBenchmarkName, RankingTable } from './benchmark.js';

/** The cached table of each ranking benchmark. */
export const RANKING_TABLES: Record<RankingBenchmarkName, RankingTable> = {
${body}
};
`,
  );
});
