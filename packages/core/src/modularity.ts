// Modular Deep Learning (Pfeiffer, Ruder, Vulić, Ponti, arXiv:2302.11529): the survey's three
// dimensions of a modular technique, as registry entries carry them (adapter methods, routers).
// Departs from the survey: its aggregation list is cut to the five forms Weft's entries use.
import { describeValue } from './config.js';

/** How a module's computation joins the model's: on its parameters, on its input, or as a function on its output (§3). */
export const COMPUTATION_FUNCTIONS = ['parameter', 'input', 'function'] as const;
/** Which modules a token/example/task uses: fixed (given), learned hard (discrete choice), learned soft (weights over all) (§4). */
export const ROUTING_FUNCTIONS = ['fixed', 'learned-hard', 'learned-soft'] as const;
/** How the chosen modules combine: one module ('none'), parameter averaging, representation (output) averaging, input concatenation, function composition (§5). */
export const AGGREGATION_FUNCTIONS = ['none', 'parameter', 'representation', 'input', 'function'] as const;

/** A technique's place in the Modular Deep Learning taxonomy. */
export interface Modularity {
  /** Computation function. */
  computation: (typeof COMPUTATION_FUNCTIONS)[number];
  /** Routing function. */
  routing: (typeof ROUTING_FUNCTIONS)[number];
  /** Aggregation function. */
  aggregation: (typeof AGGREGATION_FUNCTIONS)[number];
}

/** Throw unless `m` is a {@link Modularity} (each dimension one of its allowed values); returns it. */
export function checkModularity(who: string, m: unknown): Modularity {
  if (!m || typeof m !== 'object') throw new Error(`${who}: modularity=${describeValue(m)} must be an object { computation, routing, aggregation } (Modular Deep Learning's dimensions)`);
  const o = m as Record<string, unknown>;
  for (const [k, allowed] of [['computation', COMPUTATION_FUNCTIONS], ['routing', ROUTING_FUNCTIONS], ['aggregation', AGGREGATION_FUNCTIONS]] as const) {
    if (!(allowed as readonly unknown[]).includes(o[k])) throw new Error(`${who}: modularity.${k}=${describeValue(o[k])} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return m as Modularity;
}
