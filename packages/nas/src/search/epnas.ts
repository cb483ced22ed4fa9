// Efficient Progressive Neural Architecture Search (EPNAS, arXiv 1808.00391), after PNAS' sequential
// model-based optimisation, on the weight-entangled space: the steps train a supernet by uniform
// single-path sampling (weight sharing, as EPNAS), and `result(val)` searches progressively — stage 1
// evaluates every one-layer network on the supernet; each later stage expands the networks of the
// stage before by one more layer (every choice of its width, kernel and activation), a surrogate
// fitted to every evaluation so far predicts the validation loss of each expansion, and `beam` of them
// are evaluated: drawn with probability ∝ exp(−(pred − min pred) / (temperature · spread of preds)),
// EPNAS' relaxation of PNAS' greedy top-K (temperature 0 = PNAS: the `beam` best predictions). The
// best network evaluated wins. Departures: the cell's blocks are the network's layers (the entangled
// space has no cells); the surrogate is ridge regression on the encoding (depth and each used
// layer's one-hots), not PNAS' LSTM/MLP ensemble.
import * as tf from '@tensorflow/tfjs-core';
import { ForwardContext, Rng, checkKnownKeys, configKeys, type OptimizerConfig, type StepContext, type StepOutput } from '@weft/core';
import { checkInt, checkNumber } from '@weft/core/internal';
import { smashEncoding } from '../entangled/hypernet.js';
import type { EntangledSpaceConfig, SubnetConfig } from '../entangled/space.js';
import type { EntangledSupernet } from '../entangled/supernet.js';
import type { Batch, SearchBatch, Searcher, TaskLoss } from './bilevel.js';
import type { EvolutionResult } from './evolution.js';
import { SPOS_ENTANGLED_DEFAULTS, SposEntangledSearch } from './spos-entangled.js';

/** Config of {@link EpnasSearch}. */
export interface EpnasConfig {
  /** Optimiser of the supernet's weights. Default Adam 0.01. */
  weightOptimizer: OptimizerConfig;
  /** Networks evaluated per stage after the first (PNAS' K). Default 4. */
  beam: number;
  /** Sampling temperature relative to the predictions' spread; 0 = greedy top-`beam` (PNAS). Default 1. */
  temperature: number;
  /** Ridge penalty λ of the surrogate. Default 0.01. */
  ridge: number;
  /** Seed of the draws. Default 0. */
  seed: number;
}

/** Every key of {@link EpnasConfig}. */
export const EPNAS_KEYS = configKeys<EpnasConfig>({ weightOptimizer: true, beam: true, temperature: true, ridge: true, seed: true });

/** Defaults of {@link EpnasConfig}. */
export const EPNAS_DEFAULTS: EpnasConfig = { weightOptimizer: { name: 'adam', learningRate: 0.01 }, beam: 4, temperature: 1, ridge: 0.01, seed: 0 };

/**
 * Ridge regression: the w minimising ‖Xw − y‖² + λ‖w‖² (the last column of X, if it is the constant
 * 1, is penalised too), solved from the normal equations (XᵀX + λI) w = Xᵀy by Gaussian elimination
 * with partial pivoting.
 */
export function ridgeFit(X: readonly (readonly number[])[], y: readonly number[], lambda: number): number[] {
  if (X.length === 0 || X.length !== y.length) throw new Error(`ridgeFit: X has ${X.length} rows and y ${y.length} values; both need the same, at least 1`);
  checkNumber('ridgeFit', 'lambda', lambda, 0);
  const d = X[0]!.length;
  // Augmented (d, d + 1): [XᵀX + λI | Xᵀy]
  const M = Array.from({ length: d }, (_, i) => {
    const row = Array.from({ length: d + 1 }, (_, j) => (j < d ? X.reduce((s, x) => s + x[i]! * x[j]!, 0) + (i === j ? lambda : 0) : X.reduce((s, x, n) => s + x[i]! * y[n]!, 0)));
    return row;
  });
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]!;
    if (Math.abs(piv) < 1e-12) continue; // a feature no row uses (λ = 0): its weight stays 0
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / piv;
      if (f !== 0) for (let j = c; j <= d; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  return M.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[d]! / row[i]!));
}

/** The networks one stage deeper than `s` (depth = the next depth choice, every choice of the new layers). */
export function expandSubnet(space: EntangledSpaceConfig, s: SubnetConfig): SubnetConfig[] {
  const next = space.depthChoices.find((d) => d > s.depth);
  if (next === undefined) return [];
  let out: SubnetConfig[] = [{ ...s, depth: next, widths: [...s.widths], kernels: s.kernels && [...s.kernels], activations: s.activations && [...s.activations] }];
  for (let l = s.depth; l < next; l++) {
    const grown: SubnetConfig[] = [];
    for (const base of out) {
      for (const w of space.widthChoices) {
        for (const k of space.kind === 'cnn' ? space.kernelChoices : [null]) {
          for (const a of space.activationChoices.length > 1 ? space.activationChoices : [null]) {
            const c: SubnetConfig = { ...base, widths: [...base.widths], kernels: base.kernels && [...base.kernels], activations: base.activations && [...base.activations] };
            c.widths[l] = w;
            if (k !== null) c.kernels![l] = k;
            if (a !== null) c.activations![l] = a;
            grown.push(c);
          }
        }
      }
    }
    out = grown;
  }
  if (out[0]!.kernels === undefined) for (const c of out) delete c.kernels;
  if (out[0]!.activations === undefined) for (const c of out) delete c.activations;
  return out;
}

/** Every network of the smallest depth (stage 1), choices past the depth set to the first. */
function firstStage(space: EntangledSpaceConfig): SubnetConfig[] {
  const D = space.depthChoices.at(-1)!;
  const seed: SubnetConfig = { depth: 0, widths: new Array(D).fill(space.widthChoices[0]!) };
  if (space.kind === 'cnn') seed.kernels = new Array(D).fill(space.kernelChoices[0]!);
  if (space.activationChoices.length > 1) seed.activations = new Array(D).fill(space.activationChoices[0]!);
  return expandSubnet({ ...space, depthChoices: [0, ...space.depthChoices] }, seed);
}

/** What {@link EpnasSearch.search} returns. */
export interface EpnasResult extends EvolutionResult<SubnetConfig> {
  /** Validation loss of each evaluation, in order. */
  losses: number[];
  /** Evaluations per stage. */
  perStage: number[];
}

/** SPOS supernet training, then EPNAS' progressive search with a ridge surrogate. */
export class EpnasSearch implements Searcher<SubnetConfig> {
  readonly method = 'epnas';
  readonly config: EpnasConfig;
  private readonly spos: SposEntangledSearch;

  constructor(readonly net: EntangledSupernet, readonly loss: TaskLoss, config: Partial<EpnasConfig> = {}) {
    checkKnownKeys('epnas', config, EPNAS_KEYS);
    const c = (this.config = { ...EPNAS_DEFAULTS, ...config });
    checkInt('epnas', 'beam', c.beam, 1);
    checkNumber('epnas', 'temperature', c.temperature, 0);
    checkNumber('epnas', 'ridge', c.ridge, 0);
    this.spos = new SposEntangledSearch(net, loss, { ...SPOS_ENTANGLED_DEFAULTS, weightOptimizer: c.weightOptimizer, seed: c.seed });
  }

  /** One SPOS step: a uniformly sampled subnet trains on the batch. */
  step(batch: SearchBatch, s: StepContext): StepOutput {
    return this.spos.step(batch, s);
  }

  async result(val?: Batch): Promise<SubnetConfig> {
    return (await this.search(val)).best;
  }

  /** The indices of `beam` candidates: greedy by prediction (temperature 0), or drawn without replacement ∝ exp(−(pred − min)/(T·spread)). */
  pick(pred: readonly number[], rng: Rng): number[] {
    const { beam, temperature } = this.config;
    const order = pred.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    if (pred.length <= beam) return order.map(([, i]) => i);
    if (temperature === 0) return order.slice(0, beam).map(([, i]) => i);
    const min = order[0]![0];
    const m = pred.reduce((a, b) => a + b, 0) / pred.length;
    const spread = Math.sqrt(pred.reduce((a, b) => a + (b - m) ** 2, 0) / pred.length) || 1;
    const w = pred.map((p) => Math.exp(-(p - min) / (temperature * spread)));
    const out: number[] = [];
    for (let k = 0; k < beam; k++) {
      let u = rng.uniform(0, 1) * w.reduce((a, b) => a + b, 0);
      let i = w.findIndex((v) => (u -= v) < 0);
      if (i < 0) i = w.reduce((last, v, j) => (v > 0 ? j : last), 0); // rounding at the top end: the last one left
      out.push(i);
      w[i] = 0; // without replacement
    }
    return out;
  }

  /** The progressive search: every one-layer network, then `beam` expansions per stage chosen through the surrogate. */
  async search(val?: Batch): Promise<EpnasResult> {
    if (!val) throw new Error('epnas: result(val) needs a validation batch to score architectures');
    const space = this.net.space;
    const rng = new Rng(this.config.seed);
    const X: number[][] = [];
    const losses: number[] = [];
    const history: number[] = [];
    const perStage: number[] = [];
    let best: { s: SubnetConfig; loss: number } | null = null;
    const features = (s: SubnetConfig) => [...smashEncoding(space, s), 1];
    const evaluate = async (cfgs: SubnetConfig[]) => {
      for (const cfg of cfgs) {
        this.net.subnet = cfg;
        try {
          const l = tf.tidy(() => this.loss(this.net.forward(val.x, new ForwardContext()), val.y));
          const v = (await l.data())[0]!;
          l.dispose();
          const loss = Number.isNaN(v) ? Infinity : v;
          X.push(features(cfg));
          losses.push(loss);
          if (!best || loss < best.loss) best = { s: cfg, loss };
          history.push(best.loss);
        } finally {
          this.net.subnet = null;
        }
      }
      perStage.push(cfgs.length);
    };
    let stage = firstStage(space);
    await evaluate(stage);
    while (true) {
      const candidates = stage.flatMap((s) => expandSubnet(space, s));
      if (candidates.length === 0) break;
      const finite = losses.map((l, i) => [l, i] as const).filter(([l]) => Number.isFinite(l));
      const w = ridgeFit(finite.map(([, i]) => X[i]!), finite.map(([l]) => l), this.config.ridge);
      const pred = candidates.map((c) => features(c).reduce((s, v, j) => s + v * w[j]!, 0));
      stage = this.pick(pred, rng).map((i) => candidates[i]!);
      await evaluate(stage);
    }
    const b = best!;
    return { best: b.s, score: b.loss, evaluated: losses.length, history, losses, perStage };
  }

  dispose(): void {
    this.spos.dispose();
  }
}
