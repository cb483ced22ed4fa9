// Poly's real-scale count: per adapted Linear, S skills of A and B (r·(in + out) each) and the
// router's T·Q·S logits.
import { CalculatorError, linearSizes, type AdapterCount } from '@weft/core';
import type { ResolvedOptions } from '../config.js';
import { POLY_DEFAULTS, checkPolyOptions, type PolyConfig } from './config.js';

/** Poly's count (options as in its Weft config). */
export const POLY_COUNT: AdapterCount<ResolvedOptions<PolyConfig>> = {
  options: POLY_DEFAULTS,
  plan(options) {
    const c = checkPolyOptions(options, 'Poly config');
    return {
      name: `${c.nSplits > 1 ? 'MHR' : 'Poly'} r=${c.r} ${c.nSkills} skills`,
      params(module, path) {
        const m = linearSizes('poly', module, path);
        if (m.in % c.nSplits !== 0 || m.out % c.nSplits !== 0) throw new CalculatorError(`adapter: Poly nSplits=${c.nSplits} must divide in=${m.in} and out=${m.out} of "${path}"`);
        return c.nSkills * c.r * (m.in + m.out) + c.nTasks * c.nSplits * c.nSkills;
      },
    };
  },
};
