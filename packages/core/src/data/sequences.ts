// Sequence-to-sequence toy tasks for a tiny Transformer: copy, reverse and sort a random token
// string. Two layouts (see `SequenceConfig.format`): a decoder-only language-model layout with a
// separator and the answer after it, or an aligned encoder layout (one output per input position).
import type { Rng } from '../random.js';
import { checkInt, checkOneOf, checkSize } from '../check.js';
import { resolveConfig } from '../config.js';
import { datasetRng } from './rng.js';
import { IGNORE_INDEX, type Dataset } from './dataset.js';

/** Config of {@link copyTask}, {@link reverseTask} and {@link sortTask}. */
export interface SequenceConfig {
  /** Number of sequences. Default 1000. */
  n: number;
  /** Length L of the source string. Default 8. */
  length: number;
  /** Number of content tokens V (tokens 0..V-1, drawn uniformly with replacement). Default 10. */
  vocabSize: number;
  /**
   * `'lm'` (default): for a causal LM. x = `[s₁..s_L, SEP, t₁..t_{L-1}]`, y = `[IGNORE × L, t₁..t_L]`,
   * both `[N, 2L]`: position p predicts x[p+1] and only the answer is scored. SEP = V, so the
   * vocabulary (and the output width) is V + 1; `meta.sep` holds it.
   * `'aligned'`: for a bidirectional encoder. x = s, y = t, both `[N, L]`, every position scored,
   * vocabulary V.
   */
  format: 'lm' | 'aligned';
}

/** Defaults of {@link SequenceConfig}. */
export const SEQUENCE_DEFAULTS: SequenceConfig = { n: 1000, length: 8, vocabSize: 10, format: 'lm' };

/** The three transforms, by registry name. */
const transforms = {
  copy: (s: Int32Array) => s.slice(),
  reverse: (s: Int32Array) => s.slice().reverse(),
  sort: (s: Int32Array) => s.slice().sort(),
} as const;

function sequenceTask(name: keyof typeof transforms, config: Partial<SequenceConfig> | undefined, seed: number | Rng): Dataset {
  const where = `${name}Task`;
  const c = resolveConfig(where, SEQUENCE_DEFAULTS, config);
  checkInt(where, 'n', c.n, 1);
  checkInt(where, 'length', c.length, 1, 4096);
  checkInt(where, 'vocabSize', c.vocabSize, 2, 1 << 20);
  checkOneOf(where, 'format', c.format, ['lm', 'aligned'] as const);
  const L = c.length;
  const T = c.format === 'lm' ? 2 * L : L;
  checkSize(where, `n=${c.n} × T=${T}`, c.n * T);
  const rng = datasetRng(where, seed, name);
  const sep = c.vocabSize;
  const x = new Int32Array(c.n * T);
  const y = new Int32Array(c.n * T);
  const s = new Int32Array(L);
  for (let i = 0; i < c.n; i++) {
    for (let j = 0; j < L; j++) s[j] = rng.int(c.vocabSize);
    const t = transforms[name](s);
    const row = i * T;
    if (c.format === 'aligned') {
      x.set(s, row);
      y.set(t, row);
    } else {
      // x: (s₁..s_L, SEP, t₁..t_{L-1}); y: (IGNORE × L, t₁..t_L)
      x.set(s, row);
      x[row + L] = sep;
      x.set(t.subarray(0, L - 1), row + L + 1);
      y.fill(IGNORE_INDEX, row, row + L);
      y.set(t, row + L);
    }
  }
  const vocabSize = c.format === 'lm' ? c.vocabSize + 1 : c.vocabSize;
  return {
    name, task: 'sequence', x, xShape: [c.n, T], y, yShape: [c.n, T], numClasses: vocabSize, vocabSize,
    meta: c.format === 'lm' ? { sep, sourceLength: L } : { sourceLength: L },
  };
}

/** Copy a random string: target = source. Shapes and token layout: {@link SequenceConfig}. */
export function copyTask(config?: Partial<SequenceConfig>, seed: number | Rng = 0): Dataset {
  return sequenceTask('copy', config, seed);
}

/** Reverse a random string. Shapes and token layout: {@link SequenceConfig}. */
export function reverseTask(config?: Partial<SequenceConfig>, seed: number | Rng = 0): Dataset {
  return sequenceTask('reverse', config, seed);
}

/** Sort a random string ascending (duplicates kept). Shapes and token layout: {@link SequenceConfig}. */
export function sortTask(config?: Partial<SequenceConfig>, seed: number | Rng = 0): Dataset {
  return sequenceTask('sort', config, seed);
}
