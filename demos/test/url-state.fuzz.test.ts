// Fuzzing the demo pages' URL state (fast-check, fixed seeds, bounded sizes): random query strings
// (each page's parameter names, typos and prototype names, values near and far from valid, broken
// percent-escapes, lone surrogates, over-long values) into parseUrlState with every page's schema.
// It never throws; the state holds every parameter with a valid value (a value the URL gave, else
// the default) and one problem per value not used; the state written back reads back the same.
// The params page also counts each side of whatever state a URL gives without throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '@weft/core';
import { MAX_RAW_LENGTH, formatUrlState, parseUrlState, type UrlSchema } from '../src/url-state.js';
import { ADAPTERS_SCHEMA } from '../src/pages/adapters-state.js';
import { COMPARE_SCHEMA } from '../src/pages/compare-state.js';
import { MOE_SCHEMA } from '../src/pages/moe-state.js';
import { NAS_SCHEMA } from '../src/pages/nas-state.js';
import { PARAMS_SCHEMA, SIDES, sideOf } from '../src/pages/params-state.js';
import { SHARING_SCHEMA } from '../src/pages/sharing-state.js';
import { TRAIN_SCHEMA } from '../src/pages/train-state.js';
import { computeSide } from '../src/pages/params-model.js';

const QUERIES = 400; // per page

const PAGES: Record<string, UrlSchema> = {
  train: TRAIN_SCHEMA, moe: MOE_SCHEMA, nas: NAS_SCHEMA, sharing: SHARING_SCHEMA, adapters: ADAPTERS_SCHEMA, compare: COMPARE_SCHEMA, params: PARAMS_SCHEMA,
};

/** A raw query value: a valid one of some parameter, a number-like text, a choice in odd case, or anything. */
function valueArb(schema: UrlSchema): fc.Arbitrary<string> {
  const valid = Object.values(schema).map((s) => s.format(s.default));
  return fc.oneof(
    fc.constantFrom(...valid),
    fc.constantFrom(...valid).map((v) => v.toUpperCase()),
    fc.oneof(fc.integer(), fc.integer({ min: -3, max: 40 }), fc.maxSafeInteger()).map(String),
    fc.double().map(String),
    fc.constantFrom('', ' ', '0', '-0', '+5', ' 7 ', '1e999', '1e-999', '0x10', '1_000', 'NaN', 'Infinity', '５', '1,2', ',', '1,,2', '.5', '5.', '-.5e+3', '%', '%zz', '%E0%A4%A', '%00', '%0A', '+', '&', '=', '#', '\u0000', '\ud800', '\u202e'),
    fc.array(fc.integer({ min: -2, max: 600 }).map(String), { maxLength: 8 }).map((a) => a.join(',')),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.tuple(fc.constantFrom('1', 'a,', '%'), fc.integer({ min: MAX_RAW_LENGTH - 2, max: MAX_RAW_LENGTH + 2 })).map(([s, n]) => s.repeat(n).slice(0, n)),
  );
}

/** A parameter name: the schema's, in odd case or spacing, a prototype name, or anything. */
function keyArb(schema: UrlSchema): fc.Arbitrary<string> {
  const keys = Object.keys(schema);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...keys) },
    fc.constantFrom(...keys).map((k) => k.toUpperCase()),
    fc.constantFrom(...keys).map((k) => ` ${k}`),
    fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString', ''),
    fc.string({ unit: 'binary', maxLength: 6 }),
  );
}

/** A query string: encoded pairs, raw (unencoded) pairs, or any text. */
function queryArb(schema: UrlSchema): fc.Arbitrary<string> {
  const pairs = fc.array(fc.tuple(keyArb(schema), valueArb(schema)), { maxLength: 8 });
  return fc.oneof(
    pairs.map((p) => `?${new URLSearchParams(p).toString()}`),
    pairs.map((p) => `?${p.map(([k, v]) => `${k}=${v}`).join('&')}`),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
}

const CONTROL = /[\u0000-\u001f\u007f]/;

describe('URL state fuzz', () => {
  for (const [page, schema] of Object.entries(PAGES)) {
    it(`parseUrlState of random ${page}.html queries (${QUERIES} queries)`, () => {
      const keys = Object.keys(schema);
      fc.assert(
        fc.property(queryArb(schema), fc.boolean(), (query, asParams) => {
          const { state, problems } = parseUrlState(schema, asParams ? new URLSearchParams(query) : query);
          expect(Object.keys(state)).toEqual(keys);
          // What the rules say, from the first occurrence of each name.
          const first = new Map<string, string>();
          for (const [k, v] of new URLSearchParams(query)) if (!first.has(k)) first.set(k, v);
          let refused = 0;
          for (const key of keys) {
            const spec = schema[key]!;
            const value = (state as Record<string, unknown>)[key];
            // Compared as written: "-0" reads as -0 and is written "0" (the same link).
            const text = spec.format(value);
            const back = spec.parse(text);
            expect(back.ok && spec.format(back.value), `${key} holds a value it cannot write back`).toBe(text);
            const raw = first.get(key);
            const parsed = raw === undefined || raw.length > MAX_RAW_LENGTH ? null : spec.parse(raw);
            if (parsed?.ok) expect(value).toEqual(parsed.value);
            else expect(value).toEqual(spec.default);
            if (raw !== undefined && !parsed?.ok) refused++;
          }
          const unknown = [...first.keys()].filter((k) => !Object.hasOwn(schema, k)).length;
          expect(problems).toHaveLength(refused + unknown);
          for (const p of problems) {
            expect(first.has(p.param)).toBe(true);
            expect(p.value.length).toBeLessThanOrEqual(60);
            expect(p.value).not.toMatch(CONTROL);
            expect(p.message.length).toBeGreaterThan(0);
          }
          // The state written back reads back the same, without a problem.
          const link = formatUrlState(schema, state as never);
          const again = parseUrlState(schema, link);
          expect(again.problems).toEqual([]);
          expect(formatUrlState(schema, again.state as never)).toBe(link);
          if (page === 'params') {
            for (const side of SIDES) {
              const s = sideOf(state as Record<string, unknown>, side);
              const result = computeSide(PRESETS[s.preset].config, s);
              expect((result.report === null) !== (result.error === null), 'a report or an error').toBe(true);
            }
          }
        }),
        { seed: 0x0e1 + page.length, numRuns: QUERIES },
      );
    });
  }
});
