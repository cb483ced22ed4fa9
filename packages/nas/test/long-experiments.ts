// The NAS ranking experiments train a supernet (or several) per heuristic, method and seed and score
// 24 subnets each: minutes to an hour on a 2-core machine, past the whole suite's budget. They run
// when WEFT_LONG_EXPERIMENTS=1 (`WEFT_LONG_EXPERIMENTS=1 npm test -- --project node packages/nas`);
// their reference computations (τ-b, gradient matching, the mixture's weights, α-divergence, the
// collapse share) run in every `npm test`.

/** Whether the long NAS experiments run in this process. */
export const LONG_EXPERIMENTS = process.env.WEFT_LONG_EXPERIMENTS === '1';
