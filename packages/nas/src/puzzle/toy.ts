// Puzzle: Distillation-Based NAS for Inference-Optimized LLMs, arXiv 2411.19146, at toy scale: a
// parent TinyTransformer trained on string reversal, its variant library distilled blockwise, the
// replace-one scores, and for each parameter budget the searched child against the best uniform
// child (the same attention and FFN variant in every block) that fits. No global distillation
// after the search (the paper's GKD stage): both children use the BLD weights as they are.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, TinyTransformer, makeOptimizer, resolveConfig, reverseTask, softmaxCrossEntropy, toTensors, train } from '@weft/core';
import { checkInt } from '@weft/core/internal';
import { blockwiseDistill, buildPuzzleLibrary, type BldResult, type PuzzleChoice, type PuzzleConfig } from './bld.js';
import { choiceCost, fullChoice, lmEval, puzzleSearch, replaceOneScores, uniformChoices, type VariantScore } from './search.js';

/** Options of {@link puzzleToy}. */
export interface PuzzleToyConfig {
  /** Parent training steps (Adam 0.003, batches of 32). Default: 600. */
  parentSteps: number;
  /** Budgets as shares of the parent's summed subblock parameters. Default: [0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.75]. */
  budgets: number[];
  /** Library and BLD options. Default: Puzzle's defaults. */
  puzzle: Partial<PuzzleConfig>;
}

/** Defaults of {@link PuzzleToyConfig}. */
export const PUZZLE_TOY_DEFAULTS: PuzzleToyConfig = { parentSteps: 600, budgets: [0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.75], puzzle: {} };

/** One child's result. */
export interface PuzzleChildResult {
  choice: PuzzleChoice;
  /** Summed subblock parameters. */
  params: number;
  loss: number;
  accuracy: number;
}

/** Result of {@link puzzleToy}. */
export interface PuzzleToyResult {
  parent: { params: number; loss: number; accuracy: number };
  bld: BldResult[];
  scores: VariantScore[];
  budgets: Array<{ share: number; budget: number; searched: PuzzleChildResult; uniform: PuzzleChildResult | null }>;
}

/** The toy's task: reverse 6 tokens of 8 (LM layout, T = 12), 1200 training and 400 held-out sequences. */
export function puzzleToyData(seed: number): { train: { x: tf.Tensor; y: tf.Tensor }; val: { x: tf.Tensor; y: tf.Tensor }; vocabSize: number; maxLen: number } {
  const ds = reverseTask({ n: 1600, length: 6, vocabSize: 8 }, seed);
  const t = toTensors(ds);
  const cut = (from: number, n: number) => ({ x: tf.slice(t.x, from, n), y: tf.slice(t.y, from, n) }); // (N, T) -> (n, T)
  const out = { train: cut(0, 1200), val: cut(1200, 400), vocabSize: ds.vocabSize!, maxLen: ds.xShape[1]! };
  tf.dispose([t.x, t.y]);
  return out;
}

/** Train the toy parent, distil its variants, score them and compare searched and uniform children per budget. */
export async function puzzleToy(seed: number, config?: Partial<PuzzleToyConfig>): Promise<PuzzleToyResult> {
  const c = resolveConfig('puzzleToy', PUZZLE_TOY_DEFAULTS, config);
  checkInt('puzzleToy', 'parentSteps', c.parentSteps, 0, 1e6);
  const data = puzzleToyData(seed);
  const rng = new Rng(seed);
  const parent = new TinyTransformer({ vocabSize: data.vocabSize, maxLen: data.maxLen, dim: 32, depth: 4, numHeads: 4, mlpHidden: 64 }, rng.fork('parent'));
  const opt = makeOptimizer({ name: 'adam', learningRate: 0.003 });
  const draw = rng.fork('batches');
  let library: Awaited<ReturnType<typeof buildPuzzleLibrary>> | null = null;
  try {
    await train({
      model: parent,
      optimizer: opt,
      steps: c.parentSteps,
      reportEvery: Math.max(1, c.parentSteps),
      seed,
      loss: (o, b: { x: tf.Tensor; y: tf.Tensor }) => softmaxCrossEntropy(o, b.y),
      batch: () => {
        const idx = tf.tensor1d(Int32Array.from({ length: 32 }, () => draw.int(1200)), 'int32');
        return { x: tf.gather(data.train.x, idx), y: tf.gather(data.train.y, idx) };
      },
    });
    const calibration = tf.slice(data.train.x, 0, 256); // (1200, T) -> (256, T)
    library = await buildPuzzleLibrary(parent, calibration, c.puzzle, rng.fork('library'));
    calibration.dispose();
    const bld = await blockwiseDistill(library, data.train.x, data.val.x, seed);
    const { parent: p, scores } = await replaceOneScores(library, data.val);
    const total = choiceCost(scores, fullChoice(library));
    const evalChoice = async (choice: PuzzleChoice): Promise<PuzzleChildResult> => ({ choice, params: choiceCost(scores, choice), ...(await lmEval(library!.child(choice), data.val)) });
    const uniforms: PuzzleChildResult[] = [];
    for (const u of uniformChoices(library)) uniforms.push(await evalChoice(u));
    const budgets: PuzzleToyResult['budgets'] = [];
    for (const share of c.budgets) {
      const budget = Math.floor(share * total);
      const searched = await evalChoice(puzzleSearch(scores, budget).choice);
      // The baseline at its best: of the uniform children that fit, the one with the lowest held-out loss.
      const fit = uniforms.filter((u) => u.params <= budget).sort((a, b) => a.loss - b.loss);
      budgets.push({ share, budget, searched, uniform: fit[0] ?? null });
    }
    return { parent: { params: total, ...p }, bld, scores, budgets };
  } finally {
    opt.dispose();
    library?.dispose();
    parent.dispose();
    tf.dispose([data.train.x, data.train.y, data.val.x, data.val.y]);
  }
}

/** The cached table of {@link puzzleToy} runs (puzzle/table.ts, made by scripts/nas-design-tables.mjs). */
export interface PuzzleTable {
  task: string;
  seeds: Array<{ seed: number; parent: PuzzleToyResult['parent']; budgets: PuzzleToyResult['budgets']; scores: VariantScore[] }>;
  /** Seconds the script took on the machine that made it. */
  seconds: number;
}
