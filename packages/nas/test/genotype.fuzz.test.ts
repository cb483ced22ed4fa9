// Fuzzing the genotype readers (fast-check, fixed seeds, bounded sizes). DARTS texts of random valid
// genotypes, with whitespace and trailing commas where Python allows them, read back exactly; the
// same texts with characters inserted, deleted or replaced are either refused with a plain Error
// from fromDartsString or read as a well-formed genotype that round-trips and means what the text
// says (its quoted names and numbers, read token by token, are the genotype's). Genotype objects
// with fields set to random values are refused with a "genotype…" Error or valid for the space; the
// argmax parse of any edge weights (NaN and ±Inf included) gives a valid genotype.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '@weft/core';
import {
  NONE, fromDartsString, parseGenotype, randomGenotype, resolveSpace, toDartsString, validateGenotype, type CellSpaceConfig, type Genotype,
} from '../src/index.js';

const TEXTS = 1500;
const MUTATED = 3000;
const OBJECTS = 1500;
const WEIGHTS = 300;

type Pair = [string, number];

/** One cell: `nodes` nodes of two pairs (input of node i in [0, i + 2)), and a concat of distinct nodes. */
const cellArb = (nodes: number, ops: fc.Arbitrary<string>) =>
  fc.tuple(
    fc.tuple(...Array.from({ length: nodes }, (_, i) => fc.tuple(fc.tuple(ops, fc.nat(i + 1)), fc.tuple(ops, fc.nat(i + 1))))),
    fc.shuffledSubarray(Array.from({ length: nodes }, (_, i) => i + 2)),
    fc.boolean(),
  ).map(([pairs, concat, contiguous]): [Pair[], number[]] => {
    // A contiguous concat is written as range(a, b); keep some of them sorted so that it is.
    const c = contiguous ? concat.sort((a, b) => a - b) : concat;
    return [pairs.flat() as Pair[], c];
  });

const opNameArb = fc.oneof(fc.constantFrom('sep_conv_3x3', 'skip_connect', 'max_pool_3x3', 'op_0', '_', '9'), fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/));

/** Nodes of a cell: none, a few, or more than 20 (so that "[2 3]" misread as 23 would be a node). */
const nodesArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 8 }) }, fc.integer({ min: 20, max: 30 }));

/** A genotype of DARTS' form (any op names), up to 30 nodes per cell, reduce possibly empty. */
const genotypeArb: fc.Arbitrary<Genotype> = fc
  .tuple(nodesArb, nodesArb)
  .chain(([n, r]) => fc.tuple(cellArb(n, opNameArb), cellArb(r, opNameArb)))
  .map(([[normal, normalConcat], [reduce, reduceConcat]]) => ({ normal, normal_concat: normalConcat, reduce, reduce_concat: reduceConcat }));

/** Whitespace (ASCII and not) put between tokens, and trailing commas in lists, as Python allows. */
function reformat(text: string, spaces: string[], trailingComma: boolean): string {
  let k = 0;
  const out = text.replace(/\s*([(),=[\]])\s*/g, (_, p: string) => `${spaces[k++ % spaces.length]}${p}${spaces[k++ % spaces.length]}`);
  // Weft reads "Genotype(" and "range(" as one token each (Python would allow a space).
  const tight = out.replace(/(Genotype|range)\s*\(/g, '$1(');
  return trailingComma ? tight.replace(/\)\]/g, '),]') : tight;
}

/** The well-formedness rules of a genotype, written out. */
function wellFormed(g: Genotype): boolean {
  const cell = (pairs: Pair[], concat: number[]) => {
    const nodes = pairs.length / 2;
    return (
      Number.isInteger(nodes) &&
      pairs.every(([op, j], k) => /^[A-Za-z0-9_]+$/.test(op) && Number.isInteger(j) && j >= 0 && j < Math.floor(k / 2) + 2) &&
      concat.every((c) => Number.isInteger(c) && c >= 2 && c <= nodes + 1) &&
      new Set(concat).size === concat.length
    );
  };
  return cell(g.normal as Pair[], g.normal_concat) && cell(g.reduce as Pair[], g.reduce_concat);
}

/**
 * What a DARTS text says, read token by token: its identifiers, quoted names and numbers in order,
 * punctuation ignored (so "[2 3]" says 2 and 3, never 23), fitted to Genotype(normal …,
 * normal_concat …, reduce …, reduce_concat …); null when the tokens do not fit.
 */
function readTokens(text: string): Genotype | null {
  const t = [...text.matchAll(/'([^']*)'|([A-Za-z_][A-Za-z0-9_]*)|(\d+)/g)].map((m) => (m[3] !== undefined ? Number(m[3]) : m[1] !== undefined ? { name: m[1] } : m[2]!));
  let i = 0;
  const word = (w: string) => (t[i] === w ? (i++, true) : false);
  const pairs = () => {
    const out: Pair[] = [];
    for (let name = t[i]; typeof name === 'object' && typeof t[i + 1] === 'number'; name = t[i]) {
      out.push([name.name, t[i + 1] as number]);
      i += 2;
    }
    return out;
  };
  const concat = () => {
    if (word('range')) {
      const [a, b] = [t[i], t[i + 1]];
      if (typeof a !== 'number' || typeof b !== 'number' || b - a > 10_000) return null;
      i += 2;
      return Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
    }
    const out: number[] = [];
    while (typeof t[i] === 'number') out.push(t[i++] as number);
    return out;
  };
  if (!word('Genotype') || !word('normal')) return null;
  const normal = pairs();
  const normalConcat = word('normal_concat') ? concat() : null;
  if (!normalConcat || !word('reduce')) return null;
  const reduce = pairs();
  const reduceConcat = word('reduce_concat') ? concat() : null;
  if (!reduceConcat || i !== t.length) return null;
  return { normal, normal_concat: normalConcat, reduce, reduce_concat: reduceConcat };
}

/** Whether `e` is a plain Error whose message starts with `prefix`. */
const clearError = (e: unknown, prefix: RegExp) => Object.getPrototypeOf(e) === Error.prototype && prefix.test((e as Error).message);

describe('genotype fuzz', () => {
  it(`DARTS text round trip (${TEXTS} genotypes)`, () => {
    const spaces = fc.array(fc.constantFrom('', ' ', '  ', '\n', '\t', '\u00a0'), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(genotypeArb, spaces, fc.boolean(), (g, ws, comma) => {
        const text = toDartsString(g);
        expect(fromDartsString(text)).toEqual(g);
        expect(fromDartsString(reformat(text, ws, comma))).toEqual(g);
      }),
      { seed: 0x6e0, numRuns: TEXTS },
    );
  });

  it(`mutated DARTS texts (${MUTATED} texts)`, () => {
    const edit = fc.record({
      at: fc.nat(),
      cut: fc.integer({ min: 0, max: 3 }),
      insert: fc.oneof(fc.string({ unit: fc.constantFrom(...`0123456789 ,()[]'=_-.eaz\n`.split('')), maxLength: 3 }), fc.constantFrom('range(', ')', "('x', 0)", ', 2', ' 3', '99999999999999999999')),
    });
    const counts = { read: 0, refused: 0 };
    fc.assert(
      fc.property(genotypeArb, fc.array(edit, { minLength: 1, maxLength: 3 }), (g, edits) => {
        let text = toDartsString(g);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.cut);
        }
        let read: Genotype;
        try {
          read = fromDartsString(text);
        } catch (e) {
          expect(clearError(e, /^fromDartsString: /), String(e)).toBe(true);
          counts.refused++;
          return;
        }
        expect(wellFormed(read), `an ill-formed genotype from ${JSON.stringify(text)}`).toBe(true);
        expect(fromDartsString(toDartsString(read))).toEqual(read);
        expect(read, `read ${JSON.stringify(text)} as ${toDartsString(read)}`).toEqual(readTokens(text));
        counts.read++;
      }),
      { seed: 0x6e1, numRuns: MUTATED },
    );
    expect(counts.read).toBeGreaterThan(MUTATED / 30);
    expect(counts.refused).toBeGreaterThan(MUTATED / 4);
  });

  it('a concat list "[1 0]" is refused, never read as [10]', () => {
    const pairs = Array.from({ length: 9 }, () => "('skip_connect', 0), ('skip_connect', 1)").join(', ');
    expect(() => fromDartsString(`Genotype(normal=[${pairs}], normal_concat=[1 0], reduce=[], reduce_concat=[])`)).toThrow(
      'fromDartsString: normal_concat=[1 0] must be a list of node numbers separated by commas',
    );
  });

  it(`validateGenotype of mutated genotype objects (${OBJECTS} objects)`, () => {
    const spaces: CellSpaceConfig[] = [resolveSpace({ space: 'vector' }), resolveSpace({ space: 'conv' }), resolveSpace({ space: 'vector', steps: 3, multiplier: 1 })];
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: -2, max: 8 }),
      fc.constantFrom(NONE, '__proto__', 'constructor', 'skip_connect', 'sep_conv_3x3', 1.5, -0, 2 ** 53, Infinity, NaN),
      fc.array(fc.tuple(fc.constantFrom(NONE, 'skip_connect', 'sep_conv_3x3', 'linear', '__proto__'), fc.integer({ min: -1, max: 6 })), { maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 5 }),
    );
    const path = fc.tuple(fc.constantFrom('normal', 'normal_concat', 'reduce', 'reduce_concat', 'extra', '__proto__'), fc.option(fc.nat(9)), fc.option(fc.nat(1)));
    fc.assert(
      fc.property(fc.nat(spaces.length - 1), fc.nat(), fc.array(fc.tuple(path, value), { maxLength: 3 }), fc.boolean(), (s, seed, edits, asJson) => {
        const space = spaces[s]!;
        const g = structuredClone(randomGenotype(space, new Rng(seed))) as unknown as Record<string, any>;
        for (const [[field, i, j], v] of edits) {
          // Own properties only: g["__proto__"] is Object.prototype, which must not be edited.
          const own = (o: any, k: string | number) => (o !== null && typeof o === 'object' && Object.hasOwn(o, k) ? o[k] : undefined);
          const target = i === null ? g : j === null ? own(g, field) : own(own(g, field), i);
          const key = i === null ? field : j === null ? i : j;
          if (target !== null && typeof target === 'object') Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
        }
        let candidate: unknown = g;
        if (asJson) {
          const text = JSON.stringify(g);
          candidate = text === undefined ? undefined : JSON.parse(text);
        }
        try {
          validateGenotype(candidate, space);
        } catch (e) {
          expect(clearError(e, /^genotype\b/), String(e)).toBe(true);
          return;
        }
        const v = candidate as Genotype;
        expect(Object.keys(v).sort()).toEqual(['normal', 'normal_concat', 'reduce', 'reduce_concat']);
        expect(wellFormed(v)).toBe(true);
        expect(v.normal).toHaveLength(2 * space.steps);
        expect(v.normal.every(([op]) => op !== NONE && space.ops.includes(op))).toBe(true);
        expect(v.normal_concat.length).toBeGreaterThan(0);
        if (space.space === 'vector') expect([v.reduce.length, v.reduce_concat.length]).toEqual([0, 0]);
        else expect(v.reduce).toHaveLength(2 * space.steps);
        expect(fromDartsString(toDartsString(v))).toEqual(v);
      }),
      { seed: 0x6e2, numRuns: OBJECTS },
    );
  });

  it(`argmax genotypes of random edge weights (${WEIGHTS} weight sets)`, () => {
    const spaces: CellSpaceConfig[] = [resolveSpace({ space: 'vector' }), resolveSpace({ space: 'conv' }), resolveSpace({ space: 'vector', steps: 4, multiplier: 2 })];
    const weight = fc.oneof({ weight: 6, arbitrary: fc.double({ min: -10, max: 10 }) }, fc.constantFrom(NaN, Infinity, -Infinity, 0, -0));
    fc.assert(
      fc.property(fc.nat(spaces.length - 1), fc.infiniteStream(weight), (s, stream) => {
        const space = spaces[s]!;
        const edges = (space.steps * (space.steps + 3)) / 2;
        const it = stream[Symbol.iterator]();
        const rows = () => Array.from({ length: edges }, () => space.ops.map(() => it.next().value as number));
        const g = parseGenotype({ normal: rows(), reduce: space.space === 'conv' ? rows() : [] }, space);
        validateGenotype(g, space);
      }),
      { seed: 0x6e3, numRuns: WEIGHTS },
    );
  });
});
