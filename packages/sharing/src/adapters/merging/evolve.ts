// Evolutionary Optimization of Model Merging Recipes (arXiv:2403.13187), parameter-space merging:
// the recipe — one weight per (layer, task), fed to combineAdapters' layerWeights for any registered
// merge method — is evolved to maximise a caller's score (e.g. mean validation accuracy over tasks).
// The paper uses CMA-ES; this is a (μ/μ, λ) evolution strategy with an isotropic Gaussian and the
// 1/5th-success step-size rule, seeded. Departure: no data-flow-space (layer permutation) search.
import { Rng } from '@weft/core';
import { checkInt, checkPositive } from '@weft/core/internal';

/** Options of {@link evolveMergeRecipe}. */
export interface EvolveRecipeOptions {
  /** Offspring per generation (λ). Default: 8. */
  population?: number;
  /** Parents recombined (μ ≤ λ). Default: 3. */
  parents?: number;
  /** Generations. Default: 8. */
  generations?: number;
  /** Initial mutation step σ. Default: 0.3. */
  sigma?: number;
  /** Seed. Default: 0. */
  seed?: number;
}

/** What {@link evolveMergeRecipe} found. */
export interface EvolvedRecipe {
  /** layer path → one weight per task. */
  layerWeights: Record<string, number[]>;
  score: number;
  /** Best score after each generation (the first entry is the starting recipe's). */
  history: number[];
  evaluated: number;
}

/**
 * Evolve per-layer task weights starting from `start` (the same weights on every layer) to maximise
 * `score(layerWeights)`.
 */
export async function evolveMergeRecipe(
  layers: string[], start: number[], score: (layerWeights: Record<string, number[]>) => Promise<number>, options: EvolveRecipeOptions = {},
): Promise<EvolvedRecipe> {
  const fn = 'evolveMergeRecipe';
  const lambda = checkInt(fn, 'population', options.population ?? 8, 2);
  const mu = checkInt(fn, 'parents', options.parents ?? 3, 1, lambda);
  const generations = checkInt(fn, 'generations', options.generations ?? 8, 0);
  let sigma = checkPositive(fn, 'sigma', options.sigma ?? 0.3);
  const rng = new Rng(checkInt(fn, 'seed', options.seed ?? 0, 0));
  const T = start.length;
  const toRecipe = (g: number[]) => Object.fromEntries(layers.map((p, k) => [p, g.slice(k * T, (k + 1) * T)]));
  let mean = layers.flatMap(() => start);
  let best = { g: mean, s: await score(toRecipe(mean)) };
  const history = [best.s];
  let evaluated = 1;
  for (let gen = 0; gen < generations; gen++) {
    const kids: Array<{ g: number[]; s: number }> = [];
    for (let i = 0; i < lambda; i++) {
      const g = mean.map((v) => v + sigma * rng.normal());
      kids.push({ g, s: await score(toRecipe(g)) });
      evaluated++;
    }
    kids.sort((a, b) => b.s - a.s);
    const success = kids.filter((k) => k.s > best.s).length / lambda;
    sigma *= Math.exp((success - 0.2) / 0.8); // 1/5th rule: widen when > 20% of offspring improve
    mean = mean.map((_, j) => kids.slice(0, mu).reduce((s, k) => s + k.g[j]!, 0) / mu);
    if (kids[0]!.s > best.s) best = kids[0]!;
    history.push(best.s);
  }
  return { layerWeights: toRecipe(best.g), score: best.s, history, evaluated };
}
