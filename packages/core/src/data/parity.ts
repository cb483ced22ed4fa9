// Parity of a token string (the sum of the tokens mod 2; bits when vocabSize = 2), as one label
// per sequence or as the running parity at every position. Classes are exactly balanced: the last
// token is drawn among the tokens that give label i mod 2.
import type { Rng } from '../random.js';
import { checkInt, checkOneOf, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import type { Dataset } from './dataset.js';

/** Config of {@link parityTask}. */
export interface ParityConfig {
  /** Number of sequences. Default 1000. */
  n: number;
  /** Sequence length T. Default 16. */
  length: number;
  /** Tokens 0..V-1; the parity is that of their sum. Default 2. */
  vocabSize: number;
  /** `'final'`: y int32 `[N]`, the parity of the whole string (a sequence classifier). `'prefix'`: y int32 `[N, T]`, the parity of x[0..t] at position t. Default `'final'`. */
  targets: 'final' | 'prefix';
}

/** Defaults of {@link ParityConfig}. */
export const PARITY_DEFAULTS: ParityConfig = { n: 1000, length: 16, vocabSize: 2, targets: 'final' };

/** Parity: x int32 tokens `[N, T]`, y int32 `[N]` or `[N, T]` in {0, 1}, numClasses 2. */
export function parityTask(config?: Partial<ParityConfig>, seed: number | Rng = 0): Dataset {
  const where = 'parityTask';
  const c = resolveConfig(where, PARITY_DEFAULTS, config);
  checkInt(where, 'n', c.n, 1);
  checkInt(where, 'length', c.length, 1, 4096);
  checkInt(where, 'vocabSize', c.vocabSize, 2, 1 << 20);
  checkOneOf(where, 'targets', c.targets, ['final', 'prefix'] as const);
  const T = c.length;
  checkSize(where, `n=${c.n} × length=${T}`, c.n * T);
  const rng = datasetRng(where, seed, 'parity');
  const x = new Int32Array(c.n * T);
  const y = new Int32Array(c.targets === 'final' ? c.n : c.n * T);
  for (let i = 0; i < c.n; i++) {
    let parity = 0;
    for (let t = 0; t < T; t++) {
      let token: number;
      if (t < T - 1) token = rng.int(c.vocabSize);
      else {
        // choose the last token so that the final parity is i mod 2
        const q = (i % 2) ^ parity;
        token = 2 * rng.int(Math.floor((c.vocabSize - q + 1) / 2)) + q;
      }
      x[i * T + t] = token;
      parity ^= token & 1;
      if (c.targets === 'prefix') y[i * T + t] = parity;
    }
    if (c.targets === 'final') y[i] = parity;
  }
  return {
    name: 'parity', task: 'sequence', x, xShape: [c.n, T], y, yShape: c.targets === 'final' ? [c.n] : [c.n, T],
    numClasses: 2, vocabSize: c.vocabSize,
  };
}
