// niceTicks: round axis ticks from 0 up to a chart's top, in equal steps of 1, 2 or 5 × 10^k (exact
// decimals, no 0.30000000000000004); formatShareTick writes them as percentages without trailing zeros.
import { describe, expect, it } from 'vitest';
import { formatShareTick, niceTicks } from '../src/components/nice-ticks.js';

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 × 10^k, the smallest step of at least a quarter of the range, never past the top', () => {
    expect(niceTicks(0, 0.275)).toEqual([0, 0.1, 0.2]); // 8 experts, max share 25%: 0, 10, 20 %
    expect(niceTicks(0, 0.154)).toEqual([0, 0.05, 0.1, 0.15]);
    expect(niceTicks(0, 0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0, 0.034)).toEqual([0, 0.01, 0.02, 0.03]); // 64 experts
    expect(niceTicks(0, 0.06)).toEqual([0, 0.02, 0.04, 0.06]);
    expect(niceTicks(-4, 16)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(-3, 7)).toEqual([0, 5]);
  });
  it('gives one tick when the range is empty', () => {
    expect(niceTicks(0.5, 0.5)).toEqual([0.5]);
  });
});

describe('formatShareTick', () => {
  it('writes a share as a percentage with at most one decimal', () => {
    expect([0, 0.05, 0.1, 0.125, 1 / 64, 0.2].map(formatShareTick)).toEqual(['0%', '5%', '10%', '12.5%', '1.6%', '20%']);
  });
});
