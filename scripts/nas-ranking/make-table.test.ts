// Writes packages/nas/src/ranking/table.ts (run by scripts/nas-ranking-table.mjs, which sets
// WEFT_NAS_RANKING_WRITE=1; without it this file refuses to run, so a stray run writes nothing).
// WEFT_NAS_RANKING_METHODS (comma-separated keys of SUPERNETS, and/or 'proxies') adds or replaces
// only those rankings in the committed table, keeping its stand-alone rows and other scores; the
// table is rewritten after each method's seeds on each benchmark, so a stopped run keeps what it made.
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { Rng, softmaxCrossEntropy } from '@weft/core';
import {
  RANKING_BENCHMARKS, RANKING_TABLES, SubnetNetwork, benchmarkData, benchmarkSubnets, createEntangledSearch, gradNorm, gradSign, naswot, rankingBenchmark, runSearch, snip,
  subnetKey, subnetParams, supernetAccuracies, synflowLog, trainStandalone, type Batch, type RankingBenchmark, type RankingTable, type SubnetConfig, type SubnetRunner,
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
  ['mixture_supernet', 'mixture-supernet', {}, steps, 'Mixture-of-Supernets: 2 expert copies of every weight mixed by a router from the subnet encoding, Adam 0.01'],
  ['smash', 'smash', {}, steps, 'SMASH: a HyperNet (hidden 32) generating every weight from the subnet encoding, Adam 0.003'],
] as const;

/** Rankings of one benchmark that need no training: proxies at initialisation and parameter counts. */
async function proxyScores(b: RankingBenchmark, data: { train: Batch; val: Batch }, subnets: SubnetConfig[]) {
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
  // A SubnetNetwork has the same parameter count as the supernet slice (subnetParams).
  const probe = createEntangledSearch('spos-entangled', b.space, softmaxCrossEntropy, {}, 0);
  for (const s of subnets) {
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
  }
  probe.searcher.dispose();
  probe.net.dispose();
  return { scores, notes };
}

/** One supernet training's ranking scores: held-out accuracy of every subnet on its inherited (or generated) weights. */
async function supernetScores(b: RankingBenchmark, data: { train: Batch; val: Batch }, subnets: SubnetConfig[], method: string, config: object, steps: number, seed: number) {
  const { net, searcher } = createEntangledSearch(method, b.space, softmaxCrossEntropy, { ...config, search: 'random', candidates: 1, seed }, seed);
  await runSearch({ searcher, train: data.train, val: data.val, steps, batchSize: 64, seed, reportEvery: steps });
  // Few-shot parts, the mixture and the HyperNet say which module runs a subnet.
  const holder = searcher as { netFor?: (s: SubnetConfig) => SubnetRunner };
  const out = await supernetAccuracies(holder.netFor ? (s) => holder.netFor!(s) : net, subnets, data.val);
  searcher.dispose();
  net.dispose();
  return out;
}

/** Write `tables` to packages/nas/src/ranking/table.ts. */
function writeTables(tables: RankingTable[]): void {
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
}

/** The methods WEFT_NAS_RANKING_METHODS names (null: make the whole table). */
function selectedMethods(): string[] | null {
  const v = process.env.WEFT_NAS_RANKING_METHODS;
  if (!v) return null;
  const allowed = ['proxies', ...SUPERNETS(1, 1).map((s) => s[0])];
  const names = v.split(',').map((n) => n.trim()).filter(Boolean);
  for (const n of names) if (!allowed.includes(n)) throw new Error(`WEFT_NAS_RANKING_METHODS: '${n}' is unknown; allowed: ${allowed.join(', ')}`);
  return names;
}

it('adds the selected rankings to the committed table', async () => {
  const methods = selectedMethods();
  if (methods === null) return;
  if (process.env.WEFT_NAS_RANKING_WRITE !== '1') throw new Error('run through node scripts/nas-ranking-table.mjs');
  const tables = RANKING_BENCHMARKS.map((n) => structuredClone(RANKING_TABLES[n]));
  for (const method of methods) {
    for (const t of tables) {
      const b = rankingBenchmark(t.benchmark);
      const subnets = benchmarkSubnets(b);
      if (subnets.some((s, i) => subnetKey(s) !== t.rows[i]!.key)) throw new Error(`the committed ${t.benchmark} table's rows are not this benchmark's subnets: rerun the whole table`);
      const data = benchmarkData(b);
      const t0 = performance.now();
      if (method === 'proxies') {
        const p = await proxyScores(b, data, subnets);
        Object.assign(t.scores, p.scores);
        Object.assign(t.notes, p.notes);
      } else {
        const [key, m, config, steps, how] = SUPERNETS(SUPERNET_STEPS[t.benchmark], SANDWICH_STEPS[t.benchmark]).find((s) => s[0] === method)!;
        for (const seed of SUPERNET_SEEDS) {
          t.scores[`supernet_${key}_seed${seed}`] = await supernetScores(b, data, subnets, m, config, steps, seed);
          t.notes[`supernet_${key}_seed${seed}`] = `held-out accuracy with the weights of a supernet trained by ${how} (${steps} steps of 64, seed ${seed})`;
        }
      }
      tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
      t.seconds += Math.round((performance.now() - t0) / 1000);
      writeTables(tables);
      console.log(`[${t.benchmark}] ${method} done in ${Math.round((performance.now() - t0) / 1000)} s`);
    }
  }
});

it('writes the whole ranking table', async () => {
  if (selectedMethods() !== null) return;
  if (process.env.WEFT_NAS_RANKING_WRITE !== '1') throw new Error('run through node scripts/nas-ranking-table.mjs');
  const tables: RankingTable[] = [];
  for (const name of RANKING_BENCHMARKS) {
    const t0 = performance.now();
    const b = rankingBenchmark(name);
    const subnets = benchmarkSubnets(b);
    const data = benchmarkData(b);
    const rows = [];
    for (const [i, s] of subnets.entries()) {
      const standalone: number[] = [];
      for (const seed of b.standalone.seeds) standalone.push(await trainStandalone(b, data, s, seed));
      rows.push({ subnet: s, key: subnetKey(s), params: 0, standalone });
      console.log(`[${name}] ${i + 1}/${subnets.length} ${subnetKey(s)}: ${standalone.map((a) => a.toFixed(3)).join(' ')}`);
    }
    const { scores, notes } = await proxyScores(b, data, subnets);
    rows.forEach((r, i) => (r.params = scores.params![i]!));
    for (const [key, method, config, steps, how] of SUPERNETS(SUPERNET_STEPS[name], SANDWICH_STEPS[name])) {
      for (const seed of SUPERNET_SEEDS) {
        scores[`supernet_${key}_seed${seed}`] = await supernetScores(b, data, subnets, method, config, steps, seed);
        notes[`supernet_${key}_seed${seed}`] = `held-out accuracy with the weights of a supernet trained by ${how} (${steps} steps of 64, seed ${seed})`;
      }
      console.log(`[${name}] supernets ${key} done`);
    }
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
    tables.push({ benchmark: name, rows, scores, notes, seconds: Math.round((performance.now() - t0) / 1000) });
  }
  writeTables(tables);
});
