// Modular addition a₁ + … + a_k mod p, one token per number (as in "Grokking", Power et al.,
// arXiv:2201.02177): x = [a₁, +, a₂, +, …, a_k, =] with + = p and = = p + 1.
import type { Rng } from '../random.js';
import { checkInt, checkOneOf, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import { IGNORE_INDEX, type Dataset } from './dataset.js';

/** Config of {@link modularAddition}. */
export interface ModularAdditionConfig {
  /** Number of examples, drawn with replacement (ignored when `exhaustive`). Default 2000. */
  n: number;
  /** The modulus p: operands and answers are 0..p-1. Default 97. */
  modulus: number;
  /** Number of operands k; the sequence length is T = 2k. Default 2. */
  terms: number;
  /** Enumerate all p^k operand tuples once, in shuffled order (the grokking setup; split it with `split`). Default false. */
  exhaustive: boolean;
  /**
   * `'classify'` (default): y int32 `[N]` = the sum mod p, read from the last position, p classes.
   * `'lm'`: y int32 `[N, T]`, {@link IGNORE_INDEX} except the answer at the last position (the `=`),
   * p + 2 classes (the whole vocabulary, for an LM head).
   */
  format: 'classify' | 'lm';
}

/** Defaults of {@link ModularAdditionConfig}. */
export const MODULAR_ADDITION_DEFAULTS: ModularAdditionConfig = { n: 2000, modulus: 97, terms: 2, exhaustive: false, format: 'classify' };

/** Modular addition: x int32 `[N, 2k]`, vocabulary p + 2 (`meta.plus`, `meta.equals`); y as `format` says. */
export function modularAddition(config?: Partial<ModularAdditionConfig>, seed: number | Rng = 0): Dataset {
  const where = 'modularAddition';
  const c = resolveConfig(where, MODULAR_ADDITION_DEFAULTS, config);
  checkInt(where, 'n', c.n, 1);
  checkInt(where, 'modulus', c.modulus, 2, 1 << 20);
  checkInt(where, 'terms', c.terms, 2, 64);
  checkOneOf(where, 'format', c.format, ['classify', 'lm'] as const);
  const p = c.modulus;
  const k = c.terms;
  const T = 2 * k;
  const count = c.exhaustive ? p ** k : c.n;
  checkSize(where, c.exhaustive ? `exhaustive with modulus=${p}, terms=${k}` : `n=${c.n} × T=${T}`, count * T);
  const rng = datasetRng(where, seed, 'modularAddition');
  const plus = p;
  const equals = p + 1;
  const order = c.exhaustive ? rng.permutation(count) : null;
  const x = new Int32Array(count * T);
  const y = new Int32Array(c.format === 'classify' ? count : count * T);
  if (c.format === 'lm') y.fill(IGNORE_INDEX);
  for (let i = 0; i < count; i++) {
    let code = order ? order[i]! : 0; // the tuple's index in base p
    let sum = 0;
    for (let j = 0; j < k; j++) {
      let a: number;
      if (order) {
        a = code % p;
        code = Math.floor(code / p);
      } else a = rng.int(p);
      sum = (sum + a) % p;
      x[i * T + 2 * j] = a;
      x[i * T + 2 * j + 1] = j < k - 1 ? plus : equals;
    }
    if (c.format === 'classify') y[i] = sum;
    else y[i * T + T - 1] = sum;
  }
  return {
    name: 'modular-addition', task: 'sequence', x, xShape: [count, T], y, yShape: c.format === 'classify' ? [count] : [count, T],
    numClasses: c.format === 'classify' ? p : p + 2, vocabSize: p + 2, meta: { plus, equals, modulus: p },
  };
}
