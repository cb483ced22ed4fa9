// The specialisation experiment (seeded, on wasm): a top-2-of-8 MoE on clusterTasks (8 clusters in 2-d,
// a different nonlinear target per cluster) learns routing that matches the clusters (NMI well above
// chance and above its value at initialisation) and beats a dense FFN with the same active expert parameters.
import { expect, it } from 'vitest';
import { specialisationExperiment } from '../src/index.js';

it('top-2 of 8: routing matches the clusters and beats the dense FFN with the same active parameters', async () => {
  const r = await specialisationExperiment({ seed: 0 });
  console.log('specialisation', JSON.stringify({ ...r, confusion: r.confusion.map((row) => row.join(' ')) }));
  expect(r.nmi).toBeGreaterThan(0.5);
  expect(r.nmi).toBeGreaterThan(r.nmiChance + 0.4);
  expect(r.nmi).toBeGreaterThan(r.nmiAtInit);
  expect(r.moeMse).toBeLessThan(r.denseMse);
});
