// SPOS' evolutionary architecture search (Guo et al., "Single Path One-Shot Neural Architecture
// Search with Uniform Sampling", arXiv 1904.00420, Algorithm 1), generic over the candidate: a
// population of random candidates is scored with the supernet's inherited weights; each generation
// keeps the top-k as parents and refills the population half by crossover (each gene from one of two
// parents) and half by mutation (each gene of one parent redrawn with probability `mutationProb`).
// The best candidate scored wins. Candidates are lists of genes, so children stay valid in any space;
// a candidate seen before is not scored again. Departure: no hard constraints (the paper's FLOPs
// limit); a size penalty belongs in the score.
import { checkKnownKeys, configKeys, type Rng } from '@weft/core';

/** Config of {@link evolve}. The paper's values: population 50, generations 20, parents 10, mutation 0.1. */
export interface EvolutionConfig {
  /** Candidates per generation. Default 16. */
  population: number;
  /** Generations after the first, random one. Default 4. */
  generations: number;
  /** Top-k candidates kept as parents. Default 4. */
  parents: number;
  /** Probability that mutation redraws a gene. Default 0.1. */
  mutationProb: number;
}

/** Every key of {@link EvolutionConfig}. */
export const EVOLUTION_KEYS = configKeys<EvolutionConfig>({ population: true, generations: true, parents: true, mutationProb: true });

/** Defaults of {@link EvolutionConfig}. */
export const EVOLUTION_DEFAULTS: EvolutionConfig = { population: 16, generations: 4, parents: 4, mutationProb: 0.1 };

/** How to draw, split and rebuild candidates of a space. */
export interface GeneSpace<G> {
  /** A uniformly random candidate. */
  random(rng: Rng): G;
  /** The candidate's genes (each gene redrawn or inherited as a whole). */
  genes(g: G): unknown[];
  /** A candidate from genes (a list as `genes` returns). */
  fromGenes(genes: unknown[]): G;
}

/** What {@link evolve} found. */
export interface EvolutionResult<G> {
  best: G;
  score: number;
  /** Distinct candidates scored. */
  evaluated: number;
  /** Best score after each generation (the first is the random population's). */
  history: number[];
}

/** Check an {@link EvolutionConfig}; the message names the field. */
export function resolveEvolution(who: string, config: Partial<EvolutionConfig> = {}): EvolutionConfig {
  checkKnownKeys(`${who}: evolution`, config, EVOLUTION_KEYS);
  const c = { ...EVOLUTION_DEFAULTS, ...config };
  const int = (name: keyof EvolutionConfig, lo: number) => {
    if (!Number.isInteger(c[name]) || c[name] < lo) throw new Error(`${who}: ${name}=${c[name]} must be an integer ≥ ${lo}`);
  };
  int('population', 2);
  int('generations', 0);
  int('parents', 1);
  if (c.parents > c.population) throw new Error(`${who}: parents=${c.parents} must be ≤ population=${c.population}`);
  if (!(c.mutationProb >= 0 && c.mutationProb <= 1)) throw new Error(`${who}: mutationProb=${c.mutationProb} must be in [0, 1]`);
  return c;
}

/** Evolve candidates of `space` to the lowest `score` (e.g. validation loss with inherited weights). */
export async function evolve<G>(space: GeneSpace<G>, score: (g: G) => Promise<number>, config: EvolutionConfig, rng: Rng): Promise<EvolutionResult<G>> {
  const seen = new Map<string, number>();
  const scored = async (g: G) => {
    const key = JSON.stringify(space.genes(g));
    let v = seen.get(key);
    if (v === undefined) {
      v = await score(g);
      seen.set(key, Number.isNaN(v) ? Infinity : v);
    }
    return { g, v: seen.get(key)! };
  };
  const mutate = (p: G) => {
    const fresh = space.genes(space.random(rng));
    return space.fromGenes(space.genes(p).map((gene, i) => (rng.uniform(0, 1) < config.mutationProb ? fresh[i] : gene)));
  };
  const cross = (a: G, b: G) => {
    const gb = space.genes(b);
    return space.fromGenes(space.genes(a).map((gene, i) => (rng.int(2) === 0 ? gene : gb[i])));
  };
  let population: Array<{ g: G; v: number }> = [];
  for (let i = 0; i < config.population; i++) population.push(await scored(space.random(rng)));
  const ranked = () => [...population].sort((p, q) => p.v - q.v);
  let best = ranked()[0]!;
  const history = [best.v];
  for (let gen = 0; gen < config.generations; gen++) {
    const parents = ranked().slice(0, config.parents).map((p) => p.g);
    const pick = () => parents[rng.int(parents.length)]!;
    const half = Math.floor(config.population / 2);
    const children = [
      ...Array.from({ length: half }, () => cross(pick(), pick())),
      ...Array.from({ length: config.population - half }, () => mutate(pick())),
    ];
    const next: Array<{ g: G; v: number }> = [];
    for (const c of children) next.push(await scored(c));
    // Parents survive (elitism), so the best never gets worse.
    population = [...ranked().slice(0, config.parents), ...next].sort((p, q) => p.v - q.v).slice(0, config.population);
    if (population[0]!.v < best.v) best = population[0]!;
    history.push(best.v);
  }
  return { best: best.g, score: best.v, evaluated: seen.size, history };
}
